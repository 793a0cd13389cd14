"""Commands that fetch pages: ``get`` for a few URLs, ``bulk`` for a list, with progress."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..capture import Fetcher
from ..errors import ArchiverError, WarcError
from ..runs import (
    BulkProgress,
    BulkReport,
    Failure,
    RevisitReport,
    UpdateReport,
    archive,
    archive_many,
    archive_sites,
)
from ..warc import WarcWriter
from .app import article_row, dask_client, error, is_quiet, main, print_table, usage_error
from .options import (
    bulk_config,
    bulk_options,
    check_sites,
    fetch_config,
    fetch_options,
    no_sites_option,
    registry_from,
    since_option,
)

__all__ = [
    "bulk_command",
    "bulk_progress",
    "bulk_summary",
    "discovery_summary",
    "get_command",
    "revisit_summary",
]

log = logging.getLogger(__name__)


# --- get --------------------------------------------------------------------------------


@main.command("get", short_help="Fetch pages and archive them in a WARC file.")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="OUT",
    help="The WARC file to append to, created when missing (name it .warc.gz).",
)
@fetch_options
@no_sites_option
def get_command(
    urls: tuple[str, ...],
    output: Path,
    no_robots: bool,
    allow_private: bool,
    user_agent: str | None,
    timeout: float,
    retries: int,
    no_sites: bool,
) -> None:
    """Fetch each URL, extract its article and append the page's records to OUT.

    Prints one row per article (url, site, title, date, words), then a summary on
    stderr. A page that cannot be fetched or extracted is reported on stderr as
    "error: URL: cause" and the run goes on; a response that came (a 404, a PDF) is
    stored all the same. Exits 1 when some URLs failed.
    """
    config = fetch_config(no_robots, allow_private, user_agent, timeout, retries)
    registry = registry_from(no_sites)
    # Opened (and created, when missing) before any fetch, so that an output that
    # cannot be written is a usage error; each page is then appended on its own.
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        WarcWriter(output, append=True).close()
    except FileExistsError:
        usage_error(f"{output}: cannot create the file: {output.parent} is not a folder")
    except OSError as exc:
        usage_error(f"{output}: cannot create the folder {output.parent} ({exc.strerror})")
    except WarcError as exc:
        usage_error(str(exc))

    rows: list[tuple[str, str, str, str, str]] = []
    failed = 0
    with Fetcher(config) as fetcher:
        for url in urls:
            try:
                article = archive(url, output, fetcher=fetcher, registry=registry)
            except WarcError:
                raise  # the output's failure, not this URL's: it ends the run
            except Exception as exc:  # reported per URL: the run goes on
                if not isinstance(exc, ArchiverError):
                    log.exception("%s: unexpected error", url)
                error(str(Failure.from_exception(url, exc)))
                failed += 1
                continue
            rows.append(article_row(url, article))
    if not is_quiet():
        if rows:
            print_table(("url", "site", "title", "date", "words"), rows, numeric={"words"})
        words = sum(int(row[-1]) for row in rows)
        summary = f"archived {len(rows)} of {len(urls)} URLs ({words} words) in {output}"
        if failed:
            summary += f"; {failed} failed"
        click.echo(summary, err=True)
    if failed:
        raise click.exceptions.Exit(1)


# --- bulk -------------------------------------------------------------------------------


@main.command("bulk", short_help="Archive a list of URLs into a folder of WARC files.")
@click.argument(
    "url_list",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="[URLS.txt]",
    required=False,
)
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="DIR",
    help="The folder for the WARC files, the state ledger and the failure report;"
    " with --dask, any fsspec URL (s3://bucket/archive).",
)
@click.option(
    "--discover",
    "sites",
    multiple=True,
    metavar="SITE",
    help="Instead of a list, the articles discovered on SITE (jpost.com, or a URL) from its"
    " feeds and sitemaps; repeat for more sites. `archiver update DIR` does it again later.",
)
@since_option
@bulk_options
@click.option("--retry-failed", is_flag=True, help="Try again the URLs that failed before.")
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786).",
)
@fetch_options
def bulk_command(
    url_list: Path | None,
    output: str,
    sites: tuple[str, ...],
    since: str | None,
    concurrency: int,
    per_host_delay: float,
    warc_size: int,
    no_extract: bool,
    extract_timeout: float,
    retry_failed: bool,
    dask_address: str | None,
    no_robots: bool,
    allow_private: bool,
    user_agent: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Archive every URL of URLS.txt (one per line; blank lines and # comments skipped),
    or the articles discovered on the sites given with --discover (see docs/discovery.md).

    DIR gets the WARC files, state.sqlite (every URL's state) and failures.jsonl (every
    URL not archived, with the cause). Running the same command again resumes: done
    URLs are not fetched again. Shows a progress bar on a terminal, log lines
    otherwise, then a summary. Exits 1 when some URLs failed.
    """
    if (url_list is None) == (not sites):
        usage_error("give a URL list or --discover SITE (not both)")
    if url_list is not None and not url_list.is_file():
        usage_error(f"{url_list}: no such file")
    if since is not None and not sites:
        usage_error("--since goes with --discover")
    if "://" in output and not dask_address:
        usage_error(f"{output}: an output URL needs --dask; give a folder otherwise")
    fetch = fetch_config(no_robots, allow_private, user_agent, timeout, retries)
    config = bulk_config(concurrency, per_host_delay, warc_size, no_extract, fetch, extract_timeout)
    if sites:
        check_sites(sites)
        if dask_address:
            usage_error("--discover runs on this machine: it cannot go with --dask")
        with bulk_progress() as progress:
            update = archive_sites(
                sites,
                output,
                since=since,
                config=config,
                retry_failed=retry_failed,
                progress=progress,
            )
        discovery_summary(update)
        bulk_summary(update.bulk)
        return
    client = dask_client(dask_address) if dask_address else None
    assert url_list is not None  # checked above
    with bulk_progress() as progress:
        report = archive_many(
            url_list,
            output,
            config=config,
            retry_failed=retry_failed,
            progress=progress,
            client=client,
        )
    bulk_summary(report)


