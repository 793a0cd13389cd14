"""Revisiting an archive: the articles first archived within a period, fetched again.

:func:`revisit` sets pending again, in the ledger of an archive folder, every URL
archived whose first version is recent enough, and runs the bulk engine over them
(:func:`archiver.runs.scheduler.archive_locally`). Each is asked for with the
validators of its last capture (If-None-Match, If-Modified-Since), where the server
gave them. A 304 answer becomes a ``revisit`` record (server-not-modified profile); a
page whose payload is the same becomes a ``revisit`` record as in any bulk run
(identical-payload-digest); a changed page a new capture with its conversion and
metadata records. The ledger keeps every version's record IDs
(:meth:`~archiver.runs.ledger.Ledger.add_version`), and the search index is kept as
in any run.

A round of revisits is recorded in the ledger before any URL is fetched, in the same
commit that sets them pending: a run killed midway is resumed by the next call (or by
any bulk run on the folder), which neither fetches again what the killed run had
written nor loses it (see :func:`archiver.runs.bookkeeping.recover`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..discovery import parse_period
from ..errors import InputError, checked
from ..files import PathArg
from .bookkeeping import STATE_FILE, BulkProgress, BulkReport
from .config import BulkConfig
from .folders import one_run_at_a_time
from .ledger import Ledger
from .scheduler import archive_locally
from .versions import CHANGED, FIRST, NOT_MODIFIED, UNCHANGED

__all__ = ["RevisitReport", "begin_round", "end_round", "revisit", "revisit_period"]

log = logging.getLogger(__name__)

#: The ledger setting that holds the round of revisits under way.
_ROUND = "revisit_round"


@dataclass(frozen=True, slots=True)
class RevisitReport:
    """What a round of revisits did (all its runs together, when one was resumed)."""

    #: The bulk run's report (this run only, as :func:`archiver.archive_many` gives it).
    run: BulkReport
    #: URLs set to be revisited by the round.
    revisited: int
    #: Captures recorded by the round: a changed page (a new version), the same payload
    #: (a revisit record), a 304 answer (a revisit record), and pages archived for the
    #: first time.
    changed: int
    unchanged: int
    not_modified: int
    first: int
    #: URLs of the round that could not be fetched again (their causes are warnings
    #: of the run, and in the ledger): their earlier captures stay their latest.
    failed: int = 0


def revisit_period(period: str) -> timedelta:
    """``3d`` (or ``90s``, ``15m``, ``12h``, ``2w``, ``1d12h``) as a timedelta, read as
    ``--since`` is (:func:`archiver.discovery.parse_period`).

    Raises :class:`~archiver.errors.InputError` naming the period when it is not a
    positive one.
    """
    try:
        span = parse_period(period)
    except ValueError:
        span = timedelta()
    if span <= timedelta():
        raise InputError(
            "not a period: give a positive number and a unit, s, m, h, d or w (3d, 12h)",
            source=repr(period),
        )
    return span


def revisit(
    directory: PathArg,
    period: str | timedelta,
    *,
    config: BulkConfig | None = None,
    progress: Callable[[BulkProgress], None] | None = None,
) -> RevisitReport:
    """Fetch again the articles of the archive folder ``directory`` first archived
    within ``period`` (``"3d"``, or a timedelta) before now; see the module docstring.

    A round killed midway is resumed by the next call, whatever its period. Raises
    :class:`~archiver.errors.InputError` when ``directory`` is not an archive folder
    (it has no ledger) or ``period`` is not a period, and the errors of
    :func:`archiver.archive_many`.
    """
    span = revisit_period(period) if isinstance(period, str) else period
    config = checked(config or BulkConfig(), BulkConfig, "config")  # before the round begins
    folder = Path(directory)
    if not (folder / STATE_FILE).is_file():
        raise InputError(
            f"not an archive folder (it has no {STATE_FILE}: archive into it with "
            "`archiver bulk` first)",
            source=str(folder),
        )
    with one_run_at_a_time(folder):
        ledger = Ledger(folder / STATE_FILE)
        try:
            current = begin_round(ledger, span)
        except BaseException:
            ledger.close_quietly()
            raise
        ledger.close()
        report = archive_locally([], folder, config=config, progress=progress)
        return end_round(folder, current, report)


def begin_round(ledger: Ledger, span: timedelta) -> dict[str, Any]:
    """Set pending the URLs of ``ledger`` first archived within ``span`` before now, and
    record the round, in one commit; or find the round a killed run left, to resume it.
    Returns the round, for :func:`end_round`."""
    current = ledger.get(_ROUND)
    if current is not None:
        log.info("resuming the revisit of %d articles begun before", current["urls"])
        return dict(current)
    started = time.time()
    count = ledger.revisit(started - span.total_seconds())
    current = {"started": started, "urls": count}
    ledger.set(_ROUND, current)  # committed with the URLs set pending: both or neither
    log.info("%d articles to revisit", count)
    return current


def end_round(folder: Path, current: dict[str, Any], run: BulkReport) -> RevisitReport:
    """What the round ``current`` recorded, once ``run`` went over its URLs; the round
    ends when none is pending (else the next run resumes it)."""
    ledger = Ledger(folder / STATE_FILE)
    try:
        kinds = Counter(version.kind for version in ledger.versions(float(current["started"])))
        failed = ledger.failed_refetches(float(current["started"]))
        if ledger.counts().pending == 0:
            ledger.set(_ROUND, None)
    except BaseException:
        ledger.close_quietly()
        raise
    ledger.close()
    return RevisitReport(
        run=run,
        revisited=int(current["urls"]),
        changed=kinds.get(CHANGED, 0),
        unchanged=kinds.get(UNCHANGED, 0),
        not_modified=kinds.get(NOT_MODIFIED, 0),
        first=kinds.get(FIRST, 0),
        failed=failed,
    )
