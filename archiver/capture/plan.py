"""The core of a fetch: plain decisions, no I/O.

:func:`page_plan` is a generator that decides everything (which URL to ask for next,
whether robots.txt allows it, whether an address is allowed, when a redirect chain
ends) and yields the I/O it needs as plain steps, a :class:`Resolve` or a
:class:`Send`, and an :class:`Enter` where a hop begins; the sync and async shells of
:mod:`archiver.capture.client` only carry those steps out. URLs are read by a
:class:`UrlSyntax` that the shells pass in (httpx's reading, as httpx sends them), so
that no module but the client imports httpx.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from protego import Protego

from ..errors import (
    BlockedAddressError,
    FetchError,
    RobotsDisallowedError,
    RobotsUnreachableError,
    shown_name,
)
from .config import ACCEPT, ACCEPT_ENCODING, REDIRECTS, ROBOTS_REDIRECTS, FetchConfig
from .exchange import Exchange, FetchResult

__all__ = [
    "REFUSED",
    "DeadlineExceeded",
    "Enter",
    "Plan",
    "Received",
    "Resolve",
    "RobotsCache",
    "RobotsOutage",
    "RobotsReading",
    "Send",
    "Step",
    "UrlSyntax",
    "address_kind",
    "fetch_result",
    "is_blocked",
    "origin_of",
    "page_plan",
    "robots_plan",
]

log = logging.getLogger(__name__)

#: How the message of a BlockedAddressError ends: how to fetch such an address.
REFUSED = "refused: such addresses are fetched only with allow_private (--allow-private)"


class UrlSyntax(Protocol):
    """How URLs read, as the plan needs to know it."""

    def check(self, url: str, requested: str, attempt: int) -> str:
        """``url`` normalised, or FetchError naming ``requested`` when it is not http(s)."""

    def join(self, base: str, location: str) -> str:
        """A redirect's ``location`` resolved against ``base``, without its fragment."""

    def parts(self, url: str) -> tuple[str, str, int | None]:
        """The scheme, host and port (None when not given) of ``url``."""


@dataclass(frozen=True, slots=True)
class Enter:
    """Step: a hop to ``url`` begins, before anything is asked of its host (its
    robots.txt, then itself). A shell that paces hosts waits for the host's turn here;
    it sends back the seconds it waited (None: it did not), which the attempt's
    ``total_timeout`` does not count. ``retry``: the hop begins a retry, the last
    attempt having failed (on the host that the shell paced last)."""

    url: str
    retry: bool = False


@dataclass(frozen=True, slots=True)
class Resolve:
    """Step: look up the addresses of ``host``."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Send:
    """Step: send a GET for ``url`` and stream the response into a :class:`.Receiver`."""

    url: str
    config: FetchConfig
    deadline: float | None
    attempt: int
    requested: str
    robots: bool = False
    #: Headers of the caller's, sent too (If-None-Match, If-Modified-Since).
    extra: tuple[tuple[str, str], ...] = ()

    def headers(self) -> dict[str, str]:
        """The request headers of ours (httpx adds Host and Connection)."""
        accept = "text/plain,*/*;q=0.8" if self.robots else ACCEPT
        return {
            "User-Agent": self.config.user_agent,
            "Accept": accept,
            "Accept-Encoding": ACCEPT_ENCODING,
            **dict(self.extra),
        }


#: A step of a plan: the I/O it waits for.
Step = Enter | Resolve | Send


@dataclass(frozen=True, slots=True)
class Received:
    """What a :class:`Send` step gives back: the exchange, and its body decoded or why not."""

    exchange: Exchange
    content: bytes | None
    decode_error: str | None


def fetch_result(url: str, outcome: tuple[list[Exchange], Received], attempts: int) -> FetchResult:
    """The FetchResult of a plan's outcome: every hop's exchange, the last one's body."""
    exchanges, final = outcome
    return FetchResult(
        url=url,
        exchanges=tuple(exchanges),
        attempts=attempts,
        content=final.content,
        decode_error=final.decode_error,
    )


