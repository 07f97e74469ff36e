"""Who sent a message, and what goes back: the types the desk, its helpers and the
adapters share.

They live below all of them, so a piece the desk uses (bot/threads.py, bot/intake/chat.py)
or an adapter's helper (bot/slack/add_buttons.py, bot/discord/admin_commands.py) never has
to import the desk or the adapter back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from retrieval.model import Answer


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a message: the platform, their id there, and whether they are an admin.

    Also where they wrote it (None in the console), and whether the platform lets them
    manage that channel (Discord's Manage Channels): the follow commands need one of the
    two (see `CommandSpec.channel_managers`).
    """

    platform: str
    user_id: str
    is_admin: bool
    channel_id: str | None = None
    manages_channel: bool = False
    # The thread a mention was written in (or starts), where casebot answers, unique on
    # the platform: its follow-ups are read with its previous question (bot/threads.py).
    thread_id: str | None = None
    # Alone with casebot there (a DM, the console): a choice of case made there (`use`)
    # is the person's own.
    private: bool = False

    @property
    def place(self) -> str | None:
        """Where a choice of case (`/case use`) is kept: the channel, or for someone with
        no channel (the console) that person."""
        return self.channel_id if self.channel_id is not None else (
            self.user_id if self.private else None
        )


@dataclass(frozen=True, slots=True)
class Option:
    """One case offered by a "choose" reply: its id (the value), name and description."""

    case_id: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    """What a "choose" reply offers: the token of the waiting question (bot/choices.py)
    and the cases to pick from."""

    token: str
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send back: the answer, and whether the whole channel should see it."""

    answer: Answer
    public: bool
    # For an `add` preview: the token its Add and Cancel buttons carry (bot/intake/chat.py).
    confirm_token: str | None = None
    # For an ask or status answer: the id its 👍/👎 buttons carry (bot/feedback.py).
    feedback_id: str | None = None
    # For a "choose" reply: the cases to offer, as buttons or a menu (bot/choices.py).
    choice: Choice | None = None


def new_request_id() -> str:
    """A short random id that ties an apology to the log record of what went wrong."""
    return secrets.token_hex(4)


def apology(request_id: str) -> Answer:
    """The reply to a request that failed unexpectedly; the log has the traceback under the id.

    The desk and the adapters (when a failure escapes the desk) say the same thing, so a
    user can always quote an id that an admin can find in the log.
    """
    return Answer(
        kind="error",
        text=(
            "Sorry, something went wrong while answering that. If it keeps "
            f"happening, tell an admin the request id {request_id}."
        ),
    )
