"""Receiving a response: its head checked, its body bounded and decoded, kept as an Exchange.

The :class:`Receiver` takes plain data, a :class:`Head`; the shells of
:mod:`archiver.capture.client` read it off httpx's request and response.
"""

from __future__ import annotations

import email.utils
import ipaddress
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import (
    BlockedAddressError,
    DecompressionBombError,
    ResponseTooLargeError,
    shown_name,
)
from .config import HTML_TYPES, REDIRECTS, ROBOTS_MAX_BYTES
from .decoders import DecodeError, Decoder, Overflow
from .exchange import Exchange, Headers, header, media_type
from .plan import REFUSED, DeadlineExceeded, Received, Send, address_kind, is_blocked

__all__ = ["Head", "Receiver", "RetryableStatus"]

_ARCHIVE_PREFIX = "X-Archive-Orig-"


@dataclass(frozen=True, slots=True)
class Head:
    """A response head as received, with the request it answers."""

    url: str
    request_line: str
    request_headers: Headers
    http_version: str
    status: int
    reason: str
    #: The response headers as received, for the exchange.
    headers: Headers
    #: The same, looked up by name in any case (repeated headers joined by commas).
    fields: Mapping[str, str]
    #: The IP address connected to, when known.
    ip_address: str | None
    #: True when the connection went to the site itself, so that ``ip_address`` is the
    #: site's; False on a client passed in, which may go through a proxy.
    direct: bool = True


class RetryableStatus(Exception):
    """A 429 or 5xx answer: worth another attempt, unless it asks for too long a wait."""

    def __init__(self, url: str, status: int, reason: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} {reason}".rstrip())
        self.url = url
        self.status = status
        self.retry_after = retry_after


class Receiver:
    """Checks a response head, then collects its body: limits, deadline, decoding."""

    def __init__(self, step: Send, head: Head) -> None:
        self._step = step
        self._head = head
        self._date = datetime.now(UTC)
        self._chunks: list[bytes] = []
        self._size = 0
        self._done = False
        config = step.config
        if not config.allow_private and head.direct and head.ip_address is not None:
            # The address actually connected to: DNS may have changed since the check.
            address = ipaddress.ip_address(head.ip_address.split("%", 1)[0])
            if is_blocked(address):
                raise BlockedAddressError(
                    f"connected to {address_kind(address)} ({address}), {REFUSED}",
                    url=step.requested,
                    attempts=step.attempt,
                )
        status = head.status
        if status == 429 or 500 <= status < 600:
            retry_after = _retry_after(head.fields.get("Retry-After"))
            raise RetryableStatus(step.url, status, head.reason, retry_after)
        self._limit = ROBOTS_MAX_BYTES if step.robots else config.max_body_bytes
        declared = _content_length(head.fields.get("Content-Length"))
        if not step.robots and declared is not None and declared > self._limit:
            raise self._too_large(f"{_size(declared)} (Content-Length)")
        self._decoder: Decoder | None = None
        self._decode_error: str | None = None
        media = media_type(head.fields.get("Content-Type"))
        final = status not in REDIRECTS or "Location" not in head.fields
        if step.robots or (
            200 <= status < 300 and final and (media is None or media in HTML_TYPES)
        ):
            limit = ROBOTS_MAX_BYTES if step.robots else config.max_decompressed_bytes
            try:
                coding = head.fields.get("Content-Encoding", "")
                self._decoder = Decoder(coding, limit, cut=step.robots)
            except DecodeError as exc:
                self._decode_error = str(exc)

    def feed(self, chunk: bytes) -> bool:
        """Take the next raw chunk; False when no more is wanted (robots.txt is cut)."""
        step = self._step
        if step.deadline is not None and time.monotonic() > step.deadline:
            raise DeadlineExceeded(step.url)
        room = self._limit - self._size
        if len(chunk) > room:
            if step.robots:
                chunk, self._done = chunk[:room], True
            else:
                raise self._too_large(None)  # its size is not known: it went on
        self._size += len(chunk)
        self._chunks.append(chunk)
        if self._decoder is not None:
            with self._decoding(self._decoder) as decoder:
                decoder.feed(chunk)
                self._done = self._done or decoder.full  # robots.txt: the rest is not read
        return not self._done

    def finish(self) -> Received:
        """The exchange, once the body has been read."""
        head = self._head
        body = b"".join(self._chunks)
        content: bytes | None = None
        if self._decoder is not None:
            with self._decoding(self._decoder) as decoder:
                content = decoder.finish(truncated=self._done)
        exchange = Exchange(
            url=head.url,
            request_line=head.request_line,
            request_headers=head.request_headers,
            http_version=head.http_version,
            status=head.status,
            reason=head.reason,
            headers=_framed(head.headers, len(body), head.status),
            body=body,
            date=self._date,
            ip_address=head.ip_address,
        )
        return Received(exchange, content, self._decode_error)

    @contextmanager
    def _decoding(self, decoder: Decoder) -> Iterator[Decoder]:
        """Work on ``decoder``, its errors turned into what they mean to a fetch.

        An Overflow is a decompression bomb (robots.txt's decoder cuts the body instead
        of overflowing); a DecodeError leaves the body undecoded, saying why.
        """
        try:
            yield decoder
        except Overflow:
            step = self._step
            raise DecompressionBombError(
                f"the body decodes to over {_size(decoder.limit)}"
                f" ({_size(self._size)} so far as sent): a decompression bomb?",
                url=step.requested,
                attempts=step.attempt,
            ) from None
        except DecodeError as exc:
            self._decoder, self._decode_error = None, str(exc)

    def _too_large(self, what: str | None) -> ResponseTooLargeError:
        """The error of a body of ``what`` size, or of one that went on past the limit."""
        step = self._step
        where = "" if step.url == step.requested else f" at {shown_name(step.url)}"
        size = f"is {what}, over" if what else "goes on past"
        return ResponseTooLargeError(
            f"the response body{where} {size} the {_size(self._limit)} limit",
            url=step.requested,
            attempts=step.attempt,
        )


def _framed(headers: Headers, body_size: int, status: int) -> Headers:
    """The headers, adjusted so that they frame the stored (de-chunked) body.

    A ``Transfer-Encoding`` header, and a ``Content-Length`` sent with it, are kept
    under an ``X-Archive-Orig-`` name (the prefix pywb uses for original headers), and
    a ``Content-Length`` of the stored body is added: a replay tool then serves the
    body with a length instead of trying to de-chunk bytes that are not chunked.
    """
    chunked = header(headers, "Transfer-Encoding") is not None
    has_length = header(headers, "Content-Length") is not None
    if status < 200 or status in (204, 304) or (has_length and not chunked):
        return headers
    out: list[tuple[str, str]] = []
    for name, value in headers:
        if chunked and name.lower() in ("transfer-encoding", "content-length"):
            out.append((_ARCHIVE_PREFIX + name, value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(body_size)))
    return tuple(out)


def _content_length(value: str | None) -> int | None:
    value = value.strip() if value is not None else ""
    if not (value.isascii() and value.isdigit()) or len(value) > 30:
        return None  # not a length: the body is read, and bounded, as it comes
    return int(value)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not "²", which str.isdigit() also takes
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"
