"""Bulk archiving: a list of URLs into rotated WARC files, politely, resumably.

:func:`archive_many` reads the list into a state ledger (:mod:`archiver.ledger`,
SQLite), then fetches the pending URLs asynchronously under a global concurrency
limit and a per-host politeness gate, extracts the pages in a process pool, and
writes each page's records to the current WARC file, which is rotated at a size.
Only once a page's records are in the file (flushed to the OS) is its URL marked
done, so a run killed at any moment loses nothing: the next run salvages the WARC
file the kill left open (:func:`archiver.warc.salvage`), marks what it holds as done,
and goes on with the rest.

An output folder holds the WARC files, ``state.sqlite`` (the ledger) and
``failures.jsonl`` (one line per URL not archived: url, error, message, attempts,
last_status), rewritten at the end of every run.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import multiprocessing
import os
import socket
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..article import Article
from ..capture import AsyncFetcher, FetchConfig, FetchResult
from ..errors import ArchiverError, FetchError, StateError
from ..files import write_text_file
from ..warc import WarcWriter, salvage
from .ledger import DONE, FAILED, Entry, Ledger, LedgerCounts
from .single import capture_metadata, extract_page, unextractable

__all__ = [
    "BulkConfig",
    "BulkProgress",
    "BulkReport",
    "archive_many",
    "normalize_url",
    "read_url_list",
]

log = logging.getLogger(__name__)

STATE_FILE = "state.sqlite"
FAILURE_REPORT = "failures.jsonl"
_GB = 1000**3
#: Statuses that tell a host to slow down.
_SLOW_DOWN = frozenset({429, 503})
#: How often progress is reported and the ledger committed, in seconds.
_TICK = 0.5
#: Idle hosts are forgotten once there are this many.
_HOSTS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class BulkConfig:
    """How a bulk run goes. Times are in seconds, sizes in bytes.

    ``concurrency`` bounds the fetches in flight over all hosts. A host gets one
    request at a time, and at least ``per_host_delay`` between the end of one and the
    start of the next (more when its robots.txt asks for a Crawl-delay). A host that
    answers 429 or 503, or needed retries, has its delay doubled, up to
    ``max_host_delay``, and halved again after each clean answer. WARC files are closed
    and a new one started once one reaches ``warc_size``; they are named
    ``<warc_prefix>-<timestamp>-<serial>-<pid>~<hostname>.warc.gz``. ``extract`` turns
    extraction on; ``workers`` is the size of its process pool (default: the number of
    cores).
    """

    concurrency: int = 64
    per_host_delay: float = 1.0
    max_host_delay: float = 60.0
    warc_size: int = 1 * _GB
    warc_prefix: str = "archiver"
    extract: bool = True
    workers: int | None = None
    fetch: FetchConfig = field(default_factory=FetchConfig)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"BulkConfig.concurrency must be at least 1, not {self.concurrency}")
        if self.per_host_delay < 0 or self.max_host_delay < self.per_host_delay:
            raise ValueError(
                "BulkConfig needs 0 <= per_host_delay <= max_host_delay, not"
                f" {self.per_host_delay} and {self.max_host_delay}"
            )
        if self.warc_size < 1:
            raise ValueError(f"BulkConfig.warc_size must be positive, not {self.warc_size}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"BulkConfig.workers must be at least 1, not {self.workers}")


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """Where a run is: passed to the ``progress`` callback of :func:`archive_many`."""

    #: URLs of the list (distinct, after normalisation), all runs together.
    total: int
    #: Archived and failed URLs, all runs together.
    done: int
    failed: int
    #: Archived and failed in this run, and the bytes of WARC written.
    done_now: int
    failed_now: int
    bytes: int
    #: Seconds since this run started.
    elapsed: float

    @property
    def rate(self) -> float:
        """URLs finished per second in this run."""
        return (self.done_now + self.failed_now) / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True, slots=True)
class BulkReport:
    """What a run did, and where its output is."""

    #: The output folder; on a cluster with a remote output, its fsspec URL (as are
    #: ``warcs``), while ``failure_report`` and ``state`` are local copies (see
    #: :func:`archiver.cluster.archive_on_cluster`).
    out_dir: Path | str
    #: URLs of the list, and how many of them are archived and failed, all runs together.
    total: int
    done: int
    failed: int
    #: Finished by this run (the rest was done before).
    done_now: int
    failed_now: int
    #: Bytes of WARC written by this run, and its length in seconds.
    bytes: int
    seconds: float
    #: The WARC files this run wrote or finished.
    warcs: tuple[Path | str, ...]
    failure_report: Path
    state: Path

    @property
    def ok(self) -> bool:
        """True when every URL of the list is archived."""
        return self.failed == 0 and self.done == self.total


def normalize_url(text: str) -> str:
    """``text`` as a normal http(s) URL, or ValueError saying why it is not one.

    Normalised as RFC 3986 says (section 6.2.2): scheme and host in lower case, the
    host in IDNA form, no default port, an empty path as ``/``; and without the
    fragment, which is never sent.
    """
    try:
        parts = urllib.parse.urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL (scheme {scheme or 'missing'!r})")
    host = parts.hostname
    if not host:
        raise ValueError("the URL has no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise ValueError(f"the host is not a valid name ({exc})") from None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urllib.parse.urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def read_url_list(path: str | os.PathLike[str]) -> Iterator[str]:
    """Stream the URLs of a list file: one per line, blank lines and ``#`` comments skipped."""
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def archive_many(
    urls: Iterable[str] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    config: BulkConfig | None = None,
    retry_failed: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
    client: Any = None,
) -> BulkReport:
    """Archive every URL of ``urls`` into WARC files in ``out_dir``; resume a run there.

    ``urls`` is an iterable of URLs or the path of a list file (see
    :func:`read_url_list`); it is streamed into the ledger, never held in memory.
    Lines that are not http(s) URLs are reported as failed. Running again on the same
    ``out_dir`` resumes: done URLs are not fetched again, and with ``retry_failed``
    the failed ones are. ``progress`` is called about twice a second and at the end.
    ``client``, a ``distributed.Client``, runs the work on its Dask cluster instead
    (see :mod:`archiver.cluster`).

    Every URL ends archived (its records in a WARC file) or in the failure report; an
    error status (404) or a page that yields no article is both stored and reported.
    Raises :class:`~archiver.errors.StateError` or
    :class:`~archiver.errors.WarcError` when the output folder cannot be used.
    """
    config = config or BulkConfig()
    if client is not None:
        from .cluster import archive_on_cluster  # Dask is an optional dependency

        return archive_on_cluster(
            client, urls, out_dir, config=config, retry_failed=retry_failed, progress=progress
        )
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the output folder ({exc.strerror})", source=str(folder)
        ) from exc
    started = time.monotonic()
    ledger = Ledger(folder / STATE_FILE)
    try:
        warcs = [*_recover(folder, ledger)]
        _ingest(urls, ledger)
        if retry_failed:
            log.info("%d failed URLs to try again", ledger.retry_failed())
        run = _Run(folder, ledger, config, progress, started)
        with _extraction_pool(config) as pool:
            warcs += asyncio.run(run.main(pool))
        _write_failure_report(folder / FAILURE_REPORT, ledger)
        return _final_report(
            folder,
            ledger,
            run.done_now,
            run.failed_now,
            run.bytes,
            started,
            warcs,
            folder / FAILURE_REPORT,
        )
    finally:
        ledger.close()


