"""ASCII text read at the speed of C: tables for :meth:`bytes.translate`.

Most lines of English pages are ASCII. There a character's class (a letter, a digit, a
space...) is one byte's, and one translation of the line's bytes marks every character
at once, where a regular expression would try its pattern at each. The modules that
read words keep a regular expression for other text, and the same result for both.
"""

from __future__ import annotations

import string

__all__ = ["WORDS", "table"]


def table(marks: dict[str, str]) -> bytes:
    """A table for :meth:`bytes.translate`: each ASCII character of ``marks`` as its
    mark, any other byte a space."""
    translation = bytearray(b" " * 256)
    for character, mark in marks.items():
        translation[ord(character)] = ord(mark)
    return bytes(translation)


#: A word character (``\w``: a letter, a digit or "_") as itself, its letters in lower
#: case; any other byte a space. The words of an ASCII line are the runs that
#: ``line.encode("ascii").translate(WORDS).split()`` gives.
WORDS = table({c: c.lower() for c in string.ascii_letters + string.digits + "_"})
