"""The `casebot` command: one-shot questions, corpus checks, a console chat, and serving.

    casebot ask "QUESTION" [--json]   casebot status | timeline | sources [--json]
    casebot validate DIR              casebot chat        casebot serve
    casebot                           (serve if chat credentials are set, else chat)

`--corpus DIR` overrides CASEBOT_CORPUS_DIR for any of them. Exit codes: 0 done, 1 corpus
or settings problem, 2 nothing to serve.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TextIO

from pydantic import ValidationError

from bot.commands import Command
from bot.desk import Caller, Desk, load_index, query
from bot.render_json import answer_to_json
from bot.render_text import render_text
from bot.settings import Settings
from retrieval.corpus import CorpusError
from retrieval.model import Answer

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_NOTHING_TO_SERVE = 2

PROMPT = "casebot> "
CONSOLE_CALLER = Caller(platform="console", user_id="console", is_admin=True)
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

    try:
        settings = Settings()
    except ValidationError as error:
        return _settings_problem(error)
    corpus = getattr(args, "corpus", None)
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": Path(corpus)})
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    try:
        if args.command in _QUERIES:
            return _query(settings, args)
        if args.command == "chat":
            return asyncio.run(_chat(settings))
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
        description="Answers questions about De La Torre v. LinkedIn by quoting news articles.",
        parents=[_corpus_option()],
    )
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
    commands.add_parser("chat", parents=[_corpus_option()], help="talk to casebot in the console")
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


def _query(settings: Settings, args: argparse.Namespace) -> int:
    # One-shot queries read the corpus only: no database is created or written.
    index = load_index(settings.corpus_dir)
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
        print(render_text(answer), file=out)


def _validate(directory: Path) -> int:
    try:
        index = load_index(directory)
    except CorpusError as error:
        _print_problems(f"{directory}: {_count(len(error.problems), 'problem')}", error)
        return EXIT_PROBLEM
    corpus = index.corpus
    dated = sum(1 for a in corpus.articles if a.source.published is not None)
    print(
        f"{directory}: {_count(len(corpus.articles), 'article')}, "
        f"{_count(len(corpus.passages), 'passage')}, {dated} dated, "
        f"{len(corpus.articles) - dated} undated."
    )
    for article in corpus.articles:
        source = article.source
        published = source.published.isoformat() if source.published else "undated"
        print(
            f"  {source.id}: {source.name}, {published}, "
            f"{_count(len(article.passages), 'passage')}"
        )
    return EXIT_OK


async def _chat(
    settings: Settings, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """The console conversation: each input line is one chat message, until end of input."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    desk = await Desk.open(settings)
    try:
        while True:
            if interactive:
                print(PROMPT, end="", file=stdout, flush=True)
            # A blocking read is fine: nothing else runs on the loop between two lines, and
            # reading in a thread would leave Ctrl-C waiting for one more line.
            line = stdin.readline()
            if not line:
                if interactive:
                    print(file=stdout)
                return EXIT_OK
            reply = await desk.handle(line.rstrip("\n"), CONSOLE_CALLER)
            print(render_text(reply.answer), end="\n\n", file=stdout, flush=True)
    finally:
        await desk.close()


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
    desk = await Desk.open(settings)
    adapters: list[Adapter] = []
    try:
        try:
            adapters = await _start_adapters(desk, settings)
        except Exception as error:  # noqa: BLE001 - reported to the operator, then exit
            # The adapters' errors name the setting to fix and never carry a token.
            logging.getLogger(__name__).debug("adapter start failed", exc_info=True)
            print(f"casebot serve: {error}", file=sys.stderr)
            return EXIT_PROBLEM
        await _until_stopped()
        return EXIT_OK
    finally:
        for adapter in reversed(adapters):
            await adapter.close()
        await desk.close()


class Adapter(Protocol):
    async def close(self) -> None: ...


async def _start_adapters(desk: Desk, settings: Settings) -> list[Adapter]:
    """Starts every chat adapter whose credentials are set, over the one desk.

    The platform SDKs are imported here, not at the top, so that the console commands work
    with only the core installed. If one adapter fails to start, those already started are
    closed before the error goes up.
    """
    started: list[Adapter] = []
    try:
        if settings.slack_configured:
            from bot.slack_app import start_slack

            started.append(await start_slack(desk, settings))
        if settings.discord_configured:
            from bot.discord_app import start_discord

            started.append(await start_discord(desk, settings))
    except BaseException:
        for adapter in reversed(started):
            await adapter.close()
        raise
    return started


async def _until_stopped() -> None:
    """Waits for SIGINT or SIGTERM (Ctrl-C, `docker stop`, systemd)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _settings_problem(error: ValidationError) -> int:
    # Only the setting's name and what is wrong: the input itself may be a secret.
    print("casebot: invalid settings:", file=sys.stderr)
    for item in error.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in item["loc"])
        print(f"  {name}: {item['msg']}", file=sys.stderr)
    return EXIT_PROBLEM


def _print_problems(heading: str, error: CorpusError) -> None:
    print(heading, file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


if __name__ == "__main__":
    sys.exit(main())
