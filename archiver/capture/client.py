"""Fetching pages over HTTP(S), keeping every exchange as it went over the wire.

This is the only module that imports httpx. :class:`Fetcher` (sync) and
:class:`AsyncFetcher` (async) share one core, :func:`~archiver.capture.plan.page_plan`,
which decides everything and yields the I/O it needs as plain steps; the two shells
here only carry those steps out, a response going into a
:class:`~archiver.capture.receiver.Receiver`. Retries wrap a whole attempt (every
redirect hop) with tenacity, with one policy for both shells
(:mod:`archiver.capture.retry`). What the core needs to know of httpx, how it reads
URLs and what its exceptions mean, it is told here.
"""

from __future__ import annotations

import math
import time
import urllib.parse
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import httpcore
import httpx
from tenacity import AsyncRetrying, Retrying

from ..errors import FetchError, checked, not_http, shortened, shown_name
from .addresses import aresolve, resolve
from .config import FetchConfig
from .deadline import ATTEMPT_DEADLINE, DeadlineBackend, deadline_after
from .exchange import FetchResult, Headers
from .plan import (
    DeadlineExceeded,
    Enter,
    Plan,
    Received,
    Resolve,
    RobotsCache,
    RobotsReading,
    Send,
    fetch_result,
    page_plan,
    robots_plan,
)
from .receiver import Head, Receiver
from .retry import final_error, forget_attempts, is_attempt_error, retry_options

if TYPE_CHECKING:
    from typing import Self

__all__ = ["AsyncFetcher", "Fetcher", "afetch", "fetch", "sent_url"]


def sent_url(url: str) -> str:
    """``url`` as a request for it names it, and so the WARC-Target-URI of its capture:
    httpx's form, percent-encoded (``/café`` is ``/caf%C3%A9``); ``url`` itself when
    httpx refuses it."""
    try:
        return str(httpx.URL(url))
    except (httpx.InvalidURL, ValueError):  # IDNAError is a ValueError
        return url


class _HttpxUrls:
    """URLs as httpx reads them: the plan checks them in the very form httpx sends."""

    def check(self, url: str, requested: str, attempt: int) -> str:
        """``url`` normalised by httpx, or FetchError when it is not an http(s) URL;
        TypeError when it is no ``str`` (a FetchError naming it could not even name it)."""
        if not isinstance(url, str):
            raise TypeError(f"the URL must be a str, not {type(url).__name__}")
        try:
            parsed = httpx.URL(url)
            host = parsed.host  # decoding an IDN (xn--) host may fail
        except (httpx.InvalidURL, ValueError) as exc:  # IDNAError is a ValueError
            raise FetchError(
                f"invalid URL: {shortened(str(exc))}", url=requested, attempts=attempt
            ) from exc
        if parsed.scheme not in ("http", "https"):
            where = "" if url == requested else f", redirect to {shown_name(url)}"
            raise FetchError(not_http(parsed.scheme) + where, url=requested, attempts=attempt)
        if not host:
            raise FetchError("invalid URL: no host", url=requested, attempts=attempt)
        if parsed.port is not None and not 0 <= parsed.port <= 65535:
            # httpx takes any number, and the resolver keeps its low 16 bits: port 73538
            # fetched port 8002's page, stored under the URL of a port that cannot exist.
            # A negative one (httpx reads "-1" as a number too) failed in the async
            # shell's connect as an OverflowError, which ended a whole bulk run.
            raise FetchError(
                f"invalid URL: port {parsed.port} is out of range (0-65535)"
                + ("" if url == requested else f", redirect to {shown_name(url)}"),
                url=requested,
                attempts=attempt,
            )
        try:
            # As the socket module will look it up (a label empty or over 63 bytes fails).
            parsed.raw_host.decode("ascii").encode("idna")
        except UnicodeError as exc:
            raise FetchError(
                f"invalid URL: the host name {host!r} is not valid ({exc.__cause__ or exc})",
                url=requested,
                attempts=attempt,
            ) from exc
        return str(parsed)

    def join(self, base: str, location: str) -> str:
        """``location`` resolved against ``base`` without its fragment; as is if it fails."""
        try:
            return str(httpx.URL(base).join(location.strip()).copy_with(fragment=None))
        except (httpx.InvalidURL, ValueError):
            return location

    def parts(self, url: str) -> tuple[str, str, int | None]:
        """The scheme, host and port (None when not given) of ``url``."""
        parsed = httpx.URL(url)
        return parsed.scheme, parsed.host, parsed.port


