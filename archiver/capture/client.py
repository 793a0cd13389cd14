"""Fetching pages over HTTP(S), keeping every exchange as it went over the wire.

This is the only module that imports httpx. :class:`Fetcher` (sync) and
:class:`AsyncFetcher` (async) share one core: :func:`_page_plan` is a generator that
decides everything (which URL to ask for next, whether robots.txt allows it, whether an
address is allowed, when a redirect chain ends) and yields the I/O it needs as plain
steps, a :class:`_Resolve` or a :class:`_Send`; the sync and async shells only carry
those steps out. Retries wrap a whole attempt (every redirect hop) with tenacity, with
one policy for both shells.

What a fetch gives back is plain data: a :class:`FetchResult`, holding one
:class:`Exchange` (the request sent and the response received) per hop. Response
bodies are kept as they came: with their Content-Encoding (gzip, br) but without the
chunked transfer coding, which httpx removes, so the stored headers are adjusted to
frame the stored body (see docs/warc.md). A decoded copy of the final body is kept
for extraction.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import random
import socket
import time
import urllib.parse
import zlib
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import brotli
import httpx
from protego import Protego
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from ..errors import (
    BlockedAddressError,
    DecompressionBombError,
    FetchError,
    HttpStatusError,
    ResponseTooLargeError,
    RobotsDisallowedError,
)

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self needs Python 3.11

__all__ = [
    "DEFAULT_USER_AGENT",
    "HTML_TYPES",
    "AsyncFetcher",
    "Exchange",
    "FetchConfig",
    "FetchResult",
    "Fetcher",
    "afetch",
    "fetch",
]

log = logging.getLogger(__name__)


def _package_version() -> str:
    try:
        return version("news-archiver")
    except PackageNotFoundError:
        return "0+unknown"


#: The User-Agent sent by default; robots.txt rules for ``news-archiver`` apply to it.
DEFAULT_USER_AGENT = f"news-archiver/{_package_version()}"

#: Media types that are extracted; any other response is stored raw.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_MB = 1024 * 1024
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# Only codings this module can undo are offered.
_ACCEPT_ENCODING = "gzip, deflate, br"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# RFC 9309: follow at least five redirects for robots.txt and parse at least 500 KiB.
_ROBOTS_REDIRECTS = 5
_ROBOTS_MAX_BYTES = 500 * 1024
_ARCHIVE_PREFIX = "X-Archive-Orig-"


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """How pages are fetched. Every field has a default fit for fetching news sites.

    Times are in seconds. ``timeout`` bounds each network operation (connecting, sending,
    waiting for the next bytes) and ``total_timeout`` one attempt at a URL, redirects
    included, so that a server dripping bytes cannot hold a fetch for ever.
    ``retries`` is the number of tries after the first; a retry waits
    ``backoff * 2**(n-1)`` plus up to ``backoff`` of random jitter, at most
    ``backoff_max``, or what the server's Retry-After asks when it asks for at most
    ``retry_after_cap`` (a longer wait is not retried). ``block_private`` refuses URLs
    that lead to private, loopback, link-local or otherwise non-public addresses, for
    URL lists from untrusted sources.
    """

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    total_timeout: float | None = 120.0
    max_body_bytes: int = 20 * _MB
    max_decompressed_bytes: int = 20 * _MB
    max_redirects: int = 10
    retries: int = 2
    backoff: float = 1.0
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0
    obey_robots: bool = True
    block_private: bool = False

    def __post_init__(self) -> None:
        positive = {
            "timeout": self.timeout,
            "max_body_bytes": self.max_body_bytes,
            "max_decompressed_bytes": self.max_decompressed_bytes,
        }
        if self.total_timeout is not None:
            positive["total_timeout"] = self.total_timeout
        not_negative = {
            "max_redirects": self.max_redirects,
            "retries": self.retries,
            "backoff": self.backoff,
            "backoff_max": self.backoff_max,
            "retry_after_cap": self.retry_after_cap,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"FetchConfig.{name} must be positive, not {value!r}")
        for name, value in not_negative.items():
            if not value >= 0:
                raise ValueError(f"FetchConfig.{name} must not be negative, not {value!r}")
        ua = self.user_agent
        if not ua or not ua.isascii() or not ua.isprintable():
            raise ValueError(f"FetchConfig.user_agent is not a header value: {self.user_agent!r}")


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
        return _header(self.headers, name)

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
        return _media_type(self.content_type)

    @property
    def is_html(self) -> bool:
        """True when the final response is HTML, or says nothing of its type."""
        media = self.media_type
        return media is None or media in HTML_TYPES


# --- the core: plain decisions, no I/O --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Resolve:
    """Step: look up the addresses of ``host``."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class _Send:
    """Step: send a GET for ``url`` and stream the response into a :class:`_Receiver`."""

    url: str
    config: FetchConfig
    deadline: float | None
    attempt: int
    requested: str
    robots: bool = False

    def headers(self) -> dict[str, str]:
        """The request headers of ours (httpx adds Host and Connection)."""
        accept = "text/plain,*/*;q=0.8" if self.robots else _ACCEPT
        return {
            "User-Agent": self.config.user_agent,
            "Accept": accept,
            "Accept-Encoding": _ACCEPT_ENCODING,
        }

    def receive(self, request: httpx.Request, response: httpx.Response) -> _Receiver:
        """Check the response head and return what collects its body."""
        return _Receiver(self, request, response)


