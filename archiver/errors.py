"""The one exception tree of news-archiver.

Every error the library raises on purpose is an :class:`ArchiverError`; catching it
catches them all. Each names the input it concerns (a file, a URL or a WARC) and the
cause, so that a message is useful without a traceback::

    ArchiverError
    ├── InputError            the input cannot be read as a page
    │   ├── EmptyInputError       nothing but white space
    │   ├── BinaryInputError      bytes that are not text (an image, a PDF, a zip)
    │   ├── DecodingError         no text encoding fits the bytes
    │   ├── InputTooLargeError    over the size limit
    │   └── NotHtmlError          no page: a fetched PDF or JSON, a feed, sitemap or SVG
    ├── ExtractionError       an extractor failed on an input it accepted
    ├── FetchError            a URL could not be fetched (url, attempts, status, cause)
    │   ├── HttpStatusError        the server answered with an error status (404, 410, 503)
    │   ├── RobotsDisallowedError  robots.txt forbids the URL
    │   ├── RobotsUnreachableError its robots.txt could not be reached lately: not asked
    │   ├── BlockedAddressError    a private, loopback or link-local target, refused
    │   └── ResponseTooLargeError  the body is over the size limit
    │       └── DecompressionBombError its decoded form is over the limit
    ├── PluginError           an extractor plugin is broken or unknown
    ├── StateError            the state ledger of a bulk run cannot be read or written
    └── WarcError             a WARC file cannot be written or read
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = [
    "ArchiverError",
    "BinaryInputError",
    "BlockedAddressError",
    "DecodingError",
    "DecompressionBombError",
    "EmptyInputError",
    "ExtractionError",
    "FetchError",
    "HttpStatusError",
    "InputError",
    "InputTooLargeError",
    "NotHtmlError",
    "PluginError",
    "ResponseTooLargeError",
    "RobotsDisallowedError",
    "RobotsUnreachableError",
    "StateError",
    "WarcError",
    "checked",
    "not_http",
    "shortened",
    "shown_name",
]


_T = TypeVar("_T")

#: The most characters of a name (a URL, a path) an error shows: a 100,000-character
#: line of a URL list is cut (see :func:`shortened`).
SHOWN_LIMIT = 200


def shown_name(name: str) -> str:
    """``name`` (an input's) as an error shows it: as it is, or quoted (``''``,
    ``'a\\nb'``) when it is blank or holds a character that is not printable, which
    would hide it or split the one line an error takes; cut to :data:`SHOWN_LIMIT`
    characters when longer (the error's ``source`` keeps it whole)."""
    return shortened(name if name.strip() and name.isprintable() else repr(name))


def shortened(text: str, limit: int = SHOWN_LIMIT) -> str:
    """``text`` when it has at most ``limit`` characters, else its start and end with
    ``…`` between them, ``limit`` characters in all: the end of a path is its file's
    name, and a quoted name keeps both its quotes."""
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 4
    return f"{text[: limit - 1 - tail]}…{text[len(text) - tail :]}"


def checked(value: object, kind: type[_T], name: str) -> _T:
    """``value`` when it is a ``kind``, else a TypeError naming ``name`` and both types:
    a FetchConfig given for a BulkConfig failed deep inside, on an attribute it lacks."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def not_http(scheme: str) -> str:
    """Why a URL of ``scheme`` (empty: none) is refused, in the words every command uses."""
    return f"not an http(s) URL ({f'scheme {scheme!r}' if scheme else 'no scheme'})"


class ArchiverError(Exception):
    """Base of every error news-archiver raises.

    ``source`` names the input (file path, URL or WARC path) when one is known;
    ``str(error)`` reads "source: message".
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.message = message
        self.source = source
        super().__init__(message if source is None else f"{shown_name(source)}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields, not by calling __init__ again with args, so that errors
        # cross process boundaries (process pools, Dask workers) whole; but for a cause,
        # which may hold what cannot be pickled (an httpx request, a socket).
        state = {key: None if key == "cause" else value for key, value in vars(self).items()}
        return _restore, (type(self), self.args, state)


def _restore(cls: type[ArchiverError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    vars(error).update(state)
    return error


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


class NotHtmlError(InputError):
    """The input is not an HTML page, and not a text dump either: a fetched response of
    another type (a PDF, an image, JSON), or a feed, a sitemap, an SVG image, an OPML
    outline or JSON given as a page. It is not extracted."""


class ExtractionError(ArchiverError):
    """An extractor failed on an input that it accepted."""


class FetchError(ArchiverError):
    """A URL could not be fetched.

    ``url`` is the URL asked for, ``attempts`` the number of tries made (0 when it
    was refused before any request was sent for it: a :class:`RobotsUnreachableError`,
    a private address, a path robots.txt disallows by rules read before), ``status`` the
    HTTP status of the last response (None when none came) and ``cause`` the exception
    that ended the last try, if any. ``str(error)`` reads "url: cause", with
    "(after N attempts)" when it was tried more than once.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        attempts: int = 1,
        status: int | None = None,
        cause: BaseException | None = None,
    ) -> None:
        if attempts > 1:
            message = f"{message} (after {attempts} attempts)"
        super().__init__(message, source=url)
        self.url = url
        self.attempts = attempts
        self.status = status
        self.cause = cause


class HttpStatusError(FetchError):
    """The server answered with an error status (a 404, or a 503 after every retry)."""


class RobotsDisallowedError(FetchError):
    """The site's robots.txt forbids fetching the URL."""


class RobotsUnreachableError(FetchError):
    """A fetch of another URL of its origin (or of this one, earlier) could not reach
    the origin's robots.txt lately (a network failure, a 429 or 5xx, its host's name
    not resolving): as RFC 9309 allows nothing then, the URL was refused before any
    request (``attempts`` is 0). See ``FetchConfig.robots_retry_after``."""


class BlockedAddressError(FetchError):
    """The URL leads to a private, loopback or link-local address, which was refused."""


class ResponseTooLargeError(FetchError):
    """The response body is larger than the configured limit."""


class DecompressionBombError(ResponseTooLargeError):
    """The body, once its Content-Encoding is undone, is larger than the configured limit."""


class PluginError(ArchiverError):
    """An extractor plugin is unknown, or cannot be loaded."""


class StateError(ArchiverError):
    """The state ledger of a bulk run (``state.sqlite``) cannot be opened, read or
    written, or another run is writing to its folder."""


class WarcError(ArchiverError):
    """A WARC file cannot be written or read."""
