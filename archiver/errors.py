"""The one exception tree of news-archiver.

Every error the library raises on purpose is an :class:`ArchiverError`; catching it
catches them all. Each names the input it concerns (a file, a URL or a WARC) and the
cause, so that a message is useful without a traceback::

    ArchiverError
    ├── InputError            the input cannot be read as a page
    │   ├── EmptyInputError       nothing but white space
    │   ├── BinaryInputError      bytes that are not text (an image, a PDF, a zip)
    │   ├── DecodingError         no text encoding fits the bytes
    │   └── InputTooLargeError    over the size limit
    ├── ExtractionError       an extractor failed on an input it accepted
    ├── PluginError           an extractor plugin is broken or unknown
    └── WarcError             a WARC file cannot be written or read
"""

from __future__ import annotations

__all__ = [
    "ArchiverError",
    "BinaryInputError",
    "DecodingError",
    "EmptyInputError",
    "ExtractionError",
    "InputError",
    "InputTooLargeError",
    "PluginError",
    "WarcError",
]


class ArchiverError(Exception):
    """Base of every error news-archiver raises.

    ``source`` names the input (file path, URL or WARC path) when one is known;
    ``str(error)`` reads "source: message".
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.message = message
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class InputError(ArchiverError):
    """The input cannot be read as a page."""


class EmptyInputError(InputError):
    """The input is empty or holds only white space."""


class BinaryInputError(InputError):
    """The input is binary data, not text or HTML."""


class DecodingError(InputError):
    """No text encoding decodes the input."""


class InputTooLargeError(InputError):
    """The input is larger than the configured limit."""


class ExtractionError(ArchiverError):
    """An extractor failed on an input that it accepted."""


class PluginError(ArchiverError):
    """An extractor plugin is unknown, or cannot be loaded."""


class WarcError(ArchiverError):
    """A WARC file cannot be written or read."""