# --- before the run: recovery and the URL list -----------------------------------------


def _recover(folder: Path, ledger: Ledger) -> Iterator[Path]:
    """Salvage the WARC files a killed run left open, and mark what they hold."""
    for open_file in sorted(folder.glob("*.warc.gz.open")):
        salvaged = salvage(open_file)
        if salvaged is None:
            log.info("%s: removed (no complete page in it)", open_file)
            continue
        for data in salvaged.metadata:
            fetched = data.get("fetch") or {}
            if "requested_url" in fetched:
                _finish(ledger, fetched["requested_url"], salvaged.path.name, data)
        for digest, capture in salvaged.payloads.items():
            ledger.first_capture(digest, capture)
        ledger.commit()
        log.info("%s: salvaged, %d pages", salvaged.path, len(salvaged.metadata))
        yield salvaged.path


def _finish(ledger: Ledger, url: str, warc: str, data: dict[str, Any]) -> None:
    """Mark ``url`` done, or failed when its metadata says nothing was extracted."""
    fetched = data.get("fetch") or {}
    why = data.get("not_extracted")
    if why is None:
        ledger.finish(
            url, DONE, warc=warc, attempts=fetched.get("attempts"), status=fetched.get("status")
        )
    else:
        ledger.finish(
            url,
            FAILED,
            warc=warc,
            error=why.get("error"),
            message=f"{url}: {why.get('reason')}",
            attempts=fetched.get("attempts"),
            status=fetched.get("status"),
        )


