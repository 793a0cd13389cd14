"""Measures of running prose in extracted paragraphs, for :mod:`~archiver.extraction.html`
and :mod:`~archiver.extraction.lead`: what tells an article's text from a page's menus,
bylines and lists."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "PROSE_WORDS",
    "count_words",
    "letter_words",
    "prose_length",
    "prose_share",
    "sentences",
]

#: A run of prose has at least this many words.
PROSE_WORDS = 10
_WORD = re.compile(r"\w+")
#: A word of prose: letters, not digits.
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
#: The end of a sentence: its mark, closing quotes or brackets, then a space or the end.
_SENTENCE_END = re.compile(r"[.!?…]['\"”’»)\]]*(?=\s|$)")


def count_words(text: str) -> int:
    """The words in ``text``: its runs of letters, digits and underscores."""
    return len(_WORD.findall(text))


def letter_words(text: str) -> int:
    """The words of letters in ``text``: a byline's dates and numbers do not count."""
    return len(_LETTER_WORD.findall(text))


def prose_length(paragraphs: Iterable[str]) -> int:
    """Characters in paragraphs of running prose."""
    return sum(len(p) for p in paragraphs if count_words(p) >= PROSE_WORDS)


def prose_share(paragraphs: list[str]) -> float:
    """The share of the text in paragraphs of running prose, by characters."""
    total = sum(len(p) for p in paragraphs)
    return prose_length(paragraphs) / total if total else 0.0


def sentences(paragraphs: Iterable[str]) -> int:
    """The sentences in paragraphs of running prose (one at least in each)."""
    prose = (p for p in paragraphs if count_words(p) >= PROSE_WORDS)
    return sum(max(1, len(_SENTENCE_END.findall(p))) for p in prose)
