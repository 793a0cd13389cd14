"""Keeping an archive of news sites: discover their articles, archive only what is new.

:func:`archive_sites` discovers the article URLs of sites (:mod:`archiver.discovery`),
stores every robots.txt, sitemap and feed it fetched in a WARC file of the output
folder, adds the URLs to the bulk run's ledger and archives the pending ones as
:func:`~archiver.runs.bulk.archive_many` does. The sites, the ``since`` window and the
time of the last discovery are kept in the ledger, so that :func:`update_archive` does
it all again later (from cron) for the same sites: the ledger has seen the URLs
archived before, so only new ones are fetched, and the sitemaps an index dates before
the last discovery are not fetched again. Like a bulk run, it is safe to interrupt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..capture import AsyncFetcher, FetchResult, RobotsCache
from ..discovery import DiscoveredURL, Walker, cutoff, discovery_config, home_url
from ..discovery import parse_period as read_period
from ..errors import StateError, checked
from ..files import PathArg
from ..warc import WarcWriter
from .bookkeeping import (
    STATE_FILE,
    BulkProgress,
    BulkReport,
    ingest,
    next_warc_name,
    output_folder,
)
from .config import BulkConfig
from .folders import one_run_at_a_time
from .ledger import Ledger
from .refresh import RevisitReport, begin_round, end_round, revisit_period
from .scheduler import archive_locally
from .single import capture_metadata

__all__ = ["UpdateReport", "archive_sites", "kept_sites", "update_archive"]

log = logging.getLogger(__name__)

#: The ledger setting of discovery: {"sites": [...], "since": seconds, "last": ISO time}.
_SETTING = "discovery"
#: A sitemap an index dates this long before the last discovery is still read again:
#: the site's clock and ours may differ.
_CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What a discovery run found, and the bulk run's report."""

    #: The sites walked (their home pages).
    sites: tuple[str, ...]
    #: Article URLs discovered (inside the window), and how many the ledger had not seen.
    discovered: int
    new: int
    #: Sources fetched (all stored: sitemaps, feeds, pages; robots.txt with
    #: ``obey_robots`` off), and sources skipped.
    sources: int
    skipped: int
    bulk: BulkReport
    #: What the revisit of recent articles recorded, when one was asked for.
    revisits: RevisitReport | None = None
    #: The sites no source of which could be read (see ``Walker.unread``): nothing was
    #: discovered on them this run.
    unread: tuple[str, ...] = ()


def archive_sites(
    sites: Iterable[str],
    out_dir: PathArg,
    *,
    since: datetime | timedelta | str | None = None,
    config: BulkConfig | None = None,
    retry_failed: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
) -> UpdateReport:
    """Discover the articles of ``sites`` (host names or URLs) and archive them into
    ``out_dir`` (a bulk run's folder, new or not); the sites join those it keeps.

    ``since`` (a datetime, a timedelta, a period such as ``"2d"`` or a date such as
    ``"2025-01-31"``) keeps the URLs dated since then (and the undated ones), and is
    kept for :func:`update_archive`. A lone ``str`` is one site. Raises
    :class:`~archiver.errors.InputError` for a site that is not a host name or URL,
    TypeError for one that is no ``str``, ValueError for a ``since`` string that is
    neither a period nor a date, and what :func:`~archiver.runs.bulk.archive_many`
    raises.
    """
    if isinstance(sites, str):
        sites = [sites]  # iterated, its characters were each taken for a site
    elif not isinstance(sites, Iterable):
        raise TypeError(f"the sites must be an iterable of str, not {type(sites).__name__}")
    homes = [home_url(site) for site in sites]
    # A period is kept as a window for update_archive; a date is not (it would only grow).
    window = since if isinstance(since, timedelta) else None
    if isinstance(since, str):
        try:
            window = read_period(since)
        except ValueError:
            cutoff(since)  # a date, else the error saying what a period or date is
    config = checked(config or BulkConfig(), BulkConfig, "config")
    folder = output_folder(out_dir)
    with one_run_at_a_time(folder):
        return _run(folder, homes, since, window, config, retry_failed, progress)


def update_archive(
    out_dir: PathArg,
    *,
    since: datetime | timedelta | str | None = None,
    config: BulkConfig | None = None,
    retry_failed: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
    revisit: timedelta | str | None = None,
) -> UpdateReport:
    """Discover again the articles of the sites an archive keeps (see
    :func:`archive_sites`) and archive those its ledger has not seen.

    With ``revisit`` (``"3d"``, or a timedelta), the articles first archived within
    that period are fetched again in the same run, as :func:`archiver.revisit` does:
    a changed page becomes a new version, an unchanged one a revisit record.

    Without ``since``, the window kept by :func:`archive_sites` applies, counted back
    from the last discovery (so a missed day is caught up). Raises
    :class:`~archiver.errors.StateError` when ``out_dir`` holds no archive of sites,
    :class:`~archiver.errors.InputError` for a ``revisit`` that is not a period,
    ValueError for a ``since`` string that is neither a period nor a date, and what
    :func:`~archiver.runs.bulk.archive_many` raises.
    """
    folder = Path(out_dir)
    state_file = folder / STATE_FILE
    if not kept_sites(folder):
        raise StateError(
            "this archive keeps no sites (it was not made with bulk --discover)",
            source=str(state_file),
        )
    setting = _setting(state_file)
    window = None if setting.get("since") is None else timedelta(seconds=setting["since"])
    if since is None and window is not None:
        last = setting.get("last")
        since = (datetime.fromisoformat(last) if last else datetime.now(UTC)) - window
    span = revisit_period(revisit) if isinstance(revisit, str) else revisit
    config = checked(config or BulkConfig(), BulkConfig, "config")
    with one_run_at_a_time(folder):
        return _run(folder, [], since, window, config, retry_failed, progress, span)


