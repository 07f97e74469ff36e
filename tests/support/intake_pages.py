"""Pages and PDFs the intake tests serve or read: written here, never fetched from anywhere.

The news page is built like a real one (navigation, an ad, a newsletter box, related links,
reader comments, Open Graph and JSON-LD metadata, an in-article update notice), so the tests
show what extraction keeps and what it leaves out.
"""

from __future__ import annotations

from pathlib import Path

ARTICLE_PARAGRAPHS = (
    "LinkedIn has been accused in a proposed class action of disclosing its Premium "
    "customers’ private messages to third parties to train generative artificial "
    "intelligence models.",
    "The lawsuit, filed on Tuesday in federal court in San Jose, California, on behalf of "
    "Alessandro De La Torre, says LinkedIn quietly introduced a privacy setting in August "
    "2024 that let users turn data sharing on or off.",
    "The complaint seeks unspecified damages for breach of contract and violations of "
    "California’s unfair competition law, and $1,000 per person for violations of the "
    "federal Stored Communications Act.",
    "“These are false claims with no merit,” a LinkedIn spokesperson said in an emailed "
    "statement.",
)
UPDATE_PARAGRAPH = (
    "The plaintiff filed a notice of voluntary dismissal on Thursday, ending the case for now."
)
COMMENT = "Reader123: This is outrageous, I'm deleting my LinkedIn account right now."
NEWSLETTER = "Sign up for the daily briefing with the top stories in tech, every morning."
RELATED = "Meta faces EU fine over data transfers"
AD = "ADVERTISEMENT: Buy the best VPN today, 70% off!"


def news_page(
    *,
    title: str = "LinkedIn sued over AI training on private messages",
    outlet: str = "Example Tech News",
    paragraphs: tuple[str, ...] = ARTICLE_PARAGRAPHS,
    canonical: str | None = None,
) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs[:2])
    rest = "\n".join(f"<p>{p}</p>" for p in paragraphs[2:])
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | {outlet}</title>{link}
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="{outlet}">
<meta property="og:type" content="article">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2025-01-22T10:00:00Z">
<meta property="article:modified_time" content="2025-01-30T09:00:00Z">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"{title}","datePublished":"2025-01-22T10:00:00Z",
"dateModified":"2025-01-30T09:00:00Z","author":{{"@type":"Person","name":"Jane Reporter"}},
"publisher":{{"@type":"Organization","name":"{outlet}"}}}}</script>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/tech">Tech</a></li>
<li><a href="/business">Business</a></li><li><a href="/login">Sign in</a></li></ul></nav></header>
<div class="ad">{AD}</div>
<main><article>
<h1>{title}</h1>
<p class="byline">By Jane Reporter · January 22, 2025</p>
{body}
<aside class="newsletter"><h3>Get our newsletter</h3><p>{NEWSLETTER}</p>
<form><input type="email"><button>Subscribe</button></form></aside>
<h2>What the complaint seeks</h2>
{rest}
<p><strong>Updated on January 30, 2025:</strong></p>
<p>{UPDATE_PARAGRAPH}</p>
</article>
<section class="related"><h3>Related stories</h3><ul><li><a href="/a">{RELATED}</a></li>
<li><a href="/b">Google settles location tracking suit</a></li></ul></section>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>{COMMENT}</p></div>
<div class="comment"><p>TechFan: Not surprised at all. Every company does this with our data
these days, and nobody reads the terms.</p></div>
</section></main>
<footer><p>© 2025 {outlet}. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


