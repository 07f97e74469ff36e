"""The deployment files in deploy/: the compose file, the systemd unit, the Dockerfile.

What this machine can check: the compose file parses and says what it should, the unit
passes `systemd-analyze verify` (where systemd-analyze exists), and the Dockerfile's
health check command, run for real, passes only against a ready /healthz. Building the
image needs a Docker engine and is not tested here.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.desk import Desk
from bot.ops_server import Health, OpsServer, start_ops_server
from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
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
    assert service["env_file"] == "../.env"
    environment = service["environment"]
    assert environment["CASEBOT_DB_PATH"] == "/data/casebot.db"
    assert environment["CASEBOT_CORPUS_DIR"] == "/corpus"
    ports = {str(port) for port in service["ports"]}
    assert f"{environment['CASEBOT_PORT']}:{environment['CASEBOT_PORT']}" in ports
    assert f"127.0.0.1:{environment['CASEBOT_OPS_PORT']}:{environment['CASEBOT_OPS_PORT']}" in ports
    volumes = service["volumes"]
    assert "casebot-data:/data" in volumes and "../corpus:/corpus:ro" in volumes
    assert "casebot-data" in compose["volumes"]
    assert service["restart"] == "unless-stopped"
    check = service["healthcheck"]
    assert check["test"][0] == "CMD"
    assert f":{environment['CASEBOT_OPS_PORT']}/healthz" in check["test"][-1]
    assert {"interval", "timeout", "retries", "start_period"} <= check.keys()


# --- systemd -----------------------------------------------------------------------------


def test_unit_runs_casebot_serve_as_its_own_user_in_a_sandbox() -> None:
    unit = unit_settings()

    def one(name: str) -> str:
        (value,) = unit[name]
        return value

    assert one("Type") == "simple"
    assert one("ExecStart") == f"{UNIT_EXEC} serve"
    assert one("User") == one("Group") == "casebot"
    assert one("EnvironmentFile").startswith("/etc/casebot/")
    assert one("WorkingDirectory") == "/var/lib/casebot"
    assert one("Restart") == "on-failure"
    assert one("KillSignal") == "SIGTERM" and one("TimeoutStopSec")
    for name in (
        "NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices",
        "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
    ):  # fmt: skip
        assert one(name) == "yes", name
    assert one("ProtectSystem") == "strict"
    assert one("CapabilityBoundingSet") == ""
    assert one("RestrictAddressFamilies") == "AF_INET AF_INET6 AF_UNIX"
    assert "/var/lib/casebot" in one("ReadWritePaths").split()
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
    assert instructions[0] == ("FROM", "python:3.11-slim")
    (user,) = [args for name, args in instructions if name == "USER"]
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    # The user is made in the image, and nothing runs as root after USER.
    assert any(name == "RUN" and "useradd" in args and user in args for name, args in instructions)
    assert "RUN" not in names[names.index("USER") :]
    assert "'.[slack,discord]'" in " ".join(args for name, args in instructions if name == "RUN")
    (volumes,) = [json.loads(args) for name, args in instructions if name == "VOLUME"]
    assert set(volumes) == {"/data", "/corpus"}
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


async def test_health_checks_pass_only_while_healthz_says_ready(
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
    compose_check = [sys.executable, *test[2:-1], test[-1].replace(":9100/", f":{server.port}/")]

    assert await exit_code(image_check, image_env) != 0  # starting
    assert await exit_code(compose_check) != 0
    server.health.loaded(desk)
    server.health.serving([])
    assert await exit_code(image_check, image_env) == 0  # ready
    assert await exit_code(compose_check) == 0
    server.health.stopping()
    assert await exit_code(image_check, image_env) != 0
