"""The HTML tokenizer and the element classes of the page budget's tree model.

One regular expression match per tag, comment, doctype or bogus comment, as the HTML
tokenizer splits them, linear whatever the page; and the sets of element names that the
HTML5 tree construction treats alike (void, formatting, special, scoping...), as
:mod:`~archiver.extraction.opentags` and :mod:`~archiver.extraction.budget` use them.
"""

from __future__ import annotations

import re

__all__ = [
    "ANCHOR",
    "ATTRIBUTE",
    "BLOCK",
    "BREAKOUT",
    "BUTTON",
    "BUTTON_B",
    "DD_DT",
    "DOCUMENT",
    "ENCODING",
    "FONT_BREAKOUT",
    "FOREIGN_KINDS",
    "FOREIGN_ROOT",
    "FORMAT",
    "FORMATTING",
    "HEADING",
    "HEADINGS",
    "HR",
    "HTML",
    "IN_HEAD",
    "KINDS",
    "LI",
    "LIST_B",
    "LI_STOP_B",
    "MARKERS",
    "MATHML",
    "MATHML_POINT",
    "MATHML_TEXT",
    "MATHML_TEXTS",
    "MODAL",
    "OPTION",
    "PLAIN",
    "PLAINTEXT",
    "RAW",
    "ROLES",
    "SCOPED_END",
    "SCOPE_B",
    "SELECT",
    "SPECIAL_B",
    "SVG",
    "SVG_POINT",
    "SVG_POINTS",
    "TABLE",
    "TABLE_B",
    "TABLE_PARTS",
    "TOKEN",
    "VOID_ROLE",
    "XMP",
    "raw_text_end",
]

_SPACE = r"\t\n\f\r\x20"
# Every quantifier is possessive ("*+", "?+"): what follows each one matches whatever it
# leaves (the rest of a tag is optional), so giving back characters never finds another
# match, and not keeping the points to give back at makes tokenizing a third faster.
_ATTRIBUTE_PATTERN = (
    rf"[^{_SPACE}/>][^{_SPACE}/>=]*+"  # a name: "=" may start one
    rf"(?:[{_SPACE}]*+=[{_SPACE}]*+(?:\"[^\"]*+\"?|'[^']*+'?|[^{_SPACE}>]*+))?+"
)
#: The attributes of a tag; the first alternative, a special case of the others, is the
#: usual attribute (' name="value"'), taken in one step.
_ATTRIBUTES = (
    rf"(?:\x20[^{_SPACE}/>=\"'][^{_SPACE}/>=]*+=\"[^\"]*+\"|[{_SPACE}/]++|{_ATTRIBUTE_PATTERN})*+"
)
TOKEN = re.compile(
    rf"""<(?:
        (?P<start>[A-Za-z][^{_SPACE}/>]*+)(?P<attributes>{_ATTRIBUTES})>?
      | /(?:(?P<end>[A-Za-z][^{_SPACE}/>]*+)(?:>|(?P<end_attributes>{_ATTRIBUTES})>?)
          | [^A-Za-z>][^>]*+>?
          | >)
      | !--(?:-?>|.*?(?:--!?>|\Z))
      | [!?][^>]*+>?
    )""",
    re.DOTALL | re.VERBOSE,
)
ATTRIBUTE = re.compile(_ATTRIBUTE_PATTERN)
FONT_BREAKOUT = re.compile(r"(?:^|[\t\n\f\r /])(?:color|face|size)[\t\n\f\r />=]", re.IGNORECASE)


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


def raw_text_end(html: str, name: str, position: int) -> int:
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


