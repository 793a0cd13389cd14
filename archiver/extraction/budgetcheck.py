"""The quick proof that a page is within the budget, which spares most pages the full
model of :mod:`~archiver.extraction.budget`.

:func:`within_budget` reads the same tags as the model (the same tokenizer, the same raw
text), but keeps only the names of the open elements, in a plain list: what the model
keeps beside them (where each name and each barrier is, the formatting elements that
float, the SVG and MathML runs) is there for the cases this check gives up on. On every
tag it either does exactly what the model does to its stack of open elements, or gives
up: on a formatting element that an implied close would make float, on templates, column
groups, captions, ``<select>`` closed by another tag, MathML, HTML inside SVG, CDATA, raw
text with no end, ``<plaintext>``, and on any end tag whose element the model might close
through others than it. So while it runs its list is the model's stack, nothing floats,
and a page it passes within the limits is one the model leaves as it is. Ordinary pages
pass (on trafilatura-dev, 4 in 5), in about a third of the model's time.
"""

from __future__ import annotations

from .htmltokens import (
    ANCHOR,
    ATTRIBUTE,
    BLOCK,
    BREAKOUT,
    BUTTON,
    BUTTON_B,
    DD_DT,
    DOCUMENT,
    FONT_BREAKOUT,
    FOREIGN_ROOT,
    FORMAT,
    FORMATTING,
    HEADING,
    HEADINGS,
    HR,
    KINDS,
    LI,
    LI_STOP_B,
    LIST_B,
    OPTION,
    PLAIN,
    RAW,
    ROLES,
    SCOPE_B,
    SCOPED_END,
    SELECT,
    SPECIAL_B,
    SVG_POINTS,
    TABLE,
    TABLE_B,
    TABLE_PARTS,
    TOKEN,
    VOID_ROLE,
    XMP,
    raw_text_end,
)
from .opentags import self_closing

__all__ = ["within_budget"]


def _holding(kind: int) -> frozenset[str]:
    """The HTML elements that are barriers of ``kind``."""
    return frozenset(name for name, kinds in KINDS.items() if kind in kinds)


_SPECIAL, _SCOPE, _LIST, _TABLE_SCOPE = (_holding(k) for k in (SPECIAL_B, SCOPE_B, LIST_B, TABLE_B))
_P_SCOPE = _SCOPE | _holding(BUTTON_B)
_LI_STOP = _holding(LI_STOP_B)
_HEADINGS = frozenset(HEADINGS)
_P, _LI, _DD_DT, _BUTTON = (frozenset(n.split()) for n in ("p", "li", "dd dt", "button"))
#: What stops an end tag from closing its element when others are open in it.
_END_BARRIERS = {
    "p": _P_SCOPE,
    "li": _SCOPE | _LIST,
    **dict.fromkeys(SCOPED_END | _HEADINGS, _SCOPE),
    **dict.fromkeys(TABLE_PARTS, _TABLE_SCOPE),
}


class _Unsure(Exception):
    """The model may do more than the check follows: the model decides."""


def _topmost(names: list[str], targets: frozenset[str]) -> int:
    for position in range(len(names) - 1, -1, -1):
        if names[position] in targets:
            return position
    return -1


def _close_from(names: list[str], position: int) -> None:
    """Close the elements from ``position`` up, as implied: formatting ones would float."""
    if not FORMATTING.isdisjoint(names[position:]):
        raise _Unsure
    del names[position:]


def _close(names: list[str], targets: frozenset[str], barriers: frozenset[str]) -> None:
    """Close the innermost open element of ``targets`` and what is open in it, unless a
    barrier is open in it."""
    if targets.isdisjoint(names):
        return
    found = _topmost(names, targets)
    if barriers.isdisjoint(names[found + 1 :]):
        _close_from(names, found)


def _end_tag(names: list[str], name: str) -> bool:
    """Close what the end tag ``name`` closes, when it is not the current node's (HTML
    content), as a second <a> closes the first too; whether it closed a formatting
    element."""
    targets = _HEADINGS if name in _HEADINGS else frozenset((name,))
    if name in ("body", "html", "br", "form") or targets.isdisjoint(names):
        return False  # closes nothing (a </form> only when the form is the current node)
    found = _topmost(names, targets)
    if not _END_BARRIERS.get(name, _SPECIAL).isdisjoint(names[found + 1 :]):
        return False
    closed = names[found]
    _close_from(names, found + 1)  # the element itself is closed explicitly: no float
    del names[found]
    return closed in FORMATTING


def _table_part(names: list[str], name: str) -> bool:
    """The start tag of the part of a table ``name``, as the model's table rules read it
    (no template or caption open); whether it opens an element."""
    if name in ("caption", "colgroup"):
        raise _Unsure
    if "table" not in names:
        return name == "table"
    table = _topmost(names, frozenset(("table",)))
    if name == "table":
        if _topmost(names, frozenset(("td", "th"))) < table:
            _close_from(names, table)
        return True
    section = _topmost(names, frozenset(("tbody", "thead", "tfoot")))
    if name in ("tbody", "thead", "tfoot"):
        if section > table:
            _close_from(names, section)
        return True
    row = _topmost(names, frozenset(("tr",)))
    if name == "tr":
        if row > table:
            _close_from(names, row)
        elif section < table:
            names.append("tbody")
        return True
    cell = _topmost(names, frozenset(("td", "th")))
    if cell > table:
        _close_from(names, cell)
    elif row < table:
        if section < table:
            names.append("tbody")
        names.append("tr")
    return True


