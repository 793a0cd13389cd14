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
dropped; a formatting element over :data:`MAX_FORMATTING` is dropped, not its text.

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

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_DEPTH",
    "MAX_FORMATTING",
    "MAX_LINES",
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

# -- the tokenizer ---------------------------------------------------------------------
#
# One match per tag, comment, doctype or bogus comment, as the HTML tokenizer splits
# them: a quoted attribute value may hold ">", a comment ends at "-->", "--!>" or an
# abrupt "<!-->". Every alternative matches up to its end or the end of the page, never
# fails half-way: the scan is linear whatever the page.

_SPACE = r"\t\n\f\r\x20"
_ATTRIBUTE_PATTERN = (
    rf"[^{_SPACE}/>][^{_SPACE}/>=]*"  # a name: "=" may start one
    rf"(?:[{_SPACE}]*=[{_SPACE}]*(?:\"[^\"]*\"?|'[^']*'?|[^{_SPACE}>]*))?"
)
#: The attributes of a tag; the first alternative, a special case of the others, is the
#: usual attribute (' name="value"'), taken in one step.
_ATTRIBUTES = (
    rf"(?:\x20[^{_SPACE}/>=\"'][^{_SPACE}/>=]*=\"[^\"]*\"|[{_SPACE}/]+|{_ATTRIBUTE_PATTERN})*"
)
_TOKEN = re.compile(
    rf"""<(?:
        (?P<start>[A-Za-z][^{_SPACE}/>]*)(?P<attributes>{_ATTRIBUTES})>?
      | /(?:(?P<end>[A-Za-z][^{_SPACE}/>]*)(?:>|(?P<end_attributes>{_ATTRIBUTES})>?)
          | [^A-Za-z>][^>]*>?
          | >)
      | !--(?:-?>|.*?(?:--!?>|\Z))
      | [!?][^>]*>?
    )""",
    re.DOTALL | re.VERBOSE,
)
_ATTRIBUTE = re.compile(_ATTRIBUTE_PATTERN)
_FONT_BREAKOUT = re.compile(r"(?:^|[\t\n\f\r /])(?:color|face|size)[\t\n\f\r />=]", re.IGNORECASE)


def _raw_end(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}[{_SPACE}/>]", re.IGNORECASE)


#: Elements whose content is text, up to their end tag (in HTML, not in SVG or MathML).
_RAW_TEXT = {
    name: _raw_end(name)
    for name in ("script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title")
}
# A script's text has states: after "<!--", a "<script" makes "</script>" end not the
# element but the inner script, up to "-->".
_SCRIPT_DATA = re.compile(rf"<!--|</script[{_SPACE}/>]", re.IGNORECASE)
_SCRIPT_ESCAPED = re.compile(rf"-->|</script[{_SPACE}/>]|<script[{_SPACE}/>]", re.IGNORECASE)
_SCRIPT_DOUBLE_ESCAPED = re.compile(rf"-->|</script[{_SPACE}/>]", re.IGNORECASE)


def _raw_text_end(html: str, name: str, position: int) -> int:
    """Where the end tag of the raw text element ``name`` opened before ``position``
    starts; -1 when the text goes on to the end of the page."""
    if name != "script":
        found = _RAW_TEXT[name].search(html, position)
        return found.start() if found else -1
    state = _SCRIPT_DATA
    while (found := state.search(html, position)) is not None:
        token = found.group()
        if token == "-->":
            state, position = _SCRIPT_DATA, found.end()
        elif token == "<!--":
            # From the dashes: "<!-->" opens and closes at once.
            state, position = _SCRIPT_ESCAPED, found.start() + 2
        elif token[1] == "/":  # </script
            if state is not _SCRIPT_DOUBLE_ESCAPED:
                return found.start()
            state, position = _SCRIPT_ESCAPED, found.end() - 1
        else:  # <script, escaped
            state, position = _SCRIPT_DOUBLE_ESCAPED, found.end() - 1
    return -1


# -- the tree model --------------------------------------------------------------------

