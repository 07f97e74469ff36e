"""Rendering an answer as text or JSON, and the formatting every renderer shares."""
