"""The lines by a page's headline, and the date line and byline among them: the dates
and names written by the headline, as readers see them.

A page's declared date (JSON-LD, meta tags) is most often the one it shows; when they
differ, the shown one is the publication date the reader is given, where the declared
one may be a later edit's, or the day in another time zone.
"""

from __future__ import annotations

import re
from datetime import date

from selectolax.lexbor import LexborNode

from .dates import dates_in

__all__ = ["lines_by", "shown_byline", "shown_dates"]

#: How much text around the headline holds its date line: before it (a kicker, the
#: date above the title) and after it (the byline, the standfirst).
_DATE_BEFORE = 120
_DATE_AFTER = 400
#: A date line is short: a date in a longer text is one the article speaks of.
_DATE_LINE = 100
_DATE_EDGE = 30
_SKIPPED = frozenset({"script", "style", "noscript", "template"})
#: The elements that end a line of text: blocks and line breaks.
_BREAKS = _SKIPPED | frozenset(
    "p div li ul ol dl dd dt table tr td th h1 h2 h3 h4 h5 h6 header footer section article "
    "aside nav main form address figure figcaption blockquote pre br hr body html -comment".split()
)


def lines_by(headline: LexborNode) -> list[str]:
    """The lines of text near the headline, nearest first, those after it first: where
    pages put the date line and the byline."""
    after = _lines_beside(headline, _DATE_AFTER, forward=True)
    return after + _lines_beside(headline, _DATE_BEFORE, forward=False)[::-1]


def shown_dates(lines: list[str], language: str | None) -> list[date]:
    """The dates of the short ``lines`` (:func:`lines_by`): the date line readers see."""
    languages = ["en"]
    if language and (primary := language.split("-")[0].split("_")[0].casefold()) != "en":
        languages.insert(0, primary)
    # a long line may end with its date ("... standfirst. 6 January 2020") or begin
    # with it ("27.1.2022 - The text..."): its middle is prose
    edges = (
        line if len(line) <= _DATE_LINE else f"{line[:_DATE_EDGE]} | {line[-_DATE_EDGE:]}"
        for line in lines
    )
    return [d for text in edges for d in dates_in(text, languages)]


def _lines_beside(node: LexborNode, limit: int, *, forward: bool) -> list[str]:
    """The lines of text that follow (or precede) ``node``, in document order, until
    they hold about ``limit`` characters: the nearest ``limit``."""
    lines: list[str] = []
    seen: set[int] = set()
    size = 0
    current: LexborNode | None = node
    while current is not None and size < limit:
        step = current.next if forward else current.prev
        while step is None and current is not None:
            current = current.parent
            step = None if current is None else (current.next if forward else current.prev)
        if step is None:
            break
        current = step
        texts = (p for p in current.traverse(include_text=True) if p.is_text_node)
        for piece in texts if forward else reversed(list(texts)):
            if line := _line_of(piece, seen):
                lines.append(line)
                size += len(line) + 1
                if size >= limit:
                    break
    return lines if forward else lines[::-1]


def _line_of(text: LexborNode, seen: set[int]) -> str | None:
    """The line the text node ``text`` is part of: the run of inline content around it
    between two blocks or line breaks; None if it is skipped or was ``seen``."""
    top = text
    while top.parent is not None and top.parent.tag not in _BREAKS:
        top = top.parent
    if top.parent is not None and top.parent.tag in _SKIPPED:
        return None
    while top.prev is not None and top.prev.tag not in _BREAKS:
        top = top.prev
    if top.mem_id in seen:
        return None
    seen.add(top.mem_id)
    parts = []
    run: LexborNode | None = top
    while run is not None and run.tag not in _BREAKS:
        if run.tag not in _SKIPPED:
            parts.append(run.text(deep=True, separator=" "))
        run = run.next
    return " ".join(" ".join(parts).split()) or None


#: A byline is a short line: a lead-in and a few names.
_BYLINE = 100
_BYLINE_WORDS = 5


def shown_byline(lines: list[str], lead: re.Pattern[str], end: re.Pattern[str]) -> tuple[str, ...]:
    """The names of the first of ``lines`` (:func:`lines_by`) that a byline's ``lead``-in
    begins, up to their ``end``: "Von Max Muster | 12.03.2019" -> "Max Muster"."""
    for line in lines:
        if len(line) <= _BYLINE and (match := lead.match(line)):
            name = end.split(line[match.end() :])[0].strip(" ,.:")
            # a name begins with a capital (or a letter of a script without case)
            if (
                name
                and not name[0].islower()
                and len(name.split()) <= _BYLINE_WORDS
                and not any(c.isdigit() for c in name)
            ):
                return (name,)
    return ()
