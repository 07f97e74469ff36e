"""casebot's logging: plain text or JSON lines, a request id per question, secrets redacted.

`configure_logging(settings)` sets up the root logger once, for every `casebot` command.
`request_scope()` gives the code inside it (and the tasks it starts) a request id that every
log record made there carries; `Desk.handle` opens one per chat command.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TextIO

from pydantic import SecretStr

from bot.settings import Settings

# The id of the request being handled in this context; None outside any request.
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "casebot_request_id", default=None
)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"
REDACTED = "[redacted]"
# Shorter "secrets" are not real tokens, and replacing them would blank out ordinary words.
_MIN_SECRET_LENGTH = 6
# Their DEBUG logs carry whole Slack events and Discord gateway payloads, question text
# included: they stay at INFO unless storing questions is allowed.
_CHATTY_LIBRARIES = ("slack_bolt", "slack_sdk", "discord", "aiohttp")
# Marks the handler configure_logging installed, so configuring again replaces it.
_HANDLER_MARK = "_casebot_handler"


@contextlib.contextmanager
def request_scope(request_id: str) -> Iterator[str]:
    """Make `request_id` the current request id inside the block.

    Tasks created inside the block copy the context, so their records carry the id too.

    Yields:
        the request id.
    """
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (None outside a request) and `request_tag` (" [id]" or "")."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        record.request_id = request_id
        record.request_tag = f" [{request_id}]" if request_id else ""
        return True


class SecretRedactor(logging.Filter):
    """Replaces secret values with "[redacted]" in a record's message and traceback.

    Defence in depth: casebot never logs a secret on purpose (they are `SecretStr`), but a
    library or a careless line might, e.g. in an exception message.

    Args:
        secrets: the values to hide; empty and very short ones are ignored.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(
            {value for value in secrets if len(value) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretRedactor:
        """A redactor for the value of every `SecretStr` setting that is set."""
        fields = (getattr(settings, name) for name in type(settings).model_fields)
        return cls(value.get_secret_value() for value in fields if isinstance(value, SecretStr))

    def redact(self, text: str) -> str:
        """`text` with every secret replaced."""
        for value in self._secrets:
            text = text.replace(value, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        # The formatted message covers both the format string and its arguments.
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: this is what they will print.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# Every character that ends a line for str.splitlines (and so for many log viewers), and
# how a text log line shows it instead.
_LINE_BREAKS = str.maketrans(
    {char: f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
     for char in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}
)  # fmt: skip


class TextFormatter(logging.Formatter):
    """`TEXT_FORMAT`, with line breaks in the message shown escaped (as \\x0a etc.).

    A message often carries what people sent (a question, a Slack body, an id); with a
    line break in it, it could write what looks like a line of its own, e.g. a forged
    "reload from slack user ...". A traceback, which comes after the message, keeps its
    lines.
    """

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = record.message.translate(_LINE_BREAKS)
        return super().formatMessage(record)


# Fields a record may carry besides its message (`extra=`), written as JSON fields of their
# own: the desk's line per request has them (bot/desk.py), so a log collector can count and
# chart without parsing messages.
FIELDS = ("platform", "command", "kind", "latency_ms", "user")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, the `FIELDS` a
    record carries, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for name in FIELDS:
            if (value := getattr(record, name, None)) is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes, not when it was made.

    Test runners (and daemonising wrappers) replace sys.stderr; a handler holding the old
    stream would write to a closed file.
    """

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Send all logs to `stream` (stderr) as text, or JSON lines if CASEBOT_LOG_JSON is set.

    Replaces the handler a previous call installed; leaves other handlers alone. Every
    record gets the current request id, and secret setting values are redacted.

    Returns:
        the handler installed on the root logger.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter() if settings.log_json else TextFormatter())
    # On the handler, not a logger: handler filters see records from every logger.
    handler.addFilter(RequestIdFilter())
    handler.addFilter(SecretRedactor.from_settings(settings))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    if not settings.store_questions:
        # A handler filter, not logger levels: slack_bolt gives its app logger a level of
        # its own, so setting the "slack_bolt" parent's level does not hold it back.
        handler.addFilter(_quiet_chatty_libraries)
    return handler


def _quiet_chatty_libraries(record: logging.LogRecord) -> bool:
    """Drops the platform libraries' DEBUG records, which carry people's messages."""
    if record.levelno >= logging.INFO:
        return True
    return not any(
        record.name == name or record.name.startswith(name + ".") for name in _CHATTY_LIBRARIES
    )