NO_ARTICLE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Example Tech News - Home</title><meta property="og:site_name" content="Example Tech News">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/tech">Tech</a></li>
<li><a href="/business">Business</a></li><li><a href="/science">Science</a></li></ul></nav>
<div class="ad">ADVERTISEMENT</div>
<ul class="headlines"><li><a href="/1">LinkedIn sued over AI</a></li>
<li><a href="/2">Markets rally on Friday</a></li><li><a href="/3">New phone launched</a></li></ul>
<footer>© 2025 Example Tech News. <a href="/privacy">Privacy</a></footer></body></html>"""

# A page in Windows-1252, declared only by the server's Content-Type header.
CP1252_PARAGRAPHS = (
    "Der Kläger wirft LinkedIn vor, private Nachrichten seiner Premium-Kunden an Dritte "
    "weitergegeben zu haben, um Modelle für generative künstliche Intelligenz zu trainieren.",
    "Die Klage wurde am Dienstag vor einem Bundesgericht in San José eingereicht; LinkedIn "
    "nannte die Vorwürfe „falsch und unbegründet“ und kündigte an, sich zu wehren.",
    "Laut der Klageschrift führte LinkedIn im August 2024 stillschweigend eine Einstellung "
    "ein, mit der Nutzer die Weitergabe ihrer Daten ein- oder ausschalten konnten.",
)


def cp1252_page() -> bytes:
    page = news_page(
        title="Klage gegen LinkedIn wegen KI-Training", outlet="Beispiel Nachrichten",
        paragraphs=CP1252_PARAGRAPHS,
    ).replace('<meta charset="utf-8">', "")  # fmt: skip
    return page.replace("“", '"').replace("”", '"').replace("„", '"').encode("cp1252")


# --- PDFs ------------------------------------------------------------------------------

COMPLAINT_PARAGRAPHS = (
    "Plaintiff Alessandro De La Torre brings this class action on behalf of himself and all "
    "others similarly situated against Defendant LinkedIn Corporation for disclosing the "
    "private messages of its Premium customers to third parties.",
    "LinkedIn introduced a privacy setting in August 2024 that allowed users to enable or "
    "disable the sharing of their personal data, and it quietly updated its privacy policy "
    "to say that data could be used to train artificial intelligence models.",
    "Plaintiff seeks damages of $1,000 per class member under the Stored Communications "
    "Act, together with restitution and injunctive relief.",
    "Defendant LinkedIn Corporation is a Delaware corporation with its principal place of "
    "business in Sunnyvale, California, and it offers Premium subscriptions to its users.",
    "Premium customers paid for their subscriptions relying on the contractual "
    "promise that their private InMail messages would not be disclosed to third parties.",
    "This Court has jurisdiction over this action under 28 U.S.C. section 1331 because it arises "
    "under the laws of the United States, including the Stored Communications Act.",
)
CAPTION = (
    "UNITED STATES DISTRICT COURT",
    "NORTHERN DISTRICT OF CALIFORNIA",
    "SAN JOSE DIVISION",
)
PDF_HEADER = "Case 5:25-cv-00709 Document 1 Filed 01/21/25 Page {page} of {pages}"
PDF_FOOTER = "CLASS ACTION COMPLAINT"


def complaint_pdf(path: Path, *, password: str | None = None, pages: int = 3) -> Path:
    """A court complaint on pleading paper: a running header and footer, numbered lines,
    page numbers, the caption on page 1 and the text flowing over `pages` pages."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(False)
    if password is not None:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.set_font("Helvetica", size=11)
    lines = [*CAPTION, "", "ALESSANDRO DE LA TORRE, Plaintiff, v. LINKEDIN CORPORATION,",
             "Defendant.", "", "CLASS ACTION COMPLAINT", ""]  # fmt: skip
    paragraphs = list(COMPLAINT_PARAGRAPHS)
    for paragraph in paragraphs:
        lines.extend(_wrap(paragraph, 80))
        lines.append("")
    per_page = -(-len(lines) // pages)
    for number in range(pages):
        pdf.add_page()
        pdf.set_xy(20, 8)
        pdf.cell(0, 5, PDF_HEADER.format(page=number + 1, pages=pages))
        chunk = lines[number * per_page : (number + 1) * per_page]
        for row, line in enumerate(chunk):
            y = 20 + row * 7
            pdf.set_xy(8, y)
            pdf.cell(8, 5, str(row + 1))
            pdf.set_xy(20, y)
            pdf.cell(0, 5, line)
        pdf.set_xy(20, 262)
        pdf.cell(0, 5, PDF_FOOTER)
        pdf.set_xy(100, 268)
        pdf.cell(0, 5, str(number + 1))
    pdf.output(str(path))
    return path


NOTICE_HEADER = "Case 5:25-cv-00709-NC Document 12 Filed 01/30/25 Page 1 of 1"
NOTICE_PARAGRAPH = (
    "PLEASE TAKE NOTICE that, pursuant to Federal Rule of Civil Procedure 41(a)(1)(A)(i), "
    "Plaintiff Alessandro De La Torre hereby voluntarily dismisses this action without "
    "prejudice."
)


def notice_pdf(path: Path) -> Path:
    """A one-page notice of voluntary dismissal, as filed: the ECF stamp, the caption (court,
    parties, case number, title), one paragraph, and the signature block."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.set_xy(20, 8)
    pdf.cell(0, 5, NOTICE_HEADER)
    lines = [
        "Jay Edelson (SBN 000000)", "EDELSON PC", "350 North LaSalle Street, 14th Floor",
        "Chicago, Illinois 60654", "Attorneys for Plaintiff", "",
        *CAPTION, "",
        "ALESSANDRO DE LA TORRE, individually and on behalf of all others similarly situated,",
        "Plaintiff,", "v.", "LINKEDIN CORPORATION,", "Defendant.", "",
        "Case No. 5:25-cv-00709-NC", "",
        "NOTICE OF VOLUNTARY DISMISSAL", "",
        *_wrap(NOTICE_PARAGRAPH, 80), "",
        "Dated: January 30, 2025", "Respectfully submitted,", "ALESSANDRO DE LA TORRE,",
        "By: /s/ Jay Edelson", "One of Plaintiff's Attorneys",
    ]  # fmt: skip
    for row, line in enumerate(lines):
        pdf.set_xy(20, 20 + row * 6.5)
        pdf.cell(0, 5, line)
    pdf.output(str(path))
    return path


def scanned_pdf(path: Path) -> Path:
    """A PDF with pages and no text layer, as a scan is."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 170, 240, style="F")
    pdf.output(str(path))
    return path


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


# --- hostile PDFs ------------------------------------------------------------------------

# A page's drawing program: one line of text, many times (megabytes of text from a few KB).
TEXT_PROGRAM = "BT /F1 10 Tf 40 700 Td (The plaintiff says LinkedIn shared private messages.) Tj ET\n" * 2000
# One word, then operators that draw nothing: slow to read, almost no text.
SLOW_PROGRAM = "BT /F1 10 Tf 40 700 Td (LinkedIn) Tj ET\n" + "1 0 0 1 0 0 cm\n" * 20000


def shared_stream_pdf(path: Path, *, pages: int, program: str) -> Path:
    """A PDF whose `pages` pages all draw the same compressed content stream: a few KB on
    disk, each page as costly to read as the whole program."""
    import zlib

    stream = zlib.compress(program.encode("latin-1"), 9)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 3 0 R >> >> >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream",
        *[b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"] * pages,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path