def _ingest(urls: Iterable[str] | str | os.PathLike[str], ledger: Ledger) -> None:
    """Stream the list into the ledger, unless this very file was read in full before."""
    identity = None
    if isinstance(urls, (str, os.PathLike)):
        stat = os.stat(urls)
        identity = [os.fspath(Path(urls).resolve()), stat.st_size, stat.st_mtime_ns]
        if ledger.get("input") == identity:
            log.info("%s: already read into the ledger", os.fspath(urls))
            return
        urls = read_url_list(urls)
    added = ledger.add(_checked(urls, ledger))
    log.info("%d new URLs in the ledger", added)
    if identity is not None:
        ledger.set("input", identity)


def _checked(urls: Iterable[str], ledger: Ledger) -> Iterator[tuple[str, str]]:
    for line in urls:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            url = normalize_url(line)
        except ValueError as exc:
            ledger.add_failed(line, "InvalidUrl", f"{line}: {exc}")
            continue
        yield url, urllib.parse.urlsplit(url).hostname or ""


def _write_failure_report(path: Path, ledger: Ledger) -> None:
    def write(stream: Any) -> int:
        count = 0
        for row in ledger.failures():
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count

    write_text_file(path, write)


# --- the run ---------------------------------------------------------------------------


@contextmanager
def _extraction_pool(config: BulkConfig) -> Iterator[Executor | None]:
    """The pool extraction runs in, its processes started; None without extraction."""
    if not config.extract:
        yield None
        return
    workers = config.workers or os.cpu_count() or 1
    if multiprocessing.current_process().daemon:
        # A daemonic process (a Dask worker, see archiver.cluster) may not start
        # processes: extraction runs in threads there, and the cluster's other workers
        # give the parallelism.
        with ThreadPoolExecutor(workers) as threads:
            yield threads
        return
    # Forked where the system can (fast to start, modules shared), and before the
    # event loop exists, so that no thread is alive at the fork; else spawned.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    try:
        # Starts every process now (fork starts them all at the first task).
        for future in [pool.submit(_ready) for _ in range(workers)]:
            future.result()
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def _ready() -> None:
    """A task that does nothing: submitted to start the pool's processes."""


@dataclass(slots=True)
class _Host:
    """The politeness state of one host."""

    delay: float
    #: When its next request may start (time.monotonic()).
    ready_at: float = 0.0
    busy: bool = False
    queue: deque[Entry] = field(default_factory=deque)