class _HttpxErrors:
    """httpx's exceptions, as the retries need to know them."""

    def is_error(self, exc: BaseException) -> bool:
        """True for any exception of httpx."""
        return isinstance(exc, httpx.HTTPError)

    def is_transient(self, exc: BaseException) -> bool:
        """True for a timeout, a network failure or a broken response."""
        return isinstance(
            exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
        )

    def describe(self, exc: BaseException, config: FetchConfig, detail: str) -> str | None:
        """What went wrong, in words, for an exception of httpx; None for others."""
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
        return None

    def failed_url(self, exc: BaseException) -> str | None:
        """The URL of the request that failed, when ``exc`` is httpx's and has one."""
        if not isinstance(exc, httpx.RequestError):
            return None
        try:
            return str(exc.request.url)
        except RuntimeError:  # no request attached
            return None


_URLS = _HttpxUrls()
_ERRORS = _HttpxErrors()


def _new_client_options(config: FetchConfig) -> dict[str, Any]:
    # Proxy variables are ignored: the request records and the address checks must
    # describe the connection to the site itself.
    return {"follow_redirects": False, "trust_env": False, "timeout": config.timeout}


def _head(request: httpx.Request, response: httpx.Response, *, direct: bool) -> Head:
    """What the receiver needs of a response head and its request, read off httpx's.

    ``direct`` is False on a client passed in: it may reach the site through a proxy,
    whose address is then the one connected to.
    """
    return Head(
        url=str(request.url),
        # h11 speaks HTTP/1.1 whatever the server answers with.
        request_line=f"{request.method} {request.url.raw_path.decode('ascii')} HTTP/1.1",
        request_headers=_latin1(request.headers.raw),
        http_version=response.http_version or "HTTP/1.1",
        status=response.status_code,
        reason=response.reason_phrase,
        headers=_latin1(response.headers.raw),
        fields=response.headers,
        ip_address=_peer_address(response),
        direct=direct,
    )


def _latin1(raw: list[tuple[bytes, bytes]]) -> Headers:
    return tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)


