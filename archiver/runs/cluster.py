"""Bulk archiving and re-extraction on a Dask cluster.

:func:`archive_on_cluster` (``archive_many(..., client=...)``, ``archiver bulk --dask``)
keeps the state ledger on the driver, as a local run does, and hands the pending URLs
to the cluster in *partitions*: each is archived by :func:`archive_partition`, a plain
function that runs the ordinary local engine (:func:`archiver.bulk.archive_many`) into
a temporary folder of its worker, copies the finished WARC files to the output folder
through fsspec (so that it may be ``s3://...``, ``memory://...`` or a path), and returns
every URL's outcome, which the driver merges into its ledger.

Politeness holds across the cluster because a host always falls in the same *slot*
(a hash of its name), and a slot runs one partition at a time: two partitions holding
the same host never run at once. :func:`reprocess_on_cluster`
(``reprocess(..., client=...)``) runs a re-extraction as one task per WARC input or per
group of saved pages, each writing its own WARC file.

Dask and fsspec are optional dependencies (``pip install 'news-archiver[dask]'``); only
this module imports them.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import posixpath
import shutil
import tempfile
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

from distributed import as_completed, wait
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from ..article import Article
from .bulk import (
    FAILURE_REPORT,
    STATE_FILE,
    BulkConfig,
    BulkProgress,
    BulkReport,
    _final_report,
    _finish,
    _ingest,
    _progress,
    _recover,
    _write_failure_report,
    archive_many,
)
from ..errors import StateError, WarcError
from .ledger import DONE, Ledger
from ..extraction import Registry
from .reextraction import (
    Failure,
    PathArg,
    Report,
    _check_writable,
    is_warc,
    iter_inputs,
    reprocess,
)
from ..warc import salvage

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "archive_on_cluster",
    "archive_partition",
    "default_state_dir",
    "reprocess_on_cluster",
    "reprocess_part",
]

log = logging.getLogger(__name__)

#: URLs per partition: bounds a task's length (and so how stale progress is) and its
#: temporary disk use, while keeping the per-task overhead small.
DEFAULT_PARTITION_SIZE = 1000
#: Saved pages per re-extraction task (each WARC input is a task of its own).
_FILES_PER_TASK = 200
#: How often progress is reported, in seconds (as in a local run).
_TICK = 0.5
#: The ledger key listing the partitions submitted and not yet merged.
_OPEN = "open_partitions"


# --- the work of one partition, on a worker ---------------------------------------------


class Outcome(TypedDict):
    """One URL's outcome, as :meth:`archiver.ledger.Ledger.outcomes` gives it."""

    url: str
    state: str
    warc: str | None
    error: str | None
    message: str | None
    attempts: int | None
    status: int | None


class PartitionResult(TypedDict):
    """What :func:`archive_partition` returns: plain data, cheap to send back."""

    outcomes: list[Outcome]
    #: Names of the WARC files copied to the output folder.
    warcs: list[str]
    bytes: int


def archive_partition(
    urls: list[str], shard: str, out_dir: str, config: BulkConfig
) -> PartitionResult:
    """Archive ``urls`` with the local engine and copy the WARC files to ``out_dir``.

    The unit of work of a cluster run. ``urls`` are normal URLs (see
    :func:`~archiver.bulk.normalize_url`); ``shard`` is the partition's file prefix, so
    its WARC files are ``<shard>-<timestamp>-<serial>-<pid>~<host>.warc.gz``, named
    apart from every other partition's; ``out_dir`` is a local path or an fsspec URL.
    Each file is complete in ``out_dir`` before the function returns, and every URL
    has its outcome in the result.
    """
    fs, root = url_to_fs(out_dir)
    # Dask runs a task again when its worker died: a file the first try copied before
    # dying would hold pages this try fetches again.
    for stale in fs.glob(f"{root}/{glob.escape(shard)}-*"):
        log.info("%s: removed, left by an earlier try of this partition", stale)
        fs.rm(stale)
    with tempfile.TemporaryDirectory(prefix="archiver-partition-") as folder:
        report = archive_many(urls, folder, config=replace(config, warc_prefix=shard))
        names = [Path(warc).name for warc in report.warcs]
        for warc in report.warcs:
            _upload(fs, Path(warc), f"{root}/{Path(warc).name}")
        ledger = Ledger(Path(folder) / STATE_FILE)
        try:
            outcomes = cast("list[Outcome]", list(ledger.outcomes()))
        finally:
            ledger.close()
    return {"outcomes": outcomes, "warcs": names, "bytes": report.bytes}