def kept_sites(out_dir: PathArg) -> tuple[str, ...]:
    """The sites (home pages) the archive ``out_dir`` keeps for :func:`update_archive`;
    none for a bulk run's folder made from a URL list. Raises
    :class:`~archiver.errors.StateError` when ``out_dir`` holds no ledger, or it cannot
    be read."""
    state_file = Path(out_dir) / STATE_FILE
    if not state_file.is_file():
        raise StateError(
            "no archive here (no state.sqlite): run bulk --discover first", source=str(out_dir)
        )
    return tuple(_setting(state_file).get("sites") or ())


def _setting(state_file: Path) -> dict[str, Any]:
    ledger = Ledger(state_file)
    try:
        return dict(ledger.get(_SETTING) or {})
    finally:
        ledger.close()


def _run(
    folder: Path,
    homes: list[str],
    since: datetime | timedelta | str | None,
    window: timedelta | None,
    config: BulkConfig,
    retry_failed: bool,
    progress: Callable[[BulkProgress], None] | None,
    revisit: timedelta | None = None,
) -> UpdateReport:
    """A discovery and its bulk run in ``folder``, which the caller holds."""
    started = datetime.now(UTC)
    ledger = Ledger(folder / STATE_FILE)
    try:
        setting = dict(ledger.get(_SETTING) or {})
        kept = list(setting.get("sites", []))
        sites = kept + [home for home in homes if home not in kept]
        if window is not None:
            setting["since"] = window.total_seconds()
        setting["sites"] = sites
        ledger.set(_SETTING, setting)  # the sites are kept even if this run is stopped
        last = setting.get("last")
        start = None if since is None else cutoff(since)
        # A sitemap an index dates before the last discovery holds nothing new (but for
        # a new site), nor one dated before the window: either is not read.
        skip_before = [start] if start is not None else []
        if last and not homes:
            skip_before.append(datetime.fromisoformat(last) - _CLOCK_SKEW)
        sitemaps_since = max(skip_before, default=None)
        walk = _Discovery(folder, ledger, config)
        urls = walk.run(sites, start, sitemaps_since)
        before = ledger.counts().total
        ingest((url.url for url in urls), ledger)
        new = ledger.counts().total - before
        # Recorded once the URLs are in the ledger: a run stopped before discovers again.
        ledger.set(_SETTING, {**setting, "last": started.isoformat()})
        # The new URLs are not archived yet, so not revisited: they are all first versions.
        current = None if revisit is None else begin_round(ledger, revisit)
    except BaseException:
        ledger.close_quietly()
        raise
    ledger.close()
    log.info("%d article URLs discovered, %d new", len(urls), new)
    report = archive_locally(
        (),
        folder,
        config=config,
        retry_failed=retry_failed,
        progress=progress,
        robots=walk.robots,
    )
    return UpdateReport(
        sites=tuple(sites),
        discovered=len(urls),
        new=new,
        sources=walk.sources,
        skipped=walk.skipped,
        bulk=report,
        revisits=None if current is None else end_round(folder, current, report),
        unread=walk.unread,
    )


class _Discovery:
    """The discovery of a run, its fetches written to a WARC file of their own."""

    def __init__(self, folder: Path, ledger: Ledger, config: BulkConfig) -> None:
        self._folder = folder
        self._ledger = ledger
        self._config = config
        self._writer: WarcWriter | None = None
        #: The robots.txt rules read, for the archiving run to use.
        self.robots = RobotsCache()
        self.sources = 0
        self.skipped = 0
        self.unread: tuple[str, ...] = ()

    def run(
        self, sites: list[str], since: datetime | None, sitemaps_since: datetime | None
    ) -> list[DiscoveredURL]:
        try:
            urls = asyncio.run(self._walk(sites, since, sitemaps_since))
        except BaseException:
            self._writer = None  # left .open, for the next run to salvage
            raise
        if self._writer is not None:
            self._writer.close()
        return urls

    async def _walk(
        self, sites: list[str], since: datetime | None, sitemaps_since: datetime | None
    ) -> list[DiscoveredURL]:
        config = discovery_config(self._config.fetch)
        async with AsyncFetcher(config, robots=self.robots) as fetcher:
            walker = Walker(
                fetcher,
                since=since,
                sitemaps_since=sitemaps_since,
                delay=self._config.per_host_delay,
                max_delay=self._config.max_host_delay,
                on_fetch=self._store,
            )
            urls = await walker.sites(sites)
        self.sources, self.skipped = walker.fetched, walker.skipped
        self.unread = tuple(walker.unread)
        return urls

    def _store(self, result: FetchResult, what: dict[str, Any]) -> None:
        if self._writer is None:
            name = next_warc_name(self._ledger, self._config.warc_prefix)
            self._writer = WarcWriter(self._folder / name, keep_on_failure=True)
        metadata = {**capture_metadata(result, None), **what}
        self._writer.write_capture(result, metadata=metadata, payloads=self._ledger)
