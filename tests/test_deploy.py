"""The deployment files: the compose file, the systemd unit, the Dockerfile and its
.dockerignore and lock file, and the two Slack manifests.

What this machine can check: the files parse and say what they should, the unit passes
`systemd-analyze verify` (where systemd-analyze exists), and the health check commands,
run for real, pass only while casebot answers /livez. Building the image needs a Docker
engine and is not tested here.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
import tomllib
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import EXIT_NOTHING_TO_SERVE, EXIT_USAGE
from bot.desk import Desk
from bot.ops.server import Health, OpsServer, start_ops_server
from bot.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPLOY = REPO_ROOT / "deploy"
UNIT_EXEC = "/opt/casebot/.venv/bin/casebot"


def unit_settings() -> dict[str, list[str]]:
    """The unit file's settings: name -> every value it is given, in order."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "casebot.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            name, _, value = line.partition("=")
            values.setdefault(name.strip(), []).append(value.strip())
    return values


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (INSTRUCTION, arguments)."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def healthcheck_command() -> list[str]:
    (arguments,) = [args for name, args in dockerfile_instructions() if name == "HEALTHCHECK"]
    exec_form = arguments.split(" CMD ", 1)[1]
    return json.loads(exec_form)


# --- compose -----------------------------------------------------------------------------


