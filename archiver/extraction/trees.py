"""A page's lxml tree for :mod:`~archiver.extraction.html`: the tree trafilatura's
``load_html`` makes of a decoded page, its elements typed in C.

lxml.html's parser asks a Python method for the class of an element each time Python
takes hold of one (a form and its fields have classes of their own), and the copies
trafilatura and htmldate make of the tree keep its parser: some 2,600 calls a page on
trafilatura-dev, 0.5 µs each. Here every element is a plain ``HtmlElement``, which
has everything that trafilatura, htmldate and this package use of an element; lxml
then types it without leaving C. The same parser options, repairs and fallbacks as
``load_html`` give the same trees.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml.etree import ElementDefaultClassLookup
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, is_dubious_html, repair_faulty_html

__all__ = ["parse_html", "repaired"]

#: The characters XML forbids, which trafilatura's ``INVALID_XML_CHARS`` removes: the
#: controls below the space, as UTF-8 (a byte each, which no other character's UTF-8
#: holds), and two noncharacters.
_NOT_XML_CONTROLS = tuple(bytes([c]) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
_NOT_XML_OTHERS = ("\ufffe", "\uffff")

#: Each thread's parser (see :func:`_parser`).
_THREAD = threading.local()


def _parser() -> HTMLParser:
    """This thread's parser, with trafilatura's ``HTML_PARSER`` options.

    One per thread: lxml lets one parse at a time through a parser, behind a lock, and a
    Dask worker's extraction threads (a thread a page) would wait on each other. (A
    worker once found frozen inside such a parse was waiting for the GIL, not for that
    lock: the freeze :func:`archiver.capture.retry.forget_attempts` explains.)
    """
    parser: HTMLParser | None = getattr(_THREAD, "parser", None)
    if parser is None:
        parser = HTMLParser(
            collect_ids=False,
            default_doctype=False,
            encoding="utf-8",
            remove_comments=True,
            remove_pis=True,
        )
        parser.set_element_class_lookup(
            ElementDefaultClassLookup(
                element=HtmlElement,
                comment=HtmlComment,
                pi=HtmlProcessingInstruction,
                entity=HtmlEntity,
            )
        )
        _THREAD.parser = parser
    return parser


def parse_html(html: str) -> Any | None:
    """The lxml.html tree of the decoded page ``html``, or None where trafilatura's
    ``load_html`` finds none: nothing parsed, or a page that does not start as HTML
    and holds under two elements."""
    beginning = html[:50].lower()
    markup = repaired(html, beginning)
    try:
        tree = fromstring(markup, parser=_parser())
    except Exception:  # as load_html: any refusal (an encoding declared, no document)
        tree = None
    if tree is None or len(tree) < 1:
        tree = _from_bytes(markup)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def _from_bytes(markup: str) -> Any | None:
    try:
        return fromstring(markup.encode("utf8", "surrogatepass"), parser=_parser())
    except Exception:  # as load_html: the page is then not HTML
        return None


def repaired(html: str, beginning: str) -> str:
    """trafilatura's ``repair_faulty_html(html, beginning)``. Its scan for the characters
    XML forbids costs a quarter of the parse and finds one on 1 page of 495: here each is
    looked for alone (:func:`_holds_not_xml`, a third of the time), and the scan runs
    only if one is there."""
    if _holds_not_xml(html):
        return repair_faulty_html(html, beginning)
    # its other repairs, as it makes them
    if "doctype" in beginning:
        first_line, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return str(FAULTY_HTML.sub(r"\1>", html, count=1))
    return html


def _holds_not_xml(html: str) -> bool:
    """Whether ``html`` holds a character XML forbids. The controls are looked for in its
    UTF-8 form, each a byte that memchr finds: in the text itself each search is three
    times slower on a page holding a character beyond the Basic Multilingual Plane (an
    emoji), which Python then stores in 4 bytes a character (10 ms on a 2.5 MB page)."""
    if any(character in html for character in _NOT_XML_OTHERS):
        return True
    encoded = html.encode("utf-8", "surrogatepass")
    return any(control in encoded for control in _NOT_XML_CONTROLS)