_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta "
    "param source track wbr".split()
)
_FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
_INTEGRATION = frozenset("foreignobject desc title mi mo mn ms mtext annotation-xml".split())
# What an element of the stack is, as the parser's dispatcher sees it: HTML, or SVG or
# MathML content (whose tags are SVG or MathML elements, not HTML), or an integration
# point (whose content is HTML again).
_HTML, _SVG, _MATHML, _SVG_POINT, _MATHML_POINT, _MATHML_TEXT = range(6)
_SVG_POINTS = frozenset({"foreignobject", "desc", "title"})
_MATHML_TEXTS = frozenset({"mi", "mo", "mn", "ms", "mtext"})
_ENCODING = re.compile(r"(?i)encoding$")
#: The HTML elements of the "special" category (in SVG and MathML, the integration
#: points are special too).
_SPECIAL = frozenset(
    "address applet area article aside base basefont bgsound blockquote body br button "
    "caption center col colgroup dd details dialog dir div dl dt embed fieldset figcaption "
    "figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe "
    "img input keygen li link listing main marquee menu meta nav noembed noframes noscript "
    "object ol p param plaintext pre script search section select source style summary "
    "table tbody td template textarea tfoot th thead title tr track ul wbr xmp".split()
)
#: The HTML boundaries of the scopes in which end tags look for their element (and the
#: integration points of SVG and MathML); <select> is not one, but in it parsers ignore
#: most end tags.
_SCOPE = frozenset("applet caption html table td th marquee object template select".split())
_TABLE_SCOPE = frozenset({"html", "table", "template"})
_MARKERS = frozenset("applet caption marquee object template td th".split())
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
#: Start tags that close an open <p> (<table> too, but only in no-quirks mode).
_CLOSE_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset "
    "figcaption figure footer header hgroup main menu nav ol p search section summary "
    "ul pre listing form".split()
)
#: End tags that close the element through anything but a scope boundary.
_SCOPED_END = frozenset(
    "address article aside blockquote button center details dialog dir div dl fieldset "
    "figcaption figure footer header hgroup listing main menu nav ol pre search section "
    "summary ul applet marquee object select dd dt".split()
)
_TABLE_PARTS = frozenset("table tbody thead tfoot tr td th caption colgroup".split())
#: Tags that end SVG or MathML content.
_BREAKOUT = frozenset(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr "
    "i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup "
    "table tt u ul var".split()
)

# What a start tag does in HTML content: by default, open an element and close nothing.
_PLAIN, _RAW, _VOID_ROLE, _HR, _FOREIGN_ROOT, _DOCUMENT, _BLOCK, _LI, _DD_DT = range(9)
_HEADING, _OPTION, _ANCHOR, _TABLE, _BUTTON, _FORMAT, _XMP, _PLAINTEXT, _MARKER = range(9, 18)
_SELECT = 18
_ROLES: dict[str, int] = {
    **dict.fromkeys(_CLOSE_P, _BLOCK),
    **dict.fromkeys(_FORMATTING, _FORMAT),
    **dict.fromkeys(_TABLE_PARTS, _TABLE),
    **dict.fromkeys(_HEADINGS, _HEADING),
    **dict.fromkeys(_VOID, _VOID_ROLE),
    **dict.fromkeys(_RAW_TEXT, _RAW),
    **dict.fromkeys(("html", "head", "body", "frameset"), _DOCUMENT),
    **dict.fromkeys(("svg", "math"), _FOREIGN_ROOT),
    **dict.fromkeys(("dd", "dt"), _DD_DT),
    **dict.fromkeys(("option", "optgroup"), _OPTION),
    **dict.fromkeys(("a", "nobr"), _ANCHOR),
    "hr": _HR,
    "li": _LI,
    "button": _BUTTON,
    "select": _SELECT,
    "xmp": _XMP,
    "plaintext": _PLAINTEXT,
    **dict.fromkeys(("applet", "marquee", "object", "template"), _MARKER),
}

# The barriers: for each kind, the stack positions of the open elements of that kind.
_SPECIAL_B, _SCOPE_B, _BUTTON_B, _LIST_B, _TABLE_B, _LI_STOP_B = range(6)


