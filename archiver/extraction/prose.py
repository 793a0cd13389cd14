"""Measures of running prose in extracted paragraphs and in a page, for
:mod:`~archiver.extraction.html` and :mod:`~archiver.extraction.lead`: what tells an
article's text from a page's menus, bylines and lists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import islice
from typing import Any

from lxml.etree import XPath, iterwalk

from . import asciitext
from .render import BLOCK_TAGS, UNSEEN_TAGS

__all__ = [
    "PROSE_WORDS",
    "count_words",
    "has_words",
    "is_prose",
    "letter_words",
    "page_prose",
    "prose_length",
    "prose_measure",
    "rendered_prose",
    "sentences",
    "unspaced",
]

#: An lxml.html element (lxml ships no type stubs).
HtmlElement = Any

#: A run of prose has at least this many words.
PROSE_WORDS = 10
#: The least length of a text of PROSE_WORDS words: a character each, a space (or a
#: mark) between.
_PROSE_LEAST = 2 * PROSE_WORDS - 1
#: The scripts written without spaces between words (Chinese, Japanese): there two
#: characters count as a word, about the length of one.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[^\W{_UNSPACED}]+|[{_UNSPACED}]{{1,2}}")
#: The characters a word, in the head of an ASCII text that :func:`has_words` reads
#: first: more than the words of prose take (some six, with the space after).
_HEAD_CHARACTERS = 16
_UNSPACED_CHARACTER = re.compile(f"[{_UNSPACED}]")
#: A word of prose: letters, not digits.
_LETTER_WORD = re.compile(rf"[^\W\d_{_UNSPACED}]{{2,}}|[{_UNSPACED}]{{1,2}}")
#: The end of a sentence: its mark, closing quotes or brackets, then a space or the
#: end; the full-width marks of unspaced scripts end one wherever they stand.
_SENTENCE_END = re.compile(r"[.!?…]['\"”’»)\]]*(?=\s|$)|[。！？]")


def count_words(text: str) -> int:
    """The words in ``text``: its runs of letters, digits and underscores (two
    characters of an unspaced script make one). The definition that :func:`has_words`
    answers, counting no further than it is asked to."""
    return len(_WORD.findall(text))


def has_words(text: str, count: int) -> bool:
    """Whether ``text`` holds ``count`` words or more (as :func:`count_words` counts
    them): read up to there only (a block's text may be the whole article)."""
    # A head of the text holds no more words than the whole: it is read first, long
    # enough to hold them most of the time; in ASCII (as asciitext views it) its words
    # are split apart at once.
    length = _HEAD_CHARACTERS * count
    if (head := asciitext.view(text[:length])) is not None:
        if len(asciitext.words(head)) >= count:
            return True
        if len(text) <= length:
            return False
    return _word_run(count).match(text) is not None


@lru_cache(maxsize=16)
def _word_run(count: int) -> re.Pattern[str]:
    r"""The first ``count`` words of a text, in one match in C, at half the cost of
    counting them one by one.

    Each word is taken whole (a look-ahead's group, which is not backtracked into), so
    that none is counted as two; and the gap between words is exactly what
    :func:`count_words` skips, characters that start no word. (``\W`` would do for spaced
    scripts, but some characters of unspaced scripts, "・" and the kana sound marks, are
    ``\W`` and start a word: a gap of ``\W`` could then take them or not, and a line of
    "・" made the match try every split, for minutes.) So each word and each gap can
    match one way only, and a text is read in time linear in its length; the gap is
    possessive, so that a text with fewer words fails at once, not after giving its last
    gap back a character at a time."""
    return re.compile(rf"(?:[^\w{_UNSPACED}]*+(?=({_WORD.pattern}))\1){{{count}}}")


def is_prose(text: str) -> bool:
    """Whether ``text`` holds PROSE_WORDS words or more."""
    return len(text) >= _PROSE_LEAST and has_words(text, PROSE_WORDS)


def unspaced(text: str) -> bool:
    """Whether ``text`` is written (in part) in a script without spaces between words."""
    return not text.isascii() and _UNSPACED_CHARACTER.search(text) is not None


def letter_words(text: str) -> int:
    """The words of letters in ``text``: a byline's dates and numbers do not count."""
    return len(_LETTER_WORD.findall(text))


def prose_length(paragraphs: Iterable[str]) -> int:
    """Characters in paragraphs of running prose."""
    return sum(len(p) for p in paragraphs if is_prose(p))


def prose_measure(paragraphs: list[str]) -> tuple[int, float]:
    """Characters in paragraphs of running prose, and their share of the text."""
    total = length = 0
    for paragraph in paragraphs:
        total += len(paragraph)
        if is_prose(paragraph):
            length += len(paragraph)
    return length, length / total if total else 0.0


def sentences(paragraphs: Iterable[str], up_to: int | None = None) -> int:
    """The sentences in paragraphs of running prose (one at least in each); counted no
    further than ``up_to``."""
    count = 0
    for paragraph in paragraphs:
        if up_to is not None and count >= up_to:
            return up_to
        if is_prose(paragraph):
            ends = _SENTENCE_END.finditer(paragraph)
            count += max(1, sum(1 for _ in islice(ends, None if up_to is None else up_to - count)))
    return count if up_to is None else min(count, up_to)


def page_prose(tree: HtmlElement) -> int:
    """Characters in the page's runs of visible prose, in any element (not all pages
    write <p>). Words are counted by spaces here: it is a measure, and a quick one."""
    return sum(
        len(t)
        for t in _VISIBLE_TEXT(tree)
        # split no further than PROSE_WORDS parts, which there are when it holds as many
        if len(t.split(None, PROSE_WORDS - 1)) == PROSE_WORDS
        # an unspaced script's words are counted as the extracted text's are
        or (unspaced(t) and is_prose(t))
    )


#: The body's text nodes, less code, long enough for PROSE_WORDS words, as plain strings
#: (lxml's "smart" ones cost more). "//body//text()" takes twice the time: libxml2 lists
#: every node first. The length, which rules out most nodes (the white space between
#: tags), is tested before the parents, at a third of their cost; string-length() counts
#: code points, as len() does.
_VISIBLE_TEXT = XPath(
    "/descendant::body/descendant::text()"
    f"[string-length() >= {_PROSE_LEAST}]"
    "[not(parent::script or parent::style or parent::noscript or parent::template)]",
    smart_strings=False,
)


def rendered_prose(elements: Iterable[HtmlElement]) -> int:
    """Characters in the runs of prose of ``elements`` (of an lxml.html tree), white space
    folded: a run is their text from one edge of a block element to the next (the edges
    at which :func:`~archiver.extraction.render.render_lines` ends a line), a link's
    text a run of its own. Unlike :func:`page_prose`, it sees prose that links or inline
    tags cut into short text nodes, and the text right inside a block that holds others;
    a menu, its links a few words each, makes none."""
    total = 0
    for element in elements:
        # The runs open, innermost last: a link's text is a run apart from the text
        # around it, which goes on after the link.
        runs: list[list[str]] = [[]]
        walk = iterwalk(element, events=("start", "end", "comment", "pi"))
        for event, node in walk:
            tag = node.tag
            if event in ("comment", "pi"):
                pass  # its text is not the page's, its tail is
            elif tag in BLOCK_TAGS:
                total += _run_prose(runs[-1])
            elif tag == "a":
                if event == "start":
                    runs.append([])
                else:
                    total += _run_prose(runs.pop())
            if event == "start":
                if tag in UNSEEN_TAGS:
                    walk.skip_subtree()
                elif node.text:
                    runs[-1].append(node.text)
            elif node is not element and node.tail:
                runs[-1].append(node.tail)
        total += sum(_run_prose(run) for run in runs)
    return total


def _run_prose(run: list[str]) -> int:
    """The length of the text of ``run``, its white space folded, if it is prose (0 if
    not); the run is emptied."""
    text = " ".join("".join(run).split())
    run.clear()
    return len(text) if is_prose(text) else 0
