"""casebot's settings, read from the environment and a `.env` file.

Every setting has exactly one environment name (listed and explained in `.env.example`).
Secrets are `SecretStr`, so they never show up in a repr, a log line or an error message.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Shared with the pydantic-free reader that one-shot queries use (bot/query_settings.py).
from bot.query_settings import BUNDLED_CORPUS_DIR, DEFAULT_MAX_QUOTES, ENV_FILE


# The ways people write a list of ids: "A,B", "A; B", "A B", a JSON list, and each id
# perhaps as a mention (Slack "<@U1|name>", Discord "<@1>" or "<@!1>").
_LIST_SEPARATORS = re.compile(r"[,;\s]+")
_MENTION = re.compile(r"<@!?([^>|]*)(?:\|[^>]*)?>")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_DISCORD_ID = re.compile(r"[0-9]{1,20}")


def _id_list(value: Any, *, setting: str, pattern: re.Pattern[str], example: str) -> Any:
    """The ids in `value`, each checked against `pattern`; a ValueError naming `setting`.

    A list that silently matches nobody would leave casebot without admins (or register
    nowhere), so anything that is not recognisably an id stops casebot at start.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError(f"{setting} is not a valid JSON list") from None
        else:
            value = [item for item in _LIST_SEPARATORS.split(text) if item]
    if not isinstance(value, list | tuple):
        return value
    ids: list[str] = []
    for item in value:
        text = str(item).strip()
        if (mention := _MENTION.fullmatch(text)) is not None:
            text = mention.group(1)
        text = text.upper()
        if not pattern.fullmatch(text):
            # The value is not a secret; cut short, it still shows what was meant.
            raise ValueError(
                f"{str(item)[:40]!r} is not an id; write ids separated by commas, "
                f"e.g. {example}"
            )
        ids.append(text)
    return ids