def _barrier_kinds(name: str, foreign: bool = False) -> tuple[int, ...]:
    kinds = []
    if name in _SPECIAL or foreign:
        kinds.append(_SPECIAL_B)
        if name not in ("address", "div", "p"):
            kinds.append(_LI_STOP_B)
    if name in _SCOPE or foreign:
        kinds.append(_SCOPE_B)
    if name == "button":
        kinds.append(_BUTTON_B)
    if name in ("ol", "ul"):
        kinds.append(_LIST_B)
    if name in _TABLE_SCOPE:
        kinds.append(_TABLE_B)
    return tuple(kinds)


_KINDS = {
    name: kinds
    for name in _SPECIAL | _SCOPE | _TABLE_SCOPE | {"button", "ol", "ul"}
    if (kinds := _barrier_kinds(name))
}
#: In SVG and MathML only the integration points (whose content is HTML) are barriers.
_FOREIGN_KINDS = {name: _barrier_kinds(name, foreign=True) for name in _INTEGRATION}


class _Tree:
    """The stack of open elements, as an HTML5 parser keeps it, closely enough.

    Where the model is unsure, it keeps an element open that a parser may close. But
    whether a tag starts raw text, or SVG or MathML content, it must get right: there
    an error goes both ways (tags not seen, or seen that parsers read as text).
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        #: for each element, _HTML or what foreign content it is (see _foreign_kind)
        self.foreign: list[int] = []
        #: name -> the stack positions of the open elements of that name
        self.where: dict[str, list[int]] = {}
        self.barriers: list[list[int]] = [[] for _ in range(6)]
        #: where each run of SVG and MathML elements on the stack starts
        self.runs: list[int] = []
        #: the open templates that hold a column group: parsers ignore all but <col>
        #: and <template> in them (by stack position; False when it holds anything else)
        self.template_modes: dict[int, bool] = {}
        self.formatting = 0  # formatting elements on the stack
        #: formatting elements closed by others, which parsers open again: one count
        #: for the page and one for each marker (table cell, object...) open
        self.floating: list[dict[str, int]] = [{}]
        self.floating_total = 0

    def topmost(self, name: str) -> int:
        """The position of the innermost open ``name``, or -1."""
        found = self.where.get(name)
        return found[-1] if found else -1

    def clear_above(self, position: int, kind: int) -> bool:
        """Whether no element of barrier ``kind`` is open above ``position``."""
        barriers = self.barriers[kind]
        return not barriers or barriers[-1] <= position

    def in_foreign_content(self, name: str) -> bool:
        """Whether parsers read the start tag ``name`` as SVG or MathML content."""
        if not self.foreign:
            return False
        current = self.foreign[-1]
        if current == _SVG:
            return True
        if current == _MATHML:
            return not (name == "svg" and self.names[-1] == "annotation-xml")
        if current == _MATHML_TEXT:
            return name in ("mglyph", "malignmark")
        return False  # HTML, or an HTML integration point

    def push(self, name: str, foreign: int) -> None:
        position = len(self.names)
        if foreign and not (self.foreign and self.foreign[-1]):
            self.runs.append(position)
        self.names.append(name)
        self.foreign.append(foreign)
        found = self.where.get(name)
        if found is None:
            self.where[name] = [position]
        else:
            found.append(position)
        for kind in (_FOREIGN_KINDS if foreign else _KINDS).get(name, ()):
            self.barriers[kind].append(position)
        if not foreign:
            if name in _FORMATTING:
                self.formatting += 1
            elif name in _MARKERS:
                self.floating.append({})

    def pop_to(self, position: int, *, explicit: bool = False) -> None:
        """Close the elements from ``position`` up. The formatting elements among them
        float (parsers open them again), but the last one when ``explicit`` (closed by
        its own end tag)."""
        names, foreign, where = self.names, self.foreign, self.where
        while len(names) > position:
            name = names.pop()
            where[name].pop()
            is_foreign = foreign.pop()
            for kind in (_FOREIGN_KINDS if is_foreign else _KINDS).get(name, ()):
                self.barriers[kind].pop()
            if is_foreign:
                if self.runs[-1] == len(names):
                    self.runs.pop()
                continue
            if name in _FORMATTING:
                self.formatting -= 1
                if not (explicit and len(names) == position):
                    floating = self.floating[-1]
                    floating[name] = floating.get(name, 0) + 1
                    self.floating_total += 1
            elif name in _MARKERS and len(self.floating) > 1:
                self.floating_total -= sum(self.floating.pop().values())
                if name == "template":
                    self.template_modes.pop(len(names), None)

    def unfloat(self, name: str) -> bool:
        """Forget a floating formatting element ``name``, if there is one."""
        floating = self.floating[-1]
        if floating.get(name):
            floating[name] -= 1
            self.floating_total -= 1
            return True
        return False


class _Scan:
    """One reading of a page: its tags into the tree model, and the edits that keep the
    tree within the budget."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.tree = _Tree()
        self.edits: list[tuple[int, int, str]] = []
        #: end tags to drop, of the elements hung one level up or dropped
        self.owed: dict[str, int] = {}
        self.pending = 0  # their number: how much deeper than the tree the page goes
        #: the element last hung one level up: name, stack position, end of its tag
        self.hung: tuple[str, int, int] = ("", -1, 0)
        self.depth = self.attributes = self.formatting = 0

    def run(self) -> None:
        html, tree, owed = self.html, self.tree, self.owed
        names, foreign, where, barriers = tree.names, tree.foreign, tree.where, tree.barriers
        role_of, kinds_of = _ROLES.get, _KINDS.get
        search = _TOKEN.search
        max_depth, long, not_popped = MAX_DEPTH, _LONG, _NOT_POPPED
        # Set at raw text (or CDATA) that has no end: what follows is text to parsers.
        # It is read on all the same, as tags, in case the model is wrong to read it as
        # text (it can only find more); but no end of raw text is looked for any more.
        text_to_the_end = False
        position = 0
        # The usual cases are tree.push() and tree.pop_to() inlined: a page has thousands
        # of tags, and this runs on every page.
        while (match := search(html, position)) is not None:
            position = match.end()
            name, attributes, end, end_attributes = match.groups()
            if name is None:
                if end is None:  # a comment, doctype or bogus comment
                    if foreign and foreign[-1] and html.startswith("<![CDATA[", match.start()):
                        # In SVG and MathML, text up to "]]>".
                        found = -1 if text_to_the_end else html.find("]]>", match.start() + 9)
                        if found >= 0:
                            position = found + 3
                        else:
                            text_to_the_end = True
                    continue
                end = end.lower()
                if owed and owed.get(end) or end_attributes and len(end_attributes) > long:
                    self._end_tag(end, end_attributes, match)
                elif foreign and foreign[-1]:
                    _foreign_end_tag(tree, end)
                elif not names or names[-1] != end or end in not_popped:
                    _end_tag(tree, end)
                elif end in _FORMATTING:
                    if tree.floating[-1].get(end):
                        _end_tag(tree, end)
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
            if len(names) + tree.floating_total >= max_depth and not self._make_room(name, match):
                continue  # the tag is dropped
            if len(attributes) > long:  # shorter, it cannot hold too many attributes
                attributes = self._trim(name, attributes, match)
            role = role_of(name, _PLAIN)
            if (role == _FORMAT or role == _ANCHOR) and (
                tree.formatting + tree.floating_total >= MAX_FORMATTING
            ):
                # Dropped before anything else: nothing it would do may happen.
                self._drop(name, match)
                continue
            if foreign and foreign[-1] and tree.in_foreign_content(name):
                if name in _BREAKOUT or (name == "font" and _FONT_BREAKOUT.search(attributes)):
                    _break_out(tree)  # and read the tag as HTML
                else:
                    if not _self_closing(attributes):
                        kind = _foreign_kind(foreign[-1], name, attributes)
                        tree.push(name, kind)
                    continue
            # In HTML content: close what the tag closes, then open its element.
            if names and names[-1] in _MODAL and not _modal_start(tree, name):
                continue  # parsers ignore the tag
            if role == _BLOCK:
                if where.get("p"):
                    _close_p(tree)
            elif role != _PLAIN:
                if role == _RAW or role == _XMP:
                    found = -1 if text_to_the_end else _raw_text_end(html, name, position)
                    if found >= 0:
                        # Its end tag closes nothing open: it is passed over, and kept.
                        ended = search(html, found)
                        position = ended.end() if ended else len(html)
                    else:
                        text_to_the_end = True
                    if role == _XMP:
                        _close_p(tree)
                    continue
                if role == _VOID_ROLE or role == _HR:
                    if role == _HR:
                        _close_p(tree)
                    elif name == "input" and where.get("select"):
                        _close_select(tree)  # an <input> ends a <select>
                    continue
                if role == _FOREIGN_ROOT:
                    if not _self_closing(attributes):
                        tree.push(name, _SVG if name == "svg" else _MATHML)
                    continue
                if role == _ANCHOR:
                    if tree.floating_total or where.get(name):
                        _close_anchor(tree, name)
                elif role == _DOCUMENT and not _open_document(tree, name):
                    continue  # parsers merge it into the one open, or ignore it
                elif role == _PLAINTEXT:
                    _close_p(tree)
                    text_to_the_end = True
                    continue
                elif role != _FORMAT and not _close_implied(tree, name, role):
                    continue  # parsers ignore the tag
            depth = len(names)
            names.append(name)
            foreign.append(_HTML)
            found_at = where.get(name)
            if found_at is None:
                where[name] = [depth]
            else:
                found_at.append(depth)
            kinds = kinds_of(name)
            if kinds:
                for kind in kinds:
                    barriers[kind].append(depth)
            if role == _FORMAT or role == _ANCHOR:
                tree.formatting += 1
            elif name in _MARKERS:
                tree.floating.append({})

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
            self.edits.append((match.start(), match.end(), _removed(self.html, match.start())))
            return
        # An end tag's attributes mean nothing, but parsers read and compare them.
        self.attributes = max(self.attributes, len(_ATTRIBUTE.findall(attributes or "")))
        self.edits.append((match.start(), match.end(), f"</{name}>"))
        tree = self.tree
        if tree.foreign and tree.foreign[-1]:
            _foreign_end_tag(tree, name)
        else:
            _end_tag(tree, name)

    def _trim(self, name: str, attributes: str, match: re.Match[str]) -> str:
        """Keep the first MAX_ATTRIBUTES attributes of the start tag of ``match``; the
        attribute text that parsers will read."""
        kept = _ATTRIBUTE.findall(attributes)
        self.attributes = max(self.attributes, len(kept))
        if len(kept) <= MAX_ATTRIBUTES:
            return attributes
        closing = " /" if _self_closing(attributes) else ""
        attributes = f" {' '.join(kept[:MAX_ATTRIBUTES])}{closing}"
        self.edits.append((match.start(), match.end(), f"<{name}{attributes}>"))
        return attributes

    def result(self) -> tuple[str, Overrun | None]:
        if not self.edits:
            return self.html, None
        overrun = Overrun(self.depth, self.attributes, self.formatting, len(self.edits))
        return _apply(self.html, self.edits), overrun


