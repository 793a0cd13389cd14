"""The stack of open elements of an HTML page, as an HTML5 parser keeps it, closely
enough to count how deep a page nests (:mod:`~archiver.extraction.budget`).
"""

from __future__ import annotations

from .htmltokens import (
    ATTRIBUTE,
    BUTTON,
    BUTTON_B,
    DD_DT,
    ENCODING,
    FOREIGN_KINDS,
    FORMATTING,
    HEADING,
    HEADINGS,
    HTML,
    IN_HEAD,
    KINDS,
    LI,
    LI_STOP_B,
    LIST_B,
    MARKERS,
    MATHML,
    MATHML_POINT,
    MATHML_TEXT,
    MATHML_TEXTS,
    MODAL,
    OPTION,
    SCOPE_B,
    SCOPED_END,
    SELECT,
    SPECIAL_B,
    SVG,
    SVG_POINT,
    SVG_POINTS,
    TABLE,
    TABLE_B,
    TABLE_PARTS,
)

__all__ = [
    "Tree",
    "break_out",
    "close_anchor",
    "close_implied",
    "close_p",
    "close_select",
    "end_tag",
    "foreign_end_tag",
    "foreign_kind",
    "modal_start",
    "open_document",
    "self_closing",
]


class Tree:
    """The stack of open elements, as an HTML5 parser keeps it, closely enough.

    Where the model is unsure, it keeps an element open that a parser may close. But
    whether a tag starts raw text, or SVG or MathML content, it must get right: there
    an error goes both ways (tags not seen, or seen that parsers read as text).
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        #: for each element, HTML or what foreign content it is (see foreign_kind)
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
        if current == SVG:
            return True
        if current == MATHML:
            return not (name == "svg" and self.names[-1] == "annotation-xml")
        if current == MATHML_TEXT:
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
        for kind in (FOREIGN_KINDS if foreign else KINDS).get(name, ()):
            self.barriers[kind].append(position)
        if not foreign:
            if name in FORMATTING:
                self.formatting += 1
            elif name in MARKERS:
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
            for kind in (FOREIGN_KINDS if is_foreign else KINDS).get(name, ()):
                self.barriers[kind].pop()
            if is_foreign:
                if self.runs[-1] == len(names):
                    self.runs.pop()
                continue
            if name in FORMATTING:
                self.formatting -= 1
                if not (explicit and len(names) == position):
                    floating = self.floating[-1]
                    floating[name] = floating.get(name, 0) + 1
                    self.floating_total += 1
            elif name in MARKERS and len(self.floating) > 1:
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


def open_document(tree: Tree, name: str) -> bool:
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


def close_select(tree: Tree) -> bool:
    """Close the open <select> (and what is open in it), if there is one in scope."""
    select = tree.topmost("select")
    if select >= 0 and not tree.foreign[select] and tree.clear_above(select, SCOPE_B):
        tree.pop_to(select)
        return True
    return False


def close_p(tree: Tree) -> None:
    """Close an open <p> and what is open in it, as a block that starts does."""
    p = tree.topmost("p")
    if p >= 0 and tree.clear_above(p, SCOPE_B) and tree.clear_above(p, BUTTON_B):
        tree.pop_to(p)


def break_out(tree: Tree) -> None:
    """Close the SVG and MathML elements up to an integration point, or HTML."""
    while tree.foreign and tree.foreign[-1] in (SVG, MATHML):
        tree.pop_to(len(tree.names) - 1)


def foreign_end_tag(tree: Tree, name: str) -> None:
    """The end tag ``name`` when the current node is SVG or MathML."""
    if name in ("br", "p"):
        break_out(tree)
        if name == "p" and not (tree.foreign and tree.foreign[-1]):
            end_tag(tree, name)
        return
    # The parser looks for it among the SVG and MathML elements open on top of the
    # stack, and reads the tag as HTML when it finds none.
    found = tree.topmost(name)
    if found >= tree.runs[-1]:
        tree.pop_to(found)
    else:
        end_tag(tree, name)


def close_anchor(tree: Tree, name: str) -> None:
    """A second <a> (or <nobr>) closes the first."""
    if not tree.unfloat(name):
        found = tree.topmost(name)
        if found >= 0 and tree.clear_above(found, SPECIAL_B):
            tree.pop_to(found, explicit=True)


def close_implied(tree: Tree, name: str, role: int) -> bool:
    """Close the elements that the start tag ``name`` closes (some of them: never more
    than a parser does); False when parsers ignore the tag."""
    if role == LI:
        li = tree.topmost("li")
        if li >= 0 and tree.clear_above(li, LI_STOP_B):
            tree.pop_to(li)
        close_p(tree)
    elif role == DD_DT:
        item = max(tree.topmost("dd"), tree.topmost("dt"))
        if item >= 0 and tree.clear_above(item, LI_STOP_B):
            tree.pop_to(item)
        close_p(tree)
    elif role == HEADING:
        close_p(tree)
        if tree.names and tree.names[-1] in HEADINGS:
            tree.pop_to(len(tree.names) - 1)
    elif role == OPTION:
        if tree.names and tree.names[-1] == "option":
            tree.pop_to(len(tree.names) - 1)
    elif role == TABLE:
        return _close_table_parts(tree, name)
    elif role == SELECT:
        # A <select> in a <select> ends it, and opens nothing.
        return not close_select(tree)
    elif role == BUTTON:
        button = tree.topmost("button")
        if button >= 0 and tree.clear_above(button, SCOPE_B):
            tree.pop_to(button)
    return True


def _close_table_parts(tree: Tree, name: str) -> bool:
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
            tree.push("tbody", HTML)
        return True
    cell = max(tree.topmost("td"), tree.topmost("th"))
    if cell > table:
        tree.pop_to(cell)
    elif row < table:
        if section < table:
            tree.push("tbody", HTML)
        tree.push("tr", HTML)
    return True


def modal_start(tree: Tree, name: str) -> bool:
    """The start tag ``name`` read with a <colgroup> or <template> as the current node;
    False when parsers ignore it."""
    position = len(tree.names) - 1
    if tree.names[position] == "colgroup":
        if name not in ("col", "template"):
            tree.pop_to(position)  # the column group ends: the tag is read in the table
        return True
    # A template holds what its first tag says: a column group, if a <col>.
    holds_columns = tree.template_modes.get(position)
    if holds_columns is None and name not in IN_HEAD:
        tree.template_modes[position] = holds_columns = name == "col"
    return not holds_columns or name in ("col", "template")


def end_tag(tree: Tree, name: str) -> None:
    """Close what the end tag ``name`` closes (never more than a parser does)."""
    if name in ("body", "html", "br"):
        return
    if tree.names and tree.names[-1] in MODAL and not tree.foreign[-1]:
        if tree.names[-1] == "colgroup":
            if name == "col":
                return
            if name not in ("colgroup", "template"):
                tree.pop_to(len(tree.names) - 1)  # the column group ends
        elif name != "template" and tree.template_modes.get(len(tree.names) - 1):
            return  # ignored in a template that holds a column group
    if name in FORMATTING and tree.unfloat(name):
        return
    if name in HEADINGS:
        found = max(tree.topmost(h) for h in HEADINGS)
    else:
        found = tree.topmost(name)
    if found < 0 or tree.foreign[found]:
        return  # HTML end tags close HTML elements only
    if name == "p":
        closes = tree.clear_above(found, SCOPE_B) and tree.clear_above(found, BUTTON_B)
    elif name == "li":
        closes = tree.clear_above(found, SCOPE_B) and tree.clear_above(found, LIST_B)
    elif name in SCOPED_END or name in HEADINGS:
        closes = tree.clear_above(found, SCOPE_B)
    elif name in TABLE_PARTS:
        closes = tree.clear_above(found, TABLE_B)
    elif name == "form":
        # </form> takes the form out of the stack, not what is open in it.
        closes = found == len(tree.names) - 1
    elif name == "template":
        closes = True  # whatever is open in it
    else:  # any other end tag: no special element may lie above it
        closes = tree.clear_above(found, SPECIAL_B)
    if closes:
        tree.pop_to(found, explicit=True)


def foreign_kind(current: int, name: str, attributes: str) -> int:
    """What the SVG or MathML element ``name`` is, opened in the content of ``current``."""
    if current in (SVG, SVG_POINT):
        return SVG_POINT if name in SVG_POINTS else SVG
    if name in MATHML_TEXTS:
        return MATHML_TEXT
    if name == "annotation-xml":
        # An HTML integration point only when it says it holds HTML.
        for attribute in ATTRIBUTE.finditer(attributes):
            key, _, value = attribute.group().partition("=")
            if ENCODING.match(key.strip()):
                value = value.strip().strip("\"'").lower()
                if value in ("text/html", "application/xhtml+xml"):
                    return MATHML_POINT
                break  # the first one counts
    return MATHML


def self_closing(attributes: str) -> bool:
    """Whether a tag whose attribute text is ``attributes`` ends in "/>" (a "/" that ends
    an unquoted value does not count)."""
    if not attributes.endswith("/"):
        return False
    covered = 0
    for attribute in ATTRIBUTE.finditer(attributes):
        covered = attribute.end()
    return covered < len(attributes)
