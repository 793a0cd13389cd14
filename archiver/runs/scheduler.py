"""The bulk run on this machine: the pending URLs of a ledger into rotated WARC files.

:func:`archive_locally` fetches the pending URLs asynchronously under a global
concurrency limit and a per-host politeness gate, extracts the pages in worker processes
(:mod:`archiver.runs.workers`), and writes each page's records to the current WARC file,
which is rotated at a size. Only once a page's records are in the file (flushed to the
OS) is its URL marked done, so a run killed at any moment loses nothing (see
:mod:`archiver.runs.bulk`).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import signal
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..article import Article
from ..capture import AsyncFetcher, FetchResult, RobotsCache, asks_to_slow_down, next_delay
from ..errors import ArchiverError, FetchError, RobotsUnreachableError
from ..files import PathArg
from .bookkeeping import (
    FAILURE_REPORT,
    STATE_FILE,
    BulkProgress,
    BulkReport,
    RunInterrupted,
    Tally,
    add_version,
    conditions,
    current_progress,
    failure_line,
    final_report,
    ingest,
    output_folder,
    recover,
    write_failure_report,
)
from .config import BulkConfig
from .folders import one_run_at_a_time
from .ledger import DONE, FAILED, Entry, Ledger
from .rotation import RotatedWarcs
from .single import capture_metadata, unextractable
from .textindex import TextIndex
from .workers import Workers, started_workers

__all__ = ["archive_locally"]

log = logging.getLogger(__name__)

#: How often progress is reported and the ledger committed, in seconds.
_TICK = 0.5
#: Idle hosts are forgotten once there are this many.
_HOSTS_KEPT = 10_000
#: A host with this many of its URLs' fetches waiting for other hosts' turns (where
#: they were redirected) has no more of its URLs started until one has its turn: short
#: links to a slow site, or a site's URLs written without its "www.", would otherwise
#: fill every slot of the run with fetches waiting on one host.
_AWAY_LIMIT = 2


def archive_locally(
    urls: Iterable[str] | PathArg,
    out_dir: PathArg,
    *,
    config: BulkConfig,
    retry_failed: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
    robots: RobotsCache | None = None,
) -> BulkReport:
    """:func:`~archiver.runs.bulk.archive_many` on this machine (without a client);
    ``robots``: the robots.txt rules already read (by discovery), not read again."""
    folder = output_folder(out_dir)
    with one_run_at_a_time(folder):
        return _archive(folder, urls, config, retry_failed, progress, robots)


def _archive(
    folder: Path,
    urls: Iterable[str] | PathArg,
    config: BulkConfig,
    retry_failed: bool,
    progress: Callable[[BulkProgress], None] | None,
    robots: RobotsCache | None,
) -> BulkReport:
    started = time.monotonic()
    ledger = Ledger(folder / STATE_FILE)
    index: TextIndex | None = None
    try:
        warcs = [*recover(folder, ledger)]
        # After recovery, so that the files it salvaged are indexed whole.
        index = TextIndex(folder)
        index.sync()
        invalid = ingest(urls, ledger)
        if retry_failed:
            log.info("%d failed URLs to try again", ledger.retry_failed())
        run = _Run(folder, ledger, index, config, progress, started, robots)
        run.tally.invalid = invalid
        interrupted = False
        with ExitStack() as winding_up:
            with started_workers(config) as workers:
                try:
                    warcs += asyncio.run(run.main(workers))
                except KeyboardInterrupt:
                    # Ctrl-C: the run says what it did, as at its end (see _Run.main).
                    # A second one while it stops its workers and writes its report
                    # lost both (a few seconds, the workers' at most): held back.
                    winding_up.enter_context(_sigint_ignored())
                    interrupted = True
                    warcs += run.written
            write_failure_report(folder / FAILURE_REPORT, ledger)
            report = final_report(
                folder,
                ledger,
                run.tally,
                run.bytes,
                started,
                warcs,
                folder / FAILURE_REPORT,
            )
    except BaseException:
        # What the ledger cannot commit now (a full disk) is in the WARC file left
        # .open, which the next run salvages; the error that stopped the run is raised.
        ledger.close_quietly()
        raise
    finally:
        if index is not None:
            index.close()
    ledger.close()
    if interrupted:
        raise RunInterrupted(report)
    return report


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ctrl-C (SIGINT) ignored within; only the main thread can set a signal's handler,
    so elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass(slots=True)
class _Host:
    """The politeness state of one host."""

    delay: float
    #: When its next request may start (time.monotonic()).
    ready_at: float = 0.0
    busy: bool = False
    queue: deque[Entry] = field(default_factory=deque)
    #: Fetches of other hosts' URLs redirected to it, each handed the host in turn.
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)
    #: Fetches of its URLs waiting for another host's turn (see _AWAY_LIMIT).
    away: int = 0


@dataclass(slots=True)
class _Turn:
    """The host a page's fetch holds: its URL's, then the one each redirect leads to."""

    #: None while it waits for another host's turn.
    host: _Host | None
    name: str
    #: The last URL asked of it: its robots.txt gives the host's Crawl-delay.
    url: str
    #: The host of the page's own URL, and its name.
    home: _Host
    home_name: str
    #: The held host failed an attempt (a retry began there): it is slowed down when
    #: let go, as after a 503 (see _move).
    owed: bool = False


class _Run:
    """One run over the pending URLs of a ledger."""

    def __init__(
        self,
        folder: Path,
        ledger: Ledger,
        index: TextIndex,
        config: BulkConfig,
        progress: Callable[[BulkProgress], None] | None,
        started: float,
        robots: RobotsCache | None = None,
    ) -> None:
        self._robots = robots
        self._ledger = ledger
        self._config = config
        self._progress = progress
        self._started = started
        self._warcs = RotatedWarcs(folder, ledger, index, config)
        self._hosts: dict[str, _Host] = {}
        #: (ready_at, host) of the idle hosts with URLs waiting.
        self._ready: list[tuple[float, str]] = []
        self._queued = 0
        self._baseline = ledger.counts()
        self.tally = Tally()

    @property
    def bytes(self) -> int:
        return self._warcs.bytes

    @property
    def written(self) -> list[Path]:
        """The WARC files closed so far."""
        return self._warcs.written

    async def main(self, workers: Workers | None) -> list[Path]:
        fetcher = AsyncFetcher(self._config.fetch, robots=self._robots)
        try:
            await self._schedule(fetcher, workers)
            self._warcs.close()
        except asyncio.CancelledError:
            # Ctrl-C (asyncio.run cancels the main task): the pages in flight were let
            # go, those written are whole, and the file is closed as at a run's end.
            self._warcs.stop()
            raise
        except BaseException:
            # Interrupted or failed (a full disk: a WarcError or a StateError): what is
            # in the file stays, .open, for the next run to salvage; the caller commits
            # what the ledger can.
            self._warcs.abort()
            raise
        finally:
            await fetcher.aclose()
            self._report()
        return self._warcs.written

    async def _schedule(self, fetcher: AsyncFetcher, workers: Workers | None) -> None:
        running: set[asyncio.Task[None]] = set()
        try:
            await self._loop(fetcher, workers, running)
        except BaseException:
            # No page may be written once the run is stopping: the pages in flight are
            # cancelled (they stay pending) before the WARC file is left for salvage.
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise

    async def _loop(
        self, fetcher: AsyncFetcher, workers: Workers | None, running: set[asyncio.Task[None]]
    ) -> None:
        pending = self._ledger.pending()
        exhausted = False
        buffer_limit = max(1000, self._config.concurrency * 16)
        last_tick = time.monotonic()
        while True:
            while not exhausted and self._queued < buffer_limit:
                entry = next(pending, None)
                if entry is None:
                    exhausted = True
                else:
                    self._enqueue(entry)
            now = time.monotonic()
            while (
                len(running) < self._config.concurrency and self._ready and self._ready[0][0] <= now
            ):
                _, name = heapq.heappop(self._ready)
                host = self._hosts.get(name)
                if (
                    host is None
                    or host.busy
                    or not host.queue
                    or host.ready_at > now
                    or host.away >= _AWAY_LIMIT
                ):
                    # left from before a redirect took the host (see _move), or its
                    # fetches wait elsewhere (_returned puts it back)
                    continue
                entry = host.queue.popleft()
                self._queued -= 1
                host.busy = True
                running.add(asyncio.create_task(self._page(fetcher, workers, host, name, entry)))
            if not running and not self._ready and exhausted:
                return
            # With every slot taken, a ready host waits for a fetch to end: waiting for
            # its ready time instead (already past) would spin the loop at full CPU.
            full = len(running) >= self._config.concurrency
            wait = self._ready[0][0] - now if self._ready and not full else _TICK
            if running:
                done, _ = await asyncio.wait(
                    running, timeout=min(max(wait, 0.0), _TICK), return_when=asyncio.FIRST_COMPLETED
                )
                running -= done
                for task in done:
                    task.result()  # a full disk, or a bug in _page, surfaces here
            else:
                await asyncio.sleep(min(max(wait, 0.0), _TICK))
            if time.monotonic() - last_tick >= _TICK:
                last_tick = time.monotonic()
                self._ledger.commit()
                self._forget_idle_hosts()
                self._report()

    def _host(self, name: str) -> _Host:
        host = self._hosts.get(name)
        if host is None:
            host = self._hosts[name] = _Host(delay=self._config.per_host_delay)
        return host

    def _enqueue(self, entry: Entry) -> None:
        host = self._host(entry.host)
        host.queue.append(entry)
        self._queued += 1
        if not host.busy and len(host.queue) == 1:
            heapq.heappush(self._ready, (host.ready_at, entry.host))

    async def _page(
        self, fetcher: AsyncFetcher, workers: Workers | None, host: _Host, name: str, entry: Entry
    ) -> None:
        slow_down = False
        paced = True
        turn = _Turn(host, name, entry.url, host, name)
        # A URL archived before is asked for with its validators: a 304 answer becomes a
        # revisit record of the capture they came from.
        prior = self._ledger.latest_version(entry.url)
        try:
            # A retry is a request to the host as well: it waits the host's delay too.
            result = await fetcher.fetch(
                entry.url,
                headers=conditions(prior),
                host_delay=self._config.per_host_delay,
                before_hop=partial(self._move, fetcher, turn),
            )
        except FetchError as exc:
            slow_down = asks_to_slow_down(exc.status) or turn.owed
            # Refused before any request for a cause that lasts (a private address,
            # robots.txt's rules), the host is owed no wait: a list of its refused URLs
            # waited the delay for each. An outage of its robots.txt is paced still: the
            # minute must pass for a URL to ask again, not the host's every URL fail.
            paced = exc.attempts > 0 or isinstance(exc, RobotsUnreachableError)
            self._failed(entry.url, exc, attempts=exc.attempts, status=exc.status)
        else:
            slow_down = asks_to_slow_down(result.status) or turn.owed
            previous = None
            if prior is not None and prior.digest and result.status == 304:
                previous = (prior.capture, prior.digest)
                article, error = None, None
            else:
                article, error = await self._extract(result, workers)
            # A WarcError here (a full disk) ends the run: the file is left for salvage.
            # So does a StateError from the ledger below.
            metadata = capture_metadata(result, error)
            warc, stored = self._warcs.write(result, article, metadata, previous)
            if error is None:
                self._ledger.finish(
                    entry.url, DONE, warc=warc, attempts=result.attempts, status=result.status
                )
                add_version(self._ledger, entry.url, warc, stored, metadata, status=result.status)
                self.tally.count(DONE, DONE)
                log.info("%s: archived", entry.url)
            else:
                self._failed(
                    entry.url, error, attempts=result.attempts, status=result.status, warc=warc
                )
        finally:
            if turn.host is not None:
                crawl_delay = fetcher.crawl_delay(turn.url)
                self._release(turn.host, turn.name, crawl_delay, slow_down, paced)

    async def _move(self, fetcher: AsyncFetcher, turn: _Turn, url: str, retry: bool) -> None:
        """Before each hop of a page's fetch: when ``url`` is of another host than the
        one ``turn`` holds (a redirect's target, or the page's own host again for a
        ``retry``), release that one, paced as after any request (slowed down, as after
        a 503, when an attempt failed there), and wait for the turn of
        ``url``'s: a host's own URLs and those redirected to it from other hosts are
        fetched one at a time, the delay apart. A fetch holds one host at a time, so
        two redirected each to the other's host never wait on each other."""
        name = urllib.parse.urlsplit(url).hostname or ""
        # The failed attempt ended on the host held: each failure is charged once, to it
        turn.owed = turn.owed or (retry and turn.host is not None)
        # Held, not merely last held: a wait cut short by the attempt's deadline leaves
        # none, and the retry that begins at the page's own host must take its turn.
        if turn.host is not None and name == turn.name:
            turn.url = url
            return
        if turn.host is not None:
            crawl_delay = fetcher.crawl_delay(turn.url)
            self._release(turn.host, turn.name, crawl_delay, slow_down=turn.owed, paced=True)
            turn.host, turn.owed = None, False
        host = self._host(name)
        if host.busy:
            handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            host.waiters.append(handed)
            turn.home.away += 1
            try:
                await handed
            except asyncio.CancelledError:
                # A wait cancelled (the run stopping) is skipped when the host is handed
                # on; one handed over already is passed on.
                if not handed.cancelled():
                    self._release(host, name, None, slow_down=False, paced=False)
                raise
            finally:
                self._returned(turn.home, turn.home_name)
        else:
            host.busy = True
        turn.host, turn.name, turn.url = host, name, url
        if (wait := host.ready_at - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    async def _extract(
        self, result: FetchResult, workers: Workers | None
    ) -> tuple[Article | None, ArchiverError | None]:
        error = unextractable(result)
        if error is not None or workers is None:
            return None, error
        assert result.content is not None  # unextractable() says so
        try:
            article = await workers.extract(
                result.content, result.url, result.final_url, result.content_type
            )
        except ArchiverError as exc:
            return None, exc
        return article, None

    def _failed(
        self,
        url: str,
        error: ArchiverError,
        *,
        attempts: int | None,
        status: int | None,
        warc: str | None = None,
    ) -> None:
        state = self._ledger.finish(
            url,
            FAILED,
            warc=warc,
            error=type(error).__name__,
            message=str(error),
            attempts=attempts,
            status=status,
        )
        self.tally.count(FAILED, state)
        # The failure report has it too, but a user watches this
        log.warning("%s", failure_line(str(error), state))

    def _release(
        self,
        host: _Host,
        name: str,
        crawl_delay: float | None,
        slow_down: bool,
        paced: bool,
    ) -> None:
        if paced:
            base = max(self._config.per_host_delay, crawl_delay or 0.0)
            delay = next_delay(host.delay, base, self._config.max_host_delay, slow_down=slow_down)
            host.delay = delay
            host.ready_at = time.monotonic() + delay
        while host.waiters:  # a fetch redirected to it first: it stays busy, theirs
            handed = host.waiters.popleft()
            if not handed.done():
                handed.set_result(None)
                return
        host.busy = False
        if host.queue and host.away < _AWAY_LIMIT:
            heapq.heappush(self._ready, (host.ready_at, name))

    def _returned(self, home: _Host, name: str) -> None:
        """A fetch of a URL of ``home`` (named ``name``) no longer waits for another
        host's turn: ``home``'s URLs may be started again if that held them."""
        home.away -= 1
        if home.away == _AWAY_LIMIT - 1 and not home.busy and home.queue:
            heapq.heappush(self._ready, (home.ready_at, name))

    def _forget_idle_hosts(self) -> None:
        """Drop hosts with nothing to do and no wait to keep, so memory stays flat."""
        if len(self._hosts) < _HOSTS_KEPT:
            return
        now = time.monotonic()
        for name in [
            name
            for name, host in self._hosts.items()
            if not host.busy and not host.queue and host.ready_at <= now
        ]:
            del self._hosts[name]

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(current_progress(self._baseline, self.tally, self.bytes, self._started))
