"""The case views: where the case stands (status), what happened when (timeline), its
procedural developments, and sentences read as claims (corroboration, disagreements)."""
