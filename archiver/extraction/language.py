"""Language identification, through CLD2 (pycld2).

CLD2's tables are compiled into its library: a process pays about 3 MB for them,
where py3langid's model took 78 MB of every extraction worker, for the same answers
on all but a few of the pages of aeb-dev and trafilatura-dev (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice

__all__ = ["detect_language", "justext_stoplist", "language_code"]

log = logging.getLogger(__name__)

#: Below this many letters a guess is noise.
_MIN_LETTERS = 20
#: CLD2's answer when it cannot tell.
_UNKNOWN = "un"


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None if too short
    or unknown."""
    # The letters counted up to the minimum only: the rest of the sample need not be read.
    if len(list(islice(filter(str.isalpha, text[:2000]), _MIN_LETTERS))) < _MIN_LETTERS:
        return None
    import pycld2  # keep the import off the import path of the package

    # CLD2 reads UTF-8 bytes; a lone surrogate in a badly decoded page is dropped.
    sample = text[:20000].encode("utf-8", "ignore")
    try:
        _reliable, _read, details = pycld2.detect(sample)
    except pycld2.error as exc:  # bytes it cannot read: no guess, not a failure
        log.debug("language not identified: %s", exc)
        return None
    return language_code(details[0][1]) if details and details[0][1] != _UNKNOWN else None


def language_code(value: str | None) -> str | None:
    """The ISO 639 code of a declared language tag ("en-GB" -> "en"), if it is one."""
    code = (value or "").split("-")[0].split("_")[0].strip().lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


@contextmanager
def justext_stoplist(language: str | None) -> Iterator[None]:
    """Within the block, trafilatura's jusText fallback uses the stop list of
    ``language`` (ISO 639-1).

    Without one, trafilatura builds the union of jusText's stop lists for every
    language (30 MB, kept for the life of the process). Its only parameter for the
    list, ``target_language``, also drops pages in other languages, so the list it
    caches is set instead, and given back after the block: other callers of
    trafilatura in the process see it unchanged. An unknown language leaves
    trafilatura its own list.
    """
    from trafilatura import external  # loads slowly: only when needed

    stoplist = _stoplist(language) if language else None
    if stoplist is None:
        yield
        return
    previous = external.JT_STOPLIST
    # setattr: trafilatura types its cache as None, though it holds a word list
    setattr(external, "JT_STOPLIST", stoplist)  # noqa: B010
    try:
        yield
    finally:
        external.JT_STOPLIST = previous


@lru_cache(maxsize=8)
def _stoplist(language: str) -> frozenset[str] | None:
    from justext import get_stoplist
    from trafilatura.settings import JUSTEXT_LANGUAGES

    name = JUSTEXT_LANGUAGES.get(language)
    return frozenset(get_stoplist(name)) if name else None
