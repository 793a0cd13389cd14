"""What a bulk run records and reports, the same on this machine and on a cluster.

Before the work: the WARC files a killed run left open are salvaged and what they
hold is marked in the ledger (:func:`recover`, :func:`finish`), and the URL list is
streamed into it (:func:`ingest`). During it: :func:`current_progress`, and
:func:`closing` around the closing of each WARC file. After it: the
failure report (:func:`write_failure_report`) and the :class:`BulkReport`
(:func:`final_report`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..capture import sent_url
from ..errors import StateError, WarcError, shown_name
from ..files import PathArg, safe_name, write_text_file
from ..warc import Stored, salvage
from .ledger import DONE, FAILED, STATE_FILE, Ledger, LedgerCounts
from .urls import normalize_url, open_url_list, printable, url_lines
from .versions import Version

__all__ = [
    "FAILURE_REPORT",
    "STATE_FILE",
    "BulkProgress",
    "BulkReport",
    "FailureCause",
    "RunInterrupted",
    "Tally",
    "add_version",
    "closing",
    "conditions",
    "current_progress",
    "failure_line",
    "final_report",
    "finish",
    "ingest",
    "mark_pages",
    "next_warc_name",
    "output_folder",
    "recover",
    "write_failure_report",
]

log = logging.getLogger(__name__)

#: The failure report's file, beside the ledger.
FAILURE_REPORT = "failures.jsonl"
#: How many causes of failure a report lists.
_CAUSES_SHOWN = 5
#: The ledger setting naming the ``.open`` file being salvaged (see :func:`recover`).
_SALVAGING = "salvaging"
#: The ledger setting naming the WARC file being closed (see :func:`closing`).
_CLOSING = "closing"


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """Where a run is: passed to the ``progress`` callback of :func:`archiver.archive_many`."""

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
    #: Archived before and not fetched again in this run (a revisit's refetch failed):
    #: done, with their earlier capture (counted in ``done``).
    kept_now: int = 0

    @property
    def rate(self) -> float:
        """URLs finished per second in this run."""
        finished = self.done_now + self.failed_now + self.kept_now
        return finished / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True, slots=True)
class FailureCause:
    """One cause of failure in a run's ledger, and how many URLs failed for it."""

    #: The error's name (HttpStatusError, RobotsDisallowedError, InvalidUrl, ...).
    error: str
    #: The HTTP status of an error status (a 404), else None.
    status: int | None
    count: int

    def __str__(self) -> str:
        return self.error + (f" (HTTP {self.status})" if self.status is not None else "")


@dataclass(frozen=True, slots=True)
class BulkReport:
    """What a run did, and where its output is."""

    #: The output folder; on a cluster with a remote output, its fsspec URL (as are
    #: ``warcs``), while ``failure_report`` and ``state`` are local copies (see
    #: :func:`archiver.runs.cluster.archive_on_cluster`).
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
    #: The most frequent causes of failure, all runs together, most frequent first.
    causes: tuple[FailureCause, ...] = ()
    #: Archived before and not fetched again by this run (a revisit's refetch failed):
    #: done, with their earlier capture.
    kept_now: int = 0
    #: URLs that failed in earlier runs and that this run did not try again, which a
    #: run with ``retry_failed`` would (lines that are not URLs are never tried).
    not_retried: int = 0

    @property
    def ok(self) -> bool:
        """True when every URL of the list is archived."""
        return self.failed == 0 and self.done == self.total


class RunInterrupted(KeyboardInterrupt):
    """A bulk run stopped by Ctrl-C (SIGINT): a :class:`KeyboardInterrupt` that says
    what the run did before the stop (``report``). The pages in flight were let go
    (they stay to be fetched), the WARC file was closed and the failure report written:
    the same call goes on from where it stopped."""

    def __init__(self, report: BulkReport) -> None:
        super().__init__("the bulk run was interrupted")
        self.report = report


# --- before the run: recovery and the URL list -----------------------------------------