_Step = _Resolve | _Send


@dataclass(frozen=True, slots=True)
class _Received:
    exchange: Exchange
    content: bytes | None
    decode_error: str | None


_Plan = Generator[_Step, Any, Any]


class _RetryableStatus(Exception):
    """A 429 or 5xx answer: worth another attempt, unless it asks for too long a wait."""

    def __init__(self, url: str, status: int, reason: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} {reason}".rstrip())
        self.url = url
        self.status = status
        self.retry_after = retry_after


class _DeadlineExceeded(Exception):
    """An attempt took longer than ``total_timeout``."""


class _RobotsCache:
    """Parsed robots.txt per origin (``scheme://host:port``); None allows everything."""

    def __init__(self) -> None:
        self.rules: dict[str, Protego | None] = {}


def _page_plan(
    url: str, config: FetchConfig, robots: _RobotsCache, attempt: int
) -> Generator[_Step, Any, tuple[list[Exchange], _Received]]:
    """One attempt at ``url``: every hop until a response that is not a redirect."""
    deadline = time.monotonic() + config.total_timeout if config.total_timeout else None
    current = _check_url(url, url, attempt)
    exchanges: list[Exchange] = []
    seen = {current}
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise _DeadlineExceeded(current)
        yield from _admit(current, url, config, robots, deadline, attempt)
        received: _Received = yield _Send(current, config, deadline, attempt, url)
        exchanges.append(received.exchange)
        target = _redirect_target(received.exchange)
        if target is None:
            return exchanges, received
        if len(exchanges) > config.max_redirects:
            raise FetchError(
                f"too many redirects (over {config.max_redirects})", url=url, attempts=attempt
            )
        target = _check_url(target, url, attempt)
        if target in seen:
            raise FetchError(f"redirect loop at {target}", url=url, attempts=attempt)
        seen.add(target)
        log.debug("%s: redirected (%d) to %s", url, received.exchange.status, target)
        current = target


def _admit(
    url: str,
    requested: str,
    config: FetchConfig,
    robots: _RobotsCache,
    deadline: float | None,
    attempt: int,
) -> _Plan:
    """Refuse ``url`` if its address is blocked or its robots.txt disallows it."""
    yield from _check_host(url, requested, config, attempt)
    if not config.obey_robots:
        return
    parsed = httpx.URL(url)
    origin = f"{parsed.scheme}://{_netloc(parsed)}"
    if origin not in robots.rules:
        robots.rules[origin] = yield from _robots_plan(origin, requested, config, deadline, attempt)
    rules = robots.rules[origin]
    if rules is not None and not rules.can_fetch(url, config.user_agent):
        where = "" if url == requested else f" (redirected to {url})"
        raise RobotsDisallowedError(
            f"robots.txt of {origin} disallows it{where}", url=requested, attempts=attempt
        )