#: Elements that, as the current node, change how tags are read.
_MODAL = frozenset({"colgroup", "template"})
#: The tags read as in <head> wherever they are: a template's first tag is not one.
_IN_HEAD = frozenset("base basefont bgsound link meta noframes script style template title".split())


def _removed(html: str, start: int) -> str:
    """What takes the place of the tag at ``start`` taken out: nothing, or an empty
    comment after a "<", which would make a new tag of what follows ("<" + "<b>" +
    "i>" is "<i>")."""
    return "<!---->" if start and html[start - 1] == "<" else ""


#: An attribute text no longer than this holds at most MAX_ATTRIBUTES attributes (each
#: takes a character and a separator at least).
_LONG = 2 * MAX_ATTRIBUTES
#: End tags that do not close their element even when it is the current node (</body>
#: and </html> only move the parser on), or whose closing is more than a pop: markers
#: (which end the formatting elements opened in them).
_NOT_POPPED = frozenset({"body", "html"}) | _MARKERS


def bounded_html(html: str) -> tuple[str, Overrun | None]:
    """``html`` within the budget, and what went over: None, and ``html`` itself (the
    same string), when nothing did."""
    scan = _Scan(html)
    scan.run()
    return scan.result()


def _open_document(tree: _Tree, name: str) -> bool:
    """Whether <html>, <head> or <body> opens an element: only at the start of a page,
    <head> only before <body>; parsers merge a later one into the first (<frameset> is
    ignored: after it they ignore all but frames)."""
    names = tree.names
    if name == "html":
        return not names
    if name == "head":
        return names in ([], ["html"])
    if name == "body" and names in ([], ["html"], ["html", "head"], ["head"]):
        if names and names[-1] == "head":
            tree.pop_to(len(names) - 1)
        return True
    return False


