"""Commands that keep archives of news sites: ``discover`` lists a site's articles,
``update`` archives what is new on the sites of an archive (see docs/discovery.md)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import click

from ..capture import AsyncFetcher, FetchConfig
from ..discovery import DiscoveredURL, Walker, cutoff, discovery_config
from ..errors import InputError
from ..runs import kept_sites, update_archive
from ..runs.refresh import revisit_period
from .app import main, usage_error
from .fetching import bulk_progress, unread_site, update_summary
from .options import (
    Seconds,
    bulk_config,
    bulk_options,
    check_sites,
    fetch_config,
    fetch_options,
    format_option,
    since_option,
)

__all__ = ["discover_command", "update_command"]


@main.command("discover", short_help="List the article URLs a site's feeds and sitemaps give.")
@click.argument("sites", nargs=-1, required=True, metavar="SITE...")
@since_option
@format_option(
    "text",
    "jsonl",
    help="text: one URL a line; jsonl: url, source, kind, date and title, one object a line.",
)
@click.option(
    "--per-host-delay",
    type=Seconds(min=0),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="The least time between two requests to one site (robots.txt may ask for more).",
)
@fetch_options
def discover_command(
    sites: tuple[str, ...],
    since: str | None,
    fmt: str,
    per_host_delay: float,
    no_robots: bool,
    allow_private: bool,
    user_agent: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Print the article URLs of each SITE (a host name such as jpost.com, or a URL),
    found in its robots.txt sitemaps, its declared feeds and sitemaps, and the feeds its
    pages link to. A source that cannot be read is skipped, with a warning on stderr.
    Exits 1 when no source of a site could be read (it is down, refused, or answers
    errors), so that a job can tell that from a site with nothing new."""
    check_sites(sites)
    config = discovery_config(fetch_config(no_robots, allow_private, user_agent, timeout, retries))
    start = None if since is None else cutoff(since)
    urls, unread = asyncio.run(_discover(sites, config, start, per_host_delay))
    for url in urls:
        if fmt == "jsonl":
            click.echo(json.dumps(url.to_dict(), ensure_ascii=False))
        else:
            click.echo(url.url)
    for site in unread:  # down, refused, or answering errors: not "nothing new"
        unread_site(site)
    if unread:
        raise click.exceptions.Exit(1)


async def _discover(
    sites: tuple[str, ...], config: FetchConfig, start: datetime | None, delay: float
) -> tuple[list[DiscoveredURL], list[str]]:
    async with AsyncFetcher(config) as fetcher:
        walker = Walker(fetcher, since=start, sitemaps_since=start, delay=delay)
        return await walker.sites(sites), walker.unread


@main.command("update", short_help="Archive what is new on the sites of an archive.")
@click.argument("archive_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@since_option
@bulk_options
@click.option("--retry-failed", is_flag=True, help="Try again the URLs that failed before.")
@click.option(
    "--revisit",
    metavar="PERIOD",
    help="Also fetch again the articles first archived within PERIOD (3d, 12h, 2w), with "
    "conditional requests: a changed page becomes a new version (see archiver history).",
)
@fetch_options
def update_command(
    archive_dir: Path,
    since: str | None,
    concurrency: int,
    per_host_delay: float,
    warc_size: int,
    no_extract: bool,
    extract_timeout: float,
    retry_failed: bool,
    revisit: str | None,
    no_robots: bool,
    allow_private: bool,
    user_agent: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Discover again the articles of the sites DIR keeps (made by bulk --discover) and
    archive those not archived yet. Safe to run from cron and to interrupt: the next run
    goes on. Exits 1 when some URLs failed, or no source of a site could be read."""
    if not (archive_dir / "state.sqlite").is_file():
        usage_error(f"{archive_dir}: no archive here (make one with bulk --discover)")
    if not kept_sites(archive_dir):  # a bulk run's folder of a URL list: no sites to update
        usage_error(
            f"{archive_dir}: this archive keeps no sites (it was not made with bulk"
            " --discover; bulk --discover SITE -o DIR adds sites to it)"
        )
    if revisit is not None:
        try:
            revisit_period(revisit)
        except InputError as exc:
            usage_error(f"--revisit {revisit!r}: {exc.message}")
    fetch = fetch_config(no_robots, allow_private, user_agent, timeout, retries)
    config = bulk_config(concurrency, per_host_delay, warc_size, no_extract, fetch, extract_timeout)
    with bulk_progress() as progress:
        update = update_archive(
            archive_dir,
            since=since,
            config=config,
            retry_failed=retry_failed,
            progress=progress,
            revisit=revisit,
        )
    update_summary(update)
