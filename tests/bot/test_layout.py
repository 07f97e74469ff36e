"""The package edges are the optional extras' edges: the core imports no chat SDK."""

from __future__ import annotations

import ast
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


def _imports(module: str, path: Path) -> set[str]:
    """The modules of bot/ that `module` imports anywhere in it: at the top, inside a
    function, or only for type checking (all three make a circle to a reader)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            # `from bot.slack import add_buttons` imports the module bot.slack.add_buttons.
            found.update(f"{base}.{alias.name}" for alias in node.names)
            found.add(base)
    return found


def test_no_module_of_bot_imports_one_that_imports_it_back() -> None:
    # A piece the desk or an adapter uses never imports it back: shared types (Caller,
    # Reply) live below both (bot/caller.py).
    paths = {}
    for path in (REPO_ROOT / "bot").rglob("*.py"):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    edges = {module: _imports(module, path) & paths.keys() - {module} for module, path in paths.items()}

    def reaches(start: str, goal: str) -> list[str] | None:
        # Depth-first: the path from `start` to `goal`, if there is one.
        stack, seen = [(start, [start])], {start}
        while stack:
            module, trail = stack.pop()
            for target in edges[module]:
                if target == goal:
                    return [*trail, goal]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, [*trail, target]))
        return None

    circles = [
        " → ".join(trail)
        for module in sorted(edges)
        if (trail := reaches(module, module)) is not None
    ]
    assert circles == []