def test_compose_file_parses_and_runs_casebot_with_its_volumes_and_ports() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service: dict[str, Any] = compose["services"]["casebot"]
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (DEPLOY / ".." / service["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    # .env is optional: `docker compose config` and a first `up` work without one.
    assert service["env_file"] == [{"path": "../.env", "required": False}]
    environment = service["environment"]
    assert environment["CASEBOT_DB_PATH"] == "/data/casebot.db"
    assert environment["CASEBOT_CORPUS_DIR"] == "/corpus"
    # Published on this host only: never on every interface.
    ports = {str(port) for port in service["ports"]}
    assert ports == {
        f"127.0.0.1:{environment[name]}:{environment[name]}"
        for name in ("CASEBOT_PORT", "CASEBOT_OPS_PORT")
    }
    assert service["logging"]["options"].keys() >= {"max-size", "max-file"}
    volumes = service["volumes"]
    # The corpus is writable: `/case add` and `/case remove` write there (issue 12). A
    # named volume, filled from the image's /corpus (owned by its user) the first time.
    assert "casebot-data:/data" in volumes and "casebot-corpus:/corpus" in volumes
    assert {"casebot-data", "casebot-corpus"} <= compose["volumes"].keys()
    assert any(
        name == "RUN" and "/corpus" in args and "chown" in args and "casebot" in args
        for name, args in dockerfile_instructions()
    )
    # Listening inside the container on every interface, published on this host only.
    assert environment["CASEBOT_HOST"] == "0.0.0.0"
    assert service["restart"] == "unless-stopped"
    check = service["healthcheck"]
    assert check["test"][0] == "CMD"
    assert f":{environment['CASEBOT_OPS_PORT']}/livez" in check["test"][-1]
    assert {"interval", "timeout", "retries", "start_period"} <= check.keys()


# --- systemd -----------------------------------------------------------------------------


def test_unit_runs_casebot_serve_as_its_own_user_in_a_sandbox() -> None:
    unit = unit_settings()

    def one(name: str) -> str:
        (value,) = unit[name]
        return value

    assert one("Type") == "simple"
    assert one("ExecStart") == f"{UNIT_EXEC} serve"
    assert one("DynamicUser") == "yes" and one("User") == "casebot"
    assert one("StateDirectory") == "casebot"
    assert one("EnvironmentFile").startswith("/etc/casebot/")
    assert one("WorkingDirectory") == "/var/lib/casebot"
    assert one("Restart") == "on-failure"
    # A usage error and "nothing to serve" are not retried forever (bot/cli.py's codes).
    assert one("RestartPreventExitStatus").split() == [str(EXIT_USAGE), str(EXIT_NOTHING_TO_SERVE)]
    # Bounds on a runaway: memory and threads.
    assert one("MemoryMax").endswith(("M", "G")) and int(one("TasksMax")) >= 64
    assert one("KillSignal") == "SIGTERM" and one("TimeoutStopSec")
    for name in (
        "NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices",
        "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
    ):  # fmt: skip
        assert one(name) == "yes", name
    assert one("ProtectSystem") == "strict"
    assert one("CapabilityBoundingSet") == ""
    assert one("RestrictAddressFamilies") == "AF_INET AF_INET6 AF_UNIX"
    assert "@system-service" in unit["SystemCallFilter"]


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    # verify insists that ExecStart exists; casebot's virtualenv is not at /opt here.
    text = (DEPLOY / "casebot.service").read_text(encoding="utf-8")
    assert UNIT_EXEC in text
    unit = tmp_path / "casebot.service"
    unit.write_text(text.replace(UNIT_EXEC, sys.executable), encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 even for unknown or malformed settings; it warns about them.
    warnings = [line for line in result.stderr.splitlines() if "casebot.service" in line]
    assert result.returncode == 0 and warnings == [], result.stderr


# --- Dockerfile --------------------------------------------------------------------------


def test_dockerfile_runs_casebot_serve_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    names = [name for name, _ in instructions]
    # Pinned to a patch release and a Debian release, not a moving tag.
    pinned = r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?"
    assert re.fullmatch(pinned, instructions[0][1])
    (user,) = [args for name, args in instructions if name == "USER"]
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    # The user is made in the image, and nothing runs as root after USER.
    assert any(name == "RUN" and "useradd" in args and user in args for name, args in instructions)
    assert "RUN" not in names[names.index("USER") :]
    (volumes,) = [json.loads(args) for name, args in instructions if name == "VOLUME"]
    assert set(volumes) == {"/data"}
    assert instructions[-1] == ("CMD", '["casebot", "serve"]')
    assert healthcheck_command()[:2] == ["python", "-c"]


@pytest.fixture
async def ops(
    make_settings: Callable[..., Settings], small_corpus_dir: Path
) -> AsyncIterator[tuple[OpsServer, Desk]]:
    """An ops server on a free port, still "starting", and a desk it can be told about."""
    settings = make_settings(corpus_dir=small_corpus_dir, host="127.0.0.1", ops_port=0)
    desk = await Desk.open(settings)
    server = await start_ops_server(settings, Health(), desk.metrics)
    try:
        yield server, desk
    finally:
        await server.close()
        await desk.close()


async def exit_code(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run a health check command the way Docker does; its exit code."""
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(process.wait(), timeout=30)


async def test_health_checks_pass_while_casebot_answers_livez(
    ops: tuple[OpsServer, Desk],
) -> None:
    server, desk = ops
    # The Dockerfile's and compose.yaml's commands as Docker would run them, with this
    # interpreter for `python` and the compose file's fixed port replaced by the server's.
    image_check = [sys.executable, *healthcheck_command()[1:]]
    image_env = {"CASEBOT_OPS_PORT": str(server.port)}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    test = compose["services"]["casebot"]["healthcheck"]["test"]
    assert test[1] == "python"
    compose_port = compose["services"]["casebot"]["environment"]["CASEBOT_OPS_PORT"]
    compose_check = [sys.executable, *test[2:-1],
                     test[-1].replace(f":{compose_port}/", f":{server.port}/")]  # fmt: skip

    async def both() -> tuple[int, int]:
        return await exit_code(image_check, image_env), await exit_code(compose_check)

    # Healthy while starting, while not ready (a platform down) and while stopping: only
    # a casebot that no longer answers is one to restart.
    assert await both() == (0, 0)
    server.health.loaded(desk)
    server.health.serving([_Disconnected()])
    assert (await server.health.check())[0] is False
    assert await both() == (0, 0)
    server.health.stopping()
    assert await both() == (0, 0)
    await server.close()
    first, second = await both()
    assert first != 0 and second != 0


class _Disconnected:
    """A chat adapter whose platform is unreachable."""

    platform = "slack"

    async def is_connected(self) -> bool:
        return False


# --- image inputs: layers, lock file, .dockerignore --------------------------------------


def test_dependencies_install_from_the_lock_in_their_own_layer_before_the_code() -> None:
    instructions = dockerfile_instructions()
    steps = [f"{name} {args}" for name, args in instructions]
    lock_copy = steps.index("COPY deploy/requirements.lock deploy/")
    lock_install = steps.index(
        "RUN pip install --require-hashes --requirement deploy/requirements.lock"
    )
    first_code = min(i for i, step in enumerate(steps) if step.startswith("COPY bot/"))
    code_install = next(i for i, step in enumerate(steps) if "--no-deps" in step)
    assert lock_copy < lock_install < first_code < code_install
    # Nothing but the lock is in the build context when the dependencies install.
    assert not any(step.startswith("COPY") for step in steps[lock_copy + 1 : lock_install])


# The one command that writes deploy/requirements.lock, as its header and deploy/README.md
# give it (pip-tools; run in a Python 3.11 environment with access to the registry).
LOCK_COMMAND = (
    "pip-compile --all-build-deps --allow-unsafe --extra=discord --extra=intake --extra=postgres "
    "--extra=slack --generate-hashes --no-emit-find-links --no-emit-index-url "
    "--output-file=deploy/requirements.lock --strip-extras pyproject.toml"
)


def _locked() -> dict[str, tuple[str, list[str]]]:
    """The lock's pins: name -> (version, hashes)."""
    text = (DEPLOY / "requirements.lock").read_text(encoding="utf-8")
    entries = re.sub(r"\\\n\s*", " ", text)
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in entries.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement, *options = line.split()
            name, _, version = requirement.partition("==")
            assert version, f"not pinned exactly: {line}"
            hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=")]
            pins[canonicalize_name(name)] = (version, hashes)
    return pins


def _needed() -> set[str]:
    """What casebot[slack,discord,intake,postgres] runs on, read from the installed packages'
    metadata (markers as on this Python), and what builds it."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = ("slack", "discord", "intake", "postgres")
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for extra in extras
               for r in project["project"]["optional-dependencies"][extra]]  # fmt: skip
    needed = {canonicalize_name(r.name) for r in map(Requirement, project["build-system"]["requires"])}
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in needed:
            continue
        needed.add(name)
        for text in metadata.requires(requirement.name) or []:
            nested = Requirement(text)
            chosen = [{"extra": extra} for extra in (requirement.extras or {""})]
            if nested.marker is None or any(nested.marker.evaluate(e) for e in chosen):
                wanted.append(nested)
    return needed


def test_the_lock_is_current_and_hashed() -> None:
    # The image runs exactly what the tests ran: the README's test command installs the
    # lock first (tests/test_install.py's install does too), so the versions here are the
    # lock's unless pyproject.toml asks for others, and the lock holds exactly what
    # pyproject.toml's dependencies need, each with its hashes. All checked offline.
    header = (DEPLOY / "requirements.lock").read_text(encoding="utf-8")[:1000]
    assert f"#    {LOCK_COMMAND}\n" in header
    assert LOCK_COMMAND in (DEPLOY / "README.md").read_text(encoding="utf-8")
    locked = _locked()
    needed = _needed()
    assert needed - locked.keys() == set(), "needed but not locked: regenerate the lock"
    assert locked.keys() - needed == set(), "locked but not needed: regenerate the lock"
    for name, (version, hashes) in locked.items():
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name
        installed = metadata.version(name)
        assert installed == version, f"{name}: the tests run {installed}, the lock has {version}"
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for text in [*project["project"]["dependencies"], *project["build-system"]["requires"],
                 *(r for extra in ("slack", "discord", "intake", "postgres")
                   for r in project["project"]["optional-dependencies"][extra])]:  # fmt: skip
        requirement = Requirement(text)
        version = locked[canonicalize_name(requirement.name)][0]
        assert requirement.specifier.contains(version, prereleases=True), text


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `path` out of the build context (last matching rule wins)."""
    ignored = False
    for pattern in patterns:
        keep = pattern.startswith("!")
        rule = pattern.lstrip("!").rstrip("/").removeprefix("**/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        anywhere = pattern.lstrip("!").startswith("**/")
        candidates = parts if anywhere else prefixes
        if any(fnmatch.fnmatchcase(candidate, rule) for candidate in candidates):
            ignored = not keep
    return ignored


def test_dockerignore_sends_only_what_the_image_is_built_from() -> None:
    lines = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for secret in (".env", ".env.local", ".venv/bin/python", ".git/config", "casebot.db",
                   "backup.db", "bot/__pycache__/cli.cpython-311.pyc", "tests/bot/test_cli.py"):
        assert _ignored(secret, patterns), secret
    copied = [args.split()[0] for name, args in dockerfile_instructions() if name == "COPY"]
    for source in (REPO_ROOT / name for name in copied):
        for path in source.glob("**/*") if source.is_dir() else [source]:
            if path.is_file() and "__pycache__" not in path.parts:
                assert not _ignored(str(path.relative_to(REPO_ROOT)), patterns), path
    # One ignore file for both builders: BuildKit would prefer a Dockerfile.dockerignore.
    assert not (DEPLOY / "Dockerfile.dockerignore").exists()


# --- Slack manifests -------------------------------------------------------------------


def test_both_slack_manifests_parse_and_differ_only_in_the_transport() -> None:
    socket, http = (
        yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
        for name in ("slack-manifest.yaml", "slack-manifest-http.yaml")
    )
    assert socket["settings"]["socket_mode_enabled"] is True
    assert http["settings"]["socket_mode_enabled"] is False
    (command,) = http["features"]["slash_commands"]
    url = "https://YOUR-PUBLIC-HOST/slack/events"
    assert command["command"] == "/case" and command["url"] == url
    assert http["settings"]["event_subscriptions"]["request_url"] == url
    assert "url" not in socket["features"]["slash_commands"][0]
    assert "request_url" not in socket["settings"]["event_subscriptions"]

    # Everything else is the same, so the two can't drift apart.
    assert http["settings"]["interactivity"]["request_url"] == url
    assert "request_url" not in socket["settings"]["interactivity"]
    del command["url"], http["settings"]["event_subscriptions"]["request_url"]
    del http["settings"]["interactivity"]["request_url"]
    http["settings"]["socket_mode_enabled"] = True
    assert http == socket
    events = socket["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == {"app_mention", "app_home_opened", "message.im"}