def _peer_address(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        address = stream.get_extra_info("server_addr")
    except OSError:
        # A connection of a client passed in, reset by the server already: httpcore's
        # sync stream asks getpeername() now (anyio's say None then; ours keep the
        # address of the connect, see archiver.capture.deadline).
        return None
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        return address[0]
    return None


def _past(deadline: float | None, exc: BaseException) -> bool:
    """True when ``exc`` is a timeout of httpx's that came of the attempt's deadline."""
    late = deadline is not None and time.monotonic() >= deadline - 0.01
    return late and isinstance(exc, httpx.TimeoutException)


# --- the sync shell ---------------------------------------------------------------------


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport, its pool on a :class:`~archiver.capture.deadline.DeadlineBackend`.

    httpx does not take a network backend; its pool (``_pool``) is made again, as
    httpx makes it for these settings, but on that backend.
    """

    def __init__(self) -> None:
        context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.ConnectionPool(  # with httpx's default limits
            ssl_context=context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=DeadlineBackend(),
        )


class Fetcher:
    """Fetches URLs one at a time, reusing connections and robots.txt rules.

    ``client`` is an httpx.Client to use instead of a new one (it is not closed here);
    its redirect setting is ignored, as redirects are followed here hop by hop. On a
    client of your own (for a proxy), ``total_timeout`` bounds an attempt between the
    reads of a response, but not while its head arrives: each read is bounded by the
    client's timeouts only. Private addresses are refused from the URLs and what their
    host names resolve to, not from the address connected to, which may be a proxy's.
    """

    def __init__(self, config: FetchConfig | None = None, *, client: httpx.Client | None = None):
        self.config = checked(config or FetchConfig(), FetchConfig, "config")
        self._client = client or httpx.Client(
            **_new_client_options(self.config), transport=_DeadlineTransport()
        )
        self._own_client = client is None
        self._robots = RobotsCache()

    def fetch(self, url: str, *, headers: Mapping[str, str] | None = None) -> FetchResult:
        """Fetch ``url``, following redirects; retry as configured.

        Returns the :class:`FetchResult` of the final response whatever its status, unless
        it is a 429 or 5xx still after the last retry. Raises
        :class:`~archiver.errors.FetchError` (or a subclass) naming the URL and the cause.
        ``headers`` are sent with the request for ``url`` too (not after a redirect):
        conditional ones (If-None-Match, If-Modified-Since) make a 304 answer possible,
        returned as any status is.
        """
        retrying = Retrying(**retry_options(url, self.config, _ERRORS))
        attempts = 0
        reading = RobotsReading()
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    plan = page_plan(
                        url, self.config, self._robots, attempts, _URLS, reading, headers
                    )
                    result = self._run(plan)
        except Exception as exc:
            if not is_attempt_error(exc, _ERRORS):
                raise
            error = final_error(url, exc, attempts, self.config, _ERRORS)
            self._robots.remember_outage(
                reading, url, exc, error.message, self.config.robots_retry_after
            )
            raise error from exc
        finally:
            forget_attempts(retrying)
        return fetch_result(url, result, attempts)

    def _run(self, plan: Plan) -> Any:
        deadline = deadline_after(self.config.total_timeout)
        token = ATTEMPT_DEADLINE.set(deadline)
        try:
            step = next(plan)
            while True:
                if isinstance(step, Enter):
                    step = plan.send(None)  # one fetch at a time: no host to wait for
                elif isinstance(step, Resolve):
                    step = plan.send(resolve(step.host, step.port))
                else:
                    step = plan.send(self._send(step))
        except StopIteration as stop:
            return stop.value
        except httpx.TimeoutException as exc:
            if _past(deadline, exc):
                raise DeadlineExceeded(_ERRORS.failed_url(exc) or "") from exc
            raise
        finally:
            ATTEMPT_DEADLINE.reset(token)
            plan.close()

    def _send(self, step: Send) -> Received:
        request = self._client.build_request(
            "GET", step.url, headers=step.headers(), timeout=step.config.timeout
        )
        with _unreadable_redirect(step):
            response = self._client.send(request, stream=True, follow_redirects=False)
        try:
            receiver = Receiver(step, _head(request, response, direct=self._own_client))
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


@contextmanager
def _unreadable_redirect(step: Send) -> Iterator[None]:
    """FetchError for a redirect whose Location httpx cannot read (``javascript:x``, an
    invalid IDN host): httpx reads it, even when not following redirects, before it
    hands over the response, and raises what its URL parser raises."""
    try:
        yield
    except (httpx.InvalidURL, UnicodeError) as exc:  # IDNAError is a UnicodeError
        where = "" if step.url == step.requested else f" from {shown_name(step.url)}"
        raise FetchError(
            f"a redirect{where} to a URL that cannot be read ({shortened(str(exc))})",
            url=step.requested,
            attempts=step.attempt,
        ) from exc


# --- the async shell --------------------------------------------------------------------


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
        #: True when the clients are ours (no client was passed in).
        self.own = client is None

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

    Many fetches may run at once on one AsyncFetcher, sharing its connections and its
    robots.txt rules (``robots``: those another fetcher read, as a bulk run takes its
    discovery's). ``client``: an httpx.AsyncClient for every origin, not closed here;
    as on a Fetcher, only the URLs and their hosts' addresses are checked, not a proxy's.
    """

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        robots: RobotsCache | None = None,
    ):
        self.config = checked(config or FetchConfig(), FetchConfig, "config")
        self._clients = _OriginClients(self.config, client)
        self._robots = robots if robots is not None else RobotsCache()

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        host_delay: float | None = None,
        before_hop: Callable[[str, bool], Awaitable[None]] | None = None,
    ) -> FetchResult:
        """Fetch ``url`` as :meth:`Fetcher.fetch` does.

        ``host_delay``: a retry waits at least this long, or the Crawl-delay of
        ``url``'s robots.txt if longer (a bulk run's pacing of the host); None for the
        backoff (or Retry-After) alone. ``before_hop`` is awaited with the URL of
        each hop (``url``, then each redirect's target) before anything is asked of
        its host, and whether the hop begins a retry: a bulk run waits there for the
        turn of a host a redirect leads to.
        Its wait does not count in the attempt's ``total_timeout``.
        """
        least_wait = None if host_delay is None else partial(self._host_delay, url, host_delay)
        retrying = AsyncRetrying(**retry_options(url, self.config, _ERRORS, least_wait))
        attempts = 0
        reading = RobotsReading()
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    plan = page_plan(
                        url, self.config, self._robots, attempts, _URLS, reading, headers
                    )
                    result = await self._run(plan, before_hop)
        except Exception as exc:
            if not is_attempt_error(exc, _ERRORS):
                raise
            error = final_error(url, exc, attempts, self.config, _ERRORS)
            self._robots.remember_outage(
                reading, url, exc, error.message, self.config.robots_retry_after
            )
            raise error from exc
        finally:
            forget_attempts(retrying)
        return fetch_result(url, result, attempts)

    def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay that ``url``'s robots.txt asks of us, once it has been read,
        at most ``FetchConfig.max_crawl_delay``."""
        return self._robots.crawl_delay(
            url, self.config.user_agent, _URLS, self.config.max_crawl_delay
        )

    def _host_delay(self, url: str, delay: float) -> float:
        """``delay``, or the Crawl-delay of ``url``'s robots.txt if longer."""
        return max(delay, self.crawl_delay(url) or 0.0)

    async def robots_sitemaps(self, url: str) -> list[str]:
        """The ``Sitemap:`` URLs of the robots.txt of ``url``'s origin, as written.

        The file is read once, as :meth:`fetch` reads it for its rules, which it then
        keeps. Raises :class:`~archiver.errors.FetchError` when it cannot be read (a
        network error, a 5xx; tried once, which does not make an outage), and at once
        while it has an outage (see ``FetchConfig.robots_retry_after``).
        """
        try:
            rules = await self._run(robots_plan(url, self.config, self._robots, _URLS))
        except Exception as exc:
            if not is_attempt_error(exc, _ERRORS):
                raise
            raise final_error(url, exc, 1, self.config, _ERRORS) from exc
        return [] if rules is None else list(rules.sitemaps)

    async def _run(
        self, plan: Plan, before_hop: Callable[[str, bool], Awaitable[None]] | None = None
    ) -> Any:
        deadline = deadline_after(self.config.total_timeout)
        # The whole attempt, response heads included, is cancelled at the deadline: the
        # scope's clock is the event loop's, which may not be time.monotonic().
        left = math.inf if deadline is None else deadline - time.monotonic()
        url = ""
        with anyio.CancelScope(deadline=anyio.current_time() + left) as scope:
            try:
                step = next(plan)
                while True:
                    if isinstance(step, Enter):
                        url = step.url
                        waited = None
                        if before_hop is not None:
                            # A wait for a host's turn asks nothing of any server: it is
                            # not the attempt's time, or a short link waiting behind
                            # others for their target's turn timed out having asked
                            # nothing. A run that stops still cancels it.
                            ends, scope.deadline = scope.deadline, math.inf
                            started = time.monotonic()
                            await before_hop(url, step.retry)
                            waited = time.monotonic() - started
                            scope.deadline = ends + waited
                            deadline = None if deadline is None else deadline + waited
                        step = plan.send(waited)
                    elif isinstance(step, Resolve):
                        url = step.host
                        step = plan.send(await aresolve(step.host, step.port))
                    else:
                        url = step.url
                        step = plan.send(await self._send(step))
            except StopIteration as stop:
                return stop.value
            except httpx.TimeoutException as exc:
                if _past(deadline, exc):
                    raise DeadlineExceeded(_ERRORS.failed_url(exc) or "") from exc
                raise
            finally:
                plan.close()
        raise DeadlineExceeded(url)  # the scope was cancelled

    async def _send(self, step: Send) -> Received:
        async with self._clients.client(step.url) as client:
            request = client.build_request(
                "GET", step.url, headers=step.headers(), timeout=step.config.timeout
            )
            with _unreadable_redirect(step):
                response = await client.send(request, stream=True, follow_redirects=False)
            try:
                direct = self._clients.own
                receiver = Receiver(step, _head(request, response, direct=direct))
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
