"""The Slack tests' fixtures: a fake Slack, the adapter started against it, a log waiter."""

from tests.support.slack_harness import (  # noqa: F401 - fixtures, used by name
    corpus_copy,
    fake,
    log_waiter,
    slack,
    stack,
    start,
)
