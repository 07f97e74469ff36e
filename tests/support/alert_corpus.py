"""Articles for the follow-the-case tests: a filing, then a later withdrawal, then a re-report.

Shared by the desk, Slack and Discord tests, so each platform is shown the same news.
"""

from __future__ import annotations

from tests.support.corpora import article

# The corpus casebot starts with: the suit was filed on January 22.
FILED = {
    "alpha.md": article(
        title="LinkedIn sued over private messages",
        outlet="Alpha News",
        url="https://alpha.example/linkedin",
        published="2025-01-22",
        paragraphs=[
            "A LinkedIn Premium customer filed a proposed class action lawsuit against "
            "LinkedIn in federal court in San Jose, California.",
            "The lawsuit says LinkedIn shared private messages of Premium customers.",
        ],
    ),
}
# It would ping everyone if an alert let it.
WITHDRAWAL_SENTENCE = (
    "News for @everyone and <!channel>: the plaintiff filed a notice of voluntary dismissal "
    "on January 30, 2025, and the lawsuit has been withdrawn."
)
# News: a development on January 30, later than anything the first corpus has.
WITHDRAWN = {
    "beta.md": article(
        title="LinkedIn lawsuit dropped",
        outlet="Beta Daily",
        url="https://beta.example/dropped",
        published="2025-01-31",
        paragraphs=[WITHDRAWAL_SENTENCE, "LinkedIn welcomed the news."],
    ),
}
# Not news: published a week later, about the same January 30 withdrawal.
RE_REPORT = {
    "gamma.md": article(
        title="A week after the LinkedIn suit was dropped",
        outlet="Gamma Tech",
        published="2025-02-06",
        paragraphs=[
            "The lawsuit was withdrawn after the plaintiff filed a notice of voluntary "
            "dismissal on January 30, 2025.",
        ],
    ),
}
# News again, later still: a new suit's filing reported on March 3.
REFILED = {
    "delta.md": article(
        title="LinkedIn sued again",
        outlet="Delta Wire",
        published="2025-03-03",
        paragraphs=["The plaintiff refiled the lawsuit against LinkedIn in state court today."],
    ),
}
