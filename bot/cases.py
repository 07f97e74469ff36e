"""The cases a corpus directory holds: one (the layout casebot always had) or one folder each.

    corpus/                          corpus/
      article.md                       linkedin/
      other-article.md                   case.toml        (optional)
      case.toml        (optional)        article.md
                                       couriers-v-parcelo/
                                         article.md

A directory with article files of its own is one case, whatever else it holds (so a
corpus that worked before works the same); its id is the directory's name. A directory
with none, but with folders, holds one case per folder (hidden folders, such as the
intake's `.removed/`, are not cases); the folder's name is the case's id, which people
type (`/case use linkedin`), so it must be short and plain.

A case's optional `case.toml` names it:

    name = "De La Torre v. LinkedIn"      # shown with its answers; default: the id
    description = "Premium InMail messages used to train AI (N.D. Cal., 2025)"
    aliases = ["linkedin", "the inmail case"]   # what people may call it in a question
    parties = ["Alessandro De La Torre"]        # more names; "X v. Y" names X and Y already

Everything here is read without loading a single article, so a one-shot `casebot ask`
can pick its case before it loads only that one, and a reload can tell which cases
changed (`content_hash`) before it rebuilds only those.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from retrieval.corpus import MAX_FILE_BYTES, is_article_file

CASE_FILE = "case.toml"
# What a case id may be: it is typed in chat and goes into button values (Discord allows
# 100 characters for one), so it is short and plain.
MAX_ID_CHARS = 40
_CASE_ID = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_ID_CHARS - 1}}}")
# Words a command reads as "every case" or "no case", so no case may be called that.
RESERVED_IDS = frozenset({"all", "none"})
_FIELDS = {"name": str, "description": str, "aliases": list, "parties": list}
# "De La Torre v. LinkedIn", "Kessling vs Ardent": the parties on either side.
_VERSUS = re.compile(r"\s+v(?:s)?\.?\s+", re.IGNORECASE)
_MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """One case: its id, where its articles are, and what it is called.

    Args:
        id: the folder's name (or, for a corpus of one case, the directory's), lower case.
        directory: the folder holding its article files.
        name: how answers name it; the id when case.toml gives none.
        description: one line about it, for `/case cases` and the Home tab.
        aliases: what people may call it in a question ("linkedin", "the inmail case").
        parties: the names of its parties: those of its name ("X v. Y") and case.toml's.
    """

    id: str
    directory: Path
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a question or a command may call the case by, each once."""
        return tuple(dict.fromkeys((self.id, self.name, *self.aliases, *self.parties)))


@dataclass(frozen=True, slots=True)
class CaseProblem:
    """Something wrong with a case's folder or its case.toml: that case is not served.

    Args:
        case: the case (its folder's name).
        file: where, as the operator finds it: "linkedin/case.toml", or the folder.
        message: what is wrong, in plain words.
    """

    case: str
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True, slots=True)
class Layout:
    """What a corpus directory holds.

    Args:
        directory: the corpus directory.
        several: whether it holds one folder per case (else it is one case).
        cases: the cases whose folder and case.toml are sound, by id.
        problems: what keeps other cases from being served.
        notes: what is worth knowing but stops nothing (a name two cases share).
    """

    directory: Path
    several: bool
    cases: tuple[CaseInfo, ...]
    problems: tuple[CaseProblem, ...] = ()
    notes: tuple[str, ...] = ()

    def case(self, case_id: str) -> CaseInfo | None:
        return next((case for case in self.cases if case.id == case_id), None)


def read_layout(directory: str | os.PathLike[str]) -> Layout:
    """The cases in `directory`, read from its folders and case.toml files (no articles)."""
    root = Path(directory)
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        # Missing or not a directory: one case, which the loader reports on in its words.
        case_id = single_id(root)
        return Layout(root, several=False, cases=(CaseInfo(case_id, root, case_id),))
    if any(is_article_file(e.name) for e in entries) or not any(_is_folder(e) for e in entries):
        problems: list[CaseProblem] = []
        info = _read_info(root, single_id(root), CASE_FILE, problems)
        return Layout(
            root, several=False, cases=(info,) if info else (), problems=tuple(problems)
        )

    cases: list[CaseInfo] = []
    problems = []
    for entry in entries:
        if not _is_folder(entry):
            continue
        case_id = entry.name.lower()
        if not _CASE_ID.fullmatch(case_id) or case_id in RESERVED_IDS:
            problems.append(CaseProblem(entry.name, f"{entry.name}/", _bad_id(entry.name)))
            continue
        if any(case.id == case_id for case in cases):
            problems.append(CaseProblem(
                entry.name, f"{entry.name}/", f"is the same case id as another folder ({case_id})"
            ))  # fmt: skip
            continue
        info = _read_info(Path(entry.path), case_id, f"{entry.name}/{CASE_FILE}", problems)
        if info is not None:
            cases.append(info)
    return Layout(
        root, several=True, cases=tuple(cases), problems=tuple(problems), notes=_shared(cases)
    )


