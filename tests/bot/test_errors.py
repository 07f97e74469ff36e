"""One error tree (retrieval.errors), and `casebot serve` catching only its own errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import bot.cli
from bot.alerts import PostFailed
from bot.builder import BuildFailed
from bot.discord.adapter import DiscordStartError
from bot.intake.address import AddressRefused
from bot.intake.errors import IntakeError
from bot.ops.server import OpsStartError
from bot.settings import Settings
from bot.slack.adapter import SlackStartError
from retrieval import corpus, errors
from retrieval.errors import CasebotError, CorpusError, StartError
from retrieval.evaluation import EvalFileError
from retrieval.handover import HandoverError


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (CorpusError, CasebotError),
        (EvalFileError, CasebotError),
        (HandoverError, CasebotError),
        (BuildFailed, CasebotError),
        (StartError, CasebotError),
        (SlackStartError, StartError),
        (DiscordStartError, StartError),
        (OpsStartError, StartError),
        (PostFailed, CasebotError),
        (IntakeError, CasebotError),
        (AddressRefused, IntakeError),
    ],
)
def test_every_error_is_in_the_one_tree(error: type[Exception], base: type[Exception]) -> None:
    assert issubclass(error, base)
    assert error.__name__ in (errors.__doc__ or "")


def test_corpus_error_is_still_importable_from_the_loader() -> None:
    assert corpus.CorpusError is CorpusError


async def test_serve_reports_a_start_error_and_exits_1(
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def refused(*_: object) -> list[object]:
        raise DiscordStartError("Discord refused the bot token: check DISCORD_TOKEN")

    monkeypatch.setattr(bot.cli, "_start_adapters", refused)
    settings = make_settings(discord_token="a-token", ops_enabled=False)
    assert await bot.cli._serve(settings) == 1
    assert "casebot serve: Discord refused the bot token" in capsys.readouterr().err


async def test_serve_lets_a_bug_keep_its_traceback(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> list[object]:
        raise KeyError("a bug")

    monkeypatch.setattr(bot.cli, "_start_adapters", broken)
    settings = make_settings(discord_token="a-token", ops_enabled=False)
    with pytest.raises(KeyError, match="a bug"):
        await bot.cli._serve(settings)
