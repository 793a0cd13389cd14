"""Bulk archiving on a Dask cluster.

:func:`archive_on_cluster` (``archive_many(..., client=...)``, ``archiver bulk --dask``)
keeps the state ledger on the driver, as a local run does, and hands the pending URLs
to the cluster in *partitions*: each is archived by
:func:`~archiver.runs.partition.archive_partition`, a plain function that runs the
ordinary local engine (:func:`archiver.runs.scheduler.archive_locally`) into a
temporary folder of its worker, copies the finished WARC files to the output folder
through fsspec (so that it may be ``s3://...``, ``memory://...`` or a path), and returns
every URL's outcome, which the driver merges into its ledger.

Politeness holds across the cluster because a host always falls in the same *slot*
(a hash of its name), and a slot runs one partition at a time: two partitions holding
the same host never run at once. Re-extraction on a cluster is
:mod:`archiver.runs.parts`.

Dask and fsspec are optional dependencies (``pip install 'news-archiver[dask]'``); only
the modules of a cluster run (this one, :mod:`archiver.runs.partition` and
:mod:`archiver.runs.parts`) import them.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import posixpath
import tempfile
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import wait
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from ..errors import StateError
from ..files import PathArg
from ..warc import salvage
from .bookkeeping import (
    FAILURE_REPORT,
    STATE_FILE,
    BulkProgress,
    BulkReport,
    Tally,
    current_progress,
    failure_line,
    final_report,
    ingest,
    mark_pages,
    recover,
    write_failure_report,
)
from .config import BulkConfig
from .folders import one_run_at_a_time
from .ledger import DONE, Ledger
from .partition import PartitionResult, archive_partition, upload

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["DEFAULT_PARTITION_SIZE", "archive_on_cluster", "default_state_dir"]

log = logging.getLogger(__name__)

#: URLs per partition: bounds a task's length (and so how stale progress is) and its
#: temporary disk use, while keeping the per-task overhead small.
DEFAULT_PARTITION_SIZE = 1000
#: How often progress is reported, in seconds (as in a local run).
_TICK = 0.5
#: The ledger key listing the partitions submitted and not yet merged.
_OPEN = "open_partitions"


def default_state_dir(out_dir: str) -> Path:
    """Where a cluster run whose output is the remote URL ``out_dir`` keeps its ledger.

    ``$XDG_STATE_HOME/news-archiver/bulk/<hash of the URL>`` (``~/.local/state`` when
    the variable is not set): on the driver's own disk, the same for every run on that
    output, so that the next run resumes.
    """
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    digest = hashlib.sha256(out_dir.encode("utf-8")).hexdigest()[:16]
    return Path(base) / "news-archiver" / "bulk" / digest


@dataclass(frozen=True, slots=True)
class _Output:
    """Where a cluster run writes: the output folder (on any fsspec file system) and
    the local folder of the ledger and the failure report."""

    fs: Any
    #: The folder's path on ``fs``.
    root: str
    #: What the workers are given: a local path, or the folder's URL.
    target: str
    #: The folder, when it is on the local file system.
    local: Path | None
    state: Path

    def location(self, name: str) -> Path | str:
        """The file ``name`` of the output folder, as a :class:`BulkReport` names it."""
        if self.local is not None:
            return self.local / name
        return str(self.fs.unstrip_protocol(f"{self.root}/{name}"))


def _open_output(out_dir: PathArg, state_dir: PathArg | None) -> _Output:
    """Resolve ``out_dir`` and the state folder, and create both."""
    fs, root = url_to_fs(os.fspath(out_dir))
    local = Path(root) if isinstance(fs, LocalFileSystem) else None
    target = root if local is not None else str(fs.unstrip_protocol(root))
    if state_dir is not None:
        state = Path(state_dir)
    else:
        state = local if local is not None else default_state_dir(target)
    try:
        fs.makedirs(root, exist_ok=True)
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the folder ({exc.strerror or exc})", source=str(exc.filename or target)
        ) from exc
    return _Output(fs=fs, root=root, target=target, local=local, state=state)


def archive_on_cluster(
    client: Client,
    urls: Iterable[str] | PathArg,
    out_dir: PathArg,
    *,
    config: BulkConfig,
    retry_failed: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
    state_dir: PathArg | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    slots: int | None = None,
) -> BulkReport:
    """:func:`~archiver.runs.bulk.archive_many` on the Dask cluster of ``client``.

    ``out_dir`` is a local path (which every worker must see: one machine, or a shared
    file system) or an fsspec URL (``s3://bucket/news``; each worker finds its
    credentials in its own environment). The ledger and the failure report stay on
    this machine: in ``state_dir``, by default ``out_dir`` itself when it is local,
    else :func:`default_state_dir`; a copy of the failure report also goes to a
    remote ``out_dir``. Pass the same ``state_dir`` again to resume.

    URLs go to the workers ``partition_size`` at a time; a host's URLs always go to
    the same one of ``slots`` slots (default: twice the cluster's threads), which runs
    one partition at a time, and starts its next one no sooner than
    ``config.per_host_delay`` after the last ended. ``config`` applies within each
    partition: ``concurrency`` is per partition. Identical payloads become revisit
    records within a partition's files only. Progress advances as partitions end.

    A partition that fails (a worker's full disk, a store that refuses the files)
    stops the run once the running ones have ended, and its error is raised; what its
    files hold is marked done first. When the driver itself stops (Ctrl-C, a crash),
    the next run marks done what the partitions then running copied to ``out_dir``:
    start it once they have ended (a partition runs to its end even when its driver
    is gone), else their late files may hold pages fetched again.
    """
    if partition_size < 1:
        raise ValueError(f"partition_size must be at least 1, not {partition_size}")
    started = time.monotonic()
    output = _open_output(out_dir, state_dir)
    # Held where the ledger is, and on a local output (which may be another folder),
    # whose files a killed run left open are salvaged: no other run may write there.
    with one_run_at_a_time(output.state), one_run_at_a_time(output.local or output.state):
        ledger = Ledger(output.state / STATE_FILE)
        try:
            warcs: list[Path | str] = []
            if output.local is not None:
                warcs += recover(output.local, ledger)  # a local run's files killed open
            warcs += _reconcile(output, ledger)
            invalid = ingest(urls, ledger)
            if retry_failed:
                log.info("%d failed URLs to try again", ledger.retry_failed())
            if slots is None:
                slots = 2 * sum(client.nthreads().values())
            run = _ClusterRun(
                client, output, ledger, config, progress, started, partition_size, slots
            )
            run.tally.invalid = invalid
            warcs += run.main()
            report = output.state / FAILURE_REPORT
            write_failure_report(report, ledger)
            if output.local is None:
                upload(output.fs, report, f"{output.root}/{FAILURE_REPORT}")
            out_dir = output.local if output.local is not None else output.target
            return final_report(out_dir, ledger, run.tally, run.bytes, started, warcs, report)
        finally:
            ledger.close()


def _reconcile(output: _Output, ledger: Ledger) -> Iterator[Path | str]:
    """Mark what the partitions of a stopped driver copied to the output, and forget them."""
    for shard in ledger.get(_OPEN) or []:
        yield from _mark_shard(output, ledger, shard)
    ledger.set(_OPEN, [])


def _mark_shard(output: _Output, ledger: Ledger, shard: str) -> Iterator[Path | str]:
    """Mark done (or failed) in ``ledger`` every page held by the files of ``shard``."""
    for path in sorted(output.fs.glob(f"{output.root}/{glob.escape(shard)}-*")):
        name = posixpath.basename(path)
        if name.endswith(".part"):  # a copy cut short: its pages are fetched again
            output.fs.rm(path)
            continue
        with tempfile.TemporaryDirectory(prefix="archiver-shard-") as folder:
            # salvage() reads a file's pages back; on a local copy, so the file itself
            # is never changed.
            copy = Path(folder) / f"{name}.open"
            output.fs.get_file(path, os.fspath(copy))
            salvaged = salvage(copy)
        if salvaged is not None:
            mark_pages(ledger, name, salvaged.metadata, salvaged.stored)
        ledger.commit()
        pages = 0 if salvaged is None else len(salvaged.metadata)
        log.info("%s: %d pages of an unfinished partition marked", name, pages)
        yield output.location(name)


@dataclass(slots=True)
class _Slot:
    """The hosts of one hash bucket: their URLs waiting, and the partition running."""

    urls: deque[str] = field(default_factory=deque)
    running: bool = False
    #: When its next partition may start (time.monotonic()).
    ready_at: float = 0.0


@dataclass(frozen=True, slots=True)
class _Submitted:
    """A partition handed to the cluster: its slot, its file prefix, its URL count."""

    slot: _Slot
    shard: str
    urls: int


class _ClusterRun:
    """One run over the pending URLs of a ledger, partition by partition on a cluster."""

    def __init__(
        self,
        client: Client,
        output: _Output,
        ledger: Ledger,
        config: BulkConfig,
        progress: Callable[[BulkProgress], None] | None,
        started: float,
        partition_size: int,
        slots: int,
    ) -> None:
        self._client = client
        self._output = output
        self._ledger = ledger
        self._config = config
        self._progress = progress
        self._started = started
        self._size = partition_size
        self._slots = [_Slot() for _ in range(max(1, slots))]
        # Enough to fill every slot's next partition while the current ones run.
        self._limit = 2 * partition_size * len(self._slots)
        self._buffered = 0
        self._running: dict[Future[PartitionResult], _Submitted] = {}
        self._open: list[str] = []
        # Names every partition of this run apart from those of any other run, even
        # one whose ledger was lost: a retried partition removes files of its own name.
        self._run_id = uuid.uuid4().hex[:8]
        self._serial = 0
        self._error: BaseException | None = None
        self._baseline = ledger.counts()
        self.tally = Tally()
        self.bytes = 0
        self.warcs: list[Path | str] = []

    def main(self) -> list[Path | str]:
        try:
            self._loop()
        except BaseException:
            # Interrupted: the partitions running go on, and are recorded as open for
            # the next run; those not started yet are dropped.
            self._client.cancel(list(self._running))
            raise
        finally:
            self._ledger.commit()
            self._report()
        if self._error is not None:
            raise self._error
        return self.warcs

    def _loop(self) -> None:
        pending = self._ledger.pending()
        exhausted = False
        last_tick = time.monotonic()
        while True:
            while self._error is None and not exhausted and self._buffered < self._limit:
                entry = next(pending, None)
                if entry is None:
                    exhausted = True
                else:
                    self._slot(entry.host).urls.append(entry.url)
                    self._buffered += 1
            if self._error is None:
                # Partial partitions go once the list is read, or when the buffer is
                # full, so that the run never waits on itself.
                self._submit_ready(flush=exhausted or self._buffered >= self._limit)
            if not self._running:
                if self._error is not None or (exhausted and not self._buffered):
                    return
                time.sleep(self._wait())  # slots waiting out the per-host delay
            else:
                for future in self._first_done():
                    self._merge(future)
            if time.monotonic() - last_tick >= _TICK:
                last_tick = time.monotonic()
                self._report()

    def _slot(self, host: str) -> _Slot:
        return self._slots[zlib.crc32(host.encode("utf-8")) % len(self._slots)]

    def _submit_ready(self, *, flush: bool) -> None:
        now = time.monotonic()
        for slot in self._slots:
            full = len(slot.urls) >= self._size
            if not slot.running and slot.urls and slot.ready_at <= now and (full or flush):
                self._submit(slot)

    def _submit(self, slot: _Slot) -> None:
        urls = [slot.urls.popleft() for _ in range(min(self._size, len(slot.urls)))]
        self._buffered -= len(urls)
        shard = f"{self._config.warc_prefix}-{self._run_id}-{self._serial:05d}"
        self._serial += 1
        # Recorded before it starts: a driver stopped from here on leaves its name for
        # the next run to look for its files.
        self._open.append(shard)
        self._ledger.set(_OPEN, self._open)
        # The partition's ledger starts from each URL's latest version: its conditional
        # requests, and what its captures are to the ones before.
        priors = [prior for url in urls if (prior := self._ledger.latest_version(url))]
        future = self._client.submit(
            archive_partition, urls, shard, self._output.target, self._config, priors, pure=False
        )
        slot.running = True
        self._running[future] = _Submitted(slot, shard, len(urls))
        log.debug("%s: %d URLs submitted", shard, len(urls))

    def _wait(self) -> float:
        soonest = min((slot.ready_at for slot in self._slots if slot.urls), default=0.0)
        return min(max(soonest - time.monotonic(), 0.0), _TICK)

    def _first_done(self) -> set[Future[PartitionResult]]:
        try:
            return set(wait(list(self._running), timeout=_TICK, return_when="FIRST_COMPLETED").done)
        except TimeoutError:
            return set()

    def _merge(self, future: Future[PartitionResult]) -> None:
        """Record a partition's outcomes; a failed one stops the run, as in a local run."""
        submitted = self._running.pop(future)
        submitted.slot.running = False
        submitted.slot.ready_at = time.monotonic() + self._config.per_host_delay
        try:
            result: PartitionResult = future.result()
        except Exception as exc:  # the worker's error, raised once the run stops
            log.error("%s: the partition failed: %s", submitted.shard, exc)
            self._error = self._error or exc
            # It has ended, so its files are all there is: mark what they hold.
            self.warcs += _mark_shard(self._output, self._ledger, submitted.shard)
        else:
            self._record(result, submitted)
        self._open.remove(submitted.shard)
        self._ledger.set(_OPEN, self._open)  # commits the outcomes with it

    def _record(self, result: PartitionResult, submitted: _Submitted) -> None:
        for row in result["outcomes"]:
            state = self._ledger.finish(
                row["url"],
                row["state"],
                warc=row["warc"],
                error=row["error"],
                message=row["message"],
                attempts=row["attempts"],
                status=row["status"],
            )
            self.tally.count(row["state"], state)
            if row["state"] == DONE:
                log.info("%s: archived", row["url"])
            else:
                log.warning("%s", failure_line(row["message"] or row["url"], state))
        if len(result["outcomes"]) != submitted.urls:
            # Never expected: those URLs stay pending, for the next run.
            log.warning(
                "%s: %d outcomes for %d URLs",
                submitted.shard,
                len(result["outcomes"]),
                submitted.urls,
            )
        for version in result["versions"]:
            self._ledger.record_version(version)
        self.bytes += result["bytes"]
        self.warcs += [self._output.location(name) for name in result["warcs"]]

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(current_progress(self._baseline, self.tally, self.bytes, self._started))
