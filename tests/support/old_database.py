"""A database as casebot left it before it served several cases (schema version 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# The answer recorded in it, whose feedback buttons are still out there.
ANSWER_ID = "0123456789abcdef"


def database_of_schema_3(path: Path) -> None:
    """A database as casebot left it before it served several cases, with one record of
    each kind: a load, a follow with its mark and an owed alert, an answer with a vote, a
    stored question."""
    from bot.store import MIGRATIONS

    with sqlite3.connect(path) as db:
        for target, script in enumerate(MIGRATIONS[:3], start=1):
            db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")
        at = "'2025-02-01T00:00:00+00:00'"
        db.executescript(
            f"""
            INSERT INTO corpus_loads (at, by_platform, by_user, articles, passages, result)
                VALUES ({at}, 'system', 'system', 5, 58, 'ok');
            INSERT INTO follows VALUES ('slack', 'C1', {at}, 'UADMIN');
            INSERT INTO alert_state VALUES (1, '2025-01-30');
            INSERT INTO alerts (platform, channel_id, development, queued_at)
                VALUES ('slack', 'C1', 'dev1', {at});
            INSERT INTO answers (id, at, platform, command, kind, passages)
                VALUES ('{ANSWER_ID}', {at}, 'slack', 'ask', 'answer', '["a#0"]');
            INSERT INTO feedback (answer_id, user_hash, at, platform, kind, vote)
                VALUES ('{ANSWER_ID}', 'h1', {at}, 'slack', 'answer', 'down');
            INSERT INTO questions (at, platform, user_id, kind, question)
                VALUES ({at}, 'slack', 'h1', 'answer', 'who?');
            """
        )
    db.close()