def _robots_plan(
    origin: str, requested: str, config: FetchConfig, deadline: float | None, attempt: int
) -> Generator[_Step, Any, Protego | None]:
    """Fetch and parse ``origin``'s robots.txt; a 4xx or a missing file allows all.

    A 429 or 5xx answer, or a network failure, fails the attempt (to be retried): per
    RFC 9309 an unreachable robots.txt allows nothing.
    """
    current = f"{origin}/robots.txt"
    for _ in range(_ROBOTS_REDIRECTS + 1):
        received: _Received = yield _Send(current, config, deadline, attempt, requested, True)
        exchange = received.exchange
        target = _redirect_target(exchange)
        if target is None:
            break
        try:
            target = _check_url(target, requested, attempt)
        except FetchError:
            return None  # a redirect out of http(s): no robots.txt there
        yield from _check_host(target, requested, config, attempt)
        current = target
    else:
        return None  # RFC 9309: too many redirects count as no robots.txt
    if not 200 <= exchange.status < 300 or received.content is None:
        log.debug("%s: no robots rules (HTTP %d)", origin, exchange.status)
        return None
    log.debug("%s: robots.txt read", origin)
    return Protego.parse(received.content.decode("utf-8", errors="replace"))


def _check_host(url: str, requested: str, config: FetchConfig, attempt: int) -> _Plan:
    """With ``block_private``, refuse a host that is, or resolves to, a non-public address."""
    if not config.block_private:
        return
    parsed = httpx.URL(url)
    host = parsed.host
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        found: list[str] = yield _Resolve(host, port)
        addresses = [ipaddress.ip_address(address.split("%", 1)[0]) for address in found]
    for address in addresses:
        if _is_blocked(address):
            raise BlockedAddressError(
                f"{host} is {_address_kind(address)} ({address}), refused by block_private",
                url=requested,
                attempts=attempt,
            )


def _is_blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, flag in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a private address", address.is_private),
        ("a multicast address", address.is_multicast),
    ):
        if flag:
            return kind
    return "not a public address"