def single_id(directory: Path) -> str:
    """The id of a corpus of one case: its directory's name, made plain."""
    plain = re.sub(r"[^a-z0-9_-]+", "-", directory.resolve().name.lower()).strip("-_")
    plain = plain[:MAX_ID_CHARS].rstrip("-_")
    return plain if plain and plain not in RESERVED_IDS else "case"


def content_hash(directory: Path) -> str:
    """A hash of a case's article files, their names and bytes: equal when nothing changed.

    Read the way the loader reads them (`is_article_file`, symbolic links followed). What
    the loader refuses is never read here: a file that is not a regular one (a FIFO would
    block the read) or is over the loader's size limit counts by its kind, size and time,
    and one that can't be read by its error, so a rebuild reports them.
    """
    digest = hashlib.sha256()
    try:
        entries = sorted(
            (e for e in os.scandir(directory) if is_article_file(e.name)), key=lambda e: e.name
        )
    except OSError as error:
        return f"unreadable: {error.strerror}"
    for entry in entries:
        digest.update(entry.name.encode() + b"\0")
        try:
            if not entry.is_file():
                digest.update(b"not a regular file")
                continue
            stat = entry.stat()
            if stat.st_size > MAX_FILE_BYTES:
                digest.update(f"too large: {stat.st_size} {stat.st_mtime_ns}".encode())
            else:
                digest.update(hashlib.sha256(Path(entry.path).read_bytes()).digest())
        except (OSError, RuntimeError) as error:  # RuntimeError: a symbolic link loop (3.11)
            digest.update(f"unreadable: {error}".encode())
    return digest.hexdigest()


def _is_folder(entry: os.DirEntry[str]) -> bool:
    return not entry.name.startswith(".") and entry.is_dir()


def _bad_id(name: str) -> str:
    if name.lower() in RESERVED_IDS:
        return f"“{name}” can't be a case id: the commands read it as every case or none"
    return (
        f"“{name[:60]}” can't be a case id: use at most {MAX_ID_CHARS} letters, digits, "
        "“-” and “_”, starting with a letter or digit (people type it: /case use linkedin)"
    )


def _read_info(
    folder: Path, case_id: str, shown: str, problems: list[CaseProblem]
) -> CaseInfo | None:
    """The case in `folder`, named by its case.toml if it has one; None (with the problems
    added) if that file is broken."""
    path = folder / CASE_FILE
    if not path.is_file():
        return CaseInfo(id=case_id, directory=folder, name=case_id)
    found: list[str] = []
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as error:
        found.append(f"is not valid TOML: {error}")
        meta = {}
    for key in sorted(meta.keys() - _FIELDS.keys()):
        found.append(f"has an unknown key “{key[:40]}” (known: {', '.join(_FIELDS)})")
    values: dict[str, object] = {}
    for key, kind in _FIELDS.items():
        if key not in meta:
            continue
        value = meta[key]
        if kind is str and (not isinstance(value, str) or not value.strip()):
            found.append(f"“{key}” must be a text in quotes, not empty")
        elif kind is list and (
            not isinstance(value, list)
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            found.append(f"“{key}” must be a list of texts in quotes, e.g. [\"linkedin\"]")
        elif isinstance(value, str) and len(value) > _MAX_NAME_CHARS:
            found.append(f"“{key}” is longer than {_MAX_NAME_CHARS} characters")
        else:
            values[key] = value
    if found:
        problems.extend(CaseProblem(case_id, shown, message) for message in found)
        return None
    name = " ".join(str(values.get("name", case_id)).split())
    parties = [p for p in _VERSUS.split(name) if p] if _VERSUS.search(name) else []
    return CaseInfo(
        id=case_id,
        directory=folder,
        name=name,
        description=" ".join(str(values.get("description", "")).split()),
        aliases=tuple(dict.fromkeys(_texts(values, "aliases"))),
        parties=tuple(dict.fromkeys([*parties, *_texts(values, "parties")])),
    )


def _texts(values: dict[str, object], key: str) -> list[str]:
    """The texts listed under `key` (checked already), spaces folded."""
    listed = values.get(key, [])
    return [" ".join(str(text).split()) for text in listed] if isinstance(listed, list) else []


def _shared(cases: list[CaseInfo]) -> tuple[str, ...]:
    """A note for each name several cases answer to: a question using it asks which."""
    owners: dict[str, list[str]] = {}
    for case in cases:
        for name in {n.casefold() for n in case.names}:
            owners.setdefault(name, []).append(case.id)
    return tuple(
        f"“{name}” names {len(ids)} cases ({', '.join(ids)}): a question that uses it is "
        "asked which one it means"
        for name, ids in sorted(owners.items())
        if len(ids) > 1
    )
