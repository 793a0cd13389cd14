"""Language identification, through CLD2 (pycld2).

CLD2's tables are compiled into its library: a process pays about 3 MB for them,
where py3langid's model took 78 MB of every extraction worker, for the same answers
on all but a few of the pages of aeb-dev and trafilatura-dev (docs/benchmarks.md).
"""

from __future__ import annotations

import logging

__all__ = ["detect_language", "language_code"]

log = logging.getLogger(__name__)

#: Below this many letters a guess is noise.
_MIN_LETTERS = 20
#: CLD2's answer when it cannot tell.
_UNKNOWN = "un"


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None if too short
    or unknown."""
    if sum(ch.isalpha() for ch in text[:2000]) < _MIN_LETTERS:
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