def _check_url(url: str, requested: str, attempt: int) -> str:
    """``url`` normalised by httpx, or FetchError when it is not an http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(f"invalid URL: {exc}", url=requested, attempts=attempt) from exc
    if parsed.scheme not in ("http", "https"):
        what = repr(parsed.scheme) if parsed.scheme else "(none)"
        where = "" if url == requested else f" (redirect to {url})"
        raise FetchError(
            f"unsupported URL scheme {what}{where}: only http and https are fetched",
            url=requested,
            attempts=attempt,
        )
    if not parsed.host:
        raise FetchError("invalid URL: no host", url=requested, attempts=attempt)
    return str(parsed)


def _redirect_target(exchange: Exchange) -> str | None:
    if exchange.status not in _REDIRECTS:
        return None
    location = exchange.header("Location")
    if not location:
        return None
    try:
        return str(httpx.URL(exchange.url).join(location.strip()).copy_with(fragment=None))
    except (httpx.InvalidURL, ValueError):
        return location


def _netloc(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}" if url.port else host


class _Receiver:
    """Checks a response head, then collects its body: limits, deadline, decoding."""

    def __init__(self, step: _Send, request: httpx.Request, response: httpx.Response) -> None:
        self._step = step
        self._request = request
        self._response = response
        self._date = datetime.now(timezone.utc)
        self._chunks: list[bytes] = []
        self._size = 0
        self._done = False
        config = step.config
        self._ip = _peer_address(response)
        if config.block_private and self._ip is not None:
            # The address actually connected to: DNS may have changed since the check.
            address = ipaddress.ip_address(self._ip.split("%", 1)[0])
            if _is_blocked(address):
                raise BlockedAddressError(
                    f"connected to {_address_kind(address)} ({address}), refused by block_private",
                    url=step.requested,
                    attempts=step.attempt,
                )
        status = response.status_code
        if status == 429 or 500 <= status < 600:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            raise _RetryableStatus(step.url, status, response.reason_phrase, retry_after)
        self._limit = _ROBOTS_MAX_BYTES if step.robots else config.max_body_bytes
        declared = _content_length(response.headers.get("Content-Length"))
        if not step.robots and declared is not None and declared > self._limit:
            raise self._too_large(f"{_size(declared)} (Content-Length)")
        self._decoder: _Decoder | None = None
        self._decode_error: str | None = None
        media = _media_type(response.headers.get("Content-Type"))
        final = status not in _REDIRECTS or "Location" not in response.headers
        if step.robots or (
            200 <= status < 300 and final and (media is None or media in HTML_TYPES)
        ):
            limit = _ROBOTS_MAX_BYTES if step.robots else config.max_decompressed_bytes
            try:
                self._decoder = _Decoder(response.headers.get("Content-Encoding", ""), limit)
            except _DecodeError as exc:
                self._decode_error = str(exc)

    def feed(self, chunk: bytes) -> bool:
        """Take the next raw chunk; False when no more is wanted (robots.txt is cut)."""
        step = self._step
        if step.deadline is not None and time.monotonic() > step.deadline:
            raise _DeadlineExceeded(step.url)
        room = self._limit - self._size
        if len(chunk) > room:
            if step.robots:
                chunk, self._done = chunk[:room], True
            else:
                raise self._too_large(f"over {_size(self._limit)}")
        self._size += len(chunk)
        self._chunks.append(chunk)
        if self._decoder is not None:
            try:
                self._decoder.feed(chunk)
            except _Overflow:
                if not step.robots:
                    raise DecompressionBombError(
                        f"the body decodes to over {_size(self._decoder.limit)}"
                        f" ({_size(self._size)} so far as sent): a decompression bomb?",
                        url=step.requested,
                        attempts=step.attempt,
                    ) from None
                self._done = True
            except _DecodeError as exc:
                self._decoder, self._decode_error = None, str(exc)
        return not self._done

    def finish(self) -> _Received:
        """The exchange, once the body has been read."""
        request, response = self._request, self._response
        body = b"".join(self._chunks)
        content = None
        if self._decoder is not None:
            try:
                content = self._decoder.finish(truncated=self._done)
            except _DecodeError as exc:
                self._decode_error = str(exc)
        http_version = response.http_version or "HTTP/1.1"
        target = request.url.raw_path.decode("ascii")
        exchange = Exchange(
            url=str(request.url),
            # h11 speaks HTTP/1.1 whatever the server answers with.
            request_line=f"{request.method} {target} HTTP/1.1",
            request_headers=_latin1(request.headers.raw),
            http_version=http_version,
            status=response.status_code,
            reason=response.reason_phrase,
            headers=_framed(_latin1(response.headers.raw), len(body), response.status_code),
            body=body,
            date=self._date,
            ip_address=self._ip,
        )
        return _Received(exchange, content, self._decode_error)

    def _too_large(self, what: str) -> ResponseTooLargeError:
        step = self._step
        where = "" if step.url == step.requested else f" at {step.url}"
        return ResponseTooLargeError(
            f"the response body{where} is {what}, over the {_size(self._limit)} limit",
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
    chunked = _header(headers, "Transfer-Encoding") is not None
    has_length = _header(headers, "Content-Length") is not None
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


def _latin1(raw: list[tuple[bytes, bytes]]) -> Headers:
    return tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)


def _header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    return media or None


def _content_length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _peer_address(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    address = stream.get_extra_info("server_addr")
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        return address[0]
    return None


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"


# --- content decoding -------------------------------------------------------------------


class _DecodeError(Exception):
    """The Content-Encoding cannot be undone (unknown, or the data is corrupt)."""


class _Overflow(Exception):
    """The decoded body is over its limit."""


class _Zlib:
    """gzip or deflate, fed in pieces, never producing more than asked for."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        # 32 + MAX_WBITS takes a gzip or a zlib header; deflate may also come raw.
        self._wbits = zlib.MAX_WBITS | 32
        self._obj = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        out = bytearray()
        while data:
            try:
                out += self._obj.decompress(data, room - len(out) + 1)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._started:
                    # Servers sending "deflate" without its zlib header: try raw.
                    self._obj, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise _DecodeError(f"the {self.coding} data is corrupt ({exc})") from exc
            self._started = True
            if len(out) > room:
                raise _Overflow
            if self._obj.eof:
                rest = self._obj.unused_data
                if self.coding == "gzip" and rest.startswith(b"\x1f\x8b"):
                    self._obj = zlib.decompressobj(self._wbits)  # a further gzip member
                    data = rest
                    continue
                break
            data = self._obj.unconsumed_tail
        return bytes(out)

    def finish(self, room: int) -> bytes:
        out = self._obj.flush(room + 1) if room >= 0 else b""
        if len(out) > room:
            raise _Overflow
        if self._started and not self._obj.eof:
            raise _DecodeError(f"the {self.coding} data is truncated")
        return out


