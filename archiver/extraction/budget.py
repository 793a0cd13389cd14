"""The budget of a page: the limits that keep the extraction of any page linear.

HTML parsers do work that grows faster than the page for a few shapes of markup, all
of them absent from real pages:

- lexbor (selectolax) takes time that grows with the square of the nesting depth
  (100,000 nested ``<div>`` took 25 s, a million would take some 45 minutes); libxml2
  (lxml) stops at 256 open elements and loses the rest of the page.
- lexbor and libxml2 compare each attribute of an element with all the earlier ones:
  one element with 200,000 attributes took minutes.
- lexbor opens again, in each later block, every formatting element (``<b>``,
  ``<font>``...) left open: 4,000 unclosed ``<b>`` and 400 paragraphs made 1.6 million
  elements out of 68 KB.

And the extractors behind them do work that grows with the number of paragraphs squared,
or with the number of elements times their depth (see :data:`MAX_ELEMENTS`): pages of
tens of thousands of elements, or of thousands nested a hundred deep, took tens of
seconds each, though real pages hold a few thousand elements.

:func:`bounded_html` reads the tags of a page once, in time linear in its length, with
a model of how an HTML5 parser builds the tree: its stack of open elements, the
elements that tags close implicitly, the formatting elements that come back, SVG and
MathML content, raw text, tables, templates. Where the model is unsure it keeps an
element open that a parser may close; compared with lexbor on random tag soup, it is
never more than a few levels short (the implicit ``<html>``, ``<body>`` and
``<tbody>``). A page within the limits below is returned as it came, the same string.
A page over them is rewritten where it goes over, and only there, as browsers do
(Chrome hangs the elements below depth 512 on the element at depth 511): an element
that would nest deeper than :data:`MAX_DEPTH` closes the deepest open one and takes its
place, so that the text and its paragraphs stay, one level up (and one of the same
name, hung there and still empty, is dropped instead: a million nested ``<div>`` make
one, not a million empty ones); attributes after the :data:`MAX_ATTRIBUTES`-th are
dropped; a formatting element over :data:`MAX_FORMATTING` is dropped, not its text;
and once the page has opened :data:`MAX_ELEMENTS` elements, or :data:`MAX_PAIRS` in
all of their depths, its later start tags are dropped, and the end tags of the elements
they would have opened: one space in place of a run of them (nothing for a phrasing
element such as ``<b>`` or ``<span>``), the rest of its text kept in the elements open,
but for raw text elements (script, style, title, textarea...), which go whole.

:func:`bounded_document` applies it to a Document;
:func:`~archiver.extraction.dispatch.extract_document` gives every extractor its
document through it.

Text dumps are read line by line, each line a fixed number of times (see
:mod:`~archiver.extraction.textdump`), in time linear in the dump; :func:`bounded_lines`
reads at most :data:`MAX_LINES` lines of one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..document import Document
from .htmltokens import (
    ANCHOR,
    ATTRIBUTE,
    BLOCK,
    BREAKOUT,
    DOCUMENT,
    FONT_BREAKOUT,
    FOREIGN_ROOT,
    FORMAT,
    FORMATTING,
    HR,
    HTML,
    KINDS,
    MARKERS,
    MATHML,
    MODAL,
    PLAIN,
    PLAINTEXT,
    RAW,
    ROLES,
    SVG,
    TOKEN,
    VOID_ROLE,
    XMP,
    raw_text_end,
)
from .opentags import (
    Tree,
    break_out,
    close_anchor,
    close_implied,
    close_p,
    close_select,
    end_tag,
    foreign_end_tag,
    foreign_kind,
    modal_start,
    open_document,
    self_closing,
)

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "MAX_FORMATTING",
    "MAX_LINES",
    "MAX_PAIRS",
    "Overrun",
    "bounded_document",
    "bounded_html",
    "bounded_lines",
]
log = logging.getLogger(__name__)
#: Elements open at once, at most: well under libxml2's 256 (which counts the implicit
#: ``<html>``, ``<body>`` and ``<tbody>`` elements too), far over any real page (their
#: deepest go to 40 or 60).
MAX_DEPTH = 200
#: Attributes of one element, at most (real pages stay under 30).
MAX_ATTRIBUTES = 100
#: Formatting elements (``<b>``, ``<i>``, ``<font>``...) left open at once, at most:
#: parsers open each again in every later block.
MAX_FORMATTING = 16
#: Elements of a page, at most, and the sum of their depths (each element counted once
#: for each element it is in): trafilatura, jusText and libxml2's XPath do work that
#: grows with the square of the number of paragraphs, or with the number of elements
#: times their depth (a flat run of 50,000 ``<p>`` took 4 s of trafilatura's one pass,
#: 1,000 ``<ul><li>`` nested 8 KB deep nearly a second of ours). The largest real pages
#: we have (616 of three sets) hold 10,106 elements and 148,101 such pairs. The
#: formatting elements that parsers open again in each block are not counted: there are
#: at most MAX_FORMATTING of them a block (15 in each of 29,000 blocks took 5 s).
MAX_ELEMENTS = 30_000
MAX_PAIRS = 600_000
#: Lines of a text dump (or of a rendered page) read, at most: each costs some
#: microseconds, and a 20 MB dump can hold ten million (real pages have a few
#: thousand). The lines after these are not read.
MAX_LINES = 100_000


@dataclass(frozen=True, slots=True)
class Overrun:
    """How far a page went over the budget, and what was changed."""

    #: the nesting depth the page reached, as the model counts it
    depth: int
    #: the most attributes one element had
    attributes: int
    #: the most formatting elements left open at once
    formatting: int
    #: elements hung one level up, tags and attributes dropped
    changes: int
    #: the elements the page opens (up to MAX_ELEMENTS, then its start tags), and the
    #: sum of their depths
    elements: int = 0
    pairs: int = 0
    #: the start tags dropped past MAX_ELEMENTS or MAX_PAIRS
    flattened: int = 0

    def describe(self) -> str:
        """What went over, in words, for a log line."""
        parts = []
        if self.depth > MAX_DEPTH:
            parts.append(f"elements nested {self.depth:,} deep (limit {MAX_DEPTH})")
        if self.attributes > MAX_ATTRIBUTES:
            parts.append(f"an element with {self.attributes:,} attributes (limit {MAX_ATTRIBUTES})")
        if self.formatting > MAX_FORMATTING:
            parts.append(
                f"{self.formatting:,} formatting elements left open (limit {MAX_FORMATTING})"
            )
        if self.flattened and self.elements > MAX_ELEMENTS:
            parts.append(f"{self.elements:,} elements (limit {MAX_ELEMENTS:,})")
        if self.flattened and self.pairs >= MAX_PAIRS:
            parts.append(f"elements {MAX_PAIRS:,} levels deep in all (the limit)")
        return ", ".join(parts) + f"; {self.changes:,} tags changed"


def bounded_document(document: Document) -> Document:
    """``document`` within the budget: the same object when it already is.

    An HTML page over the budget is rewritten by :func:`bounded_html`; the rewritten
    document's ``raw`` is its new text in UTF-8, which the extractors parse.
    """
    if document.kind != "html":
        return document
    text, overrun = bounded_html(document.text)
    if overrun is None:
        return document
    log.info("%s: page over budget: %s", document.name, overrun.describe())
    raw = text.encode("utf-8", "surrogatepass")
    return replace(document, text=text, raw=raw, encoding="utf-8")


def bounded_lines(text: str) -> list[str]:
    """The lines of ``text`` (as :meth:`str.splitlines` splits them), the first
    :data:`MAX_LINES` of them."""
    if len(text) > MAX_LINES:  # shorter, it cannot hold more lines
        for count, found in enumerate(_LINE_BREAK.finditer(text), 1):
            if count == MAX_LINES:
                log.info(
                    "text of over %s lines: only the first %s read", f"{count:,}", f"{count:,}"
                )
                return text[: found.start()].splitlines()
    return text.splitlines()


#: What :meth:`str.splitlines` splits at.
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


class _Scan:
    """One reading of a page: its tags into the tree model, and the edits that keep the
    tree within the budget."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.tree = Tree()
        self.edits: list[tuple[int, int, str]] = []
        #: end tags to drop, of the elements hung one level up or dropped
        self.owed: dict[str, int] = {}
        self.pending = 0  # their number: how much deeper than the tree the page goes
        #: the element last hung one level up: name, stack position, end of its tag
        self.hung: tuple[str, int, int] = ("", -1, 0)
        self.depth = self.attributes = self.formatting = 0
        #: elements the page opens, and the sum of their depths (see MAX_ELEMENTS)
        self.elements = self.pairs = self.flattened = 0
        #: the end of the last tag taken out for a space, or of a run of them
        self.spaced_to = -1

    def run(self) -> None:
        html, tree, owed = self.html, self.tree, self.owed
        names, foreign, where, barriers = tree.names, tree.foreign, tree.where, tree.barriers
        role_of, kinds_of = ROLES.get, KINDS.get
        search, tokens = TOKEN.search, TOKEN.finditer
        max_depth, long, not_popped = MAX_DEPTH, _LONG, _NOT_POPPED
        max_elements, max_pairs = MAX_ELEMENTS, MAX_PAIRS
        elements = pairs = 0
        # Set at raw text (or CDATA) that has no end: what follows is text to parsers.
        # It is read on all the same, as tags, in case the model is wrong to read it as
        # text (it can only find more); but no end of raw text is looked for any more.
        text_to_the_end = False
        # The usual cases are tree.push() and tree.pop_to() inlined: a page has thousands
        # of tags, and this runs on every page. The tags are read in one pass of finditer,
        # begun again where the reading jumps ahead (raw text, CDATA, dropped elements).
        restart: int | None = 0
        while restart is not None:
            matches, restart = tokens(html, restart), None
            for match in matches:
                name, attributes, end, end_attributes = match.groups()
                if name is None:
                    if end is None:  # a comment, doctype or bogus comment
                        if foreign and foreign[-1] and html.startswith("<![CDATA[", match.start()):
                            # In SVG and MathML, text up to "]]>".
                            found = -1 if text_to_the_end else html.find("]]>", match.start() + 9)
                            if found >= 0:
                                restart = found + 3
                                break
                            text_to_the_end = True
                        continue
                    end = end.lower()
                    if (owed and owed.get(end) and not text_to_the_end) or (
                        end_attributes and len(end_attributes) > long
                    ):
                        self._end_tag(end, end_attributes, match)
                    elif foreign and foreign[-1]:
                        foreign_end_tag(tree, end)
                    elif not names or names[-1] != end or end in not_popped:
                        end_tag(tree, end)
                    elif end in FORMATTING:
                        if tree.floating[-1].get(end):
                            end_tag(tree, end)
                        else:  # the current node, a formatting element, closed
                            names.pop()
                            foreign.pop()
                            where[end].pop()
                            tree.formatting -= 1
                    else:  # the current node closed
                        names.pop()
                        foreign.pop()
                        where[end].pop()
                        kinds = kinds_of(end)
                        if kinds:
                            for kind in kinds:
                                barriers[kind].pop()
                    continue
                name = name.lower()
                if (
                    (elements >= max_elements or pairs >= max_pairs)
                    and not text_to_the_end  # what follows is text to parsers: kept as it is
                    and (dropped_to := self._flatten(name, match))
                ):
                    elements += 1
                    restart = dropped_to
                    break
                # Counted whether or not the model opens an element: libxml2 opens one for
                # tags that HTML5 parsers ignore (a <td> outside a table).
                elements += 1
                full = len(names) + tree.floating_total >= max_depth
                if full and not self._make_room(name, match):
                    elements -= 1
                    continue  # the tag is dropped
                if len(attributes) > long:  # shorter, it cannot hold too many attributes
                    attributes = self._trim(name, attributes, match)
                role = role_of(name, PLAIN)
                if (role == FORMAT or role == ANCHOR) and (
                    tree.formatting + tree.floating_total >= MAX_FORMATTING
                ):
                    # Dropped before anything else: nothing it would do may happen.
                    self._drop(name, match)
                    elements -= 1
                    continue
                if foreign and foreign[-1] and tree.in_foreign_content(name):
                    if name in BREAKOUT or (name == "font" and FONT_BREAKOUT.search(attributes)):
                        break_out(tree)  # and read the tag as HTML
                    else:
                        if not self_closing(attributes):
                            pairs += len(names)
                            kind = foreign_kind(foreign[-1], name, attributes)
                            tree.push(name, kind)
                        continue
                # In HTML content: close what the tag closes, then open its element.
                if names and names[-1] in MODAL and not modal_start(tree, name):
                    continue  # parsers ignore the tag
                if role == BLOCK:
                    if where.get("p"):
                        close_p(tree)
                elif role != PLAIN:
                    if role == RAW or role == XMP:
                        if role == XMP:
                            close_p(tree)
                        found = -1 if text_to_the_end else raw_text_end(html, name, match.end())
                        if found >= 0:
                            # Its end tag closes nothing open: it is passed over, and kept.
                            ended = search(html, found)
                            restart = ended.end() if ended else len(html)
                            break
                        text_to_the_end = True
                        continue
                    if role == VOID_ROLE or role == HR:
                        pairs += len(names)
                        if role == HR:
                            close_p(tree)
                        elif name == "input" and where.get("select"):
                            close_select(tree)  # an <input> ends a <select>
                        continue
                    if role == FOREIGN_ROOT:
                        if not self_closing(attributes):
                            pairs += len(names)
                            tree.push(name, SVG if name == "svg" else MATHML)
                        continue
                    if role == ANCHOR:
                        if tree.floating_total or where.get(name):
                            close_anchor(tree, name)
                    elif role == DOCUMENT and not open_document(tree, name):
                        continue  # parsers merge it into the one open, or ignore it
                    elif role == PLAINTEXT:
                        close_p(tree)
                        text_to_the_end = True
                        continue
                    elif role != FORMAT and not close_implied(tree, name, role):
                        continue  # parsers ignore the tag
                depth = len(names)
                pairs += depth
                names.append(name)
                foreign.append(HTML)
                found_at = where.get(name)
                if found_at is None:
                    where[name] = [depth]
                else:
                    found_at.append(depth)
                kinds = kinds_of(name)
                if kinds:
                    for kind in kinds:
                        barriers[kind].append(depth)
                if role == FORMAT or role == ANCHOR:
                    tree.formatting += 1
                elif name in MARKERS:
                    tree.floating.append({})
        self.elements, self.pairs = elements, pairs

    def _flatten(self, name: str, match: re.Match[str]) -> int:
        """Drop the start tag of ``match``, as the page holds as many elements as the
        budget allows, but not its content, which stays in the element open; its end tag
        is dropped when it comes. An element of raw text in HTML content (a script, a
        title) goes whole, its text with it: the text would show. Where to read on from;
        0 for a tag left to the usual reading: raw text that does not end (which parsers
        read to the end of the page, as they would have), or that opens in a template
        or a column group (where parsers may ignore the tag)."""
        tree = self.tree
        role = ROLES.get(name, PLAIN)
        start, end = match.span()
        foreign = bool(tree.foreign and tree.foreign[-1] and tree.in_foreign_content(name))
        if (role == RAW or role == XMP or role == PLAINTEXT) and not foreign:
            if role == PLAINTEXT or tree.names and tree.names[-1] in MODAL:
                return 0
            found = raw_text_end(self.html, name, end)
            if found < 0:
                return 0  # the usual reading finds no end either, and reads no further
            ended = TOKEN.search(self.html, found)
            end = ended.end() if ended else len(self.html)
        elif (
            role != VOID_ROLE
            and role != HR
            and not (foreign and self_closing(match.group("attributes")))
        ):
            self._owe(name)
        self.edits.append((start, end, self._gap(name, start, end)))
        self.flattened += 1
        return end

    def _gap(self, name: str, start: int, end: int) -> str:
        """What takes the place of the tag ``name`` from ``start`` to ``end`` taken out:
        nothing for an element of phrasing (``<b>``, ``<span>``, ``<sub>``...), which may
        stand inside a word; a space for any other, at which a line or a cell would have
        ended, but one for a run of such tags (a space each would make a run of white
        space that every element around would hold)."""
        if name in _PHRASING:
            return _removed(self.html, start)
        spaced = self.spaced_to == start  # the tag just before was taken out for a space
        self.spaced_to = end
        return "" if spaced else " "

    def _make_room(self, name: str, match: re.Match[str]) -> bool:
        """Close the deepest element before the start tag ``name`` of ``match``, as the
        tree is full (the tag may open an element), and drop that element's own end tag
        later; False when the tag itself is dropped instead.

        The start tag is then read with what is open: the element it opens, if any, is
        hung one level up. But a tag that would hang in place of an element of its own
        name, hung there and still empty, is dropped (with its end tag): a million
        nested <div> make one, not a million empty ones."""
        tree, html = self.tree, self.html
        self.depth = max(self.depth, len(tree.names) + tree.floating_total + self.pending + 1)
        deepest = tree.names[-1]
        start, end = match.span()
        hung_name, hung_at, hung_end = self.hung
        if (
            name == deepest == hung_name
            and hung_at == len(tree.names) - 1
            and not html[hung_end:start].strip()
        ):
            self._owe(name)
            self.edits.append((start, end, _removed(html, start)))
            self.hung = (hung_name, hung_at, end)
            return False
        self._owe(deepest)
        tree.pop_to(len(tree.names) - 1, explicit=True)
        self.edits.append((start, start, f"</{deepest}>"))
        self.hung = (name, len(tree.names), end)  # where it opens, if it opens one
        return True

    def _drop(self, name: str, match: re.Match[str]) -> None:
        """Drop the formatting start tag of ``match`` (not its content), and its end tag
        when it comes."""
        tree = self.tree
        self.formatting = max(self.formatting, tree.formatting + tree.floating_total + 1)
        self._owe(name)
        start, end = match.span()
        if self.edits and self.edits[-1][:2] == (start, end):
            self.edits.pop()  # the tag lost attributes: it goes whole
        self.edits.append((start, end, _removed(self.html, start)))

    def _owe(self, name: str) -> None:
        self.owed[name] = self.owed.get(name, 0) + 1
        self.pending += 1

    def _end_tag(self, name: str, attributes: str | None, match: re.Match[str]) -> None:
        """An end tag owed, or with many attributes."""
        if self.owed.get(name):
            self.owed[name] -= 1
            self.pending -= 1
            self.edits.append((match.start(), match.end(), self._gap(name, *match.span())))
            return
        # An end tag's attributes mean nothing, but parsers read and compare them.
        self.attributes = max(self.attributes, len(ATTRIBUTE.findall(attributes or "")))
        self.edits.append((match.start(), match.end(), f"</{name}>"))
        tree = self.tree
        if tree.foreign and tree.foreign[-1]:
            foreign_end_tag(tree, name)
        else:
            end_tag(tree, name)

    def _trim(self, name: str, attributes: str, match: re.Match[str]) -> str:
        """Keep the first MAX_ATTRIBUTES attributes of the start tag of ``match``; the
        attribute text that parsers will read."""
        kept = ATTRIBUTE.findall(attributes)
        self.attributes = max(self.attributes, len(kept))
        if len(kept) <= MAX_ATTRIBUTES:
            return attributes
        closing = " /" if self_closing(attributes) else ""
        attributes = f" {' '.join(kept[:MAX_ATTRIBUTES])}{closing}"
        self.edits.append((match.start(), match.end(), f"<{name}{attributes}>"))
        return attributes

    def result(self) -> tuple[str, Overrun | None]:
        if not self.edits:
            return self.html, None
        overrun = Overrun(
            self.depth,
            self.attributes,
            self.formatting,
            len(self.edits),
            self.elements,
            self.pairs,
            self.flattened,
        )
        return _apply(self.html, self.edits), overrun