def _close_select(tree: _Tree) -> bool:
    """Close the open <select> (and what is open in it), if there is one in scope."""
    select = tree.topmost("select")
    if select >= 0 and not tree.foreign[select] and tree.clear_above(select, _SCOPE_B):
        tree.pop_to(select)
        return True
    return False


def _close_p(tree: _Tree) -> None:
    """Close an open <p> and what is open in it, as a block that starts does."""
    p = tree.topmost("p")
    if p >= 0 and tree.clear_above(p, _SCOPE_B) and tree.clear_above(p, _BUTTON_B):
        tree.pop_to(p)


def _break_out(tree: _Tree) -> None:
    """Close the SVG and MathML elements up to an integration point, or HTML."""
    while tree.foreign and tree.foreign[-1] in (_SVG, _MATHML):
        tree.pop_to(len(tree.names) - 1)


def _foreign_end_tag(tree: _Tree, name: str) -> None:
    """The end tag ``name`` when the current node is SVG or MathML."""
    if name in ("br", "p"):
        _break_out(tree)
        if name == "p" and not (tree.foreign and tree.foreign[-1]):
            _end_tag(tree, name)
        return
    # The parser looks for it among the SVG and MathML elements open on top of the
    # stack, and reads the tag as HTML when it finds none.
    found = tree.topmost(name)
    if found >= tree.runs[-1]:
        tree.pop_to(found)
    else:
        _end_tag(tree, name)


