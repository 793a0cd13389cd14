"""Language identification, through py3langid."""

from __future__ import annotations

import logging

__all__ = ["detect_language", "language_code"]

log = logging.getLogger(__name__)

#: Below this many letters a guess is noise.
_MIN_LETTERS = 20


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None if too short."""
    if sum(ch.isalpha() for ch in text[:2000]) < _MIN_LETTERS:
        return None
    import py3langid  # loads its model on first use: keep the import off the import path

    code, _score = py3langid.classify(text[:20000])
    return str(code)


def language_code(value: str | None) -> str | None:
    """The ISO 639 code of a declared language tag ("en-GB" -> "en"), if it is one."""
    code = (value or "").split("-")[0].split("_")[0].strip().lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None