class Settings(BaseSettings):
    """Everything casebot can be configured with.

    Attributes are snake_case; each reads the environment variable named in its alias
    (e.g. `corpus_dir` reads `CASEBOT_CORPUS_DIR`). Tests and code may also pass the
    attribute names as keyword arguments.
    """

    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        # `.env.example` lists every setting, many as `NAME=`: empty means "use the default".
        env_ignore_empty=True,
        populate_by_name=True,
        frozen=True,
    )

    # --- core ---
    corpus_dir: Path = Field(default=BUNDLED_CORPUS_DIR, validation_alias="CASEBOT_CORPUS_DIR")
    db_path: Path = Field(default=Path("casebot.db"), validation_alias="CASEBOT_DB_PATH")
    # PostgreSQL instead of the SQLite file at db_path, for several replicas on one database
    # (bot/store/postgres.py). Secret: the URL holds the password.
    database_url: SecretStr | None = Field(default=None, validation_alias="CASEBOT_DATABASE_URL")
    store_questions: bool = Field(default=False, validation_alias="CASEBOT_STORE_QUESTIONS")
    max_quotes: int = Field(
        default=DEFAULT_MAX_QUOTES, ge=1, validation_alias="CASEBOT_MAX_QUOTES"
    )
    ephemeral_answers: bool = Field(default=False, validation_alias="CASEBOT_EPHEMERAL_ANSWERS")
    log_level: str = Field(default="INFO", validation_alias="CASEBOT_LOG_LEVEL")
    # This host only: /metrics and /readyz have no authentication, and Slack's HTTP mode
    # sits behind a reverse proxy on the same host. The container image sets 0.0.0.0, and
    # compose publishes its ports on 127.0.0.1.
    host: str = Field(default="127.0.0.1", validation_alias="CASEBOT_HOST")
    port: int = Field(default=3000, ge=0, le=65535, validation_alias="CASEBOT_PORT")
    # --- operations: logs, /livez, /readyz and /metrics ---
    log_json: bool = Field(default=False, validation_alias="CASEBOT_LOG_JSON")
    ops_enabled: bool = Field(default=True, validation_alias="CASEBOT_OPS_ENABLED")
    # Beside CASEBOT_PORT: Prometheus's exporter range 9100-9999 is all claimed (9100 is
    # node_exporter's). 0 picks a free port (tests).
    ops_port: int = Field(default=3001, ge=0, le=65535, validation_alias="CASEBOT_OPS_PORT")
    # --- per-person limits (bot/limits.py); 0 turns one off ---
    rate_limit: int = Field(default=20, ge=0, validation_alias="CASEBOT_RATE_LIMIT")
    max_in_flight: int = Field(default=2, ge=0, validation_alias="CASEBOT_MAX_IN_FLIGHT")
    max_question_chars: int = Field(
        default=500, ge=0, validation_alias="CASEBOT_MAX_QUESTION_CHARS"
    )
    # A reload that takes longer is stopped (bot/builder.py, retrieval/corpus.py).
    reload_timeout: float = Field(default=30.0, gt=0, validation_alias="CASEBOT_RELOAD_TIMEOUT")
    # --- adding articles by URL (bot/intake/) ---
    # Loopback, private, link-local and cloud-metadata addresses are refused unless true
    # (a URL pasted into chat must not reach the operator's internal services).
    fetch_private: bool = Field(default=False, validation_alias="CASEBOT_FETCH_PRIVATE")
    fetch_timeout: float = Field(default=15.0, gt=0, validation_alias="CASEBOT_FETCH_TIMEOUT")
    fetch_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, validation_alias="CASEBOT_FETCH_MAX_BYTES"
    )
    # Reading the article out of what was fetched (a hostile PDF can take hours).
    extract_timeout: float = Field(default=20.0, gt=0, validation_alias="CASEBOT_EXTRACT_TIMEOUT")
    # Adds fetched and read at once (each a child process, bot/intake/worker.py), in all and
    # for one admin; one more is refused, not queued.
    intake_jobs: int = Field(default=3, ge=1, validation_alias="CASEBOT_INTAKE_JOBS")
    intake_jobs_per_admin: int = Field(
        default=2, ge=1, validation_alias="CASEBOT_INTAKE_JOBS_PER_ADMIN"
    )
    # --- following the case (bot/alerts.py) ---
    # Lets anyone, not only admins (and Discord's Manage Channels), run follow/unfollow.
    anyone_can_follow: bool = Field(default=False, validation_alias="CASEBOT_ANYONE_CAN_FOLLOW")
    # Tries per alert; a channel that refuses every one as gone is dropped.
    alert_attempts: int = Field(default=5, ge=1, validation_alias="CASEBOT_ALERT_ATTEMPTS")
    # The wait before the second try, doubled before each further one.
    alert_retry_seconds: float = Field(
        default=2.0, ge=0, validation_alias="CASEBOT_ALERT_RETRY_SECONDS"
    )
    # --- learning from the people asking (bot/feedback.py, bot/report.py) ---
    # Keys the hashes that stand for people in the feedback records; unset: a random salt
    # made once and kept in the database. Secret: with it a hash can be matched to an id.
    user_hash_salt: SecretStr | None = Field(
        default=None, validation_alias="CASEBOT_USER_HASH_SALT"
    )
    # Stored question text (CASEBOT_STORE_QUESTIONS) is deleted after this many days; 0 keeps it.
    question_retention_days: int = Field(
        default=90, ge=0, validation_alias="CASEBOT_QUESTION_RETENTION_DAYS"
    )

    # --- Slack ---
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    slack_admin_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="SLACK_ADMIN_IDS"
    )

    # --- Discord ---
    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    discord_api_url: str = Field(
        default="https://discord.com/api/v10", validation_alias="DISCORD_API_URL"
    )
    discord_gateway_url: str = Field(
        default="wss://gateway.discord.gg/", validation_alias="DISCORD_GATEWAY_URL"
    )
    discord_guild_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="DISCORD_GUILD_IDS"
    )
    discord_admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="DISCORD_ADMIN_IDS"
    )
    # Past what one gateway connection may carry (Discord requires shards from 2,500
    # servers), each replica holds one shard's gateway (bot/replicas/gateway.py).
    discord_shard_count: int = Field(default=1, ge=1, le=1024, validation_alias="DISCORD_SHARD_COUNT")
    # Servers whose Manage Server holders are admins (a reload is global, so Manage Server
    # in any other server that added the bot must not be).
    discord_admin_guild_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="DISCORD_ADMIN_GUILD_IDS"
    )

    @field_validator("slack_admin_ids", mode="before")
    @classmethod
    def _slack_ids(cls, value: Any) -> Any:
        return _id_list(
            value, setting="SLACK_ADMIN_IDS", pattern=_SLACK_USER_ID, example="U0123ABCD,U0456EFGH"
        )

    @field_validator(
        "discord_guild_ids", "discord_admin_ids", "discord_admin_guild_ids", mode="before"
    )
    @classmethod
    def _discord_ids(cls, value: Any, info: ValidationInfo) -> Any:
        setting = cls.model_fields[info.field_name].validation_alias  # type: ignore[index]
        return _id_list(
            value, setting=str(setting), pattern=_DISCORD_ID, example="234567890123456789"
        )

    @field_validator(
        "slack_bot_token", "slack_signing_secret", "slack_app_token", "discord_token", mode="before"
    )
    @classmethod
    def _empty_secret_is_unset(cls, value: Any) -> Any:
        # An empty token must mean "not set" wherever it comes from, or casebot would try
        # to log in with it.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _postgres_url(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        # The message never repeats the value: it holds a password.
        if not value.strip().startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "must be a PostgreSQL URL, postgresql://user:password@host:port/database "
                "(leave it unset for SQLite at CASEBOT_DB_PATH)"
            )
        return value.strip()

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def slack_configured(self) -> bool:
        """Whether Slack can be served: a bot token plus a signing secret or an app token."""
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    @property
    def discord_configured(self) -> bool:
        """Whether Discord can be served: a bot token."""
        return self.discord_token is not None

    @property
    def any_chat_credentials(self) -> bool:
        """Whether any Slack or Discord secret is set, complete or not."""
        return any(
            secret is not None
            for secret in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.discord_token,
            )
        )
