"""What a fetch gives back, as plain data: a :class:`FetchResult`, an :class:`Exchange` a hop.

Response bodies are kept as they came: with their Content-Encoding (gzip, br) but
without the chunked transfer coding, which httpx removes, so the stored headers are
adjusted to frame the stored body (see docs/warc.md). A decoded copy of the final body
is kept for extraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .config import HTML_TYPES

__all__ = ["Exchange", "FetchResult", "Headers", "header", "media_type"]

#: Header names and values, in their order and case, read as Latin-1.
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request and the response to it, as they went over the wire.

    Header names and values are the bytes sent and received, read as Latin-1, in their
    order and case. ``body`` is the response body as received: its Content-Encoding is
    kept, the chunked transfer coding is not (httpx removes it). ``headers`` therefore
    differ from the received ones in one way only: when the body was chunked or ended
    by closing the connection, ``Transfer-Encoding`` (and a ``Content-Length`` sent
    along with it) is renamed with an ``X-Archive-Orig-`` prefix and a
    ``Content-Length`` of the stored body is added, so that headers and body agree.
    """

    url: str
    request_line: str
    request_headers: Headers
    http_version: str
    status: int
    reason: str
    headers: Headers
    body: bytes
    #: When the request was sent (UTC).
    date: datetime
    #: The server's IP address, when known.
    ip_address: str | None = None

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (any case), or None."""
        return header(self.headers, name)

    @property
    def status_line(self) -> str:
        """``HTTP/1.1 200 OK``."""
        return f"{self.http_version} {self.status} {self.reason}".rstrip()


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What fetching one URL gave: every hop of the redirect chain, the final one last.

    ``content`` is the final body with its Content-Encoding undone, present when the
    final response is a 2xx HTML page (or has no Content-Type); ``decode_error`` says
    why it is missing when undoing the encoding failed.
    """

    url: str
    exchanges: tuple[Exchange, ...]
    attempts: int = 1
    content: bytes | None = None
    decode_error: str | None = None

    @property
    def final(self) -> Exchange:
        """The last response: the one that is not a redirect."""
        return self.exchanges[-1]

    @property
    def final_url(self) -> str:
        """The URL of the final response."""
        return self.final.url

    @property
    def status(self) -> int:
        """The HTTP status of the final response."""
        return self.final.status

    @property
    def content_type(self) -> str | None:
        """The final response's Content-Type header, or None."""
        return self.final.header("Content-Type")

    @property
    def media_type(self) -> str | None:
        """The final response's media type, lower case without parameters (``text/html``)."""
        return media_type(self.content_type)

    @property
    def is_html(self) -> bool:
        """True when the final response is HTML, or says nothing of its type."""
        media = self.media_type
        return media is None or media in HTML_TYPES


def header(headers: Headers, name: str) -> str | None:
    """The first of ``headers`` called ``name`` (any case), or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def media_type(content_type: str | None) -> str | None:
    """The media type of a Content-Type value, lower case without parameters, or None."""
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    return media or None