class _Warcs:
    """The current WARC file of a run, rotated at a size."""

    def __init__(self, folder: Path, ledger: Ledger, config: BulkConfig) -> None:
        self._folder = folder
        self._ledger = ledger
        self._config = config
        self._writer: WarcWriter | None = None
        self._host = socket.gethostname().replace("-", "_").replace("~", "_") or "localhost"
        self.written: list[Path] = []
        self.bytes = 0

    def write(self, result: FetchResult, article: Article | None, metadata: dict[str, Any]) -> str:
        """Write one page's records; returns the name of the file they went to.

        The caller records the page in the ledger before it next awaits: a file is
        rotated only before the next write, after a commit, so that no file is closed
        (and so out of the next run's salvage) while its last pages are not marked done.
        """
        if self._writer is not None and self._writer.size >= self._config.warc_size:
            self.close()
        if self._writer is None:
            self._writer = WarcWriter(self._folder / self._next_name(), keep_on_failure=True)
        writer = self._writer
        before = writer.size
        writer.write_capture(result, article=article, metadata=metadata, payloads=self._ledger)
        self.bytes += writer.size - before
        return writer.path.name

    def close(self) -> None:
        """Close the current file, once the ledger has every page in it."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self._ledger.commit()
            writer.close()
            self.written.append(writer.path)

    def abort(self) -> None:
        """Leave the current file as it is, ``.open``, for the next run to salvage."""
        self._writer = None

    def _next_name(self) -> str:
        serial = int(self._ledger.get("warc_serial") or 0)
        self._ledger.set("warc_serial", serial + 1)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")[:17]
        return f"{self._config.warc_prefix}-{stamp}-{serial:05d}-{os.getpid()}~{self._host}.warc.gz"


class _Run:
    """One run over the pending URLs of a ledger."""

    def __init__(
        self,
        folder: Path,
        ledger: Ledger,
        config: BulkConfig,
        progress: Callable[[BulkProgress], None] | None,
        started: float,
    ) -> None:
        self._ledger = ledger
        self._config = config
        self._progress = progress
        self._started = started
        self._warcs = _Warcs(folder, ledger, config)
        self._hosts: dict[str, _Host] = {}
        #: (ready_at, host) of the idle hosts with URLs waiting.
        self._ready: list[tuple[float, str]] = []
        self._queued = 0
        self._baseline = ledger.counts()
        self.done_now = 0
        self.failed_now = 0

    @property
    def bytes(self) -> int:
        return self._warcs.bytes

    async def main(self, pool: Executor | None) -> list[Path]:
        fetcher = AsyncFetcher(self._config.fetch)
        try:
            await self._schedule(fetcher, pool)
            self._warcs.close()
        except BaseException:
            # Killed, interrupted or failed: what is in the file stays, .open, for the
            # next run to salvage; what is in the ledger is committed.
            self._warcs.abort()
            raise
        finally:
            self._ledger.commit()
            await fetcher.aclose()
            self._report()
        return self._warcs.written

    async def _schedule(self, fetcher: AsyncFetcher, pool: Executor | None) -> None:
        pending = self._ledger.pending()
        exhausted = False
        running: set[asyncio.Task[None]] = set()
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
                host = self._hosts[name]
                entry = host.queue.popleft()
                self._queued -= 1
                host.busy = True
                running.add(asyncio.create_task(self._page(fetcher, pool, host, name, entry)))
            if not running and not self._ready and exhausted:
                return
            # With every slot taken, a ready host waits for a fetch to end: waiting for
            # its ready time instead (already past) would spin the loop at full CPU.
            full = len(running) >= self._config.concurrency
            wait = self._ready[0][0] - now if self._ready and not full else _TICK
            if running:
                done, running = await asyncio.wait(
                    running, timeout=min(max(wait, 0.0), _TICK), return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    task.result()  # a bug in _page surfaces here
            else:
                await asyncio.sleep(min(max(wait, 0.0), _TICK))
            if time.monotonic() - last_tick >= _TICK:
                last_tick = time.monotonic()
                self._ledger.commit()
                self._forget_idle_hosts()
                self._report()

    def _enqueue(self, entry: Entry) -> None:
        host = self._hosts.get(entry.host)
        if host is None:
            host = self._hosts[entry.host] = _Host(delay=self._config.per_host_delay)
        host.queue.append(entry)
        self._queued += 1
        if not host.busy and len(host.queue) == 1:
            heapq.heappush(self._ready, (host.ready_at, entry.host))

    async def _page(
        self, fetcher: AsyncFetcher, pool: Executor | None, host: _Host, name: str, entry: Entry
    ) -> None:
        slow_down = False
        try:
            result = await fetcher.fetch(entry.url)
        except FetchError as exc:
            slow_down = exc.status in _SLOW_DOWN
            self._failed(entry.url, exc, attempts=exc.attempts, status=exc.status)
        else:
            slow_down = result.attempts > 1 or result.status in _SLOW_DOWN
            article, error = await self._extract(result, pool)
            # A WarcError here (a full disk) ends the run: the file is left for salvage.
            warc = self._warcs.write(result, article, capture_metadata(result, error))
            if error is None:
                self._ledger.finish(
                    entry.url, DONE, warc=warc, attempts=result.attempts, status=result.status
                )
                self.done_now += 1
            else:
                self._failed(
                    entry.url, error, attempts=result.attempts, status=result.status, warc=warc
                )
        finally:
            self._release(host, name, fetcher.crawl_delay(entry.url), slow_down)

    async def _extract(
        self, result: FetchResult, pool: Executor | None
    ) -> tuple[Article | None, ArchiverError | None]:
        error = unextractable(result)
        if error is not None or pool is None:
            return None, error
        assert result.content is not None  # unextractable() says so
        loop = asyncio.get_running_loop()
        try:
            article = await loop.run_in_executor(
                pool,
                _extract_in_worker,
                result.content,
                result.url,
                result.final_url,
                result.content_type,
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
        self._ledger.finish(
            url,
            FAILED,
            warc=warc,
            error=type(error).__name__,
            message=str(error),
            attempts=attempts,
            status=status,
        )
        self.failed_now += 1
        log.info("%s", error)

    def _release(self, host: _Host, name: str, crawl_delay: float | None, slow_down: bool) -> None:
        base = max(self._config.per_host_delay, crawl_delay or 0.0)
        if slow_down:
            host.delay = min(self._config.max_host_delay, max(2 * host.delay, base, 1.0))
        else:
            host.delay = max(base, host.delay / 2)
        host.ready_at = time.monotonic() + host.delay
        host.busy = False
        if host.queue:
            heapq.heappush(self._ready, (host.ready_at, name))

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
            self._progress(
                _progress(self._baseline, self.done_now, self.failed_now, self.bytes, self._started)
            )


def _final_report(
    out_dir: Path | str,
    ledger: Ledger,
    done_now: int,
    failed_now: int,
    written: int,
    started: float,
    warcs: Sequence[Path | str],
    failure_report: Path,
) -> BulkReport:
    """The report of a run started at ``started`` (time.monotonic()), as its ledger ends it."""
    counts = ledger.counts()
    return BulkReport(
        out_dir=out_dir,
        total=counts.total,
        done=counts.done,
        failed=counts.failed,
        done_now=done_now,
        failed_now=failed_now,
        bytes=written,
        seconds=time.monotonic() - started,
        warcs=tuple(warcs),
        failure_report=failure_report,
        state=ledger.path,
    )


def _progress(
    baseline: LedgerCounts, done_now: int, failed_now: int, written: int, started: float
) -> BulkProgress:
    """Where a run started at ``started`` (time.monotonic()) over ``baseline`` is now."""
    return BulkProgress(
        total=baseline.total,
        done=baseline.done + done_now,
        failed=baseline.failed + failed_now,
        done_now=done_now,
        failed_now=failed_now,
        bytes=written,
        elapsed=time.monotonic() - started,
    )


def _extract_in_worker(
    content: bytes, url: str, final_url: str, content_type: str | None
) -> Article:
    """:func:`~archiver.archive.extract_page` in a pool process."""
    return extract_page(content, url=url, final_url=final_url, content_type=content_type)