def _open_document(names: list[str], name: str) -> bool:
    """Whether <html>, <head> or <body> opens an element (see opentags.open_document)."""
    if name == "html":
        return not names
    if name == "head":
        return names in ([], ["html"])
    if name == "body" and names in ([], ["html"], ["html", "head"], ["head"]):
        if names and names[-1] == "head":
            names.pop()
        return True
    return False


def _start_tag(names: list[str], name: str, role: int) -> bool:
    """Close what the HTML start tag ``name`` of ``role`` closes (one of the roles that
    close others); whether it opens an element."""
    if role == DOCUMENT:
        return _open_document(names, name)
    if role == LI or role == DD_DT:
        _close(names, _LI if role == LI else _DD_DT, _LI_STOP)
        _close(names, _P, _P_SCOPE)
    elif role == HEADING:
        _close(names, _P, _P_SCOPE)
        if names and names[-1] in _HEADINGS:
            names.pop()
    elif role == OPTION:
        if names and names[-1] == "option":
            names.pop()
    elif role == TABLE:
        return _table_part(names, name)
    elif role == SELECT:
        if "select" in names:
            raise _Unsure
    elif role == BUTTON:
        _close(names, _BUTTON, _SCOPE)
    elif name not in ("applet", "marquee", "object"):
        raise _Unsure  # <plaintext>, <template>
    return True


def _foreign_start_tag(names: list[str], name: str, attributes: str) -> bool:
    """The start tag ``name`` in SVG content: False where it is read as HTML."""
    if names[-1] in SVG_POINTS or name in BREAKOUT:
        return False
    if name == "font" and FONT_BREAKOUT.search(attributes):
        return False
    if not self_closing(attributes):
        names.append(name)
    return True


def _foreign_end_tag(names: list[str], name: str, foreign: int) -> int:
    """Close what the end tag ``name`` closes in SVG content that starts at ``foreign``;
    where the SVG content then starts, -1 when it ended."""
    if name in ("br", "p"):
        raise _Unsure  # they end SVG content
    if name in names[foreign:]:
        del names[_topmost(names, frozenset((name,))) :]
        return foreign if len(names) > foreign else -1
    if name in names or name in _HEADINGS and not _HEADINGS.isdisjoint(names):
        raise _Unsure  # read as HTML: it may close the SVG and more
    return foreign


def within_budget(html: str, max_depth: int, max_attributes: int, max_formatting: int) -> bool:
    """Whether the model of the budget surely finds ``html`` within these limits: it
    would change nothing. False when it goes over them, or may."""
    try:
        return _read(html, max_depth, max_attributes, max_formatting)
    except _Unsure:
        return False


def _read(html: str, max_depth: int, max_attributes: int, max_formatting: int) -> bool:
    names: list[str] = []
    formatting = 0  # formatting elements open in HTML content
    foreign = -1  # where the open SVG starts; its elements are the top of the stack
    long = 2 * max_attributes  # shorter attribute text holds fewer attributes
    search, role_of = TOKEN.search, ROLES.get
    position = 0
    # The usual tags come first, tested inline: this runs on every page.
    while (match := search(html, position)) is not None:
        position = match.end()
        name, attributes, end, end_attributes = match.groups()
        if name is None:
            if end is None:  # a comment, doctype or bogus comment
                if foreign >= 0 and html.startswith("<![CDATA[", match.start()):
                    return False
                continue
            if end_attributes and len(end_attributes) > long:
                return False  # the model rewrites it
            end = end.lower()
            if foreign >= 0:
                foreign = _foreign_end_tag(names, end, foreign)
            elif names and names[-1] == end:
                if end in FORMATTING:
                    formatting -= 1
                elif end == "body" or end == "html":
                    continue  # they only move parsers on
                names.pop()
            elif _end_tag(names, end):
                formatting -= 1
            continue
        name = name.lower()
        if len(names) >= max_depth:
            return False
        if len(attributes) > long and len(ATTRIBUTE.findall(attributes)) > max_attributes:
            return False
        role = role_of(name, PLAIN)
        if role == PLAIN and foreign < 0:
            names.append(name)
        elif role == FORMAT or role == ANCHOR:
            if formatting >= max_formatting:
                return False
            if foreign < 0:
                if role == ANCHOR and name in names and _end_tag(names, name):
                    formatting -= 1
                names.append(name)
                formatting += 1
            elif not _foreign_start_tag(names, name, attributes):
                return False
        elif foreign >= 0:
            if not _foreign_start_tag(names, name, attributes):
                return False
        elif role == BLOCK:
            if "p" in names:
                _close(names, _P, _P_SCOPE)
            names.append(name)
        elif role == VOID_ROLE or role == HR:
            if name == "input" and "select" in names:
                return False
            if role == HR and "p" in names:
                _close(names, _P, _P_SCOPE)
        elif role == RAW or role == XMP:
            found = raw_text_end(html, name, position)
            if found < 0:
                return False
            ended = search(html, found)  # its end tag, which closes nothing
            position = ended.end() if ended else len(html)
            if role == XMP and "p" in names:
                _close(names, _P, _P_SCOPE)
        elif role == FOREIGN_ROOT:
            if not self_closing(attributes):
                if name != "svg":
                    return False  # MathML
                foreign = len(names)
                names.append(name)
        elif _start_tag(names, name, role):
            names.append(name)
    return True
