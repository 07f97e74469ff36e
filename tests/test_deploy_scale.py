"""deploy/compose.scale.yaml and its nginx: several replicas on one PostgreSQL (no Docker
engine here: the files are read and checked for what deploy/README.md says of them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.scale.yaml").read_text(encoding="utf-8"))


def test_postgres_is_pinned_private_and_needs_a_password() -> None:
    postgres = _compose()["services"]["postgres"]
    assert re.fullmatch(r"postgres:15\.\d+-\w+", postgres["image"])
    assert "ports" not in postgres  # only the compose network reaches it
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_the_replicas_share_one_database_and_one_corpus_and_publish_nothing() -> None:
    compose = _compose()
    casebot = compose["services"]["casebot"]
    assert casebot["deploy"]["replicas"] >= 2
    environment = casebot["environment"]
    assert environment["CASEBOT_DATABASE_URL"].startswith("postgresql://casebot:${POSTGRES_PASSWORD:?")
    assert environment["CASEBOT_DATABASE_URL"].endswith("@postgres:5432/casebot")
    assert environment["CASEBOT_CORPUS_DIR"] == "/corpus"
    assert "casebot-corpus:/corpus" in casebot["volumes"]
    assert "ports" not in casebot  # behind the proxy; a fixed host port can't be scaled
    assert casebot["depends_on"]["postgres"]["condition"] == "service_healthy"
    # The same hardening as the one-replica compose file.
    assert casebot["read_only"] is True and casebot["cap_drop"] == ["ALL"]
    assert {"casebot-postgres", "casebot-corpus"} <= compose["volumes"].keys()


def test_the_proxy_spreads_slack_over_the_replicas_on_this_host_only() -> None:
    proxy = _compose()["services"]["proxy"]
    assert proxy["ports"] == ["127.0.0.1:3000:3000"]
    mount = proxy["volumes"][0]
    assert mount.startswith("./nginx-scale.conf:") and mount.endswith(":ro")
    conf = (DEPLOY / "nginx-scale.conf").read_text(encoding="utf-8")
    assert re.search(r"resolver 127\.0\.0\.11 valid=10s", conf)
    assert re.search(r"server casebot:3000 resolve", conf)
    assert "location = /slack/events" in conf
    # Retried on another replica when one is gone: safe, redeliveries are dropped.
    assert re.search(r"proxy_next_upstream [^;]*non_idempotent;", conf)
    # nginx 1.27.3 or later understands `resolve` in an upstream.
    version = re.fullmatch(r"nginx:(\d+)\.(\d+)\.(\d+)-alpine", proxy["image"])
    assert version is not None and tuple(map(int, version.groups())) >= (1, 27, 3)
