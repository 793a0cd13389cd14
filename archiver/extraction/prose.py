"""Measures of running prose in extracted paragraphs and in a page, for
:mod:`~archiver.extraction.html` and :mod:`~archiver.extraction.lead`: what tells an
article's text from a page's menus, bylines and lists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "PROSE_WORDS",
    "count_words",
    "letter_words",
    "page_prose",
    "prose_length",
    "prose_share",
    "sentences",
    "unspaced",
]

#: An lxml.html element (lxml ships no type stubs).
HtmlElement = Any

#: A run of prose has at least this many words.
PROSE_WORDS = 10
#: The scripts written without spaces between words (Chinese, Japanese): there two
#: characters count as a word, about the length of one.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[^\W{_UNSPACED}]+|[{_UNSPACED}]{{1,2}}")
_UNSPACED_CHARACTER = re.compile(f"[{_UNSPACED}]")
#: A word of prose: letters, not digits.
_LETTER_WORD = re.compile(rf"[^\W\d_{_UNSPACED}]{{2,}}|[{_UNSPACED}]{{1,2}}")
#: The end of a sentence: its mark, closing quotes or brackets, then a space or the
#: end; the full-width marks of unspaced scripts end one wherever they stand.
_SENTENCE_END = re.compile(r"[.!?…]['\"”’»)\]]*(?=\s|$)|[。！？]")


def count_words(text: str) -> int:
    """The words in ``text``: its runs of letters, digits and underscores (two
    characters of an unspaced script make one)."""
    return len(_WORD.findall(text))


def unspaced(text: str) -> bool:
    """Whether ``text`` is written (in part) in a script without spaces between words."""
    return not text.isascii() and _UNSPACED_CHARACTER.search(text) is not None


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


def page_prose(tree: HtmlElement) -> int:
    """Characters in the page's runs of visible prose, in any element (not all pages
    write <p>). Words are counted by spaces here: it is a measure, and a quick one."""
    # plain strings: lxml's "smart" ones cost more
    texts = tree.xpath(_VISIBLE_TEXT, smart_strings=False)
    # a text shorter than the words' least length cannot hold them: not split
    least = 2 * PROSE_WORDS - 1
    return sum(
        len(t)
        for t in texts
        if len(t) >= least
        and (
            len(t.split()) >= PROSE_WORDS
            # an unspaced script's words are counted as the extracted text's are
            or (unspaced(t) and count_words(t) >= PROSE_WORDS)
        )
    )


#: The text nodes of the body, less code. (The same nodes as "//body//text()[...]",
#: which libxml2 finds in twice the time: it lists every node of the page first.)
_VISIBLE_TEXT = (
    "/descendant::body/descendant::text()"
    "[not(parent::script or parent::style or parent::noscript or parent::template)]"
)
