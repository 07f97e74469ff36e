"""The package edges are the optional extras' edges: the core imports no chat SDK."""

from __future__ import annotations

import json
import subprocess
import sys

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CHAT_SDKS = ("slack_bolt", "slack_sdk", "discord")


def imported_after(statement: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running `statement`."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(result.stdout)}


def test_the_desk_imports_neither_slack_nor_discord() -> None:
    # Nor aiohttp, which both SDKs bring.
    assert imported_after("import bot.desk") & {*CHAT_SDKS, "aiohttp"} == set()


def test_the_ops_server_and_renderers_import_neither_slack_nor_discord() -> None:
    loaded = imported_after("import bot.ops.server, bot.render.text, bot.render.json, bot.cli")
    assert loaded & set(CHAT_SDKS) == set()


def test_each_platform_package_imports_only_its_own_sdk() -> None:
    assert "discord" not in imported_after("import bot.slack.adapter, bot.slack.home")
    assert imported_after("import bot.discord.adapter") & {"slack_bolt", "slack_sdk"} == set()


def test_intake_imports_neither_slack_nor_discord() -> None:
    # Each platform's Add and Cancel buttons live in its own package (bot/slack/add_buttons.py,
    # bot/discord/admin_commands.py); bot/intake/ is platform-neutral.
    modules = sorted(path.stem for path in (REPO_ROOT / "bot" / "intake").glob("*.py"))
    statement = "import " + ", ".join(
        "bot.intake" if name == "__init__" else f"bot.intake.{name}" for name in modules
    )
    assert imported_after(statement) & {*CHAT_SDKS, "aiohttp"} == set()
