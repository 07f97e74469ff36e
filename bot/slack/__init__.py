"""Slack: the Bolt adapter, Block Kit rendering and the Home tab (the `slack` extra)."""