def _upload(fs: Any, local: Path, target: str) -> None:
    """Copy ``local`` to ``target`` on ``fs`` so that ``target`` only ever appears whole."""
    if isinstance(fs, LocalFileSystem):
        # Copied under another name, synced, renamed: a crash mid-copy leaves no file a
        # later run could take for a complete one.
        partial = f"{target}.part"
        shutil.copyfile(local, partial)
        with open(partial, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(partial, target)
    else:
        # Object stores (S3, GCS, ...) make an object visible only once it is all there.
        fs.put_file(os.fspath(local), target)


# --- the driver ---------------------------------------------------------------------------


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


def _open_output(
    out_dir: str | os.PathLike[str], state_dir: str | os.PathLike[str] | None
) -> _Output:
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
    urls: Iterable[str] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    config: BulkConfig,
    retry_failed: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    slots: int | None = None,
) -> BulkReport:
    """:func:`~archiver.bulk.archive_many` on the Dask cluster of ``client``.

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
    ledger = Ledger(output.state / STATE_FILE)
    try:
        warcs: list[Path | str] = []
        if output.local is not None:
            warcs += _recover(output.local, ledger)  # a local run's files killed open
        warcs += _reconcile(output, ledger)
        _ingest(urls, ledger)
        if retry_failed:
            log.info("%d failed URLs to try again", ledger.retry_failed())
        if slots is None:
            slots = 2 * sum(client.nthreads().values())
        run = _ClusterRun(client, output, ledger, config, progress, started, partition_size, slots)
        warcs += run.main()
        report = output.state / FAILURE_REPORT
        _write_failure_report(report, ledger)
        if output.local is None:
            _upload(output.fs, report, f"{output.root}/{FAILURE_REPORT}")
        out_dir = output.local if output.local is not None else output.target
        return _final_report(
            out_dir, ledger, run.done_now, run.failed_now, run.bytes, started, warcs, report
        )
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
        pages = _pages(output.fs, path)
        for data in pages:
            fetched = data.get("fetch") or {}
            if "requested_url" in fetched:
                _finish(ledger, fetched["requested_url"], name, data)
        ledger.commit()
        log.info("%s: %d pages of an unfinished partition marked", name, len(pages))
        yield output.location(name)


def _pages(fs: Any, path: str) -> list[dict[str, Any]]:
    """The metadata JSON of every page of the WARC file ``path`` on ``fs``."""
    with tempfile.TemporaryDirectory(prefix="archiver-shard-") as folder:
        # salvage() reads a file's pages back; on a local copy, so the file itself is
        # never changed.
        copy = Path(folder) / f"{posixpath.basename(path)}.open"
        fs.get_file(path, os.fspath(copy))
        salvaged = salvage(copy)
    return [] if salvaged is None else salvaged.metadata


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
        self.done_now = 0
        self.failed_now = 0
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
        future = self._client.submit(
            archive_partition, urls, shard, self._output.target, self._config, pure=False
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
        except Exception as exc:  # noqa: BLE001 (the worker's error, raised once the run stops)
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
            self._ledger.finish(
                row["url"],
                row["state"],
                warc=row["warc"],
                error=row["error"],
                message=row["message"],
                attempts=row["attempts"],
                status=row["status"],
            )
            if row["state"] == DONE:
                self.done_now += 1
            else:
                self.failed_now += 1
        if len(result["outcomes"]) != submitted.urls:
            # Never expected: those URLs stay pending, for the next run.
            log.warning(
                "%s: %d outcomes for %d URLs",
                submitted.shard,
                len(result["outcomes"]),
                submitted.urls,
            )
        self.bytes += result["bytes"]
        self.warcs += [self._output.location(name) for name in result["warcs"]]

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(
                _progress(self._baseline, self.done_now, self.failed_now, self.bytes, self._started)
            )


# --- re-extraction --------------------------------------------------------------------------


class PartResult(TypedDict):
    """What :func:`reprocess_part` returns: each input's result, in order."""

    results: list[tuple[str, Article | Failure]]


def reprocess_part(
    paths: list[str], warc: str | None, registry: Registry | None, originals: list[str]
) -> PartResult:
    """:func:`~archiver.reprocess.reprocess` of ``paths`` into the WARC file ``warc``,
    revisits looked up in ``originals`` too: the unit of work of a re-extraction on a
    cluster."""
    results: list[tuple[str, Article | Failure]] = []

    def collect(path: Path, result: Article | Failure) -> None:
        results.append((str(path), result))

    reprocess(paths, warc, registry=registry, on_result=collect, originals=originals)
    return {"results": results}