def _close_anchor(tree: _Tree, name: str) -> None:
    """A second <a> (or <nobr>) closes the first."""
    if not tree.unfloat(name):
        found = tree.topmost(name)
        if found >= 0 and tree.clear_above(found, _SPECIAL_B):
            tree.pop_to(found, explicit=True)


def _close_implied(tree: _Tree, name: str, role: int) -> bool:
    """Close the elements that the start tag ``name`` closes (some of them: never more
    than a parser does); False when parsers ignore the tag."""
    if role == _LI:
        li = tree.topmost("li")
        if li >= 0 and tree.clear_above(li, _LI_STOP_B):
            tree.pop_to(li)
        _close_p(tree)
    elif role == _DD_DT:
        item = max(tree.topmost("dd"), tree.topmost("dt"))
        if item >= 0 and tree.clear_above(item, _LI_STOP_B):
            tree.pop_to(item)
        _close_p(tree)
    elif role == _HEADING:
        _close_p(tree)
        if tree.names and tree.names[-1] in _HEADINGS:
            tree.pop_to(len(tree.names) - 1)
    elif role == _OPTION:
        if tree.names and tree.names[-1] == "option":
            tree.pop_to(len(tree.names) - 1)
    elif role == _TABLE:
        return _close_table_parts(tree, name)
    elif role == _SELECT:
        # A <select> in a <select> ends it, and opens nothing.
        return not _close_select(tree)
    elif role == _BUTTON:
        button = tree.topmost("button")
        if button >= 0 and tree.clear_above(button, _SCOPE_B):
            tree.pop_to(button)
    return True


def _close_table_parts(tree: _Tree, name: str) -> bool:
    """Within the innermost table (not in a template in it), a part of a table closes
    the open caption, a row the open row, a cell the open cell, and a cell or a row
    opens what it needs (a <tbody>, a <tr>) as parsers do. Outside tables, parsers
    ignore these tags (<table> apart)."""
    table, template = tree.topmost("table"), tree.topmost("template")
    if table < 0 or template > table:
        return name == "table" or template >= 0
    caption = tree.topmost("caption")
    if name == "table":
        # A table right in a table (not in a cell of it) ends that one.
        if max(tree.topmost("td"), tree.topmost("th"), caption) < table:
            tree.pop_to(table)
        return True
    if caption > table:
        tree.pop_to(caption)
    if name in ("caption", "colgroup"):
        tree.pop_to(table + 1)
        return True
    section = max(tree.topmost("tbody"), tree.topmost("thead"), tree.topmost("tfoot"))
    if name in ("tbody", "thead", "tfoot"):
        if section > table:
            tree.pop_to(section)
        return True
    row = tree.topmost("tr")
    if name == "tr":
        if row > table:
            tree.pop_to(row)
        elif section < table:
            tree.push("tbody", _HTML)
        return True
    cell = max(tree.topmost("td"), tree.topmost("th"))
    if cell > table:
        tree.pop_to(cell)
    elif row < table:
        if section < table:
            tree.push("tbody", _HTML)
        tree.push("tr", _HTML)
    return True