_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta "
    "param source track wbr".split()
)
FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
_INTEGRATION = frozenset("foreignobject desc title mi mo mn ms mtext annotation-xml".split())
# What an element of the stack is, as the parser's dispatcher sees it: HTML, or SVG or
# MathML content (whose tags are SVG or MathML elements, not HTML), or an integration
# point (whose content is HTML again).
HTML, SVG, MATHML, SVG_POINT, MATHML_POINT, MATHML_TEXT = range(6)
SVG_POINTS = frozenset({"foreignobject", "desc", "title"})
MATHML_TEXTS = frozenset({"mi", "mo", "mn", "ms", "mtext"})
ENCODING = re.compile(r"(?i)encoding$")
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
MARKERS = frozenset("applet caption marquee object template td th".split())
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
#: Start tags that close an open <p> (<table> too, but only in no-quirks mode).
_CLOSE_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset "
    "figcaption figure footer header hgroup main menu nav ol p search section summary "
    "ul pre listing form".split()
)
#: End tags that close the element through anything but a scope boundary.
SCOPED_END = frozenset(
    "address article aside blockquote button center details dialog dir div dl fieldset "
    "figcaption figure footer header hgroup listing main menu nav ol pre search section "
    "summary ul applet marquee object select dd dt".split()
)
TABLE_PARTS = frozenset("table tbody thead tfoot tr td th caption colgroup".split())
#: Tags that end SVG or MathML content.
BREAKOUT = frozenset(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr "
    "i img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup "
    "table tt u ul var".split()
)
# What a start tag does in HTML content: by default, open an element and close nothing.
PLAIN, RAW, VOID_ROLE, HR, FOREIGN_ROOT, DOCUMENT, BLOCK, LI, DD_DT = range(9)
HEADING, OPTION, ANCHOR, TABLE, BUTTON, FORMAT, XMP, PLAINTEXT, _MARKER = range(9, 18)
SELECT = 18
ROLES: dict[str, int] = {
    **dict.fromkeys(_CLOSE_P, BLOCK),
    **dict.fromkeys(FORMATTING, FORMAT),
    **dict.fromkeys(TABLE_PARTS, TABLE),
    **dict.fromkeys(HEADINGS, HEADING),
    **dict.fromkeys(_VOID, VOID_ROLE),
    **dict.fromkeys(_RAW_TEXT, RAW),
    **dict.fromkeys(("html", "head", "body", "frameset"), DOCUMENT),
    **dict.fromkeys(("svg", "math"), FOREIGN_ROOT),
    **dict.fromkeys(("dd", "dt"), DD_DT),
    **dict.fromkeys(("option", "optgroup"), OPTION),
    **dict.fromkeys(("a", "nobr"), ANCHOR),
    "hr": HR,
    "li": LI,
    "button": BUTTON,
    "select": SELECT,
    "xmp": XMP,
    "plaintext": PLAINTEXT,
    **dict.fromkeys(("applet", "marquee", "object", "template"), _MARKER),
}
# The barriers: for each kind, the stack positions of the open elements of that kind.
SPECIAL_B, SCOPE_B, BUTTON_B, LIST_B, TABLE_B, LI_STOP_B = range(6)


def _barrier_kinds(name: str, foreign: bool = False) -> tuple[int, ...]:
    kinds = []
    if name in _SPECIAL or foreign:
        kinds.append(SPECIAL_B)
        if name not in ("address", "div", "p"):
            kinds.append(LI_STOP_B)
    if name in _SCOPE or foreign:
        kinds.append(SCOPE_B)
    if name == "button":
        kinds.append(BUTTON_B)
    if name in ("ol", "ul"):
        kinds.append(LIST_B)
    if name in _TABLE_SCOPE:
        kinds.append(TABLE_B)
    return tuple(kinds)


KINDS = {
    name: kinds
    for name in _SPECIAL | _SCOPE | _TABLE_SCOPE | {"button", "ol", "ul"}
    if (kinds := _barrier_kinds(name))
}
#: In SVG and MathML only the integration points (whose content is HTML) are barriers.
FOREIGN_KINDS = {name: _barrier_kinds(name, foreign=True) for name in _INTEGRATION}
#: Elements that, as the current node, change how tags are read.
MODAL = frozenset({"colgroup", "template"})
#: The tags read as in <head> wherever they are: a template's first tag is not one.
IN_HEAD = frozenset("base basefont bgsound link meta noframes script style template title".split())