class _Brotli:
    coding = "br"

    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = bytearray(self._obj.process(data, output_buffer_limit=room + 1))
            while len(out) <= room and not self._obj.can_accept_more_data():
                out += self._obj.process(b"", output_buffer_limit=room - len(out) + 1)
        except brotli.error as exc:
            raise _DecodeError(f"the br data is corrupt ({exc})") from exc
        if len(out) > room:
            raise _Overflow
        return bytes(out)

    def finish(self, room: int) -> bytes:
        if not self._obj.is_finished():
            raise _DecodeError("the br data is truncated")
        return b""


class _Decoder:
    """Undoes a Content-Encoding as the body arrives; the result may not exceed ``limit``."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        self.limit = limit
        self._layers: list[_Zlib | _Brotli] = []
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        # Codings are listed in the order applied: undo them from the last.
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip", "deflate"):
                self._layers.append(_Zlib("deflate" if coding == "deflate" else "gzip"))
            elif coding == "br":
                self._layers.append(_Brotli())
            elif coding != "identity":
                raise _DecodeError(f"unsupported Content-Encoding {coding!r}")
        self._out: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> None:
        for layer in self._layers:
            data = layer.feed(data, self.limit - self._size)
        self._add(data)

    def finish(self, *, truncated: bool = False) -> bytes:
        """The decoded body; ``truncated`` accepts a stream cut short on purpose."""
        for index, layer in enumerate(self._layers):
            try:
                data = layer.finish(self.limit - self._size)
            except _DecodeError:
                if truncated:
                    break
                raise
            for later in self._layers[index + 1 :]:
                data = later.feed(data, self.limit - self._size)
            self._add(data)
        return b"".join(self._out)

    def _add(self, data: bytes) -> None:
        self._size += len(data)
        # Without a coding the body is as sent, and max_body_bytes is its limit.
        if self._size > self.limit and self._layers:
            raise _Overflow
        self._out.append(data)


# --- retries ----------------------------------------------------------------------------


def _retryable(config: FetchConfig) -> Any:
    def check(exc: BaseException) -> bool:
        if isinstance(exc, _RetryableStatus):
            return exc.retry_after is None or exc.retry_after <= config.retry_after_cap
        return isinstance(
            exc,
            (
                httpx.TimeoutException,
                httpx.NetworkError,
                httpx.RemoteProtocolError,
                _DeadlineExceeded,
                socket.gaierror,
            ),
        )

    return retry_if_exception(check)


def _wait(config: FetchConfig) -> Any:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        backoff = config.backoff * 2 ** (state.attempt_number - 1)
        return float(min(backoff + random.uniform(0, config.backoff), config.backoff_max))

    return wait


def _retry_options(url: str, config: FetchConfig) -> dict[str, Any]:
    """The tenacity options, the same for the sync and the async shell."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        cause = _cause(exc, config) if exc is not None else "?"
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.info(
            "%s: %s; retrying in %.1f s (attempt %d of %d)",
            url,
            cause,
            wait,
            state.attempt_number + 1,
            config.retries + 1,
        )

    return {
        "stop": stop_after_attempt(config.retries + 1),
        "wait": _wait(config),
        "retry": _retryable(config),
        "before_sleep": before_sleep,
        "reraise": True,
    }


def _cause(exc: BaseException, config: FetchConfig) -> str:
    """What went wrong, in words, for an exception raised by an attempt."""
    if isinstance(exc, _RetryableStatus):
        text = str(exc)
        if exc.retry_after is not None and exc.retry_after > config.retry_after_cap:
            text += (
                f", asking to retry after {exc.retry_after:.0f} s"
                f" (over the {config.retry_after_cap:g} s cap)"
            )
        return text
    if isinstance(exc, _DeadlineExceeded):
        return f"timed out: took over {config.total_timeout:g} s in all"
    detail = str(exc).strip() or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out connecting (after {config.timeout:g} s)"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out waiting for the server (no data for {config.timeout:g} s)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({detail})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({detail})"
    if isinstance(exc, httpx.NetworkError):
        return f"connection lost ({detail})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"broken response ({detail})"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror or detail})"
    return detail


def _final_error(url: str, exc: BaseException, attempts: int, config: FetchConfig) -> FetchError:
    if isinstance(exc, FetchError):
        return exc
    where = ""
    failed_url = getattr(exc, "url", None) if isinstance(exc, _RetryableStatus) else None
    if isinstance(exc, httpx.RequestError):
        try:
            failed_url = str(exc.request.url)
        except RuntimeError:  # no request attached
            failed_url = None
    if failed_url and failed_url != url:
        where = f" at {failed_url}"
    status = exc.status if isinstance(exc, _RetryableStatus) else None
    kind = HttpStatusError if status is not None else FetchError
    return kind(_cause(exc, config) + where, url=url, attempts=attempts, status=status, cause=exc)


