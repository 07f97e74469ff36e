"""What tests share: corpora, fakes of Slack and Discord, harnesses and helpers (never a test module)."""
