"""The corpora tests share: the repository's paths, one article's file text, a small corpus."""

from __future__ import annotations

from pathlib import Path


REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_CORPUS_DIR = REPO_ROOT / "corpus"


def article(
    *,
    title: str | None = None,
    outlet: str | None = None,
    url: str | None = None,
    published: str | None = None,
    paragraphs: list[str],
) -> str:
    """An article file's text in the corpus format (TOML front matter between `+++` lines)."""
    named = (("title", title), ("outlet", outlet), ("url", url))
    fields = [f'{key} = "{value}"' for key, value in named if value]
    if published:
        fields.append(f"published = {published}")  # a TOML date: unquoted
    return "+++\n" + "\n".join(fields) + "\n+++\n" + "\n\n".join(paragraphs) + "\n"


# Three small articles that answer "who is suing LinkedIn?" in plain words.
SMALL_CORPUS: dict[str, str] = {
    "alpha.md": article(
        title="LinkedIn sued over private messages",
        outlet="Alpha News",
        url="https://alpha.example/linkedin",
        published="2025-01-22",
        paragraphs=[
            "A LinkedIn Premium customer is suing LinkedIn in a proposed class action filed in "
            "federal court in San Jose, California.",
            "The lawsuit says LinkedIn shared private messages of Premium customers with third "
            "parties to train generative AI models.",
        ],
    ),
    "beta.md": article(
        title="Premium users take LinkedIn to court",
        outlet="Beta Daily",
        published="2025-01-23",
        paragraphs=[
            "Alessandro De La Torre, a Premium subscriber, is suing LinkedIn on behalf of "
            "millions of Premium customers.",
            "The plaintiffs seek $1,000 per user under the Stored Communications Act.",
        ],
    ),
    "gamma.md": article(
        outlet="Gamma Tech",
        paragraphs=[
            "LinkedIn said the claims are false and have no merit.",
        ],
    ),
}
