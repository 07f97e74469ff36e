"""The development questions in ../shared/eval/dev_questions.toml, run against the seed corpus.

An answerable item passes when the answer (lead text and quotes) contains any expected
string, case-insensitive with whitespace folded; at least 90% must pass. Every `abstain`
item must get the "sources don't cover that" answer.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from retrieval.compose import ask
from retrieval.corpus import load_corpus
from retrieval.index import build_index
from tests.conftest import REPO_ROOT, SEED_CORPUS_DIR

QUESTIONS_FILE = REPO_ROOT.parent / "shared" / "eval" / "dev_questions.toml"
pytestmark = pytest.mark.skipif(not QUESTIONS_FILE.exists(), reason=f"{QUESTIONS_FILE} not present")


def _items() -> list[dict]:
    if not QUESTIONS_FILE.exists():
        return []
    return tomllib.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))["q"]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@pytest.fixture(scope="module")
def index():
    return build_index(load_corpus(SEED_CORPUS_DIR))


def _passes(index, item: dict) -> bool:
    answer = ask(index, item["ask"])
    if item.get("abstain"):
        return answer.kind == "no_answer" and not answer.quotes
    said = _fold(" ".join([answer.text, *(q.text for q in answer.quotes)]))
    return answer.kind == "answer" and any(_fold(e) in said for e in item["expect"])


def test_at_least_90_percent_of_answerable_questions_pass(index):
    answerable = [item for item in _items() if not item.get("abstain")]
    failed = [item["ask"] for item in answerable if not _passes(index, item)]
    assert answerable
    assert len(failed) <= 0.1 * len(answerable), f"failed: {failed}"


@pytest.mark.parametrize("item", [i for i in _items() if i.get("abstain")], ids=lambda i: i["ask"])
def test_unanswerable_question_abstains(index, item):
    assert _passes(index, item)
