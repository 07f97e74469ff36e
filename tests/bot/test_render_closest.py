"""The closest passages (tier ii) look unlike an answer on every front end.

The answer comes from the real tiers on the seed corpus ("what happens to my data now": a vague
question the scorer is not sure of), and each front end must show that it is not an
answer: the lead
line, a "Closest" label on every quote, a grey Discord embed titled so, and "closest":
true in --json.
"""

from __future__ import annotations

import pytest

from bot.discord.embeds import render_discord
from bot.render.json import answer_to_json
from bot.render.text import render_text
from retrieval.answering import ask
from retrieval.answering.tiers import CLOSEST
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.support.corpora import SEED_CORPUS_DIR
from tests.support.slack_limits import check_limits, texts


@pytest.fixture(scope="module")
def closest():
    answer = ask(build_index(load_corpus(SEED_CORPUS_DIR)), "what happens to my data now")
    assert answer.kind == "no_answer" and answer.closest and answer.quotes
    return answer


@pytest.fixture(scope="module")
def confident():
    answer = ask(build_index(load_corpus(SEED_CORPUS_DIR)), "Is the case still going on?")
    assert answer.kind == "answer" and not answer.closest
    return answer


def test_the_console_leads_with_not_directly_and_labels_every_quote(closest, confident):
    text = render_text(closest)
    assert text.startswith(CLOSEST)
    assert text.count("Closest: ") == len(closest.quotes)
    assert "Closest" not in render_text(confident)


def test_json_says_closest(closest, confident):
    assert answer_to_json(closest)["closest"] is True
    assert all(q["label"] == "Closest" for q in answer_to_json(closest)["quotes"])
    assert "closest" not in answer_to_json(confident)


def test_slack_shows_the_lead_and_the_labels_within_block_kit_limits(closest):
    message = check_limits(closest)
    assert CLOSEST in " ".join(texts(message["blocks"]))
    labels = [
        run["text"]
        for block in message["blocks"]
        if block["type"] == "rich_text"
        for part in block["elements"]
        if part["type"] == "rich_text_section"
        for run in part["elements"]
    ]
    assert labels.count("Closest") == len(closest.quotes)


def test_discord_greys_the_embed_and_titles_it_closest(closest, confident):
    message = render_discord(closest)
    assert message.content == CLOSEST
    embed = message.embeds[0]
    assert embed.title.startswith("Closest passages")
    assert embed.colour != render_discord(confident).embeds[0].colour