def _modal_start(tree: _Tree, name: str) -> bool:
    """The start tag ``name`` read with a <colgroup> or <template> as the current node;
    False when parsers ignore it."""
    position = len(tree.names) - 1
    if tree.names[position] == "colgroup":
        if name not in ("col", "template"):
            tree.pop_to(position)  # the column group ends: the tag is read in the table
        return True
    # A template holds what its first tag says: a column group, if a <col>.
    holds_columns = tree.template_modes.get(position)
    if holds_columns is None and name not in _IN_HEAD:
        tree.template_modes[position] = holds_columns = name == "col"
    return not holds_columns or name in ("col", "template")


def _end_tag(tree: _Tree, name: str) -> None:
    """Close what the end tag ``name`` closes (never more than a parser does)."""
    if name in ("body", "html", "br"):
        return
    if tree.names and tree.names[-1] in _MODAL and not tree.foreign[-1]:
        if tree.names[-1] == "colgroup":
            if name == "col":
                return
            if name not in ("colgroup", "template"):
                tree.pop_to(len(tree.names) - 1)  # the column group ends
        elif name != "template" and tree.template_modes.get(len(tree.names) - 1):
            return  # ignored in a template that holds a column group
    if name in _FORMATTING and tree.unfloat(name):
        return
    if name in _HEADINGS:
        found = max(tree.topmost(h) for h in _HEADINGS)
    else:
        found = tree.topmost(name)
    if found < 0 or tree.foreign[found]:
        return  # HTML end tags close HTML elements only
    if name == "p":
        closes = tree.clear_above(found, _SCOPE_B) and tree.clear_above(found, _BUTTON_B)
    elif name == "li":
        closes = tree.clear_above(found, _SCOPE_B) and tree.clear_above(found, _LIST_B)
    elif name in _SCOPED_END or name in _HEADINGS:
        closes = tree.clear_above(found, _SCOPE_B)
    elif name in _TABLE_PARTS:
        closes = tree.clear_above(found, _TABLE_B)
    elif name == "form":
        # </form> takes the form out of the stack, not what is open in it.
        closes = found == len(tree.names) - 1
    elif name == "template":
        closes = True  # whatever is open in it
    else:  # any other end tag: no special element may lie above it
        closes = tree.clear_above(found, _SPECIAL_B)
    if closes:
        tree.pop_to(found, explicit=True)


def _foreign_kind(current: int, name: str, attributes: str) -> int:
    """What the SVG or MathML element ``name`` is, opened in the content of ``current``."""
    if current in (_SVG, _SVG_POINT):
        return _SVG_POINT if name in _SVG_POINTS else _SVG
    if name in _MATHML_TEXTS:
        return _MATHML_TEXT
    if name == "annotation-xml":
        # An HTML integration point only when it says it holds HTML.
        for attribute in _ATTRIBUTE.finditer(attributes):
            key, _, value = attribute.group().partition("=")
            if _ENCODING.match(key.strip()):
                value = value.strip().strip("\"'").lower()
                if value in ("text/html", "application/xhtml+xml"):
                    return _MATHML_POINT
                break  # the first one counts
    return _MATHML


def _self_closing(attributes: str) -> bool:
    """Whether a tag whose attribute text is ``attributes`` ends in "/>" (a "/" that ends
    an unquoted value does not count)."""
    if not attributes.endswith("/"):
        return False
    covered = 0
    for attribute in _ATTRIBUTE.finditer(attributes):
        covered = attribute.end()
    return covered < len(attributes)


def _apply(html: str, edits: Iterable[tuple[int, int, str]]) -> str:
    parts = []
    done = 0
    for start, end, replacement in edits:
        parts.append(html[done:start])
        parts.append(replacement)
        done = end
    parts.append(html[done:])
    return "".join(parts)