def output_folder(out_dir: PathArg) -> Path:
    """The output folder ``out_dir``, created with its parents when missing; a
    :class:`~archiver.errors.StateError` naming it when it cannot be."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the output folder ({exc.strerror})", source=str(folder)
        ) from exc
    return folder


def recover(folder: Path, ledger: Ledger) -> Iterator[Path]:
    """Salvage the WARC files a killed run left open, and mark what they hold.

    The ledger learns which file is being salvaged before :func:`~archiver.warc.salvage`
    renames it, and forgets it in the commit that marks the file's pages: a run stopped
    between the two (killed, or a full disk failing that commit) leaves the file named
    in the ledger, and the next run makes it ``.open`` again and salvages it anew, so
    that its pages are neither lost from the ledger nor fetched again.
    """
    _reopen_unrecorded(folder, ledger)
    _requeue_lost(folder, ledger)
    for open_file in sorted(folder.glob("*.warc.gz.open")):
        # Committed before the file changes; on a full disk this fails, changing nothing.
        ledger.set(_SALVAGING, open_file.name)
        salvaged = salvage(open_file)
        if salvaged is None:
            log.info("%s: removed (no complete page in it)", open_file)
            ledger.set(_SALVAGING, None)
            continue
        mark_pages(ledger, salvaged.path.name, salvaged.metadata, salvaged.stored)
        for digest, capture in salvaged.payloads.items():
            ledger.first_capture(digest, capture)
        ledger.set(_SALVAGING, None)  # committed with the pages' outcomes, together
        log.info("%s: salvaged, %d pages", salvaged.path, len(salvaged.metadata))
        yield salvaged.path


def mark_pages(
    ledger: Ledger, warc: str, metadata: list[dict[str, Any]], stored: list[Stored]
) -> None:
    """Record the outcome and the version of each page of the WARC file ``warc``, read
    back from it (``metadata`` and ``stored``, page by page), not committed."""
    for data, where in zip(metadata, stored):
        fetched = data.get("fetch") or {}
        # A feed or sitemap of a discovery (a file of sources a killed update left open)
        # is no page: neither an outcome of the ledger nor a version of an article.
        if "requested_url" in fetched and "discovery" not in data:
            finish(ledger, fetched["requested_url"], warc, data)
            if "not_extracted" not in data:
                add_version(
                    ledger,
                    fetched["requested_url"],
                    warc,
                    where,
                    data,
                    status=fetched.get("status"),
                )


def _reopen_unrecorded(folder: Path, ledger: Ledger) -> None:
    """Make ``.open`` again a file salvaged by a run that stopped before recording it."""
    name = ledger.get(_SALVAGING)
    if not name:
        return
    open_file = folder / name
    final = open_file.with_suffix("")
    if not open_file.exists() and final.exists():
        log.info("%s: salvaged but not recorded by the last run: salvaged again", final)
        try:
            os.replace(final, open_file)
        except OSError as exc:
            raise WarcError(
                f"cannot salvage it again ({exc.strerror or exc})", source=str(final)
            ) from exc


def closing(ledger: Ledger, name: str | None) -> None:
    """Record that the WARC file ``name`` is being closed (None: it is closed), committed
    with the outcomes recorded before.

    Closing a file renames it, and a writer that fails to (a full disk at the last
    sync) removes it: should the run stop then, the next run's :func:`recover` finds
    the file named here and gone, and sets its pages pending again.
    """
    ledger.set(_CLOSING, name)


def _requeue_lost(folder: Path, ledger: Ledger) -> None:
    """Set pending again the pages of a file that the last run lost as it closed it."""
    name = ledger.get(_CLOSING)
    if not name:
        return
    if not (folder / name).exists() and not (folder / f"{name}.open").exists():
        count = ledger.requeue(name)
        log.warning("%s: lost as it was closed; its %d pages are fetched again", name, count)
    ledger.set(_CLOSING, None)


def finish(ledger: Ledger, url: str, warc: str, data: dict[str, Any]) -> None:
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
            message=f"{shown_name(url)}: {why.get('reason')}",
            attempts=fetched.get("attempts"),
            status=fetched.get("status"),
        )


def failure_line(message: str, state: str) -> str:
    """The warning for a URL that failed, ``state`` being what the ledger recorded: a
    URL archived before stays done (see :meth:`~archiver.runs.ledger.Ledger.finish`)."""
    return f"{message} (its earlier capture stays its latest)" if state == DONE else message


def add_version(
    ledger: Ledger,
    url: str,
    warc: str,
    stored: Stored,
    data: dict[str, Any],
    *,
    status: int | None,
) -> None:
    """Record the capture of ``url`` in ``warc`` among its versions, with the validators
    its metadata ``data`` holds, for the next conditional request; ``status`` is the
    final response's (the metadata record leaves it to the response record)."""
    fetched = data.get("fetch") or {}
    ledger.add_version(
        url,
        warc,
        stored,
        etag=fetched.get("etag"),
        last_modified=fetched.get("last_modified"),
        not_modified=status == 304,
    )


def conditions(prior: Version | None) -> dict[str, str]:
    """The headers of a conditional request for a page whose last capture is ``prior``:
    none when that capture came from another URL (a redirect's target), whose
    validators say nothing of this one's answer. The capture names the URL as it was
    sent, which the ledger's form need not be (``/café`` went as ``/caf%C3%A9``)."""
    if prior is None or prior.capture.target_uri not in (prior.url, sent_url(prior.url)):
        return {}
    headers = {"If-None-Match": prior.etag} if prior.etag else {}
    if prior.last_modified:
        headers["If-Modified-Since"] = prior.last_modified
    return headers


