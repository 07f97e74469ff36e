"""The `casebot` command: one-shot questions, corpus checks, a console chat, and serving.

    casebot ask "QUESTION" [--json]   casebot status | timeline | sources [--json]
    casebot validate DIR              casebot chat [--no-admin]   casebot serve
    casebot eval FILE.toml            (score answers to a question file)
    casebot add SOURCE [--yes] [--json]   (a URL or file into the corpus, after a preview)
    casebot report [--since DAYS] [--json]   (what people asked, and their votes)
    casebot                           (serve if chat credentials are set, else chat)

`--corpus DIR` overrides CASEBOT_CORPUS_DIR for any of them. Exit codes: 0 done, 1 corpus
or settings problem, 2 nothing to serve.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from bot import __version__
from bot.commands import Command, for_console
from bot.queries import load_index, query
from bot.query_settings import QuerySettings, read_query_settings
from bot.render.json import answer_to_json
from bot.render.format import counted
from bot.render.text import render_text
from retrieval.errors import CorpusError, StartError
from retrieval.model import Answer

# The serving machinery (asyncio, pydantic, the store, metrics) is imported where it is
# used, so a one-shot `casebot ask` costs little more than the answer (README: Benchmark).
if TYPE_CHECKING:
    from pydantic import ValidationError

    from bot.desk import Desk
    from bot.ops.server import Health, OpsServer
    from bot.settings import Settings

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_NOTHING_TO_SERVE = 2

PROMPT = "casebot> "
_QUERIES = ("ask", "status", "timeline", "sources")

NO_CREDENTIALS = (
    "casebot serve: no chat platform is configured. Set SLACK_BOT_TOKEN plus "
    "SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode) for Slack, and/or "
    "DISCORD_TOKEN for Discord, in the environment or in .env (see .env.example). "
    "To talk to casebot without a chat platform, run `casebot chat`."
)
FALLING_BACK_TO_CHAT = (
    "No Slack or Discord credentials set; starting the console chat. See .env.example."
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `casebot` command line; returns the exit code."""
    args = _parser().parse_args(argv)
    args.command = args.command or "run"
    if args.command == "validate":
        return _validate(Path(args.directory))
    if args.command == "eval":
        return _eval(Path(args.file), getattr(args, "corpus", None))
    if args.command == "add":
        return _add(args)
    if args.command == "report":
        return _report(args)

    corpus = getattr(args, "corpus", None)
    if args.command in _QUERIES:
        query_settings = _query_settings(corpus)
        return EXIT_PROBLEM if query_settings is None else _query(query_settings, args)

    import asyncio

    from bot.ops.logs import configure_logging

    settings = _settings()
    if settings is None:
        return EXIT_PROBLEM
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": Path(corpus)})
    configure_logging(settings)

    try:
        if args.command == "chat":
            return asyncio.run(_chat(settings, admin=not args.no_admin))
        if args.command == "serve":
            return asyncio.run(_serve(settings))
        # No subcommand: serve when any credential says that is wanted, else talk here.
        if settings.any_chat_credentials:
            return asyncio.run(_serve(settings))
        print(FALLING_BACK_TO_CHAT, file=sys.stderr)
        return asyncio.run(_chat(settings))
    except CorpusError as error:
        _print_problems(f"casebot: cannot load the corpus in {settings.corpus_dir}", error)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casebot",
        description="Answers questions about one lawsuit by quoting its sources.",
        parents=[_corpus_option()],
    )
    parser.add_argument("--version", action="version", version=f"casebot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    ask = commands.add_parser(
        "ask", parents=[_corpus_option(), _json_option()], help="answer one question"
    )
    ask.add_argument("question", help="the question, in quotes")
    for name, text in (
        ("status", "where the case stands"),
        ("timeline", "the dated events of the case"),
        ("sources", "the articles casebot quotes"),
    ):
        commands.add_parser(name, parents=[_corpus_option(), _json_option()], help=text)
    validate = commands.add_parser("validate", help="check a corpus directory")
    validate.add_argument("directory", metavar="DIR")
    evaluate = commands.add_parser(
        "eval", parents=[_corpus_option()],
        help="score the answers to a question file (corpus: --corpus, else corpus/ beside the file)",
    )  # fmt: skip
    evaluate.add_argument("file", metavar="FILE.toml")
    chat = commands.add_parser(
        "chat", parents=[_corpus_option()], help="talk to casebot in the console"
    )
    chat.add_argument(
        "--no-admin", action="store_true",
        help="chat as a user who is not an admin (admin commands are refused and audited)",
    )  # fmt: skip
    add = commands.add_parser(
        "add", parents=[_corpus_option(), _json_option()],
        help="add an article to the corpus from a URL or a .html, .pdf, .txt or .md file",
    )  # fmt: skip
    add.add_argument("source", metavar="SOURCE", help="an http(s):// URL or a local file")
    add.add_argument("--yes", action="store_true", help="write it without asking")
    report = commands.add_parser(
        "report", parents=[_corpus_option(), _json_option()],
        help="questions answered and declined, and the votes on answers (from the store)",
    )  # fmt: skip
    report.add_argument(
        "--since", metavar="DAYS", type=int, default=30, help="the last DAYS days (default 30)"
    )
    commands.add_parser("serve", parents=[_corpus_option()], help="serve Slack and/or Discord")
    commands.add_parser(
        "run", parents=[_corpus_option()], help="serve if chat credentials are set, else chat"
    )
    return parser