#: A plan, run by sending it the answer to each step it yields.
Plan = Generator[Step, Any, Any]


class DeadlineExceeded(Exception):
    """An attempt took longer than ``total_timeout``."""


@dataclass(frozen=True, slots=True)
class RobotsOutage:
    """A robots.txt that a fetch could not reach: since when (``time.monotonic()``),
    the URL that fetch was for, and why."""

    since: float
    url: str
    reason: str


@dataclass(slots=True)
class RobotsReading:
    """The robots.txt that one fetch's current attempt is reading: its origin, from the
    lookup of its host's address to the file read (None when it reads none), and
    whether the attempt began with it (on its first hop: the attempt's time went to it)."""

    origin: str | None = None
    first_hop: bool = False


class RobotsCache:
    """Parsed robots.txt per origin (``scheme://host:port``); None allows everything.

    And the outages: the origins whose robots.txt a fetch could not reach, oldest
    first, each refusing the origin's URLs for ``FetchConfig.robots_retry_after``
    seconds (RFC 9309 allows nothing while it cannot be reached)."""

    def __init__(self) -> None:
        self.rules: dict[str, Protego | None] = {}
        self.outages: dict[str, RobotsOutage] = {}
        #: the origins whose Crawl-delay was found over the cap (logged once each)
        self.capped: set[str] = set()

    def store(self, origin: str, rules: Protego | None) -> None:
        """``origin``'s robots.txt, read."""
        self.rules[origin] = rules
        self.outages.pop(origin, None)

    def remember_outage(
        self,
        reading: RobotsReading,
        url: str,
        cause: BaseException,
        reason: str,
        retry_after: float,
    ) -> None:
        """The fetch of ``url`` has failed (why: ``reason``), its last attempt with
        ``cause`` while ``reading`` a robots.txt. An outage when the file could not be
        reached (a network failure, a 429 or 5xx, the host's address not found), not
        for a refusal of ours (a FetchError), nor for the attempt's deadline unless the
        attempt began with that file (else it may have spent its time on another host)."""
        if retry_after <= 0 or reading.origin is None or isinstance(cause, FetchError):
            return
        if isinstance(cause, DeadlineExceeded) and not reading.first_hop:
            return
        now = time.monotonic()
        expired = []
        for origin, outage in self.outages.items():  # oldest first: read up to a live one
            if now - outage.since < retry_after:
                break
            expired.append(origin)
        for origin in expired:
            del self.outages[origin]
        self.outages.pop(reading.origin, None)  # at the end again: the newest
        self.outages[reading.origin] = RobotsOutage(now, url, reason)

    def check_reachable(self, origin: str, url: str, retry_after: float) -> None:
        """Raise RobotsUnreachableError for ``url`` while ``origin``'s robots.txt has
        an outage younger than ``retry_after`` seconds."""
        outage = self.outages.get(origin)
        if outage is None:
            return
        left = outage.since + retry_after - time.monotonic()
        if left <= 0:
            self.outages.pop(origin, None)
            return
        raise RobotsUnreachableError(
            f"robots.txt of {origin} could not be reached when {shown_name(outage.url)} was fetched"
            f" ({outage.reason}): RFC 9309 allows nothing of {origin} until it can be; it is"
            f" asked for again {retry_after:g} s after that",
            url=url,
            attempts=0,
        )

    def crawl_delay(self, url: str, user_agent: str, urls: UrlSyntax, cap: float) -> float | None:
        """The Crawl-delay that ``url``'s robots.txt asks of ``user_agent``, once it has
        been read, at most ``cap``; None for a URL that ``urls`` refuses (no request
        went to its host)."""
        try:
            origin = origin_of(urls.check(url, url, 1), urls)
        except FetchError:
            return None
        rules = self.rules.get(origin)
        delay = rules.crawl_delay(user_agent) if rules is not None else None
        if delay is None:
            return None
        if delay > cap:
            if origin not in self.capped:
                self.capped.add(origin)
                log.warning(
                    "robots.txt of %s asks for a Crawl-delay of %g s: %g s taken"
                    " (FetchConfig.max_crawl_delay)",
                    origin,
                    delay,
                    cap,
                )
            return cap
        return float(delay)


