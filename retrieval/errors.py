"""casebot's exceptions: one tree, all of it here.

Every error casebot raises on purpose derives from `CasebotError`, so a caller can catch
what casebot means to say and let anything else (a real bug) keep its traceback. The
classes live beside the code that raises them; their bases live here, in `retrieval/`,
which `bot/` imports and which imports nothing of `bot/`::

    CasebotError                      the base: something casebot says, never a bug
    ├── CorpusError                   the corpus cannot be loaded; `problems` lists every
    │                                 reason (retrieval.corpus, retrieval.errors)
    ├── EvalFileError                 an eval file is not what `casebot eval` reads
    │                                 (retrieval.evaluation; also a ValueError)
    ├── HandoverError                 the child's index frames are broken or say it failed
    │                                 (retrieval.handover; also a RuntimeError)
    ├── BuildFailed                   the child process did not build the index
    │                                 (bot.builder; also a RuntimeError)
    ├── StartError                    `casebot serve` cannot start a part; str() names the
    │   │                             setting to fix and never a secret (also a RuntimeError)
    │   ├── SlackStartError           Slack refused the tokens, or a setting is missing
    │   │                             (bot.slack.adapter)
    │   ├── DiscordStartError         Discord refused the token or could not be reached in
    │   │                             time, raised `from` discord.py's error
    │   │                             (bot.discord.adapter)
    │   └── OpsStartError             the ops server could not listen (bot.ops.server)
    ├── PostFailed                    an alert could not be posted; `gone` when the channel
    │                                 can never take one (bot.alerts)
    └── IntakeError                   an article cannot be added; str() is one sentence
        └── AddressRefused            its host is private or cannot be resolved
                                      (bot.intake.errors, bot.intake.address)

`casebot` (bot.cli) catches `CorpusError` and `StartError` (and the intake and eval
errors of its own subcommands), prints them and exits 1. The signals a module raises and
catches itself (`retrieval.updates.NoticeDateError`, the corpus loader's time limit) never
leave it and are not part of the tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrieval.corpus import Problem


class CasebotError(Exception):
    """The base of every error casebot raises on purpose."""


class CorpusError(CasebotError):
    """The corpus cannot be loaded; `problems` lists every reason, one per line in str()."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class StartError(CasebotError, RuntimeError):
    """A part of `casebot serve` (Slack, Discord, the ops server) cannot start.

    str() names the setting to fix and never carries a secret.
    """


__all__ = ["CasebotError", "CorpusError", "StartError"]
