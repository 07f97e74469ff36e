"""The `casebot` command line, and the settings it reads."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.commands import for_console, help_answer
from bot.render.json import answer_to_json
from bot.render.text import render_text
from bot.settings import BUNDLED_CORPUS_DIR, Settings
from retrieval.model import Answer, Conflict, ConflictValue, Quote, Source

REPO_ROOT = Path(__file__).resolve().parents[2]

BASE_KEYS = {"kind", "case", "question", "text", "quotes", "conflicts"}
QUOTE_KEYS = {"text", "date", "also_in", "source"}
SOURCE_KEYS = {"id", "outlet", "title", "url", "published"}


def _run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m bot.cli ARGS` in the test's working directory (tmp_path)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def _json_output(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out)  # fails unless the output is exactly one JSON document


def _check_quote(quote: dict[str, Any]) -> None:
    assert QUOTE_KEYS <= quote.keys() <= QUOTE_KEYS | {"label"}
    assert isinstance(quote["text"], str) and quote["text"]
    assert quote["date"] is None or len(quote["date"]) == 10
    assert all(isinstance(source_id, str) for source_id in quote["also_in"])
    assert quote["source"].keys() == SOURCE_KEYS
    assert isinstance(quote["source"]["id"], str)
    if "label" in quote:
        assert isinstance(quote["label"], str)


def _check_common(data: dict[str, Any], kind: str | tuple[str, ...]) -> None:
    assert data["kind"] in ((kind,) if isinstance(kind, str) else kind)
    assert isinstance(data["text"], str) and data["text"]
    for quote in data["quotes"]:
        _check_quote(quote)
    for conflict in data["conflicts"]:
        assert conflict.keys() == {"about", "values"}
        for value in conflict["values"]:
            assert value.keys() == {"value", "sources"}


# --- --json ----------------------------------------------------------------------------


def test_ask_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json_output(capsys, ["ask", "--json", "who is suing LinkedIn?"])
    assert data.keys() == BASE_KEYS
    _check_common(data, ("answer", "no_answer"))
    assert data["question"] == "who is suing LinkedIn?"


def test_status_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json_output(capsys, ["status", "--json"])
    assert data.keys() == BASE_KEYS
    _check_common(data, "status")


def test_timeline_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json_output(capsys, ["timeline", "--json"])
    assert data.keys() == BASE_KEYS | {"events"}
    _check_common(data, "timeline")
    assert data["events"]
    for event in data["events"]:
        assert event.keys() == {"date", "precision", "reported", "quote"}
        assert event["precision"] in {"day", "month", "year"}
        # True when the date is only that of the report ("this week"), as the text says.
        assert isinstance(event["reported"], bool)
        _check_quote(event["quote"])


def test_sources_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json_output(capsys, ["sources", "--json"])
    assert data.keys() == BASE_KEYS | {"sources", "loaded_at"}
    _check_common(data, "sources")
    assert isinstance(data["loaded_at"], str)
    assert data["sources"]
    for source in data["sources"]:
        assert source.keys() == SOURCE_KEYS | {"updated", "author", "passages"}
        assert isinstance(source["passages"], int) and source["passages"] > 0


def test_corpus_option_overrides_the_setting(
    capsys: pytest.CaptureFixture[str], small_corpus_dir: Path
) -> None:
    data = _json_output(capsys, ["sources", "--json", "--corpus", str(small_corpus_dir)])
    assert sorted(source["id"] for source in data["sources"]) == ["alpha", "beta", "gamma"]


def test_a_one_shot_query_runs_numpys_blas_on_one_thread(tmp_path: Path) -> None:
    """Its BLAS threads would only spin (README: Benchmark); a value the user sets stays."""
    code = (
        "import os, sys\n"
        "from bot.cli import main\n"
        "assert main(['ask', 'Who is suing LinkedIn?']) == 0\n"
        "threads = len(os.listdir('/proc/self/task'))\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'), threads, file=sys.stderr)\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    for given in (None, "2"):
        env = {**environment, "PYTHONPATH": str(REPO_ROOT)}
        if given is not None:
            env["OPENBLAS_NUM_THREADS"] = given
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        value, threads = result.stderr.split()[-2:]
        assert value == (given or "1")
        if given is None:
            assert threads == "1"  # numpy loaded, and no thread besides the main one


def test_text_output_is_the_rendering(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources"]) == 0
    assert "Corpus loaded" in capsys.readouterr().out


def test_corpus_error_at_start_lists_problems_without_traceback(
    capsys: pytest.CaptureFixture[str], make_corpus: Callable[..., Path]
) -> None:
    broken = make_corpus({"one.md": "nothing\n", "two.md": "+++\n+++\nbody\n"})
    assert main(["status", "--corpus", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "one.md: " in err and "two.md: " in err
    assert "Traceback" not in err


# --- validate --------------------------------------------------------------------------


def test_validate_good_corpus_exits_0_with_summary(
    capsys: pytest.CaptureFixture[str], small_corpus_dir: Path
) -> None:
    assert main(["validate", str(small_corpus_dir)]) == 0
    out = capsys.readouterr().out
    assert "3 articles" in out and "2 dated, 1 undated" in out


def test_validate_broken_corpus_exits_1_naming_each_file(
    capsys: pytest.CaptureFixture[str], make_corpus: Callable[..., Path]
) -> None:
    broken = make_corpus({"one.md": "nothing\n", "two.md": "+++\n+++\nbody\n"})
    assert main(["validate", str(broken)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(line.strip().startswith("one.md: ") for line in err)
    assert any(line.strip().startswith("two.md: ") for line in err)


# --- chat, serve, run ------------------------------------------------------------------


@pytest.mark.slow
def test_chat_speaks_the_chat_grammar_over_stdin(tmp_path: Path) -> None:
    result = _run_cli("chat", stdin="/case help\nwho is suing LinkedIn?\n/case reload\n")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "casebot> " not in out  # stdin is not a terminal
    assert "\nreload — " in out and "/case" not in out  # the help, as the console types it
    assert "\n  — " in out  # an answer: a quote's citation line
    assert "Reloaded the corpus: " in out
    # A new database is no news: the first chat in a directory logs nothing.
    assert result.stderr == ""
    assert (tmp_path / "casebot.db").is_file()


def test_serve_without_credentials_exits_3_saying_what_to_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["serve"]) == 3
    err = capsys.readouterr().err
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        assert name in err
    assert ".env.example" in err and "casebot chat" in err
    assert not (tmp_path / "casebot.db").exists()  # nothing was started


def test_serve_does_not_echo_a_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-do-not-print")
    assert main(["serve"]) == 3
    captured = capsys.readouterr()
    assert "xoxb-do-not-print" not in captured.err + captured.out


@pytest.mark.slow
def test_no_subcommand_without_credentials_starts_the_chat() -> None:
    result = _run_cli(stdin="/case status\n")
    assert result.returncode == 0, result.stderr
    assert (
        "No Slack or Discord credentials set; starting the console chat. See .env.example."
        in result.stderr
    )
    assert result.stdout.strip()  # the status answer


async def test_bare_casebot_with_slack_credentials_serves_until_sigterm(tmp_path: Path) -> None:
    """`casebot` with Slack tokens set serves over Socket Mode, answers, and stops on SIGTERM."""
    from tests.support.fake_slack import FakeSlack

    async with FakeSlack() as slack:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": slack.app_token,
            "SLACK_API_URL": slack.api_url,
            "CASEBOT_DB_PATH": str(tmp_path / "casebot.db"),
            # Any free port: the default 9100 may be taken by another run on this machine.
            "CASEBOT_OPS_PORT": "0",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await slack.wait_for_call("socket_connect", timeout=60)
            await slack.send_envelope(
                "slash_commands",
                {
                    "command": "/case", "text": "status", "user_id": "U1", "channel_id": "C1",
                    "team_id": "T1", "api_app_id": "A1", "trigger_id": "t",
                    "response_url": slack.response_url("serve-1"),
                },
            )  # fmt: skip
            answer = await slack.wait_for_call("response_url", "serve-1", timeout=30)
            assert "withdrawn" in json.dumps(answer.payload)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()
        assert slack.bot_token not in stderr.decode() and slack.app_token not in stderr.decode()
        # A normal start and stop warns about nothing (bolt's "`token` will be unused" was
        # one such warning, on every start).
        assert " WARNING " not in stderr.decode(), stderr.decode()


def test_invalid_setting_exits_1_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBOT_PORT", "not-a-port")
    assert main(["chat"]) == 1
    err = capsys.readouterr().err
    assert "CASEBOT_PORT" in err and "Traceback" not in err


def test_one_shot_query_checks_only_its_own_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A setting `ask` doesn't use can't stop it; one it uses is judged by Settings.
    monkeypatch.setenv("CASEBOT_PORT", "not-a-port")
    assert main(["status"]) == 0
    monkeypatch.setenv("CASEBOT_MAX_QUOTES", "0")
    assert main(["ask", "Who is suing LinkedIn?"]) == 1
    err = capsys.readouterr().err
    assert "CASEBOT_MAX_QUOTES" in err and "greater than or equal to 1" in err


# --- settings --------------------------------------------------------------------------


def test_settings_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.corpus_dir == BUNDLED_CORPUS_DIR == REPO_ROOT / "corpus"
    assert settings.db_path == Path("casebot.db")
    assert settings.store_questions is False
    assert settings.max_quotes == 3
    assert settings.ephemeral_answers is False
    assert settings.log_level == "INFO"
    # This host only by default: the ops endpoints have no authentication.
    assert (settings.host, settings.port) == ("127.0.0.1", 3000)
    assert settings.slack_bot_token is None and settings.discord_token is None
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.discord_api_url == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert settings.slack_admin_ids == [] and settings.discord_admin_ids == []
    assert settings.discord_guild_ids == []


def test_settings_read_their_env_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CASEBOT_CORPUS_DIR", str(tmp_path))
    monkeypatch.setenv("CASEBOT_DB_PATH", "data/bot.db")
    monkeypatch.setenv("CASEBOT_STORE_QUESTIONS", "true")
    monkeypatch.setenv("CASEBOT_MAX_QUOTES", "5")
    monkeypatch.setenv("CASEBOT_EPHEMERAL_ANSWERS", "1")
    monkeypatch.setenv("CASEBOT_PORT", "8080")
    settings = Settings(_env_file=None)
    assert settings.corpus_dir == tmp_path
    assert settings.db_path == Path("data/bot.db")
    assert settings.store_questions is True and settings.ephemeral_answers is True
    assert (settings.max_quotes, settings.port) == (5, 8080)


def test_settings_split_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_ADMIN_IDS", "U1,U2")
    monkeypatch.setenv("DISCORD_ADMIN_IDS", " 11, 22 ,")
    monkeypatch.setenv("DISCORD_GUILD_IDS", "33")
    settings = Settings(_env_file=None)
    assert settings.slack_admin_ids == ["U1", "U2"]
    assert settings.discord_admin_ids == [11, 22]
    assert settings.discord_guild_ids == [33]


def test_empty_comma_list_is_empty() -> None:
    assert Settings(_env_file=None, SLACK_ADMIN_IDS="").slack_admin_ids == []


def test_secrets_are_not_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("DISCORD_TOKEN", "discord-very-secret")
    settings = Settings(_env_file=None)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret"
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "very-secret" not in shown


def test_settings_read_dotenv_and_empty_values_mean_default(tmp_path: Path) -> None:
    # The working directory is tmp_path (see conftest); .env.example is valid as a .env.
    (tmp_path / ".env").write_text(
        (REPO_ROOT / ".env.example").read_text(encoding="utf-8") + "\nSLACK_ADMIN_IDS=U9\n",
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.corpus_dir == BUNDLED_CORPUS_DIR
    assert settings.slack_bot_token is None
    assert settings.slack_admin_ids == ["U9"]


def test_env_example_and_the_readme_explain_every_setting() -> None:
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    names = {
        field.validation_alias for field in Settings.model_fields.values()
    }
    for name in names:
        assert f"\n{name}=" in example, name
        assert f"`{name}`" in table, name


def test_unknown_log_level_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOT_LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="CASEBOT_LOG_LEVEL"):
        Settings(_env_file=None)


# --- rendering -------------------------------------------------------------------------


def test_render_text_cites_quotes_and_lists_disagreements() -> None:
    register = Source(id="reg", outlet="The Register", title="Sued", url="https://r.example/1")
    nova = Source(id="nova", outlet="Enterprise Nova", published=date(2025, 1, 23))
    untitled = Source(id="x", title="Unattributed article 000")
    answer = Answer(
        kind="answer",
        text="Here is what the sources say.",
        question="when?",
        quotes=(
            Quote(text="It was filed.", source=register, date=date(2025, 1, 22), also_in=(nova,)),
            Quote(text="A suit.", source=untitled, date=None, label="Filed"),
        ),
        conflicts=(
            Conflict(
                about="the filing date",
                values=(
                    ConflictValue("January 21", (register,)),
                    ConflictValue("January 22", (nova, untitled)),
                ),
            ),
        ),
    )

    text = render_text(answer)

    assert text.splitlines()[2:5] == [
        "“It was filed.”",
        "  — The Register, 2025-01-22 [1]",
        "  also reported by: Enterprise Nova",
    ]
    assert "Filed: “A suit.”\n  — Unattributed article 000, undated [2]" in text
    assert (
        "Sources disagree:\n"
        "  on the filing date:\n"
        "    January 21 — The Register\n"
        "    January 22 — Enterprise Nova (2025-01-23), Unattributed article 000"
    ) in text
    data = answer_to_json(answer)
    assert "label" not in data["quotes"][0] and data["quotes"][1]["label"] == "Filed"
    assert data["quotes"][0]["also_in"] == ["nova"]
    assert data["conflicts"][0]["values"][1]["sources"] == ["nova", "x"]


# --- an operator's command line (issue 21) ------------------------------------------------


def test_quit_words_end_the_chat_and_the_rest_is_not_read(
    make_settings: Callable[..., Settings],
) -> None:
    import io

    from bot.cli import _chat

    result = _run_cli("chat", stdin="status\nquit\nwho filed the lawsuit?\n")
    assert result.returncode == 0, result.stderr
    assert "Where the case stands" in result.stdout
    assert "Here is what the sources say" not in result.stdout  # never asked
    for word in ("exit", ":q", " EXIT "):
        out = io.StringIO()
        lines = io.StringIO(f"{word}\nwho filed the lawsuit?\n")
        assert _chat(make_settings(), lines, out) == 0
        assert out.getvalue() == "", word  # neither "I don't know the command" nor an answer


def test_a_closed_pipe_ends_quietly(make_corpus: Callable[..., Path]) -> None:
    # `casebot … | head`: the reader is gone before casebot writes. No traceback, the
    # SIGPIPE status a shell expects of any tool, and nothing on stderr.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for args in (["validate", str(REPO_ROOT / "corpus")], ["ask", "who sued?"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 141, (args, stderr)
        assert stderr == "", (args, stderr)


def test_report_refuses_a_database_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _run_cli("report")
    assert result.returncode == 1
    assert f"there is no database at {tmp_path / 'casebot.db'}" in result.stderr
    assert "CASEBOT_DB_PATH" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "casebot.db").exists()  # nothing was created

    monkeypatch.setenv("CASEBOT_DB_PATH", "elsewhere/service.db")
    assert main(["report", "--json"]) == 1
    error = json.loads(capsys.readouterr().out)
    assert error["kind"] == "error" and str(tmp_path / "elsewhere" / "service.db") in error["text"]
    assert not (tmp_path / "elsewhere").exists()


def test_report_days_must_be_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run_cli("report", "--since", "abc")
    assert result.returncode == 2  # a usage error
    assert "not a number of days" in result.stderr, result.stderr
    for days in ("1.5", "seven"):
        with pytest.raises(SystemExit) as exit_:
            main(["report", "--since", days])
        assert exit_.value.code == 2
        assert "not a number of days" in capsys.readouterr().err


async def test_report_days_in_chat_must_be_a_number(make_settings: Callable[..., Settings]) -> None:
    from bot.desk import Caller, Desk

    admin = Caller(platform="console", user_id="console", is_admin=True)
    desk = await Desk.open(make_settings())
    try:
        for typed in ("report abc", "report 1.5", "/case report seven"):
            reply = await desk.handle(typed, admin)
            assert reply.answer.kind == "refused"
            assert "is not a number of days" in reply.answer.text
        reply = await desk.handle("report -5", admin)  # a number, outside what a report covers
        assert reply.answer.kind == "refused" and "0 to 3,650 days" in reply.answer.text
        reply = await desk.handle("report 7 days", admin)
        assert reply.answer.kind == "answer" and "questions answered" in reply.answer.text
    finally:
        await desk.close()


def test_ask_dash_reads_the_question_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    result = _run_cli("ask", "-", "--json", stdin="who filed\nthe lawsuit?\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["question"] == "who filed the lawsuit?"
    monkeypatch.setattr("sys.stdin", io.StringIO("  \n"))
    assert main(["ask", "-"]) == 1


def test_json_errors_are_json_on_stdout(
    make_corpus: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    broken = make_corpus({"one.md": "nothing\n"})
    result = _run_cli("status", "--json", "--corpus", str(broken))
    assert result.returncode == 1
    error = json.loads(result.stdout)
    assert error["kind"] == "error" and error["text"] in result.stderr  # and said there too
    assert any(problem.startswith("one.md: ") for problem in error["problems"])
    for args in (["validate", str(broken), "--json"], ["ask", " ", "--json"]):
        assert main(args) == 1, args
        captured = capsys.readouterr()
        error = json.loads(captured.out)
        assert error["kind"] == "error" and error["text"] in captured.err, args


def test_exit_codes_tell_usage_nothing_to_serve_and_not_covered_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    declined = _run_cli("ask", "what colour is the judge's car?")
    assert declined.returncode == 4 and "don't cover" in declined.stdout
    with pytest.raises(SystemExit) as usage:
        main(["ask"])  # the question is missing
    assert usage.value.code == 2
    assert main(["serve"]) == 3  # nothing to serve
    assert main(["ask", "who filed the lawsuit?"]) == 0
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "  4    ask: the sources don't cover the question" in capsys.readouterr().out


def test_every_subcommand_has_a_description_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = _run_cli("ask", "--help")
    assert shown.returncode == 0 and "examples:\n  casebot ask " in shown.stdout
    for name in ("ask", "status", "timeline", "sources", "validate", "eval", "chat", "add",
                 "report", "serve", "run"):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        usage, description, *rest = out.split("\n\n")
        assert description.strip() and not description.startswith(("positional", "options")), name
        assert f"examples:\n  casebot {name}" in out or "examples:\n  casebot\n" in out, name


def test_validate_and_eval_speak_json(
    tmp_path: Path, small_corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _run_cli("validate", str(small_corpus_dir), "--json")
    data = json.loads(result.stdout)
    assert (data["kind"], data["articles"], data["dated"], data["undated"]) == ("validate", 3, 2, 1)
    assert sorted(source["id"] for source in data["sources"]) == ["alpha", "beta", "gamma"]

    questions = tmp_path / "questions.toml"
    questions.write_text(
        '[[q]]\nask = "who filed the lawsuit?"\nexpect = ["De La Torre"]\n\n'
        '[[q]]\nask = "what colour is the judge\'s car?"\nabstain = true\n',
        encoding="utf-8",
    )
    assert main(["eval", str(questions), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "eval" and len(data["items"]) == 2
    assert data["summary"]["unanswerable"] == 1 and data["items"][1]["abstain"] is True


def test_python_dash_m_casebot_runs_the_command() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "casebot", "--version"], capture_output=True, text=True,
        env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.startswith("casebot ")


def test_an_unreadable_env_line_is_a_settings_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text(
        "# settings\nSLACK_BOT_TOKEN=\nCASEBOT_MAX_QUOTES=\"3\nCASEBOT_LOG_LEVEL=INFO\n",
        encoding="utf-8",
    )
    result = _run_cli("status")
    assert result.returncode == 1, result.stdout
    assert ".env, line 3 (CASEBOT_MAX_QUOTES): cannot be read" in result.stderr
    assert '"3' not in result.stderr  # the value is never shown: it may be a secret
    assert "Traceback" not in result.stderr and "python-dotenv" not in result.stderr
    for args in (["chat"], ["serve"], ["report"], ["add", "x.html"]):  # every other door
        assert main(args) == 1, args
        assert ".env, line 3 (CASEBOT_MAX_QUOTES): cannot be read" in capsys.readouterr().err


def test_the_example_question_fits_any_case() -> None:
    assert "LinkedIn" not in render_text(help_answer())
    assert "LinkedIn" not in render_text(for_console(help_answer()))
    assert "LinkedIn" not in _run_cli("ask", "--help").stdout
    assert "ends the chat" in render_text(for_console(help_answer()))
    assert "Ctrl-D" in render_text(for_console(help_answer()))
