"""Loading and validating the corpus: the bundled articles, passages, dates and every error."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from retrieval.corpus import CorpusError, Problem, load_corpus, validate_corpus
from retrieval.model import Corpus

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SEEDS = Path("/work/shared/seeds")
SEED_OF = {
    "unknown-outlet-000-linkedin-lawsuit": "000_847e1da5c0830d5b.txt",
    "enterprise-nova-linkedin-sued": "001_3d48a70cc0aedbf6.txt",
    "unknown-outlet-002-linkedin-class-action": "002_44600639b3a9b1ec.txt",
    "techspot-linkedin-accused": "003_e278e012ef87e9db.txt",
    "the-register-2025-01-22-linkedin-ai-private-messages": "004_ab1f1320ee77338e.txt",
}
REGISTER = "the-register-2025-01-22-linkedin-ai-private-messages"
GOOD_FRONT = 'title = "A title"\noutlet = "An Outlet"\nurl = "https://example.com/a"\n'



def _source(corpus, source_id):
    return next(a.source for a in corpus.articles if a.source.id == source_id)

def article(front: str = GOOD_FRONT, body: str = "Some reporting. More reporting.\n") -> str:
    return f"+++\n{front}+++\n{body}"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_for(directory: Path) -> list[str]:
    corpus, problems = validate_corpus(directory)
    assert corpus is None
    return [str(problem) for problem in problems]


def only_problem(directory: Path) -> str:
    problems = problems_for(directory)
    assert len(problems) == 1, problems
    return problems[0]


def fold(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def bundled() -> Corpus:
    return load_corpus(CORPUS)


# --- the bundled corpus ------------------------------------------------------------------


def test_bundled_corpus_has_the_five_articles(bundled: Corpus) -> None:
    assert sorted(a.source.id for a in bundled.articles) == sorted(SEED_OF)


def test_register_passages_before_the_notice_carry_the_published_date(bundled: Corpus) -> None:
    passages = [p for p in bundled.passages if p.source_id == REGISTER]
    withdrawn = next(i for i, p in enumerate(passages) if "withdrawn" in p.text)
    assert withdrawn > 0
    assert {p.date for p in passages[:withdrawn]} == {date(2025, 1, 22)}


def test_register_passages_after_the_notice_carry_the_update_date(bundled: Corpus) -> None:
    passages = [p for p in bundled.passages if p.source_id == REGISTER]
    withdrawn = next(i for i, p in enumerate(passages) if "withdrawn" in p.text)
    assert len(passages[withdrawn:]) == 3
    assert {p.date for p in passages[withdrawn:]} == {date(2025, 1, 30)}


def test_register_notice_line_is_not_a_passage(bundled: Corpus) -> None:
    assert not any("Updated to add on" in p.text for p in bundled.passages)


def test_register_front_matter(bundled: Corpus) -> None:
    source = _source(bundled, REGISTER)
    assert (source.outlet, source.published, source.updated) == (
        "The Register",
        date(2025, 1, 22),
        date(2025, 1, 30),
    )


def test_unattributed_articles_are_undated_and_without_outlet(bundled: Corpus) -> None:
    unattributed = [key for key in SEED_OF if key.startswith("unknown-outlet-")]
    assert len(unattributed) == 2
    for source_id in unattributed:
        source = _source(bundled, source_id)
        assert (source.outlet, source.url, source.published) == (None, None, None)
        assert source.title is not None and source.title.startswith("Unattributed article")
        assert {p.date for p in bundled.passages if p.source_id == source_id} == {None}


def test_techspot_author_is_in_front_matter_not_body(bundled: Corpus) -> None:
    assert _source(bundled, "techspot-linkedin-accused").author == "Alfonso Maruccia"
    assert not any(p.text == "Alfonso Maruccia" for p in bundled.passages)


@pytest.mark.parametrize(
    "chrome",
    [
        "LEAVE A REPLY",
        "Permalink",
        "Read more:",
        "Posts: 1,709",
        "Microsoft throws more cash",
        "My attorney reached out",
        "Date:",
        "®",
        "Copyright",
    ],
)
def test_no_passage_contains_site_chrome(bundled: Corpus, chrome: str) -> None:
    assert not any(chrome in p.text for p in bundled.passages)


def test_headings_label_passages_but_are_not_passages(bundled: Corpus) -> None:
    passages = [p for p in bundled.passages if p.source_id == "enterprise-nova-linkedin-sued"]
    assert not any(p.text == "The Core of the Lawsuit" for p in passages)
    assert passages[1].heading == "The Core of the Lawsuit"
    assert passages[0].heading is None


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed files not available")
def test_every_passage_is_verbatim_from_its_seed(bundled: Corpus) -> None:
    for passage in bundled.passages:
        seed = fold((SEEDS / SEED_OF[passage.source_id]).read_text(encoding="utf-8"))
        assert passage.text in seed, passage.text


def test_passage_ids_are_global_and_positions_per_article(bundled: Corpus) -> None:
    assert [p.id for p in bundled.passages] == list(range(len(bundled.passages)))
    for a in bundled.articles:
        assert [p.position for p in a.passages] == list(range(len(a.passages)))


def test_passage_sentences_cover_the_text(bundled: Corpus) -> None:
    for p in bundled.passages:
        assert fold(" ".join(p.sentence_texts())) == p.text


def test_articles_are_in_file_name_order(bundled: Corpus) -> None:
    ids = [a.source.id for a in bundled.articles]
    assert ids == sorted(ids)


def test_fingerprint_is_sha256_of_the_file(bundled: Corpus) -> None:
    data = (CORPUS / f"{REGISTER}.md").read_bytes()
    article = next(a for a in bundled.articles if a.source.id == REGISTER)
    assert article.fingerprint == hashlib.sha256(data).hexdigest()


def test_loaded_at_is_timezone_aware_and_directory_resolved(bundled: Corpus) -> None:
    assert bundled.loaded_at.utcoffset() is not None
    assert bundled.directory == str(CORPUS.resolve())


# --- passages from a body ----------------------------------------------------------------


def test_readme_and_hidden_files_are_not_articles(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article())
    write(tmp_path, "README.md", "not an article")
    write(tmp_path, ".draft.md", "not an article either")
    corpus = load_corpus(tmp_path)
    assert [a.source.id for a in corpus.articles] == ["a"]


def test_whitespace_inside_a_block_is_folded(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(body="One line\nwrapped   here.\n\nNext\tblock.\n"))
    texts = [p.text for p in load_corpus(tmp_path).passages]
    assert texts == ["One line wrapped here.", "Next block."]


def test_long_block_is_cut_at_sentence_ends(tmp_path: Path) -> None:
    sentence = "LinkedIn was accused of sharing private messages with third parties. "
    block = (sentence * 20).strip()
    write(tmp_path, "a.md", article(body=block + "\n"))
    passages = load_corpus(tmp_path).passages
    assert len(passages) > 1
    assert all(300 <= len(p.text) <= 700 for p in passages)
    assert all(p.text.endswith("parties.") for p in passages)
    assert " ".join(p.text for p in passages) == block


def test_sentence_longer_than_the_limit_is_never_cut(tmp_path: Path) -> None:
    long_sentence = "LinkedIn " + "really " * 150 + "denied it."
    write(tmp_path, "a.md", article(body=f"Short one. {long_sentence} Short two.\n"))
    texts = [p.text for p in load_corpus(tmp_path).passages]
    assert texts == ["Short one.", long_sentence, "Short two."]


def test_text_after_a_notice_colon_is_the_first_update_passage(tmp_path: Path) -> None:
    front = GOOD_FRONT + "published = 2025-01-22\n"
    body = "Filed.\n\nUPDATE 1/30/25: LinkedIn said it was withdrawn.\n\nMore.\n"
    write(tmp_path, "a.md", article(front, body))
    passages = load_corpus(tmp_path).passages
    assert [(p.text, p.date) for p in passages] == [
        ("Filed.", date(2025, 1, 22)),
        ("LinkedIn said it was withdrawn.", date(2025, 1, 30)),
        ("More.", date(2025, 1, 30)),
    ]


def test_notice_inside_a_block_splits_it(tmp_path: Path) -> None:
    front = GOOD_FRONT + "published = 2025-01-22\n"
    write(tmp_path, "a.md", article(front, "Filed.\nUpdated on January 30, 2025\nWithdrawn.\n"))
    passages = load_corpus(tmp_path).passages
    assert [(p.text, p.date) for p in passages] == [
        ("Filed.", date(2025, 1, 22)),
        ("Withdrawn.", date(2025, 1, 30)),
    ]


def test_yearless_notice_after_a_december_article_is_next_january(tmp_path: Path) -> None:
    front = GOOD_FRONT + "published = 2024-12-20\n"
    write(tmp_path, "a.md", article(front, "Filed.\n\nUpdate, Jan. 5:\n\nWithdrawn.\n"))
    assert load_corpus(tmp_path).passages[-1].date == date(2025, 1, 5)


def test_yearless_notice_in_undated_article_uses_updated_year(tmp_path: Path) -> None:
    front = GOOD_FRONT + "updated = 2025-02-01\n"
    write(tmp_path, "a.md", article(front, "Filed.\n\nUpdated to add on January 30\n\nGone.\n"))
    passages = load_corpus(tmp_path).passages
    assert [p.date for p in passages] == [None, date(2025, 1, 30)]


def test_notice_date_wins_over_front_matter_updated(tmp_path: Path) -> None:
    front = GOOD_FRONT + "published = 2025-01-22\nupdated = 2025-02-10\n"
    write(tmp_path, "a.md", article(front, "Filed.\n\nUpdated to add on January 30\n\nGone.\n"))
    assert load_corpus(tmp_path).passages[-1].date == date(2025, 1, 30)


def test_yearless_notice_in_article_without_dates_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(body="Filed.\n\nUpdated to add on January 30\n\nGone.\n"))
    assert only_problem(tmp_path) == (
        "a.md: update notice 'Updated to add on January 30' has no year and the article "
        "has no published date"
    )


def test_notice_dated_before_published_is_a_problem(tmp_path: Path) -> None:
    front = GOOD_FRONT + "published = 2025-01-22\n"
    write(tmp_path, "a.md", article(front, "Filed.\n\nUpdated on January 3, 2025\n\nGone.\n"))
    assert "before the published date 2025-01-22" in only_problem(tmp_path)


# --- problems ----------------------------------------------------------------------------


def test_missing_directory_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert only_problem(missing) == f"{missing}: the corpus directory does not exist"


def test_directory_that_is_a_file_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", article())
    assert only_problem(path) == f"{path}: is not a directory"


def test_directory_without_articles_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "# Corpus\n")
    assert "has no article files" in only_problem(tmp_path)


def test_non_utf8_file_is_a_problem_with_byte_offset(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_bytes(article().encode() + b"caf\xe9\n")
    offset = len(article().encode()) + 3
    message = only_problem(tmp_path)
    assert message.startswith("bad.md: is not UTF-8 text")
    assert f"byte offset {offset}" in message


def test_nul_bytes_are_a_problem(tmp_path: Path) -> None:
    (tmp_path / "bin.md").write_bytes(b"+++\n\x00\x01\x02")
    assert only_problem(tmp_path) == (
        "bin.md: contains a NUL byte at byte offset 4: it is binary, not UTF-8 text"
    )


def test_empty_file_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "empty.md", "")
    assert only_problem(tmp_path) == "empty.md: is empty"


def test_missing_front_matter_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "title = 'x'\nBody.\n")
    assert only_problem(tmp_path) == (
        "a.md: has no front matter: the file must start with a line '+++'"
    )


def test_unclosed_front_matter_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '+++\ntitle = "x"\nBody.\n')
    assert only_problem(tmp_path) == (
        "a.md: front matter is not closed: there is no second '+++' line"
    )


def test_toml_syntax_error_quotes_the_parser_with_file_line(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article('title = "x"\noutlet = = "y"\n'))
    message = only_problem(tmp_path)
    assert message.startswith("a.md: front matter is not valid TOML: ")
    assert "line 3" in message  # the second front-matter line is line 3 of the file


def test_unknown_field_is_named_with_suggestion_and_allowed_list(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(GOOD_FRONT + "publshed = 2025-01-22\n"))
    assert only_problem(tmp_path) == (
        "a.md: unknown field 'publshed' (did you mean 'published'?); the allowed fields are "
        "title, outlet, url, published, updated, author, kind"
    )


def test_non_string_title_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article('title = 42\noutlet = "O"\n'))
    assert only_problem(tmp_path) == "a.md: field 'title' must be text in quotes, not a number (42)"


def test_empty_author_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(GOOD_FRONT + 'author = "  "\n'))
    assert only_problem(tmp_path) == "a.md: field 'author' is empty"


def test_quoted_date_is_a_problem_saying_drop_the_quotes(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(GOOD_FRONT + 'published = "2025-01-22"\n'))
    assert only_problem(tmp_path) == (
        'a.md: field \'published\' is the string "2025-01-22"; write the date without quotes: '
        "published = 2025-01-22"
    )


def test_impossible_quoted_date_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(GOOD_FRONT + 'published = "2025-02-30"\n'))
    assert "is the string \"2025-02-30\", which is not a valid date" in only_problem(tmp_path)


def test_datetime_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(GOOD_FRONT + "updated = 2025-01-30T10:00:00Z\n"))
    assert "a.md: field 'updated' is a date and time" in only_problem(tmp_path)


def test_neither_title_nor_outlet_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article('url = "https://example.com"\n'))
    assert only_problem(tmp_path) == (
        "a.md: the front matter needs a title or an outlet; it has neither"
    )


def test_url_without_http_scheme_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article('title = "T"\nurl = "www.example.com"\n'))
    assert only_problem(tmp_path) == (
        'a.md: field \'url\' must start with http:// or https:// (it is "www.example.com")'
    )


def test_updated_before_published_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(GOOD_FRONT + "published = 2025-01-22\nupdated = 2025-01-20\n"))
    assert only_problem(tmp_path) == (
        "a.md: updated (2025-01-20) is earlier than published (2025-01-22)"
    )


def test_empty_body_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(body="\n  \n"))
    assert only_problem(tmp_path) == "a.md: has no article text after the front matter"


def test_body_of_only_headings_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article(body="## Heading\n\n# Another\n"))
    assert "a.md: has no article text after the front matter, only headings" in only_problem(
        tmp_path
    )


def test_file_over_two_megabytes_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "big.md", article(body="word " * 500_000))
    assert "big.md: is 2.4 MB" in only_problem(tmp_path)
    assert "at most 2 MB" in only_problem(tmp_path)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_outside_the_directory_is_a_problem(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = write(tmp_path, "outside.md", article())
    (corpus / "link.md").symlink_to(outside)
    message = only_problem(corpus)
    # Reload reports are shown in chat: no absolute path, neither the link's target nor
    # the corpus directory.
    assert message == "link.md: is a symbolic link to a file outside the corpus directory"
    assert str(tmp_path) not in message


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_inside_the_directory_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article())
    (tmp_path / "b.md").symlink_to(tmp_path / "a.md")
    assert len(load_corpus(tmp_path).articles) == 2


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "a-good.md", article())
    write(tmp_path, "b-empty.md", "")
    write(tmp_path, "c-fields.md", article('titel = "x"\nurl = "ftp://x"\n'))
    write(tmp_path, "d-nofront.md", "Just text.\n")
    problems = problems_for(tmp_path)
    assert [p.split(":")[0] for p in problems] == [
        "b-empty.md",
        "c-fields.md",
        "c-fields.md",
        "c-fields.md",
        "d-nofront.md",
    ]


def test_load_corpus_raises_with_every_problem_one_per_line(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "")
    write(tmp_path, "b.md", "no front matter\n")
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    assert caught.value.problems == (
        Problem("a.md", "is empty"),
        Problem("b.md", "has no front matter: the file must start with a line '+++'"),
    )
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]


def test_problem_str_is_file_colon_message() -> None:
    assert str(Problem("a.md", "is empty")) == "a.md: is empty"
