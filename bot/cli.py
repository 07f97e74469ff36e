"""The `casebot` command: one-shot questions, corpus checks, a console chat, and serving.

    casebot ask "QUESTION" [--json]   casebot status | timeline | sources [--json]
    casebot cases                     (the cases, each with its latest development)
    casebot validate DIR [--json]     casebot chat [--no-admin]   casebot serve
    casebot eval FILE.toml [--json]   (score answers to a question file)
    casebot add SOURCE [--yes] [--json]   (a URL or file into the corpus, after a preview)
    casebot report [--since DAYS] [--json]   (what people asked, and their votes)
    casebot run, or casebot alone     (serve if chat credentials are set, else chat)

`--corpus DIR` overrides CASEBOT_CORPUS_DIR for any of them; `--case ID` names the case of
a corpus of several (ask, status, timeline, sources, add, report, eval). The exit codes
are below (`EXIT_*`) and in `casebot --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from bot import __version__
from bot.cases import CaseInfo, Layout, read_layout
from bot.commands import EXAMPLE_QUESTION, Command, for_console
from bot.query_settings import QuerySettings, env_file_problems, read_query_settings
from bot.render.format import counted
from bot.render.json import answer_to_json, error_to_json
from bot.render.text import render_text
from retrieval.errors import CasebotError, CorpusError, StartError
from retrieval.model import Answer

# The serving machinery (asyncio, pydantic, the store, metrics) is imported where it is
# used, so a one-shot `casebot ask` costs little more than the answer (README: Benchmark).
# So is the answering (bot.queries, and numpy with it): after the command is known, so
# `_one_blas_thread` can act before numpy loads. So is logging (~10 M
# instructions): only serving logs.
if TYPE_CHECKING:
    import asyncio

    from pydantic import ValidationError

    from bot.caller import Choice
    from bot.desk import Caller, Desk
    from bot.ops.server import Health, OpsServer
    from bot.replicas.corpus_sync import CorpusSync
    from bot.replicas.housekeeping import Housekeeping
    from bot.routing import Names
    from bot.settings import Settings

EXIT_OK = 0
# The corpus, the settings, the database or a file is wrong, or an add was refused.
EXIT_PROBLEM = 1
# The command line itself is wrong (argparse's own code).
EXIT_USAGE = 2
# `casebot serve` with no Slack or Discord settings: restarting won't help (the unit's
# RestartPreventExitStatus).
EXIT_NOTHING_TO_SERVE = 3
# `casebot ask`: the sources don't cover the question (the answer says so), as grep says
# "not found" with its own code.
EXIT_NOT_COVERED = 4
# 128 + the signal, as a shell reports a program a signal stopped: Ctrl-C (SIGINT), and a
# reader that stopped reading (`casebot sources | head`: SIGPIPE).
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141

EXIT_CODES = f"""exit codes:
  {EXIT_OK}    done
  {EXIT_PROBLEM}    a problem with the corpus, the settings, the database or a file; an add refused
  {EXIT_USAGE}    a usage error (this command line)
  {EXIT_NOTHING_TO_SERVE}    serve: no Slack or Discord settings, nothing to serve
  {EXIT_NOT_COVERED}    ask: the sources don't cover the question
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
  {EXIT_PIPE_CLOSED}  the output was closed early (casebot sources | head)"""

PROMPT = "casebot> "
# Typed alone on a chat line, these end `casebot chat` (as Ctrl-D does): people type them.
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit", ":q", ":q!", ":quit"})
NOT_A_CHOICE = "That is not one of the cases listed; the question was not asked."
_QUERIES = ("ask", "status", "timeline", "sources")
# The commands that keep running (the rest answer and exit).
_LONG_RUNNING = ("serve", "chat", "run")

NO_CREDENTIALS = (
    "casebot serve: no chat platform is configured. Set SLACK_BOT_TOKEN plus "
    "SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode) for Slack, and/or "
    "DISCORD_TOKEN for Discord, in the environment or in .env (see .env.example). "
    "To talk to casebot without a chat platform, run `casebot chat`."
)
FALLING_BACK_TO_CHAT = (
    "No Slack or Discord credentials set; starting the console chat. See .env.example."
)


class Failure(Exception):
    """A command cannot do what was asked: the sentence (and problems) to show, the code.

    `main` prints it on stderr, and with `--json` also as one JSON object on stdout, so a
    script reading stdout always gets JSON.
    """

    def __init__(
        self, message: str, problems: Sequence[str] = (), code: int = EXIT_PROBLEM
    ) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `casebot` command line; returns the exit code."""
    try:
        code = _run(argv)
        # Flushed here, where a reader that stopped early (`| head`) can still be caught.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Python's documented way out: nothing more can be written, and the flush at exit
        # must not fail again with a second traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt:
        # Ctrl-C: the terminal shows ^C; end its line, and nothing else.
        print(file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    args.command = args.command or "run"
    if args.command not in _LONG_RUNNING:
        _one_blas_thread()
    try:
        try:
            return _dispatch(args)
        except CasebotError as error:
            from bot.store.database import StoreUnavailable  # the store only when used

            if not isinstance(error, StoreUnavailable):
                raise
            # PostgreSQL (CASEBOT_DATABASE_URL) can't be reached: the message names the
            # server, never the password.
            raise Failure(f"casebot {args.command}: {error}.") from None
    except Failure as failure:
        print(failure.message, file=sys.stderr)
        for problem in failure.problems:
            print(f"  {problem}", file=sys.stderr)
        if getattr(args, "json", False):
            data = error_to_json(failure.message, failure.problems)
            print(json.dumps(data, ensure_ascii=False))
        return failure.code


def _one_blas_thread() -> None:
    """Numpy's OpenBLAS, unless told otherwise, starts a thread per core when numpy loads,
    and each spins for a while waiting for work. A command that answers and exits never
    gives them any (its products are a question against a few hundred sentences), so on
    two cores they cost a one-shot `casebot ask` ~75 ms of CPU, 20% of it (README:
    Benchmark). One thread, unless the environment says otherwise; it must be set before
    numpy loads, and is read once then (so a test calling `main` in-process, with numpy
    loaded already, changes nothing)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _dispatch(args: argparse.Namespace) -> int:
    corpus = getattr(args, "corpus", None)
    if args.command == "validate":
        return _validate(Path(args.directory), as_json=args.json)
    if args.command == "eval":
        return _eval(Path(args.file), corpus, getattr(args, "case", None), as_json=args.json)
    if args.command == "add":
        return _add(args)
    if args.command == "report":
        return _report(args)
    if args.command in _QUERIES:
        return _query(_query_settings(corpus), args)
    if args.command == "cases":
        return _cases(_query_settings(corpus).corpus_dir)

    import asyncio

    from bot.ops.logs import configure_logging

    settings = _settings()
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": Path(corpus)})
    configure_logging(settings)
    try:
        if args.command == "chat":
            return _chat(settings, admin=not args.no_admin)
        if args.command == "serve":
            return asyncio.run(_serve(settings))
        # No subcommand: serve when any credential says that is wanted, else talk here.
        if settings.any_chat_credentials:
            return asyncio.run(_serve(settings))
        print(FALLING_BACK_TO_CHAT, file=sys.stderr)
        return _chat(settings)
    except CorpusError as error:
        raise _corpus_failure(settings.corpus_dir, error) from None


# Each subcommand's help: what it does, then examples (argparse keeps the line breaks).
_HELP: dict[str, tuple[str, str, str]] = {
    "ask": (
        "answer one question",
        "Answer one question by quoting the sources, with outlet and date; or say that "
        "the sources don't cover it (exit code 4).",
        f'casebot ask "{EXAMPLE_QUESTION}"\n'
        'casebot ask "how much are they seeking?" --json\n'
        'echo "when was the suit filed?" | casebot ask -     # the question from stdin',
    ),
    "status": (
        "where the case stands",
        "Where the case stands: the latest procedural development by the date of its "
        "reporting, then the basics (filed, plaintiff, claims, what is sought, the response).",
        "casebot status\ncasebot status --json",
    ),
    "timeline": (
        "the dated events of the case",
        "The dated events of the case, oldest first, each quoted; dates the sources give "
        "differently are shown side by side.",
        "casebot timeline\ncasebot --corpus other/ timeline --json",
    ),
    "sources": (
        "the articles casebot quotes",
        "The articles casebot quotes: outlet, title, date, URL and passage count.",
        "casebot sources\ncasebot sources --json",
    ),
    "cases": (
        "the cases, each with its latest development",
        "The cases in the corpus directory (one, or a folder each): name, id, description, "
        "article count and latest development, as /case cases lists them.",
        "casebot cases\ncasebot --corpus cases/ cases",
    ),
    "validate": (
        "check a corpus directory",
        "Load a corpus directory as casebot would: a summary (exit 0), or every file's "
        "problem (exit 1). A directory of several cases is checked case by case, each "
        "problem naming the case's folder and file.",
        "casebot validate corpus/\ncasebot validate corpus/ --json",
    ),
    "eval": (
        "score the answers to a question file",
        "Score casebot's answers to a question file (TOML): each item, then the four "
        "figures. The corpus is --corpus, else a corpus/ folder beside the file, else the "
        "bundled one.",
        "casebot eval questions.toml\ncasebot eval questions.toml --corpus cases/x/ --json",
    ),
    "chat": (
        "talk to casebot in the console",
        "Talk to casebot in the console: each line is what you would type after /case in "
        "Slack or Discord. You are an admin unless --no-admin. quit, exit, Ctrl-D or "
        "Ctrl-C ends it.",
        f"casebot chat\nprintf 'status\\n{EXAMPLE_QUESTION}\\n' | casebot chat",
    ),
    "add": (
        "add an article to the corpus from a URL or a .html, .pdf, .txt or .md file",
        "Add an article to the corpus: fetch or read it, show a preview, ask, write "
        "corpus/OUTLET-TITLE.md. A PDF is read as a court filing. Needs the intake extra.",
        "casebot add https://www.example.com/2025/01/22/lawsuit/\n"
        "casebot add notice-of-dismissal.pdf --yes\n"
        "casebot add saved-page.html --yes --json",
    ),
    "report": (
        "questions answered and declined, and the votes on answers (from the database)",
        "What people asked and how they voted, from the database `casebot serve` writes "
        "(CASEBOT_DB_PATH, which must exist: on a systemd install "
        "/var/lib/casebot/casebot.db).",
        "casebot report\ncasebot report --since 7 --json\n"
        "sudo CASEBOT_DB_PATH=/var/lib/casebot/casebot.db /opt/casebot/.venv/bin/casebot report",
    ),
    "serve": (
        "serve Slack and/or Discord",
        "Serve Slack and/or Discord, whichever has settings (.env.example); exit code 3 "
        "when neither has. /livez, /readyz and /metrics on CASEBOT_HOST:CASEBOT_OPS_PORT.",
        "casebot serve\nCASEBOT_LOG_JSON=true casebot serve",
    ),
    "run": (
        "serve if chat credentials are set, else chat (what `casebot` alone does)",
        "Serve if any Slack or Discord credential is set, else start the console chat: "
        "what `casebot` with no command does.",
        "casebot run\ncasebot",
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casebot",
        description="Answers questions about lawsuits by quoting their sources.",
        epilog=f"{EXIT_CODES}\n\n`casebot COMMAND --help` describes each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_corpus_options(parser)
    parser.add_argument("--version", action="version", version=f"casebot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, *, json: bool = False) -> argparse.ArgumentParser:
        summary, description, examples = _HELP[name]
        command = commands.add_parser(
            name, help=summary, description=textwrap.fill(description, 80),
            epilog="examples:\n" + "\n".join(f"  {line}" for line in examples.splitlines()),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        _add_corpus_options(command)
        if json:
            _add_json_option(command)
        return command

    add("ask", json=True).add_argument(
        "question", help='the question, in quotes; "-" reads it from standard input'
    )
    for name in ("status", "timeline", "sources"):
        add(name, json=True)
    add("cases")
    add("validate", json=True).add_argument("directory", metavar="DIR")
    add("eval", json=True).add_argument("file", metavar="FILE.toml")
    add("chat").add_argument(
        "--no-admin", action="store_true",
        help="chat as a user who is not an admin (admin commands are refused and audited)",
    )  # fmt: skip
    adding = add("add", json=True)
    adding.add_argument("source", metavar="SOURCE", help="an http(s):// URL or a local file")
    adding.add_argument("--yes", action="store_true", help="write it without asking")
    add("report", json=True).add_argument(
        "--since", metavar="DAYS", type=_days, default=30, help="the last DAYS days (default 30)"
    )
    add("serve")
    add("run")
    return parser


def _days(text: str) -> int:
    from bot.report import since_days

    if not text.strip():
        raise argparse.ArgumentTypeError("give a number of days, e.g. --since 7")
    try:
        return since_days(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# --corpus and --case are accepted before or after the subcommand. Each parser gets its own
# option objects with a SUPPRESS default, so a subcommand's default never overwrites a
# value given before it. They are added to each parser directly rather than through
# `parents=`: a parent is a whole ArgumentParser, and making 20 of them was a third of
# building the command line (argparse's help strings go through gettext's file lookups).
def _add_corpus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus", metavar="DIR", default=argparse.SUPPRESS,
        help="the corpus directory (overrides CASEBOT_CORPUS_DIR)",
    )  # fmt: skip
    parser.add_argument(
        "--case", metavar="ID", default=argparse.SUPPRESS,
        help="the case, in a corpus directory of several (casebot cases lists them)",
    )  # fmt: skip


def _add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true",
        help="print one JSON object on stdout, not text (an error too: {\"kind\": \"error\", …})",
    )  # fmt: skip


def _settings() -> Settings:
    """All of casebot's settings.

    Raises:
        Failure: what is wrong with them, by setting name (never a value: it may be secret).
    """
    from pydantic import ValidationError

    from bot.settings import Settings

    _check_env_file()
    try:
        return Settings()
    except ValidationError as error:
        raise Failure("casebot: invalid settings:", _settings_problems(error)) from None


def _check_env_file() -> None:
    if problems := env_file_problems():
        raise Failure("casebot: invalid settings:", problems)


def _query_settings(corpus: str | None) -> QuerySettings:
    """The settings of a one-shot query (raises Failure like `_settings`)."""
    _check_env_file()
    settings = read_query_settings()
    if settings is None:
        # A value the quick reader won't interpret: Settings decides, and explains.
        full = _settings()
        settings = QuerySettings(corpus_dir=full.corpus_dir, max_quotes=full.max_quotes)
    if corpus is not None:
        settings = QuerySettings(corpus_dir=Path(corpus), max_quotes=settings.max_quotes)
    return settings


def _query(settings: QuerySettings, args: argparse.Namespace) -> int:
    # One-shot queries read the corpus only: no database is created or written, and
    # nothing logs, so logging is not configured either.
    question = getattr(args, "question", "")
    if args.command == "ask" and question == "-":
        # `casebot ask -`: the question from standard input, as one line.
        question = " ".join(sys.stdin.read().split())
    if args.command == "ask" and not question.strip():
        raise Failure("casebot ask: the question is empty.")
    from bot.queries import load_index, query

    command = Command(name=args.command, argument=question)
    # Of a corpus of several cases, only the case asked about is loaded.
    layout = read_layout(settings.corpus_dir)
    case = _case_for(layout, getattr(args, "case", None), command)
    try:
        index = load_index(case.directory)
    except CorpusError as error:
        raise _corpus_failure(case.directory, error) from None
    answer = query(index, command, max_quotes=settings.max_quotes)
    if layout.several:
        answer = replace(answer, case=case.name)
    _print_answer(answer, as_json=args.json)
    return EXIT_NOT_COVERED if answer.kind == "no_answer" else EXIT_OK


def _case_for(layout: Layout, typed: str | None, command: Command | None = None) -> CaseInfo:
    """The case a one-shot command is about: `--case`, else the one a question names,
    else the only one.

    Raises:
        Failure: there is none of those, or the question names several.
    """
    if typed is not None:
        found = _names(layout).resolve(typed)
    elif len(layout.cases) == 1 or not layout.several:
        found = tuple(case.id for case in layout.cases)
    elif command is not None and command.name == "ask":
        found = _names(layout).mentioned(command.argument)
    else:
        found = ()
    if len(found) == 1:
        case = layout.case(found[0])
        assert case is not None
        return case
    known = f"The cases: {', '.join(c.id for c in layout.cases)} (casebot cases lists them)."
    if not layout.cases:
        raise Failure(
            f"casebot: no case can be read in {layout.directory}",
            [str(problem) for problem in layout.problems],
        )
    if typed is not None and not found:
        raise Failure(f"casebot: there is no case {typed!r}. {known}")
    which = "several cases match" if found else f"{layout.directory} holds several cases"
    raise Failure(f"casebot: {which}: name one with --case ID. {known}")


def _names(layout: Layout) -> Names:
    """The matcher of the cases' names: made (a pattern of every name) only when a
    one-shot command must choose, so the one case of most corpora costs nothing."""
    from bot.routing import Names

    return Names(layout.cases)


def _cases(directory: Path) -> int:
    """`casebot cases`: each case as `/case cases` lists it, and any that can't be read."""
    from bot.case_replies import case_line
    from bot.docket import LiveCase
    from bot.queries import load_index

    layout = read_layout(directory)
    code = EXIT_OK
    for case in layout.cases:
        try:
            index = load_index(case.directory)
        except CorpusError as error:
            problems = counted(len(error.problems), "problem")
            print(f"{case.name} ({case.id}): can't be read: {problems} (casebot validate {directory})")
            code = EXIT_PROBLEM
            continue
        print(case_line(LiveCase(case, index, "")))
    for problem in layout.problems:
        print(f"{problem.case}: not a case: {problem}")
        code = EXIT_PROBLEM
    return code


def _corpus_failure(directory: Path | str, error: CorpusError) -> Failure:
    return Failure(
        f"casebot: cannot load the corpus in {directory}", [str(p) for p in error.problems]
    )


def _print_answer(answer: Answer, *, as_json: bool, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if as_json:
        print(json.dumps(answer_to_json(answer), ensure_ascii=False), file=out)
    else:
        print(_console_text(for_console(answer, "casebot "), out), file=out)


def _console_text(answer: Answer, out: TextIO) -> str:
    # Wrapped to a terminal; piped into a file or another program, one line per line.
    width = shutil.get_terminal_size().columns - 1 if out.isatty() else None
    return render_text(answer, width=width)


def _eval(path: Path, corpus: str | None, case: str | None = None, *, as_json: bool) -> int:
    """`casebot eval FILE.toml`: each item's outcome and the figures (retrieval/evaluation.py)."""
    import dataclasses

    from retrieval.answering import ask
    from retrieval.corpus import load_corpus
    from retrieval.evaluation import EvalFileError, corpus_for, evaluate, load_items, report, verbatim_checker
    from retrieval.index import build_index

    try:
        items = load_items(path)
    except EvalFileError as error:
        raise Failure(f"casebot eval: {error}") from None
    directory = Path(corpus) if corpus else corpus_for(path, _default_corpus())
    if case is not None:
        directory = _case_for(read_layout(directory), case).directory
    try:
        index = build_index(load_corpus(directory))
    except CorpusError as error:
        raise _corpus_failure(directory, error) from None
    check = verbatim_checker({p.id: p.text for p in index.passages})
    outcomes, summary = evaluate(items, lambda question: ask(index, question), check)
    if not as_json:
        print(report(path, outcomes, summary))
        return EXIT_OK
    data = {
        "kind": "eval",
        "file": str(path),
        "corpus": str(directory),
        "items": [
            {
                "ask": o.item.ask, "abstain": o.item.abstain, "passed": o.passed,
                "tier": o.tier, "answer_kind": o.answer.kind, "first_quote": o.first_quote,
                "idle_quotes": o.idle_quotes,
            }
            for o in outcomes
        ],
        # Every count retrieval/evaluation.py keeps, by its own names.
        "summary": dataclasses.asdict(summary),
    }  # fmt: skip
    print(json.dumps(data, ensure_ascii=False))
    return EXIT_OK


def _add(args: argparse.Namespace) -> int:
    """`casebot add SOURCE`: preview, ask, write (bot/intake/)."""
    from bot.intake import Options
    from bot.intake.command import run_add

    settings = _settings()
    corpus = getattr(args, "corpus", None)
    layout = read_layout(Path(corpus) if corpus is not None else settings.corpus_dir)
    # A corpus of several cases: the article goes into the case named (or the only one).
    case = _case_for(layout, getattr(args, "case", None))
    return run_add(
        args.source, case.directory, Options.from_settings(settings), yes=args.yes,
        as_json=args.json,
    )  # fmt: skip


def _report(args: argparse.Namespace) -> int:
    """`casebot report`: the figures in the database (bot/report.py), which must exist."""
    import asyncio

    from bot.report import print_report
    from bot.store import MissingDatabase

    settings = _settings()
    corpus = getattr(args, "corpus", None)
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": Path(corpus)})
    try:
        return asyncio.run(
            print_report(
                settings, since_days=args.since, as_json=args.json,
                case_id=getattr(args, "case", None),
            )  # fmt: skip
        )
    except MissingDatabase as error:
        raise Failure(f"casebot report: {error}.") from None


def _default_corpus() -> Path:
    return Path(_query_settings(None).corpus_dir)


def _validate(directory: Path, *, as_json: bool) -> int:
    """`casebot validate DIR`: a corpus of one case is checked as it always was; one of
    several case by case, each problem naming the case's folder and file (a broken case
    is reported, and the others are still checked)."""
    layout = read_layout(directory)
    if not layout.several:
        if layout.problems:
            problems = [str(problem) for problem in layout.problems]
            raise Failure(f"{directory}: {counted(len(problems), 'problem')}", problems)
        data = _validate_case(directory)
        if as_json:
            print(json.dumps({"kind": "validate", "directory": str(directory), **data},
                             ensure_ascii=False))  # fmt: skip
        else:
            _print_validated(str(directory), data)
        return EXIT_OK
    cases: list[dict[str, Any]] = []
    problems = [str(problem) for problem in layout.problems]
    for case in layout.cases:
        try:
            data = _validate_case(case.directory)
        except Failure as failure:
            problems += [_within(case, line) for line in failure.problems]
            continue
        cases.append({"id": case.id, "name": case.name, **data})
    if as_json:
        print(json.dumps(
            {"kind": "validate", "directory": str(directory), "cases": cases,
             "problems": problems, "notes": list(layout.notes)},
            ensure_ascii=False,
        ))  # fmt: skip
        return EXIT_PROBLEM if problems else EXIT_OK
    print(f"{directory}: {counted(len(layout.cases) + len(layout.problems), 'case')}.")
    for case_data in cases:
        _print_validated(f"{case_data['id']} ({case_data['name']})", case_data)
    for note in layout.notes:
        print(f"note: {note}")
    if problems:
        raise Failure(f"{directory}: {counted(len(problems), 'problem')}", problems)
    return EXIT_OK


def _validate_case(directory: Path) -> dict[str, Any]:
    """One case's articles checked: its summary, or Failure with every problem."""
    from bot.queries import load_index

    try:
        index = load_index(directory)
    except CorpusError as error:
        raise Failure(
            f"{directory}: {counted(len(error.problems), 'problem')}",
            [str(p) for p in error.problems],
        ) from None
    corpus = index.corpus
    dated = sum(1 for a in corpus.articles if a.source.published is not None)
    return {
        "articles": len(corpus.articles),
        "passages": len(corpus.passages),
        "dated": dated,
        "undated": len(corpus.articles) - dated,
        "sources": [
            {
                "id": a.source.id, "outlet": a.source.outlet, "title": a.source.title,
                "published": a.source.published.isoformat() if a.source.published else None,
                "passages": len(a.passages),
            }
            for a in corpus.articles
        ],
    }  # fmt: skip


def _print_validated(heading: str, data: dict[str, Any]) -> None:
    print(
        f"{heading}: {counted(data['articles'], 'article')}, "
        f"{counted(data['passages'], 'passage')}, {data['dated']} dated, "
        f"{data['undated']} undated."
    )
    for source in data["sources"]:
        named = source["outlet"] or source["title"] or source["id"]  # as Source.name
        print(
            f"  {source['id']}: {named}, {source['published'] or 'undated'}, "
            f"{counted(source['passages'], 'passage')}"
        )


def _within(case: CaseInfo, problem: str) -> str:
    """A loader's problem as the operator finds the file in the corpus directory:
    "linkedin/a.md: …" (the folder itself: "linkedin/: …")."""
    file, _, message = problem.partition(": ")
    if Path(file) == case.directory or Path(file).is_absolute():
        return f"{case.id}/: {message}"
    return f"{case.id}/{problem}"


def _chat(
    settings: Settings,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    admin: bool = True,
) -> int:
    """The console conversation: each input line is one chat message, until end of input,
    a quit word, or Ctrl-C.

    Lines are read outside the event loop, and each message is answered in it
    (`asyncio.Runner`). SIGINT is blocked but while a line is awaited, and every thread
    the chat starts (SQLite's, the loop's workers) inherits the block: so Ctrl-C reaches
    the thread reading the line, as an ordinary KeyboardInterrupt, instead of a thread
    that can't act on it (a read waits on). Ctrl-C during an answer ends the chat once the
    answer is shown. Either way the database is closed and there is no traceback.

    Args:
        settings: casebot's settings.
        stdin: where lines come from (default sys.stdin).
        stdout: where answers go (default sys.stdout).
        admin: whether the console speaks as an admin; `casebot chat --no-admin` shows
            what a member sees.

    Returns:
        EXIT_OK at the end of input or a quit word, EXIT_INTERRUPTED after Ctrl-C.
    """
    import asyncio

    from bot.desk import Caller, Desk

    # Alone with casebot: `use` here chooses the console's own case.
    caller = Caller(platform="console", user_id="console", is_admin=admin, private=True)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdin is sys.stdin
    if interactive:
        # input() then edits lines and keeps this session's history (arrow keys); nothing
        # is written to disk, as questions are not stored unless the operator allows it.
        import readline  # noqa: F401
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with asyncio.Runner() as runner:
            # One person at their own terminal (or a script piped in) has no one to crowd
            # out: no rate limit. The question length limit still applies.
            desk = runner.run(Desk.open(settings.model_copy(update={"rate_limit": 0})))
            try:
                return _converse(runner, desk, caller, stdin, stdout, interactive)
            except KeyboardInterrupt:
                if interactive:
                    print(file=stdout)  # the line the terminal's ^C is on
                return EXIT_INTERRUPTED
            finally:
                runner.run(desk.close())
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _converse(
    runner: asyncio.Runner, desk: Desk, caller: Caller, stdin: TextIO, stdout: TextIO,
    interactive: bool,
) -> int:  # fmt: skip
    from bot.intake.chat import CONFIRM_PROMPT

    while True:
        line = _read_line(stdin, interactive, PROMPT)
        if line is None:
            if interactive:
                print(file=stdout)
            return EXIT_OK
        if line.strip().lower() in QUIT_WORDS:
            return EXIT_OK
        reply = runner.run(desk.handle(line, caller))
        text = _console_text(for_console(reply.answer), stdout)
        print(text, end="\n\n", file=stdout, flush=True)
        if reply.choice is not None:
            # Which case? The next line answers it, by number or id (bot/choices.py).
            typed = (_read_line(stdin, interactive, "case? ") or "").strip()
            value = _chosen(reply.choice, typed)
            if value is None:
                print(NOT_A_CHOICE, end="\n\n", file=stdout, flush=True)
                continue
            reply = runner.run(desk.choose(caller, value))
            text = _console_text(for_console(reply.answer), stdout)
            print(text, end="\n\n", file=stdout, flush=True)
        if reply.confirm_token is not None:
            # An `add` preview: the next line answers it (bot/intake/chat.py), asked with
            # its own prompt, so the answer doesn't look like a new command.
            if not interactive:
                print(CONFIRM_PROMPT, file=stdout, flush=True)
            typed = _read_line(stdin, interactive, f"{CONFIRM_PROMPT} ") or ""
            answer = runner.run(
                desk.intake.confirm(
                    caller, reply.confirm_token, accept=typed.strip().lower() in ("y", "yes")
                )
            )
            print(_console_text(answer, stdout), end="\n\n", file=stdout, flush=True)


def _chosen(choice: Choice, typed: str) -> str | None:
    """The choice a console line makes: an option's number or its case id (None if none)."""
    from bot.choices import choice_value

    for number, option in enumerate(choice.options, start=1):
        if typed.lower() in (str(number), option.case_id):
            return choice_value(choice.token, option.case_id)
    return None


def _read_line(stdin: TextIO, interactive: bool, prompt: str) -> str | None:
    """The next line typed (after `prompt`) or piped in, or None at the end of input.

    Ctrl-C may interrupt it (see `_chat`), and a Ctrl-C pressed while the line before was
    being answered does so at once.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        if interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = stdin.readline()
        return line.rstrip("\n") if line else None
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


async def _serve(settings: Settings) -> int:
    import logging

    if not (settings.slack_configured or settings.discord_configured):
        print(NO_CREDENTIALS, file=sys.stderr)
        if settings.any_chat_credentials:
            print(
                "Slack needs SLACK_BOT_TOKEN and also SLACK_SIGNING_SECRET or "
                "SLACK_APP_TOKEN: only part of that is set.",
                file=sys.stderr,
            )
        return EXIT_NOTHING_TO_SERVE
    # Imported here: aiohttp comes with the chat extras, which the console doesn't need.
    from bot.desk import Desk
    from bot.ops.loop_monitor import (
        LoopMonitor,
        freeze_long_lived_objects,
        unfreeze_long_lived_objects,
    )
    from bot.ops.server import Health

    desk = await Desk.open(settings)
    # Samples the event loop's stalls from when casebot is ready until it has stopped; the
    # gauge shows the latest window's worst, the log the whole run's when it stops.
    monitor = LoopMonitor(report=desk.metrics.set_loop_stall)
    health = Health()
    health.loaded(desk)
    ops: OpsServer | None = None
    adapters: list[Adapter] = []
    sync: CorpusSync | None = None
    housekeeping: Housekeeping | None = None
    try:
        try:
            # Before the adapters, so /healthz answers "starting" while they connect.
            ops = await _start_ops_server(desk, settings, health)
            if settings.database_url is not None:
                # Replicas: one corpus version everywhere, and ready only with the database.
                from bot.replicas.corpus_sync import CorpusSync
                from bot.replicas.housekeeping import Housekeeping

                sync = CorpusSync(desk, settings.database_url.get_secret_value())
                await sync.start()
                health.depends_on("database", sync.is_connected)
                # Expired previews, thread contexts and rate counts leave the database.
                housekeeping = Housekeeping(desk.store)
                housekeeping.start()
            adapters = await _start_adapters(desk, settings)
        except StartError as error:
            # The start errors name the setting to fix and never carry a token; anything
            # else is a bug and goes up with its traceback.
            logging.getLogger(__name__).debug("start failed", exc_info=True)
            print(f"casebot serve: {error}", file=sys.stderr)
            return EXIT_PROBLEM
        freeze_long_lived_objects()
        monitor.start()
        health.serving(adapters)
        ended = await _until_stopped(adapters)
        if ended is not None:
            # Exit non-zero, as discord.py's own run() would, so that a supervisor restarts
            # casebot or alerts, instead of it serving on without a platform.
            logging.getLogger(__name__).error("%s; stopping", ended)
            return EXIT_PROBLEM
        return EXIT_OK
    finally:
        # Not ready from the first moment of a shutdown, so balancers stop sending work.
        health.stopping()
        # Adds being fetched end now: their previews could never be answered after a restart.
        desk.intake.stop()
        await _stop_adapters(adapters)
        if sync is not None:
            await sync.close()
        if housekeeping is not None:
            await housekeeping.close()
        if ops is not None:
            # After the adapters: /healthz says "stopping" while answers finish.
            await ops.close()
        await monitor.stop()
        unfreeze_long_lived_objects()
        # Last, once no answer can write to it any more.
        await desk.close()


class Adapter(Protocol):
    # What /healthz calls it ("slack", "discord").
    platform: str

    async def is_connected(self) -> bool:
        """Whether the platform can reach casebot now (for /healthz)."""
        ...

    async def close(self) -> None:
        """Stop taking requests, finish (bounded) those in flight, then disconnect."""
        ...


async def _stop_adapters(adapters: Sequence[Adapter]) -> None:
    """Close every adapter at once, so none takes new work while another is draining.

    A failure to close one is logged and does not keep the others (or the store) open.
    """
    if not adapters:
        return
    import asyncio
    import logging

    log = logging.getLogger(__name__)
    log.info("stopping: no new requests; finishing the answers in flight")
    results = await asyncio.gather(
        *(adapter.close() for adapter in adapters), return_exceptions=True
    )
    for adapter, result in zip(adapters, results, strict=True):
        if isinstance(result, BaseException):
            log.error(
                "could not close %s cleanly", type(adapter).__name__, exc_info=result
            )


async def _start_ops_server(desk: Desk, settings: Settings, health: Health) -> OpsServer | None:
    """Serve /healthz and /metrics on CASEBOT_HOST:CASEBOT_OPS_PORT, unless disabled.

    Raises:
        OpsStartError: the port could not be listened on (a StartError).
    """
    if not settings.ops_enabled:
        return None
    from bot.ops.server import start_ops_server

    return await start_ops_server(settings, health, desk.metrics)


async def _start_adapters(desk: Desk, settings: Settings) -> list[Adapter]:
    """Starts every chat adapter whose credentials are set, over the one desk.

    The platform SDKs are imported here, not at the top, so that the console commands work
    with only the core installed. If one adapter fails to start, those already started are
    closed before the error goes up.
    """
    started: list[Adapter] = []
    try:
        if settings.slack_configured:
            from bot.slack.adapter import start_slack

            started.append(await start_slack(desk, settings))
        if settings.discord_configured:
            from bot.discord.adapter import start_discord

            if settings.database_url is not None:
                # Replicas: Discord on the one replica elected to hold its gateway.
                from bot.replicas.gateway import ElectedDiscord

                elected = ElectedDiscord(
                    desk, settings, settings.database_url.get_secret_value(), start_discord
                )
                await elected.start()
                started.append(elected)
            else:
                started.append(await start_discord(desk, settings))
    except BaseException:
        await _stop_adapters(started)
        raise
    return started


async def _until_stopped(adapters: Sequence[Adapter] = ()) -> str | None:
    """Waits for SIGINT or SIGTERM (Ctrl-C, `docker stop`, systemd), or for an adapter's
    connection to end for good (Discord's gateway closing with 4004, bad token, or 4014,
    disallowed intents: discord.py does not reconnect after those).

    Returns:
        None after a signal; otherwise what ended, for the log.
    """
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # Adapters that can end by themselves have `wait()` (Discord's); the others never do.
    ending = {
        asyncio.ensure_future(wait()): adapter.platform
        for adapter in adapters
        if (wait := getattr(adapter, "wait", None)) is not None
    }
    stopping = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({stopping, *ending}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        for task in (stopping, *ending):
            task.cancel()
    for task in done & ending.keys():
        error = None if task.cancelled() else task.exception()
        why = f"{type(error).__name__}: {error}" if error is not None else "it closed"
        return f"{ending[task]}: the connection ended and will not be resumed ({why})"
    return None


def _settings_problems(error: ValidationError) -> list[str]:
    # Only the setting's name and what is wrong: the input itself may be a secret.
    return [
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
        for item in error.errors(include_input=False, include_url=False)
    ]


if __name__ == "__main__":
    sys.exit(main())
