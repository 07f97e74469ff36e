"""`/case add` in Slack, through the real slack-bolt against the fake Slack: the preview
with Add and Cancel buttons, pressing them, and a question answered from the new article."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.intake.chat import PREVIEW_SECONDS
from bot.slack.add_buttons import ADD, CANCEL
from tests.support.fake_slack import APP_ID, TEAM_ID, block_kit_problems
from tests.support.intake_pages import UPDATE_PARAGRAPH, news_page
from tests.support.intake_server import Route, Site, serve
from tests.support.slack_harness import ADMIN, CHANNEL, MEMBER, Harness, all_text

NEW_FILE = "example-tech-news-linkedin-sued-over-ai-training-on-private-messages.md"
_presses = itertools.count(1)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve({"/story": Route(body=news_page().encode())}) as running:
        yield running


@pytest.fixture
async def slack(start) -> Harness:
    return await start(fetch_private=True)


async def _preview(slack: Harness, url: str, user: str = ADMIN) -> tuple[dict[str, Any], str]:
    status, _, key = await slack.slash(f"add {url}", user=user)
    assert status == 200
    payload = (await slack.fake.wait_for_call("response_url", key)).payload
    assert block_kit_problems(payload["blocks"]) == []
    return payload, key


def _buttons(payload: dict[str, Any]) -> dict[str, str]:
    (actions,) = [b for b in payload["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e["value"] for e in actions["elements"]}


async def _press(slack: Harness, action_id: str, token: str, user: str = ADMIN) -> dict[str, Any]:
    key = f"button-{next(_presses)}"
    body = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "api_app_id": APP_ID,
        "user": {"id": user},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "is_ephemeral": True},
        "trigger_id": f"trigger.{key}",
        "response_url": slack.fake.response_url(key),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "casebot_add",
                     "value": token, "action_ts": "1700000000.000100"}],
    }  # fmt: skip
    status, seconds = await slack.send(
        urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
    )
    assert status == 200 and seconds < 3.0
    return (await slack.fake.wait_for_call("response_url", key)).payload


async def test_add_preview_add_button_writes_reloads_and_the_article_answers(
    slack: Harness, site: Site
) -> None:
    payload, _ = await _preview(slack, site.url("/story"))
    assert payload["response_type"] == "ephemeral"
    assert "Title: LinkedIn sued over AI training on private messages" in all_text(payload)
    buttons = _buttons(payload)
    assert set(buttons) == {ADD, CANCEL}

    report = await _press(slack, ADD, buttons[ADD])
    assert report["replace_original"] is True and report["response_type"] == "ephemeral"
    assert f"Added {NEW_FILE}" in all_text(report) and "Reloaded the corpus" in all_text(report)
    assert (slack.corpus_dir / NEW_FILE).is_file()

    answer = await slack.answer("Did the plaintiff file a notice of voluntary dismissal?")
    assert UPDATE_PARAGRAPH[:60] in all_text(answer)


async def test_a_member_gets_no_preview_and_is_audited(slack: Harness, site: Site) -> None:
    payload, _ = await _preview(slack, site.url("/story"), user=MEMBER)
    assert "only casebot admins" in all_text(payload)
    assert not [b for b in payload["blocks"] if b["type"] == "actions"]
    assert site.hits == []
    audit = await slack.desk.store.recent_audit()
    assert (audit[0].command, audit[0].allowed, audit[0].user_id) == ("add", False, MEMBER)


async def test_cancel_and_someone_elses_press_write_nothing(slack: Harness, site: Site) -> None:
    payload, _ = await _preview(slack, site.url("/story"))
    token = _buttons(payload)[ADD]
    other = await _press(slack, ADD, token, user=MEMBER)
    assert "only the admin who asked" in all_text(other)
    cancelled = await _press(slack, CANCEL, token)
    assert "nothing was written" in all_text(cancelled)
    assert not (slack.corpus_dir / NEW_FILE).exists()


async def test_an_expired_preview_writes_nothing(slack: Harness, site: Site) -> None:
    now = [0.0]
    slack.desk.intake.clock = lambda: now[0]
    payload, _ = await _preview(slack, site.url("/story"))
    now[0] += PREVIEW_SECONDS + 1
    answer = await _press(slack, ADD, _buttons(payload)[ADD])
    assert "expired" in all_text(answer)
    assert not (slack.corpus_dir / NEW_FILE).exists()


def test_both_manifests_switch_interactivity_on() -> None:
    import yaml

    deploy = Path(__file__).resolve().parents[3] / "deploy"
    for name in ("slack-manifest.yaml", "slack-manifest-http.yaml"):
        manifest = yaml.safe_load((deploy / name).read_text(encoding="utf-8"))
        assert manifest["settings"]["interactivity"]["is_enabled"] is True
