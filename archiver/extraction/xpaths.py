"""trafilatura's byline XPath expressions, made cheaper to evaluate and still the same.

trafilatura writes some of its tests as EXSLT regular expressions (``re:test(@class,
'author|writer')``), which lxml evaluates by calling back into Python for every
element: on trafilatura-dev the byline search cost some 7 ms a page, a tenth of the
generic extractor's time. A regular expression that is only literal words (with ``[Aa]``
classes and ``?`` after a character) tests what ``contains()`` calls test, one per
spelling it matches: such tests are rewritten, the expression matches the same
elements, and libxml2 evaluates it without leaving C. Any other test stays as it is.

The ``contains()`` tests of one attribute are then asked of the attribute node once,
``@class[contains(., 'a') or contains(., 'b')]``: ``contains(@class, 'a')`` makes a
node-set of the attribute for each call, which cost twice the time (a literal is never
empty, so an element without the attribute fails both forms alike).

Last, an expression that tests every element, ``//*[self::a or self::p][@class[...] or
@id='author']``, is asked of the attributes instead, ``//@class[...]/parent::*[self::a or
self::p] | //@id[. = 'author']/parent::*[self::a or self::p]``: the same elements, in
the same (document) order, with one scan of the tree per attribute named instead of
every test on every element (a third less time on the byline search). An expression
holding a test of another form stays as it is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product

from lxml.etree import XPath

__all__ = ["author_xpaths", "literal_spellings"]

_REGEX_NS = "http://exslt.org/regular-expressions"
#: ``re:test(@attribute, 'pattern')``, the form trafilatura writes (no flags).
_TEST = re.compile(r"re:test\((?P<attribute>@[\w-]+), '(?P<pattern>[^']*)'\)")
#: One unit of a literal pattern: a character or a class of letters (no range), perhaps
#: optional.
_UNIT = re.compile(r"(?:\[(?P<chars>\w+)\]|(?P<char>[\w-]))(?P<optional>\??)")
#: ``contains(@attribute, 'literal')``, a literal not empty.
_CONTAINS = re.compile(r"contains\((?P<attribute>@[\w-]+), '(?P<literal>[^']+)'\)")
#: More spellings than this, and the test is left to the regular expression.
_MAX_SPELLINGS = 16
#: A search of every element: ``//*`` and its predicates.
_EVERY_ELEMENT = re.compile(r"//\*(?P<predicates>(?:\[.*\])+)", re.DOTALL)
#: A test of one attribute (``@class[...]``, ``@rel='author'``) or of a child element's
#: text (``rel='me'``).
_ATTRIBUTE_TEST = re.compile(
    r"@(?P<attribute>[\w-]+)(?:\[(?P<test>.*)\]|=(?P<value>'[^']*'))", re.DOTALL
)
_TAG_TEST = re.compile(r"self::[\w-]+(?:\s+or\s+self::[\w-]+)*")
_UNION = re.compile(r"\|")
_OR = re.compile(r"\s+or\s+")
_CHILD_TEST = re.compile(r"(?P<child>[\w-]+)=(?P<value>'[^']*')")


def literal_spellings(pattern: str) -> list[str] | None:
    """The strings that ``pattern`` matches, when it is literal words (``|``, ``[..]``
    classes and ``?`` after a character only); None for any other pattern."""
    spellings: list[str] = []
    for branch in pattern.split("|"):
        units = []
        position = 0
        for match in _UNIT.finditer(branch):
            if match.start() != position:
                return None
            position = match.end()
            choices = list(match["chars"] or match["char"])
            units.append([*choices, ""] if match["optional"] else choices)
        if position != len(branch) or not units:
            return None
        spellings.extend("".join(parts) for parts in product(*units))
        if len(spellings) > _MAX_SPELLINGS:
            return None
    return spellings


def _rewritten(test: re.Match[str]) -> str:
    spellings = literal_spellings(test["pattern"])
    if spellings is None or "" in spellings:
        return test[0]
    tests = " or ".join(f"contains(., '{s}')" for s in spellings)
    return f"{test['attribute']}[{tests}]"


def _on_attribute(test: re.Match[str]) -> str:
    return f"{test['attribute']}[contains(., '{test['literal']}')]"


def _split(text: str, separator: re.Pattern[str]) -> list[str]:
    """``text`` split where ``separator`` matches outside brackets, parentheses and quotes."""
    parts, depth, quoted, start, index = [], 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "[(":
            depth += 1
        elif not quoted and char in "])":
            depth -= 1
        elif not quoted and depth == 0 and (found := separator.match(text, index)):
            parts.append(text[start:index])
            start = index = found.end()
            continue
        index += 1
    return [*parts, text[start:]]


def _predicates(text: str) -> list[str]:
    """The insides of the bracketed predicates ``[a][b]`` that ``text`` is made of."""
    found, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
            start = index + 1 if depth == 1 else start
        elif not quoted and char == "]":
            depth -= 1
            if depth == 0:
                found.append(text[start:index])
    return found


def _by_attributes(path: str) -> str:
    """``path`` with its searches of every element asked of the attributes they test
    (see the module's doc); a search holding another kind of test stays as it is."""
    return " | ".join(_branch_by_attributes(branch.strip()) for branch in _split(path, _UNION))


def _branch_by_attributes(branch: str) -> str:
    search = _EVERY_ELEMENT.fullmatch(branch)
    if search is None:
        return branch
    # the other predicates are tests of the element itself, kept as they are
    predicates = _predicates(search["predicates"])
    if "".join(f"[{p}]" for p in predicates) != search["predicates"]:
        return branch  # a step after the predicates
    *filters, tests = predicates
    if not all(_TAG_TEST.fullmatch(f.strip()) for f in filters):
        return branch  # another test (a position) may mean another thing on the parent
    conditions: dict[str, list[str]] = {}
    for term in (t.strip() for t in _split(tests, _OR)):
        match = _ATTRIBUTE_TEST.fullmatch(term)
        if (
            match
            and match["test"] is not None
            and _predicates(f"[{match['test']}]") != [match["test"]]
        ):
            return branch  # two tests joined by "and": not one attribute's
        if match:
            step = f"@{match['attribute']}"
            condition = match["test"] or f". = {match['value']}"
        elif match := _CHILD_TEST.fullmatch(term):
            step, condition = match["child"], f". = {match['value']}"
        else:
            return branch
        conditions.setdefault(step, []).append(f"({condition})")
    element = "".join(f"[{f}]" for f in filters)
    return " | ".join(
        f"//{step}[{' or '.join(tests)}]/parent::*{element}" for step, tests in conditions.items()
    )


@lru_cache(maxsize=1)
def author_xpaths() -> list[XPath]:
    """trafilatura's ``AUTHOR_XPATHS``, in its order, their literal regex tests rewritten
    and their searches of every element asked of the attributes."""
    from trafilatura.xpaths import AUTHOR_XPATHS  # trafilatura loads slowly: only when needed

    return [
        XPath(
            _by_attributes(_CONTAINS.sub(_on_attribute, _TEST.sub(_rewritten, expression.path))),
            namespaces={"re": _REGEX_NS},
        )
        for expression in AUTHOR_XPATHS
    ]
