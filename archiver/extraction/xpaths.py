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


@lru_cache(maxsize=1)
def author_xpaths() -> list[XPath]:
    """trafilatura's ``AUTHOR_XPATHS``, in its order, their literal regex tests rewritten."""
    from trafilatura.xpaths import AUTHOR_XPATHS  # trafilatura loads slowly: only when needed

    return [
        XPath(
            _CONTAINS.sub(_on_attribute, _TEST.sub(_rewritten, expression.path)),
            namespaces={"re": _REGEX_NS},
        )
        for expression in AUTHOR_XPATHS
    ]
