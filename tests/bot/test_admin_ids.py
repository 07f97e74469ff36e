"""Lists of ids in the settings: the obvious ways of writing them work, anything else stops
casebot at start naming the setting (a list that silently matches nobody means no admins).
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.settings import Settings


@pytest.mark.parametrize(
    "written",
    [
        "U0123ABCD,U0456EFGH",
        "u0123abcd, u0456efgh",
        "U0123ABCD; U0456EFGH",
        "U0123ABCD U0456EFGH",
        '["U0123ABCD", "U0456EFGH"]',
        "<@U0123ABCD>, <@U0456EFGH|alice>",
    ],
)
def test_slack_admin_ids_are_read_in_every_obvious_form(written: str) -> None:
    settings = Settings(_env_file=None, SLACK_ADMIN_IDS=written)
    assert settings.slack_admin_ids == ["U0123ABCD", "U0456EFGH"]


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("DISCORD_ADMIN_IDS", "discord_admin_ids"),
        ("DISCORD_GUILD_IDS", "discord_guild_ids"),
        ("DISCORD_ADMIN_GUILD_IDS", "discord_admin_guild_ids"),
    ],
)
@pytest.mark.parametrize(
    "written",
    [
        "234567890123456789,345678901234567890",
        "234567890123456789; 345678901234567890",
        '["234567890123456789", 345678901234567890]',
        "<@234567890123456789> <@!345678901234567890>",
    ],
)
def test_discord_ids_are_read_in_every_obvious_form(setting: str, field: str, written: str) -> None:
    settings = Settings(_env_file=None, **{setting: written})
    assert getattr(settings, field) == [234567890123456789, 345678901234567890]


@pytest.mark.parametrize(
    ("setting", "written"),
    [
        ("SLACK_ADMIN_IDS", "alice"),
        ("SLACK_ADMIN_IDS", "U0123ABCD,@bob"),
        ("SLACK_ADMIN_IDS", "C0GENERAL"),  # a channel, not a person
        ("SLACK_ADMIN_IDS", '["U0123ABCD"'),
        ("DISCORD_ADMIN_IDS", "mod#1234"),
        ("DISCORD_ADMIN_IDS", "<@&234567890123456789>"),  # a role mention
        ("DISCORD_ADMIN_GUILD_IDS", "my server"),
    ],
)
def test_anything_else_is_refused_naming_the_setting(setting: str, written: str) -> None:
    with pytest.raises(ValidationError, match=setting):
        Settings(_env_file=None, **{setting: written})


def test_casebot_stops_at_start_naming_the_badly_written_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_ADMIN_IDS", "alice,bob")
    assert main(["chat"]) == 1
    err = capsys.readouterr().err
    assert "SLACK_ADMIN_IDS" in err and "'alice' is not an id" in err
    assert "Traceback" not in err