# --corpus is accepted before or after the subcommand. Each parser gets its own option
# object with a SUPPRESS default, so a subcommand's default never overwrites a value given
# before it (argparse shares option objects between parent and child parsers).
def _corpus_option() -> argparse.ArgumentParser:
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument(
        "--corpus", metavar="DIR", default=argparse.SUPPRESS,
        help="the corpus directory (overrides CASEBOT_CORPUS_DIR)",
    )  # fmt: skip
    return option


def _json_option() -> argparse.ArgumentParser:
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument("--json", action="store_true", help="print one JSON object, not text")
    return option


def _settings() -> Settings | None:
    """All of casebot's settings, or None after printing what is wrong with them."""
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        _settings_problem(error)
        return None


def _query_settings(corpus: str | None) -> QuerySettings | None:
    """The settings of a one-shot query, or None after printing what is wrong with them."""
    settings = read_query_settings()
    if settings is None:
        # A value the quick reader won't interpret: Settings decides, and explains.
        full = _settings()
        if full is None:
            return None
        settings = QuerySettings(corpus_dir=full.corpus_dir, max_quotes=full.max_quotes)
    if corpus is not None:
        settings = QuerySettings(corpus_dir=Path(corpus), max_quotes=settings.max_quotes)
    return settings


def _query(settings: QuerySettings, args: argparse.Namespace) -> int:
    # One-shot queries read the corpus only: no database is created or written, and
    # nothing logs, so logging is not configured either.
    try:
        index = load_index(settings.corpus_dir)
    except CorpusError as error:
        _print_problems(f"casebot: cannot load the corpus in {settings.corpus_dir}", error)
        return EXIT_PROBLEM
    command = Command(name=args.command, argument=getattr(args, "question", ""))
    if command.name == "ask" and not command.argument.strip():
        print("casebot ask: the question is empty.", file=sys.stderr)
        return EXIT_PROBLEM
    answer = query(index, command, max_quotes=settings.max_quotes)
    _print_answer(answer, as_json=args.json)
    return EXIT_OK


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


