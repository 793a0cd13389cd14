"""ASCII text read at the speed of C: tables for :meth:`bytes.translate`.

Most lines of English pages are ASCII, or would be but for their curly quotes and
dashes (:func:`view` makes them ASCII). There a character's class (a letter, a digit,
a space...) is one byte's, and one translation of the line's bytes marks every
character at once, where a regular expression would try its pattern at each. The
modules that read words keep a regular expression for other text, and the same result
for both.
"""

from __future__ import annotations

import string

__all__ = ["table", "view", "words"]


def table(marks: dict[str, str]) -> bytes:
    """A table for :meth:`bytes.translate`: each ASCII character of ``marks`` as its
    mark, any other byte a space."""
    translation = bytearray(b" " * 256)
    for character, mark in marks.items():
        translation[ord(character)] = ord(mark)
    return bytes(translation)


#: A word character (``\w``: a letter, a digit or "_") as itself, its letters in lower
#: case; any other byte a space.
_WORDS = table({c: c.lower() for c in string.ascii_letters + string.digits + "_"})


def words(text: str) -> list[str]:
    r"""The words (runs of ``\w``) of the ASCII ``text``, in lower case: one translation
    of its bytes folds the letters and makes everything else a space, to split at (a
    third of the cost of finding the runs with a regular expression)."""
    return text.encode("ascii").translate(_WORDS).decode("ascii").split()


#: The marks of typography outside ASCII that English text holds most, and the ASCII
#: character of the same class that stands for each: "’" is an apostrophe, which
#: :data:`~archiver.extraction.lines.LETTER_WORD` takes inside a word; the others, like
#: a space, are no word character.
_TYPOGRAPHY = (
    ("’", "'"),
    ("“", " "),
    ("”", " "),
    ("‘", " "),
    ("–", " "),
    ("—", " "),
    ("…", " "),
    ("\xa0", " "),
)


def view(text: str) -> str | None:
    """``text`` as ASCII with the same words: itself when it is ASCII, its marks of
    typography (curly quotes, dashes, an ellipsis, a no-break space) made ASCII when
    they are all it holds beyond ASCII; None for any other text."""
    if text.isascii():
        return text
    for mark, plain in _TYPOGRAPHY:
        if mark in text:
            text = text.replace(mark, plain)
    return text if text.isascii() else None
