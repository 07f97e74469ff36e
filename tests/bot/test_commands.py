"""The chat grammar: parsing, the command table and the help text."""

from __future__ import annotations

import pytest

from bot.commands import COMMANDS, Command, help_answer, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status", Command(name="status")),
        ("/case status", Command(name="status")),
        ("case STATUS", Command(name="status")),
        ("/case Timeline", Command(name="timeline")),
        ("sources", Command(name="sources")),
        ("/case reload", Command(name="reload")),
        ("help", Command(name="help")),
        ("ASK  who?", Command(name="ask", argument="who?")),
        ("/case ask when was it filed?", Command(name="ask", argument="when was it filed?")),
        ("/case ask", Command(name="help")),
        ("ask   ", Command(name="help")),
        ("", Command(name="help")),
        ("/case", Command(name="help")),
        ("/case statsu", Command(name="help", unknown="statsu")),
        ("damages", Command(name="help", unknown="damages")),
        ("damages?", Command(name="ask", argument="damages?")),
        ("who is suing LinkedIn?", Command(name="ask", argument="who is suing LinkedIn?")),
        ("/case who is suing LinkedIn", Command(name="ask", argument="who is suing LinkedIn")),
        ("status of the appeal?", Command(name="ask", argument="status of the appeal?")),
        ("case dismissed?", Command(name="ask", argument="case dismissed?")),
    ],
)
def test_parse_command(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


def test_unknown_word_is_shortened_when_echoed() -> None:
    command = parse_command("x" * 500)
    assert command.name == "help"
    assert command.unknown is not None and len(command.unknown) <= 40


def test_table_declares_each_command_once() -> None:
    names = [spec.name for spec in COMMANDS]
    assert sorted(names) == sorted(
        {"status", "ask", "timeline", "sources", "cases", "use", "reload", "follow", "unfollow",
         "following", "add", "remove", "report", "help"}
    )  # fmt: skip


def test_only_reload_and_following_are_admin_only() -> None:
    assert [spec.name for spec in COMMANDS if spec.admin_only] == [
        "reload", "following", "add", "remove", "report"
    ]  # fmt: skip


def test_use_follow_and_unfollow_are_for_channel_managers_too_and_audited() -> None:
    managed = [spec.name for spec in COMMANDS if spec.channel_managers]
    assert managed == ["use", "follow", "unfollow"]
    assert [spec.name for spec in COMMANDS if spec.audited] == [
        "use", "reload", "follow", "unfollow", "following", "add", "remove", "report"
    ]  # fmt: skip


def test_answers_are_public_and_help_and_reload_private() -> None:
    public = {spec.name for spec in COMMANDS if spec.public}
    assert public == {"status", "ask", "timeline", "sources", "cases"}


def test_descriptions_fit_discord_limit() -> None:
    # Discord rejects command descriptions over 100 characters.
    assert all(0 < len(spec.description) <= 100 for spec in COMMANDS)


def test_help_lists_every_command_and_how_to_ask() -> None:
    answer = help_answer()
    lines = "\n".join(answer.notes)
    assert answer.kind == "help"
    for spec in COMMANDS:
        assert spec.usage in lines and spec.description in lines
    assert "Any other text is a question" in lines
    assert "Slack threads" in lines and "mention" in lines


def test_help_names_the_unknown_command() -> None:
    assert "I don't know the command “statsu”" in help_answer("statsu").text
    assert "I don't know" not in help_answer().text