def page_plan(
    url: str,
    config: FetchConfig,
    robots: RobotsCache,
    attempt: int,
    urls: UrlSyntax,
    reading: RobotsReading,
    headers: Mapping[str, str] | None = None,
) -> Generator[Step, Any, tuple[list[Exchange], Received]]:
    """One attempt at ``url``: every hop until a response that is not a redirect.

    ``reading`` is kept up to date with the robots.txt being read (see
    :meth:`RobotsCache.remember_outage`). ``headers`` go with the request for ``url``
    only: not after a redirect (an earlier capture's validators sent to another URL
    could have it answer 304 for a page never captured), nor for robots.txt."""
    reading.origin = None
    extra = tuple((headers or {}).items())
    deadline = time.monotonic() + config.total_timeout if config.total_timeout else None
    current = urls.check(url, url, attempt)
    exchanges: list[Exchange] = []
    seen = {current}
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise DeadlineExceeded(current)
        first_hop = not exchanges
        waited: float | None = yield Enter(current, retry=first_hop and attempt > 1)
        if deadline is not None and waited:
            deadline += waited
        yield from _admit(current, url, config, robots, reading, deadline, attempt, urls, first_hop)
        sent = extra if first_hop else ()
        received: Received = yield Send(current, config, deadline, attempt, url, extra=sent)
        exchanges.append(received.exchange)
        target = _redirect_target(received.exchange, urls)
        if target is None:
            return exchanges, received
        if len(exchanges) > config.max_redirects:
            raise FetchError(
                f"too many redirects (over {config.max_redirects})", url=url, attempts=attempt
            )
        target = urls.check(target, url, attempt)
        if target in seen:
            raise FetchError(f"redirect loop at {shown_name(target)}", url=url, attempts=attempt)
        seen.add(target)
        log.debug("%s: redirected (%d) to %s", url, received.exchange.status, target)
        current = target


def robots_plan(
    url: str, config: FetchConfig, robots: RobotsCache, urls: UrlSyntax
) -> Generator[Step, Any, Protego | None]:
    """The robots.txt rules of ``url``'s origin (None: none, all allowed), read as
    :func:`page_plan` reads them, once per origin: discovery asks for its sitemaps."""
    deadline = time.monotonic() + config.total_timeout if config.total_timeout else None
    current = urls.check(url, url, 1)
    origin = origin_of(current, urls)
    if origin not in robots.rules:
        robots.check_reachable(origin, url, config.robots_retry_after)
        yield from _check_host(current, url, config, 0, urls)
        robots.store(origin, (yield from _robots_plan(origin, url, config, deadline, 1, urls)))
    return robots.rules[origin]


def _admit(
    url: str,
    requested: str,
    config: FetchConfig,
    robots: RobotsCache,
    reading: RobotsReading,
    deadline: float | None,
    attempt: int,
    urls: UrlSyntax,
    first_hop: bool,
) -> Plan:
    """Refuse ``url`` if its address is blocked or its robots.txt disallows it, or has
    an outage (on a first attempt's first hop only: a URL's own retries ask for it
    again, and a redirect has made a request already). Refused before any request for
    ``requested`` was sent, the error counts no attempt: the scheduler's wait for the
    host is not owed then."""
    origin = origin_of(url, urls)
    reads = config.obey_robots and origin not in robots.rules
    unsent = attempt == 1 and first_hop
    if reads:
        if unsent:
            robots.check_reachable(origin, requested, config.robots_retry_after)
        # A host whose address cannot be found has a robots.txt that cannot be reached.
        reading.origin, reading.first_hop = origin, first_hop
    yield from _check_host(url, requested, config, 0 if unsent else attempt, urls)
    if not config.obey_robots:
        return
    if reads:
        robots.store(
            origin, (yield from _robots_plan(origin, requested, config, deadline, attempt, urls))
        )
        reading.origin = None
    rules = robots.rules[origin]
    if rules is not None and not rules.can_fetch(url, config.user_agent):
        where = "" if url == requested else f" (redirected to {shown_name(url)})"
        raise RobotsDisallowedError(
            f"robots.txt of {origin} disallows it{where}",
            url=requested,
            attempts=0 if unsent and not reads else attempt,
        )