def _removed(html: str, start: int) -> str:
    """What takes the place of the tag at ``start`` taken out: nothing, or an empty
    comment after a "<", which would make a new tag of what follows ("<" + "<b>" +
    "i>" is "<i>")."""
    return "<!---->" if start and html[start - 1] == "<" else ""


#: An attribute text no longer than this holds at most MAX_ATTRIBUTES attributes (each
#: takes a character and a separator at least).
_LONG = 2 * MAX_ATTRIBUTES
#: Elements that may stand inside a word: a tag of theirs taken out leaves nothing.
_PHRASING = FORMATTING | frozenset(
    "abbr bdi bdo cite data dfn kbd label mark q rp rt ruby samp span sub sup time var wbr".split()
)
#: End tags that do not close their element even when it is the current node (</body>
#: and </html> only move the parser on), or whose closing is more than a pop: markers
#: (which end the formatting elements opened in them).
_NOT_POPPED = frozenset({"body", "html"}) | MARKERS


def bounded_html(html: str) -> tuple[str, Overrun | None]:
    """``html`` within the budget, and what went over: None, and ``html`` itself (the
    same string), when nothing did."""
    scan = _Scan(html)
    scan.run()
    return scan.result()


def _apply(html: str, edits: Iterable[tuple[int, int, str]]) -> str:
    parts = []
    done = 0
    for start, end, replacement in edits:
        parts.append(html[done:start])
        parts.append(replacement)
        done = end
    parts.append(html[done:])
    return "".join(parts)