def ingest(urls: Iterable[str] | PathArg, ledger: Ledger) -> int:
    """Stream the list into the ledger, unless this very file was read in full before;
    returns how many of its lines were new to the ledger and not URLs (failed now).

    Raises :class:`~archiver.errors.InputError` naming a list file that cannot be read.
    """
    if not isinstance(urls, (str, os.PathLike)):
        return _add(urls, ledger)
    with open_url_list(urls) as lines:
        stat = os.fstat(lines.fileno())
        identity = [os.fspath(Path(urls).resolve()), stat.st_size, stat.st_mtime_ns]
        if ledger.get("input") == identity:
            log.info("%s: already read into the ledger", os.fspath(urls))
            return 0
        invalid = _add(url_lines(lines), ledger)
    ledger.set("input", identity)
    return invalid


def _add(urls: Iterable[str], ledger: Ledger) -> int:
    failed = ledger.counts().failed
    added = ledger.add(_checked(urls, ledger))
    log.info("%d new URLs in the ledger", added)
    return ledger.counts().failed - failed


def _checked(urls: Iterable[str], ledger: Ledger) -> Iterator[tuple[str, str]]:
    for line in urls:
        if isinstance(line, str):  # a caller's list may hold anything: no URL then
            line = line.strip()
            if not line or line.startswith("#"):
                continue
        try:
            url = normalize_url(line)
        except ValueError as exc:
            # A line whose bytes are not UTF-8 cannot be stored as it is: SQLite refused
            # it, and the whole run stopped.
            shown = printable(line) if isinstance(line, str) else repr(line)
            # The row keeps the line whole (it is data); its message, a line's worth of it.
            message = f"{shown_name(shown)}: {exc}"
            ledger.add_failed(shown, "InvalidUrl", message)
            log.warning("%s", message)  # as every failed URL is, when it fails
            continue
        yield url, urllib.parse.urlsplit(url).hostname or ""


# --- during and after the run -----------------------------------------------------------


def next_warc_name(ledger: Ledger, prefix: str) -> str:
    """The name of the run's next WARC file, its serial counted in the ledger:
    ``<prefix>-<timestamp>-<serial>-<pid>-<hostname>.warc.gz``, a WACZ-safe name."""
    serial = int(ledger.get("warc_serial") or 0)
    ledger.set("warc_serial", serial + 1)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
    host = safe_name(socket.gethostname() or "localhost")
    return f"{prefix}-{stamp}-{serial:05d}-{os.getpid()}-{host}.warc.gz"


@dataclass(slots=True)
class Tally:
    """The URLs a run has finished so far, by the state the ledger recorded."""

    done: int = 0
    failed: int = 0
    #: failed fetches of URLs archived before, which stay done (see Ledger.finish)
    kept: int = 0
    #: lines of the list that are not URLs, failed as the run read the list (before its
    #: baseline was taken: a failure of the run, not one more in its progress)
    invalid: int = 0

    def count(self, outcome: str, recorded: str) -> None:
        """Count an ``outcome`` (DONE or FAILED) given the state that
        :meth:`~archiver.runs.ledger.Ledger.finish` recorded for it."""
        if outcome == DONE:
            self.done += 1
        elif recorded == FAILED:
            self.failed += 1
        else:
            self.kept += 1


def current_progress(
    baseline: LedgerCounts, tally: Tally, written: int, started: float
) -> BulkProgress:
    """Where a run started at ``started`` (time.monotonic()) over ``baseline`` is now."""
    return BulkProgress(
        total=baseline.total,
        done=baseline.done + tally.done + tally.kept,
        failed=baseline.failed + tally.failed,
        done_now=tally.done,
        failed_now=tally.failed + tally.invalid,
        bytes=written,
        elapsed=time.monotonic() - started,
        kept_now=tally.kept,
    )


def write_failure_report(path: Path, ledger: Ledger) -> None:
    """Write the failure report ``path`` anew: one JSON line per failed URL of ``ledger``."""

    def write(stream: Any) -> int:
        count = 0
        for row in ledger.failures():
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count

    write_text_file(path, write)


def final_report(
    out_dir: Path | str,
    ledger: Ledger,
    tally: Tally,
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
        done_now=tally.done,
        failed_now=tally.failed + tally.invalid,
        bytes=written,
        seconds=time.monotonic() - started,
        warcs=tuple(warcs),
        failure_report=failure_report,
        state=ledger.path,
        causes=tuple(
            FailureCause(error or "unknown", status, count)
            for error, status, count in ledger.failure_causes(_CAUSES_SHOWN)
        ),
        kept_now=tally.kept,
        # this run's fetch failures are all of them it could fetch again
        not_retried=ledger.retryable() - tally.failed,
    )