def _is_attempt_error(exc: BaseException) -> bool:
    """Errors an attempt ends with on purpose (the rest are bugs, left to propagate)."""
    return isinstance(
        exc, (FetchError, _RetryableStatus, _DeadlineExceeded, httpx.HTTPError, socket.gaierror)
    )


def _result(url: str, result: tuple[list[Exchange], _Received], attempts: int) -> FetchResult:
    exchanges, final = result
    return FetchResult(
        url=url,
        exchanges=tuple(exchanges),
        attempts=attempts,
        content=final.content,
        decode_error=final.decode_error,
    )


def _new_client_options(config: FetchConfig) -> dict[str, Any]:
    # Proxy variables are ignored: the request records and the address checks must
    # describe the connection to the site itself.
    return {"follow_redirects": False, "trust_env": False, "timeout": config.timeout}


# --- the sync shell ---------------------------------------------------------------------


def _resolve(host: str, port: int) -> list[str]:
    """The IP addresses of ``host``, as the connection will look them up."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class Fetcher:
    """Fetches URLs one at a time, reusing connections and robots.txt rules.

    ``client`` is an httpx.Client to use instead of a new one (it is not closed here);
    its redirect setting is ignored, as redirects are followed here hop by hop.
    """

    def __init__(self, config: FetchConfig | None = None, *, client: httpx.Client | None = None):
        self.config = config or FetchConfig()
        self._client = client or httpx.Client(**_new_client_options(self.config))
        self._own_client = client is None
        self._robots = _RobotsCache()

    def fetch(self, url: str) -> FetchResult:
        """Fetch ``url``, following redirects; retry as configured.

        Returns the :class:`FetchResult` of the final response whatever its status, unless
        it is a 429 or 5xx still after the last retry. Raises
        :class:`~archiver.errors.FetchError` (or a subclass) naming the URL and the cause.
        """
        retrying = Retrying(**_retry_options(url, self.config))
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    plan = _page_plan(url, self.config, self._robots, attempts)
                    result = self._run(plan)
        except Exception as exc:
            if not _is_attempt_error(exc):
                raise
            raise _final_error(url, exc, attempts, self.config) from exc
        return _result(url, result, attempts)

    def _run(self, plan: Generator[_Step, Any, Any]) -> Any:
        try:
            step = next(plan)
            while True:
                if isinstance(step, _Resolve):
                    step = plan.send(_resolve(step.host, step.port))
                else:
                    step = plan.send(self._send(step))
        except StopIteration as stop:
            return stop.value
        finally:
            plan.close()

    def _send(self, step: _Send) -> _Received:
        request = self._client.build_request(
            "GET", step.url, headers=step.headers(), timeout=step.config.timeout
        )
        response = self._client.send(request, stream=True, follow_redirects=False)
        try:
            receiver = step.receive(request, response)
            for chunk in response.iter_raw():
                if not receiver.feed(chunk):
                    break
            return receiver.finish()
        finally:
            response.close()

    def close(self) -> None:
        """Close the connections (not those of a client passed in)."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- the async shell --------------------------------------------------------------------