def bulk_summary(report: BulkReport) -> None:
    """The summary line of a bulk run on stderr (not with -q); exit 1 when URLs failed."""
    if not is_quiet():
        rate = (report.done_now + report.failed_now) / report.seconds if report.seconds else 0.0
        click.echo(
            f"archived {report.done} of {report.total} URLs, {report.failed} failed"
            f" ({report.done_now} and {report.failed_now} in this run,"
            f" {report.bytes / 1e6:.1f} MB of WARC, {rate:.1f} URLs/s);"
            f" failures in {report.failure_report}",
            err=True,
        )
    if report.failed:
        raise click.exceptions.Exit(1)


def discovery_summary(update: UpdateReport) -> None:
    """The line saying what discovery found, on stderr (not with -q)."""
    if not is_quiet():
        click.echo(
            f"discovered {update.discovered} article URLs on {len(update.sites)} sites,"
            f" {update.new} new ({update.sources} feeds, sitemaps and pages"
            f" fetched and stored, {update.skipped} skipped)",
            err=True,
        )


def revisit_summary(report: RevisitReport) -> None:
    """The line saying what a revisit recorded, on stderr (not with -q)."""
    if not is_quiet():
        click.echo(
            f"revisited {report.revisited} articles: {report.changed} new versions,"
            f" {report.unchanged + report.not_modified} unchanged ({report.not_modified}"
            " answered 304 Not Modified)",
            err=True,
        )


@contextmanager
def bulk_progress() -> Iterator[Callable[[BulkProgress], None] | None]:
    """A rich progress bar on a terminal; else a log line every 10 s; nothing with -q."""
    if is_quiet():
        yield None
        return
    if not sys.stderr.isatty():
        last = [0.0]

        def log_line(state: BulkProgress) -> None:
            if state.elapsed - last[0] >= 10.0:
                last[0] = state.elapsed
                click.echo(
                    f"archiver: {state.done + state.failed}/{state.total} URLs,"
                    f" {state.failed} failed, {state.rate:.1f}/s",
                    err=True,
                )

        yield log_line
        return
    columns = (
        TextColumn("archiving"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed, {task.fields[rate]:.1f}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("archiving", total=None, failed=0, rate=0.0)

        def update(state: BulkProgress) -> None:
            bar.update(
                task,
                total=state.total,
                completed=state.done + state.failed,
                failed=state.failed,
                rate=state.rate,
            )

        yield update
