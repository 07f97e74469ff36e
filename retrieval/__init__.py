"""Retrieval: the corpus loader, the BM25 index, and the stages that read a question and compose a quoted answer (no bot/ imports)."""