async def _aresolve(host: str, port: int) -> list[str]:
    """:func:`_resolve` without blocking the event loop (asyncio or trio)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _OriginClients:
    """The httpx.AsyncClient of each origin (scheme, host and port) an AsyncFetcher meets.

    A client per origin, so that a host visited again (as in bulk archiving, a request
    at a time with a delay between) finds its connection kept alive. One client for all
    hosts would keep few: httpcore's pool scans its connections for each waiting request,
    and a pool as large as the hosts of a bulk run costs more CPU than the connections
    it saves. The idle clients beyond ``_ORIGINS_KEPT`` are closed, least recently used
    first. All share one TLS context (making one loads the CA bundle). A ``client``
    passed in serves every origin and is not closed here.
    """

    def __init__(self, config: FetchConfig, client: httpx.AsyncClient | None) -> None:
        self._shared = client
        self._options: dict[str, Any] = {}
        if client is None:
            self._options = {
                **_new_client_options(config),
                "verify": httpx.create_ssl_context(),
                # Few idle connections per origin, so that the origins kept stay well
                # within the usual limit of 1024 open files.
                "limits": httpx.Limits(max_keepalive_connections=2),
            }
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        self._busy: Counter[str] = Counter()

    @asynccontextmanager
    async def client(self, url: str) -> AsyncIterator[httpx.AsyncClient]:
        """The client for ``url``'s origin, held for the duration of the block."""
        if self._shared is not None:
            yield self._shared
            return
        scheme, netloc, *_ = urllib.parse.urlsplit(url)
        origin = f"{scheme}://{netloc}".lower()
        client = self._clients.get(origin)
        if client is None:
            await self._close_idle(keep=_ORIGINS_KEPT - 1)
            client = self._clients[origin] = httpx.AsyncClient(**self._options)
        self._clients.move_to_end(origin)
        self._busy[origin] += 1
        try:
            yield client
        finally:
            self._busy[origin] -= 1
            if not self._busy[origin]:
                del self._busy[origin]

    async def aclose(self) -> None:
        """Close every client of ours."""
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            await client.aclose()

    async def _close_idle(self, *, keep: int) -> None:
        excess = len(self._clients) - keep
        if excess <= 0:
            return
        for origin in [origin for origin in self._clients if origin not in self._busy][:excess]:
            await self._clients.pop(origin).aclose()


#: Idle origins whose client (and kept-alive connection) an AsyncFetcher keeps.
_ORIGINS_KEPT = 256


class AsyncFetcher:
    """The async twin of :class:`Fetcher`, on an httpx.AsyncClient per origin.

    Many fetches may run at once on one AsyncFetcher; they share its connections and
    its robots.txt rules. ``client`` is an httpx.AsyncClient to use for every origin
    instead (it is not closed here).
    """

    def __init__(
        self, config: FetchConfig | None = None, *, client: httpx.AsyncClient | None = None
    ):
        self.config = config or FetchConfig()
        self._clients = _OriginClients(self.config, client)
        self._robots = _RobotsCache()

    async def fetch(self, url: str) -> FetchResult:
        """Fetch ``url`` as :meth:`Fetcher.fetch` does."""
        retrying = AsyncRetrying(**_retry_options(url, self.config))
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    plan = _page_plan(url, self.config, self._robots, attempts)
                    result = await self._run(plan)
        except Exception as exc:
            if not _is_attempt_error(exc):
                raise
            raise _final_error(url, exc, attempts, self.config) from exc
        return _result(url, result, attempts)

    def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay that ``url``'s robots.txt asks of us, once it has been read."""
        parsed = httpx.URL(url)
        rules = self._robots.rules.get(f"{parsed.scheme}://{_netloc(parsed)}")
        delay = rules.crawl_delay(self.config.user_agent) if rules is not None else None
        return float(delay) if delay is not None else None

    async def _run(self, plan: Generator[_Step, Any, Any]) -> Any:
        try:
            step = next(plan)
            while True:
                if isinstance(step, _Resolve):
                    step = plan.send(await _aresolve(step.host, step.port))
                else:
                    step = plan.send(await self._send(step))
        except StopIteration as stop:
            return stop.value
        finally:
            plan.close()

    async def _send(self, step: _Send) -> _Received:
        async with self._clients.client(step.url) as client:
            request = client.build_request(
                "GET", step.url, headers=step.headers(), timeout=step.config.timeout
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                receiver = step.receive(request, response)
                async for chunk in response.aiter_raw():
                    if not receiver.feed(chunk):
                        break
                return receiver.finish()
            finally:
                await response.aclose()

    async def aclose(self) -> None:
        """Close the connections (not those of a client passed in)."""
        await self._clients.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def fetch(url: str, config: FetchConfig | None = None) -> FetchResult:
    """Fetch one URL with a fresh :class:`Fetcher` (see :meth:`Fetcher.fetch`)."""
    with Fetcher(config) as fetcher:
        return fetcher.fetch(url)


async def afetch(url: str, config: FetchConfig | None = None) -> FetchResult:
    """Fetch one URL with a fresh :class:`AsyncFetcher` (see :meth:`Fetcher.fetch`)."""
    async with AsyncFetcher(config) as fetcher:
        return await fetcher.fetch(url)
