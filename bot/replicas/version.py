"""The corpus version a deployment serves: what `/readyz` shows, and what replicas compare.

A hash of every case's id and the fingerprint of its corpus (each article's source id and
the sha256 of its bytes), so it changes exactly when an article, or a case, does, and two
replicas reading the same files (one shared volume) serve the same version.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.docket import Docket


def corpus_version(docket: Docket) -> str:
    """The version of the corpora `docket` serves: 16 hex digits."""
    digest = hashlib.sha256()
    for case_id in sorted(docket.cases):
        fingerprint = docket.cases[case_id].index.corpus.fingerprint
        digest.update(f"{case_id}\0{fingerprint}\0".encode())
    return digest.hexdigest()[:16]
