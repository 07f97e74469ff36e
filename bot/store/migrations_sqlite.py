"""The SQLite schema, versioned with `PRAGMA user_version`.

`MIGRATIONS[i]` takes a database from version i to i + 1; `bot/store/sqlite.py` applies
whichever are missing, each in its own transaction. Add a migration by appending to the
list; never edit one that has shipped. PostgreSQL has its own list of the same schema
(bot/store/migrations_postgres.py): a change to one is made to both.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the first schema.
    """
    CREATE TABLE corpus_loads (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        by_platform TEXT NOT NULL,
        by_user TEXT NOT NULL,
        fingerprint TEXT,
        articles INTEGER NOT NULL,
        passages INTEGER NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('ok', 'failed')),
        errors TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        command TEXT NOT NULL,
        allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
        result TEXT NOT NULL
    );
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        question TEXT NOT NULL
    );
    """,
    # 2: following the case (bot/alerts.py). `follows`: the channels that follow.
    # `alert_state`: one row, made at the first load after this migration, holding the
    # latest event date of any development casebot has served (NULL: none dated yet);
    # only developments after it are news. `alerts`: each development queued for each
    # channel, done when posted (or stale when its article no longer says it).
    """
    CREATE TABLE follows (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        at TEXT NOT NULL,
        by_user TEXT NOT NULL,
        PRIMARY KEY (platform, channel_id)
    );
    CREATE TABLE alert_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        known_through TEXT
    );
    CREATE TABLE alerts (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        development TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        done_at TEXT,
        outcome TEXT CHECK (outcome IN ('sent', 'stale')),
        PRIMARY KEY (platform, channel_id, development)
    );
    """,
    # 3: learning from the people asking (bot/feedback.py, bot/report.py). `kept`: values
    # casebot makes once and keeps (the salt of user hashes). `answers`: each ask and
    # status answer, with the passages it quoted ("source id#position in the article", which
    # a reload leaves alone), so its buttons work after a restart
    # (their value is only this id); the question text only with CASEBOT_STORE_QUESTIONS,
    # cleared after CASEBOT_QUESTION_RETENTION_DAYS. `feedback`: one vote per person
    # (salted hash, never the id) per answer; a second vote replaces the first.
    """
    CREATE TABLE kept (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE answers (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        command TEXT NOT NULL,
        kind TEXT NOT NULL,
        passages TEXT NOT NULL DEFAULT '',
        question TEXT
    );
    CREATE INDEX answers_at ON answers (at);
    CREATE TABLE feedback (
        answer_id TEXT NOT NULL,
        user_hash TEXT NOT NULL,
        at TEXT NOT NULL,
        platform TEXT NOT NULL,
        kind TEXT NOT NULL,
        passages TEXT NOT NULL DEFAULT '',
        vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        reason TEXT CHECK (reason IN ('wrong_quote', 'outdated', 'missing')),
        PRIMARY KEY (answer_id, user_hash)
    );
    """,
    # 4: many cases in one deployment (bot/cases.py). Every record names its case by id.
    # Rows from before belong to the deployment's one case, which the store can't know:
    # they get the id '' and `Store.adopt_legacy` gives them to that case once the desk
    # knows it. A channel may follow several cases (`follows` and `alerts` are keyed by
    # case too), each case has its own mark of news (`alert_marks`, which replaces
    # `alert_state`), and `channel_cases` holds each channel's case (`/case use`). Audit
    # rows name a case only when the command was about one (NULL otherwise).
    """
    ALTER TABLE corpus_loads ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE audit ADD COLUMN case_id TEXT;
    ALTER TABLE questions ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE answers ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE feedback ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
    CREATE INDEX answers_case_at ON answers (case_id, at);
    CREATE TABLE follows_by_case (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        at TEXT NOT NULL,
        by_user TEXT NOT NULL,
        PRIMARY KEY (platform, channel_id, case_id)
    );
    INSERT INTO follows_by_case (platform, channel_id, case_id, at, by_user)
        SELECT platform, channel_id, '', at, by_user FROM follows;
    DROP TABLE follows;
    ALTER TABLE follows_by_case RENAME TO follows;
    CREATE TABLE alert_marks (
        case_id TEXT PRIMARY KEY,
        known_through TEXT
    );
    INSERT INTO alert_marks (case_id, known_through) SELECT '', known_through FROM alert_state;
    DROP TABLE alert_state;
    CREATE TABLE alerts_by_case (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        development TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        done_at TEXT,
        outcome TEXT CHECK (outcome IN ('sent', 'stale')),
        PRIMARY KEY (platform, channel_id, case_id, development)
    );
    INSERT INTO alerts_by_case
        (platform, channel_id, case_id, development, queued_at, done_at, outcome)
        SELECT platform, channel_id, '', development, queued_at, done_at, outcome FROM alerts;
    DROP TABLE alerts;
    ALTER TABLE alerts_by_case RENAME TO alerts;
    CREATE TABLE channel_cases (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        at TEXT NOT NULL,
        by_user TEXT NOT NULL,
        PRIMARY KEY (platform, channel_id)
    );
    INSERT INTO kept (key, value) VALUES ('legacy_case', 'unclaimed');
    """,
    # 5: several replicas (PostgreSQL; SQLite keeps the same tables for one process).
    # `shared`: short-lived values every replica reads (add previews, thread context, Slack
    # retry ids), each with the wall-clock second it expires. `hits`: one row per counted
    # request of a rate limit, forgotten when its window has passed. `alerts.leased_until`:
    # when a replica's claim on an alert it is posting lapses (PostgreSQL only; NULL here).
    """
    CREATE TABLE shared (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        expires REAL NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX shared_expires ON shared (expires);
    CREATE TABLE hits (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        at REAL NOT NULL,
        expires REAL NOT NULL
    );
    CREATE INDEX hits_key ON hits (kind, key, at);
    CREATE INDEX hits_expires ON hits (expires);
    ALTER TABLE alerts ADD COLUMN leased_until REAL;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
