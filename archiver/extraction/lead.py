"""The lead of an article's own header: what :mod:`~archiver.extraction.html` keeps of it.

A header holds the headline, byline, date and buttons, which go, and often the start
of the article (a standfirst, a summary, key points), which stays.
"""

from __future__ import annotations

from typing import Any

from .prose import PROSE_WORDS, letter_words

__all__ = ["keep_lead", "standfirst"]

#: An lxml.html element (lxml ships no type stubs).
HtmlElement = Any


def keep_lead(header: HtmlElement, skipped: frozenset[str]) -> None:
    """Reduce an article's own header to its lead: the runs of prose it holds.

    Its headline, byline, date and buttons go; the lead is the start of the article.
    Pages write it in any element (a <p>, a <div> of summary, a list of key points), so
    each innermost block of prose is kept, as a paragraph. (Not a subtitle: on aeb-dev,
    where it would be kept, it is not the text.)
    """
    leads = _prose_blocks(header, skipped)
    for child in list(header):
        header.remove(child)
    header.text = None
    header.tag = "div"
    header.attrib.clear()
    for lead in leads:
        lead.tag = "p"
        lead.tail = None
    header.extend(leads)


def standfirst(tree: HtmlElement) -> str | None:
    """The standfirst: a run of prose in the heading or paragraph right after the first
    ``<h1>`` that has one, where pages write the summary of the article under its
    headline."""
    for headline in tree.iter("h1"):
        after = headline.getnext()
        while after is not None and not isinstance(after.tag, str):  # comments
            after = after.getnext()
        if after is not None and after.tag in _STANDFIRST:
            text = " ".join(after.text_content().split())
            if letter_words(text) >= PROSE_WORDS:
                return text
    return None


def _prose_blocks(element: HtmlElement, skipped: frozenset[str]) -> list[HtmlElement]:
    """The innermost blocks inside ``element`` that hold a run of prose (words, not a
    byline's dates and numbers), headlines and ``skipped`` tags aside."""
    found = []
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _INLINE | _NOT_LEAD | skipped:
            inner = _prose_blocks(child, skipped)
            if inner:
                found += inner
            elif letter_words(_text_outside(child, _NOT_LEAD | skipped)) >= PROSE_WORDS:
                found.append(child)
    return found


def _text_outside(element: HtmlElement, excluded: frozenset[str]) -> str:
    """The text of ``element``, less that of the ``excluded`` elements inside it."""
    texts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in excluded:
            texts.append(_text_outside(child, excluded))
        texts.append(child.tail or "")
    return " ".join(texts)


#: Elements inside a block of text: their block holds the whole run of prose.
_INLINE = frozenset(
    {"a", "abbr", "b", "bdi", "br", "cite", "code", "em", "i", "img", "mark", "q", "s"}
    | {"small", "span", "strong", "sub", "sup", "time", "u", "wbr"}
)
#: The elements that hold a standfirst under the headline.
_STANDFIRST = frozenset({"h2", "p"})
#: Never the lead: the headline and subtitles (a summary of the lead, not the text),
#: pictures and what is not text.
_NOT_LEAD = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "figure", "picture", "svg"}
    | {"script", "style", "template", "noscript", "button"}
)