def _robots_plan(
    origin: str,
    requested: str,
    config: FetchConfig,
    deadline: float | None,
    attempt: int,
    urls: UrlSyntax,
) -> Generator[Step, Any, Protego | None]:
    """Fetch and parse ``origin``'s robots.txt; a 4xx or a missing file allows all.

    A 429 or 5xx answer, or a network failure, fails the attempt (to be retried): per
    RFC 9309 an unreachable robots.txt allows nothing. Only its first
    ``ROBOTS_MAX_BYTES`` (decoded) are read. A body that cannot be decoded (a corrupt
    gzip, an unknown Content-Encoding) holds no rules that can be parsed: it counts as
    unavailable, as a 4xx does.
    """
    current = f"{origin}/robots.txt"
    for _ in range(ROBOTS_REDIRECTS + 1):
        received: Received = yield Send(current, config, deadline, attempt, requested, True)
        exchange = received.exchange
        target = _redirect_target(exchange, urls)
        if target is None:
            break
        try:
            target = urls.check(target, requested, attempt)
        except FetchError:
            return None  # a redirect out of http(s): no robots.txt there
        yield from _check_host(target, requested, config, attempt, urls)
        current = target
    else:
        return None  # RFC 9309: too many redirects count as no robots.txt
    if not 200 <= exchange.status < 300:
        log.debug("%s: no robots rules (HTTP %d)", origin, exchange.status)
        return None
    if received.content is None:
        log.info("%s: robots.txt cannot be decoded (%s): no rules", origin, received.decode_error)
        return None
    log.debug("%s: robots.txt read", origin)
    return Protego.parse(received.content.decode("utf-8", errors="replace"))


def _check_host(
    url: str, requested: str, config: FetchConfig, attempts: int, urls: UrlSyntax
) -> Plan:
    """Unless ``allow_private``, refuse a host that is, or resolves to, a non-public
    address; ``attempts``: those made, for the error."""
    if config.allow_private:
        return
    scheme, host, given_port = urls.parts(url)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        port = given_port or (443 if scheme == "https" else 80)
        found: list[str] = yield Resolve(host, port)
        addresses = [ipaddress.ip_address(address.split("%", 1)[0]) for address in found]
    for address in addresses:
        if is_blocked(address):
            raise BlockedAddressError(
                f"{host} is {address_kind(address)} ({address}), {REFUSED}",
                url=requested,
                attempts=attempts,
            )


def is_blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address refused without ``allow_private``: not global, or multicast."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What a blocked address is, in words (``a loopback address``)."""
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


def _redirect_target(exchange: Exchange, urls: UrlSyntax) -> str | None:
    if exchange.status not in REDIRECTS:
        return None
    location = exchange.header("Location")
    if not location:
        return None
    return urls.join(exchange.url, _utf8(location))


def _utf8(value: str) -> str:
    """A header's value as browsers read a Location: its bytes (held as Latin-1, one
    character a byte) as UTF-8 when they are UTF-8, as servers that send a non-ASCII
    path unescaped mean them. Read as Latin-1, "/ü" would be fetched as "/%C3%83%C2%BC"."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def origin_of(url: str, urls: UrlSyntax) -> str:
    """``scheme://host:port`` of an http(s) ``url``: the key of the robots.txt rules."""
    scheme, host, port = urls.parts(url)
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{port}" if port else host
    return f"{scheme}://{netloc}"