def _eval(path: Path, corpus: str | None) -> int:
    """`casebot eval FILE.toml`: each item's outcome and the figures (retrieval/evaluation.py)."""
    from retrieval.answering import ask
    from retrieval.corpus import load_corpus
    from retrieval.evaluation import EvalFileError, corpus_for, evaluate, load_items, report, verbatim_checker
    from retrieval.index import build_index

    try:
        items = load_items(path)
    except EvalFileError as error:
        print(f"casebot eval: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    directory = Path(corpus) if corpus else corpus_for(path, _default_corpus())
    try:
        index = build_index(load_corpus(directory))
    except CorpusError as error:
        _print_problems(f"casebot: cannot load the corpus in {directory}", error)
        return EXIT_PROBLEM
    check = verbatim_checker({p.id: p.text for p in index.passages})
    outcomes, summary = evaluate(items, lambda question: ask(index, question), check)
    print(report(path, outcomes, summary))
    return EXIT_OK


def _add(args: argparse.Namespace) -> int:
    """`casebot add SOURCE`: preview, ask, write (bot/intake/)."""
    from bot.intake import Options
    from bot.intake.command import run_add

    settings = _settings()
    if settings is None:
        return EXIT_PROBLEM
    corpus = getattr(args, "corpus", None)
    directory = Path(corpus) if corpus is not None else settings.corpus_dir
    return run_add(
        args.source, directory, Options.from_settings(settings), yes=args.yes, as_json=args.json
    )


def _report(args: argparse.Namespace) -> int:
    """`casebot report`: the figures in the store (bot/report.py)."""
    import asyncio

    from bot.report import print_report

    settings = _settings()
    if settings is None:
        return EXIT_PROBLEM
    corpus = getattr(args, "corpus", None)
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": Path(corpus)})
    return asyncio.run(print_report(settings, since_days=args.since, as_json=args.json))


def _default_corpus() -> Path:
    settings = _query_settings(None)
    return Path(settings.corpus_dir) if settings is not None else Path("corpus")


def _validate(directory: Path) -> int:
    try:
        index = load_index(directory)
    except CorpusError as error:
        _print_problems(f"{directory}: {counted(len(error.problems), 'problem')}", error)
        return EXIT_PROBLEM
    corpus = index.corpus
    dated = sum(1 for a in corpus.articles if a.source.published is not None)
    print(
        f"{directory}: {counted(len(corpus.articles), 'article')}, "
        f"{counted(len(corpus.passages), 'passage')}, {dated} dated, "
        f"{len(corpus.articles) - dated} undated."
    )
    for article in corpus.articles:
        source = article.source
        published = source.published.isoformat() if source.published else "undated"
        print(
            f"  {source.id}: {source.name}, {published}, "
            f"{counted(len(article.passages), 'passage')}"
        )
    return EXIT_OK


async def _chat(
    settings: Settings,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    admin: bool = True,
) -> int:
    """The console conversation: each input line is one chat message, until end of input.

    Args:
        settings: casebot's settings.
        stdin: where lines come from (default sys.stdin).
        stdout: where answers go (default sys.stdout).
        admin: whether the console speaks as an admin; `casebot chat --no-admin` shows
            what a member sees.
    """
    from bot.desk import Caller, Desk

    caller = Caller(platform="console", user_id="console", is_admin=admin)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdin is sys.stdin
    if interactive:
        # input() then edits lines and keeps this session's history (arrow keys); nothing
        # is written to disk, as questions are not stored unless the operator allows it.
        import readline  # noqa: F401
    # One person at their own terminal (or a script piped in) has no one to crowd out:
    # no rate limit. The question length limit still applies.
    desk = await Desk.open(settings.model_copy(update={"rate_limit": 0}))
    try:
        while True:
            # A blocking read is fine: nothing else runs on the loop between two lines, and
            # reading in a thread would leave Ctrl-C waiting for one more line.
            line = _read_line(stdin, interactive)
            if line is None:
                if interactive:
                    print(file=stdout)
                return EXIT_OK
            reply = await desk.handle(line, caller)
            text = _console_text(for_console(reply.answer), stdout)
            print(text, end="\n\n", file=stdout, flush=True)
            if reply.confirm_token is not None:
                # An `add` preview: the next line answers it (bot/intake/chat.py).
                from bot.intake.chat import CONFIRM_PROMPT

                print(CONFIRM_PROMPT, file=stdout, flush=True)
                typed = _read_line(stdin, interactive) or ""
                answer = await desk.intake.confirm(
                    caller, reply.confirm_token, accept=typed.strip().lower() in ("y", "yes")
                )
                print(_console_text(answer, stdout), end="\n\n", file=stdout, flush=True)
    finally:
        await desk.close()


def _read_line(stdin: TextIO, interactive: bool) -> str | None:
    """The next line typed or piped in, or None at the end of input."""
    if interactive:
        try:
            return input(PROMPT)
        except EOFError:
            return None
    line = stdin.readline()
    return line.rstrip("\n") if line else None


async def _serve(settings: Settings) -> int:
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
    try:
        try:
            # Before the adapters, so /healthz answers "starting" while they connect.
            ops = await _start_ops_server(desk, settings, health)
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


def _settings_problem(error: ValidationError) -> None:
    # Only the setting's name and what is wrong: the input itself may be a secret.
    print("casebot: invalid settings:", file=sys.stderr)
    for item in error.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in item["loc"])
        print(f"  {name}: {item['msg']}", file=sys.stderr)


def _print_problems(heading: str, error: CorpusError) -> None:
    print(heading, file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