def part_path(warc: Path, number: int) -> Path:
    """The WARC file of task ``number`` of a re-extraction into ``warc``:
    ``new.warc.gz`` gives ``new-00000.warc.gz``, ``new-00001.warc.gz``, ..."""
    name = warc.name
    suffix = next((end for end in (".warc.gz", ".warc") if name.lower().endswith(end)), "")
    stem = name[: len(name) - len(suffix)]
    return warc.with_name(f"{stem}-{number:05d}{name[len(stem) :]}")


def reprocess_on_cluster(
    client: Client,
    paths: Iterable[PathArg],
    warc: PathArg | None = None,
    *,
    registry: Registry | None = None,
    on_result: Callable[[Path, Article | Failure], None] | None = None,
    originals: Iterable[PathArg] = (),
) -> Report:
    """:func:`~archiver.reprocess.reprocess` on the Dask cluster of ``client``.

    Each WARC input is a task, and the saved pages go in groups of 200. Task ``n``
    writes its records to its own file, ``warc`` with ``-<n>`` before its ``.warc.gz``
    (see :func:`part_path`), listed in ``Report.warcs``. The inputs and the output
    folder are paths every worker must see (one machine, or a shared file system).
    ``on_result`` is called as tasks end; the Report lists the results in input
    order. A task that fails (an output that cannot be written) raises its error once
    the others are cancelled.
    """
    items = list(iter_inputs(paths))
    files = [item for item in items if isinstance(item, Path)]
    groups = _groups(files)
    outputs = _outputs(warc, len(groups), files)
    # Each task looks for the originals of its revisit records in every WARC input.
    places = [os.fspath(path) for path in files if is_warc(path)]
    places += [os.fspath(path) for path in originals]
    futures = {
        client.submit(
            reprocess_part,
            [os.fspath(path) for path in group],
            None if output is None else os.fspath(output),
            registry,
            places,
            pure=False,
        ): number
        for number, (group, output) in enumerate(zip(groups, outputs))
    }
    done: dict[int, list[tuple[str, Article | Failure]]] = {}
    for item in items:
        if isinstance(item, Failure) and on_result is not None:
            on_result(Path(item.source), item)
    try:
        for future in as_completed(futures):
            done[futures[future]] = future.result()["results"]
            for path, result in done[futures[future]]:
                if on_result is not None:
                    on_result(Path(path), result)
    except BaseException:
        client.cancel(list(futures))
        raise
    return _merged_report(items, done, outputs)


def _outputs(warc: PathArg | None, tasks: int, files: list[Path]) -> list[Path | None]:
    """Each task's WARC file (None when none is asked for), checked before any work."""
    if warc is None:
        return [None] * tasks
    _check_writable(Path(warc))
    inputs = {path.resolve() for path in files if is_warc(path)}
    parts: list[Path | None] = []
    for number in range(tasks):
        part = part_path(Path(warc), number)
        if part.resolve() in inputs:  # the original archive is never written over
            raise WarcError(
                "is also an input: write the re-extraction to another file", source=str(part)
            )
        parts.append(part)
    return parts


def _groups(files: Iterable[Path]) -> list[list[Path]]:
    """The tasks' inputs: each WARC file alone, the saved pages ``_FILES_PER_TASK`` at a time."""
    groups: list[list[Path]] = []
    pages: list[Path] = []
    for path in files:
        if is_warc(path):
            groups.append([path])
        else:
            pages.append(path)
            if len(pages) == _FILES_PER_TASK:
                groups.append(pages)
                pages = []
    if pages:
        groups.append(pages)
    return groups


def _merged_report(
    items: list[Path | Failure],
    done: dict[int, list[tuple[str, Article | Failure]]],
    outputs: list[Path | None],
) -> Report:
    """One Report of every task's results, in input order as a local run gives them."""
    by_input: dict[str, list[Article | Failure]] = {}
    for results in done.values():
        for path, result in results:
            by_input.setdefault(path, []).append(result)
    articles: list[Article] = []
    failures: list[Failure] = []
    for item in items:
        found = [item] if isinstance(item, Failure) else by_input.get(os.fspath(item), [])
        for result in found:
            if isinstance(result, Failure):
                failures.append(result)
            else:
                articles.append(result)
    warcs = tuple(output for output in outputs if output is not None)
    return Report(tuple(articles), tuple(failures), None, warcs)
