"""Words as the search index sees them: folded text, query expressions, snippets.

Text is folded before it is indexed, and queries alike (:func:`fold`): compatibility
forms, then every combining mark removed (Latin and Greek accents, Arabic harakat,
the hamza written above or below an alef), tatweel removed, then case folded (Greek
final sigma included). FTS5's own ``remove_diacritics`` (SQLite 3.40) keeps the Greek
tonos and the hamza of an alef, hence folding here.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ..errors import InputError

__all__ = ["fold", "match_expression", "snippet", "terms"]

#: A word as the tokenizer sees one (letters and digits; underscore separates).
_WORD = re.compile(r"[^\W_]+")
_QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')
#: Words of a snippet on each side of the match.
_CONTEXT = 12


def fold(text: str) -> str:
    """``text`` as it is indexed: no combining marks or tatweel, case folded."""
    return unicodedata.normalize("NFKD", text).translate(_dropped()).casefold()


@functools.cache
def _dropped() -> dict[int, None]:
    """The combining marks of the Basic Multilingual Plane, and tatweel (U+0640), which
    only stretches Arabic letters.

    Built on first use, not on import. The marks beyond the BMP (musical notation, a
    few historic scripts) are left: looking at all 1.1 million code points takes a
    second of a run's start, the BMP's 65,536 a twentieth of it."""
    return {
        code: None
        for code in range(0x10000)
        if code == 0x0640 or unicodedata.category(chr(code)) == "Mn"
    }


def match_expression(query: str) -> str:
    """The FTS5 MATCH expression of a user's query.

    Words must all be found; ``"two words"`` is a phrase; ``word*`` a prefix. Every
    word is quoted for FTS5, so that no character of the query is FTS5 syntax.
    Raises :class:`~archiver.errors.InputError` when the query has no word.
    """
    terms = []
    for match in _QUERY_PART.finditer(query):
        phrase, bare = match.groups()
        part = phrase if phrase is not None else bare
        prefix = phrase is None and part.endswith("*")
        words = _WORD.findall(fold(part))
        if not words:
            continue
        quoted = '"' + " ".join(words) + '"'
        terms.append(quoted + "*" if prefix else quoted)
    if not terms:
        raise InputError("the query has no word to search for", source=repr(query))
    return " AND ".join(terms)


def snippet(text: str, terms: list[tuple[str, bool]]) -> str:
    """The words of ``text`` around the first word that matches ``terms`` (folded words,
    each with whether it is a prefix), the matching words in brackets."""
    words = text.split()

    def matches(word: str) -> bool:
        folded = " ".join(_WORD.findall(fold(word)))
        return any(folded.startswith(t) if prefix else folded == t for t, prefix in terms)

    first = _first_match(text, len(words), terms)
    if first is None:  # folding changed the words (a ligature that spells two)
        first = next((i for i, word in enumerate(words) if matches(word)), 0)
    start, end = max(0, first - _CONTEXT), min(len(words), first + _CONTEXT + 1)
    shown = [f"[{word}]" if matches(word) else word for word in words[start:end]]
    return ("… " if start else "") + " ".join(shown) + (" …" if end < len(words) else "")


def _first_match(text: str, count: int, terms: list[tuple[str, bool]]) -> int | None:
    """The number of the first word of ``text`` (of ``count``) that matches ``terms``,
    found in the text folded at once; 0 when none does, None when folding changed the
    number of words."""
    folded = fold(text)
    if len(folded.split()) != count:
        return None
    edge = r"(?<![^\W_])"
    pattern = "|".join(
        edge + re.escape(term) + ("" if prefix else r"(?![^\W_])") for term, prefix in terms
    )
    found = re.search(pattern, folded) if pattern else None
    return len(folded[: found.start()].split()) if found else 0


def terms(expression: str) -> list[tuple[str, bool]]:
    """The words of a MATCH expression, each with whether it is a prefix."""
    terms = []
    for part in re.finditer(r'"([^"]*)"(\*?)', expression):
        words = part.group(1).split()
        for position, word in enumerate(words):
            terms.append((word, bool(part.group(2)) and position == len(words) - 1))
    return terms
