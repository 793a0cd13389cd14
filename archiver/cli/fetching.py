"""Commands that fetch pages: ``get`` for a few URLs, ``bulk`` for a list."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..capture import Fetcher
from ..errors import ArchiverError, WarcError
from ..runs import (
    BulkProgress,
    BulkReport,
    Failure,
    RevisitReport,
    RunInterrupted,
    UpdateReport,
    archive,
    archive_many,
    archive_sites,
    check_writable,
    stdin_url_lines,
)
from ..warc import Payloads, WarcWriter
from .app import (
    article_row,
    counted,
    dask_client,
    error,
    is_quiet,
    main,
    print_table,
    usage_error,
)
from .options import (
    WarcName,
    bulk_config,
    bulk_options,
    check_sites,
    fetch_config,
    fetch_options,
    no_sites_option,
    registry_from,
    since_option,
)
from .progress import show_progress

__all__ = [
    "bulk_command",
    "bulk_progress",
    "bulk_summary",
    "discovery_summary",
    "get_command",
    "open_output",
    "revisit_summary",
    "unread_site",
    "update_summary",
]

log = logging.getLogger(__name__)


# --- get --------------------------------------------------------------------------------


@main.command("get", short_help="Fetch pages and archive them in a WARC file.")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option(
    "-o",
    "--output",
    required=True,
    type=WarcName(),
    metavar="OUT",
    help="The WARC file to append to, created when missing: .warc.gz (gzip per record)"
    " or .warc (uncompressed).",
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

    A URL given as - stands for the URLs on standard input, one per line (blank lines
    and # comments skipped): some-command | archiver get - -o OUT.

    Shows a progress bar on a terminal (-v logs each URL), then prints one row per
    article (url, site, title, date, words) and a summary on stderr. A page that
    cannot be fetched or extracted is reported on stderr as "error: URL: cause" and
    the run goes on; a response that came (a 404, a PDF) is stored all the same.
    Exits 1 when some URLs failed.
    """
    config = fetch_config(no_robots, allow_private, user_agent, timeout, retries)
    registry = registry_from(no_sites)
    payloads = open_output(output)
    if "-" in urls:
        urls = _with_stdin(urls)

    rows: list[tuple[str, str, str, str, str]] = []
    failed = 0
    interrupted = False
    with Fetcher(config) as fetcher, show_progress("archiving", "URL") as show:
        try:
            for url in urls:
                try:
                    article = archive(
                        url, output, fetcher=fetcher, registry=registry, payloads=payloads
                    )
                except WarcError:
                    raise  # the output's failure, not this URL's: it ends the run
                except Exception as exc:  # reported per URL: the run goes on
                    if not isinstance(exc, ArchiverError):
                        log.exception("%s: unexpected error", url)
                    error(str(Failure.from_exception(url, exc)))
                    failed += 1
                else:
                    rows.append(article_row(url, article))
                show(len(rows), failed, len(urls))
        except KeyboardInterrupt:
            # Click said only "Aborted!", with the status of failed URLs (1): the pages
            # archived before the stop are in OUT, and the summary says which.
            interrupted = True
    if not is_quiet():
        if rows:
            print_table(("url", "site", "title", "date", "words"), rows, numeric={"words"})
        words = sum(int(row[-1]) for row in rows)
        # A run that stores nothing creates no file: the summary does not name one.
        where = f" in {output}" if output.exists() else ""
        summary = (
            f"archived {len(rows)} of {counted(len(urls), 'URL')} ({counted(words, 'word')}){where}"
        )
        if failed:
            summary += f"; {failed} failed"
        if not where:
            summary += f"; nothing stored, {output} not written"
        click.echo(summary, err=True)
    if interrupted:
        left = len(urls) - len(rows) - failed
        click.echo(f"interrupted: {counted(left, 'URL')} not archived", err=True)
        raise click.exceptions.Exit(130)
    if failed:
        raise click.exceptions.Exit(1)


def _with_stdin(urls: tuple[str, ...]) -> tuple[str, ...]:
    """``urls`` with - replaced by the URLs on standard input (read once)."""
    piped = tuple(stdin_url_lines())
    return tuple(url for given in urls for url in (piped if given == "-" else (given,)))


def open_output(output: Path) -> Payloads:
    """Check that the WARC file ``output`` can be written, or exit with a usage error;
    the payloads it holds already, so that a page seen before is a revisit record.

    Done before any fetch, so that an output that cannot be written is a usage error;
    but the file is created only with the first page stored, so that a run that stores
    nothing leaves no file. Each page is then appended on its own.
    """
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if output.exists():
            WarcWriter(output, append=True).close()
            return Payloads.of(output)
        check_writable(output)
        return Payloads()
    except FileExistsError:
        usage_error(f"{output}: cannot create the file: {output.parent} is not a folder")
    except OSError as exc:
        usage_error(f"{output}: cannot create the folder {output.parent} ({exc.strerror})")
    except WarcError as exc:
        usage_error(str(exc))


# --- bulk -------------------------------------------------------------------------------


@main.command("bulk", short_help="Archive a list of URLs into a folder of WARC files.")
@click.argument(
    "url_list",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
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
    " feeds and sitemaps; repeat for more sites. archiver update DIR does it again later.",
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
    """Archive every URL of URLS.txt (one per line; blank lines and # comments skipped;
    - for standard input), or the articles discovered on the sites given with
    --discover (see docs/discovery.md).

    DIR gets the WARC files, state.sqlite (every URL's state) and failures.jsonl (every
    URL not archived, with the cause). Running the same command again resumes: done
    URLs are not fetched again. Shows a progress bar on a terminal, a line every 10 s
    otherwise, and each failed URL with its cause (-v: each URL); then a summary with
    the most frequent causes of failure. Exits 1 when some URLs failed (or, with
    --discover, no source of a site could be read).
    """
    if (url_list is None) == (not sites):
        usage_error("give a URL list or --discover SITE (not both)")
    urls: Iterable[str] | Path | None = url_list
    if str(url_list) == "-":
        urls = stdin_url_lines()
    elif url_list is not None and not (url_list.is_file() or url_list.is_fifo()):
        # A pipe is a list too (bash's <(command)); a device might never end a line.
        cause = "not a regular file or a pipe" if url_list.exists() else "no such file"
        usage_error(f"{url_list}: {cause}")
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
        update_summary(update)
        return
    client = dask_client(dask_address) if dask_address else None
    assert urls is not None  # checked above
    with bulk_progress() as progress:
        report = archive_many(
            urls,
            output,
            config=config,
            retry_failed=retry_failed,
            progress=progress,
            client=client,
        )
    bulk_summary(report)


def bulk_summary(report: BulkReport) -> None:
    """The summary line of a bulk run on stderr (not with -q); exit 1 when URLs of the
    list failed, in this run or an earlier one."""
    if not is_quiet():
        click.echo(_summary(report), err=True)
    if report.failed:
        raise click.exceptions.Exit(1)


def update_summary(update: UpdateReport) -> None:
    """What a run of ``bulk --discover`` or ``update`` did, on stderr: an error for each
    site none of whose sources could be read, the discovery line, the revisit line, the
    bulk run's summary; exit 1 when URLs failed in this run or a site could not be read.

    Not for the URLs that failed in earlier runs, as ``bulk`` does for its list: an
    update runs from cron, and one article gone last week would fail every run after
    it, hiding the run that meets a new failure."""
    for site in update.unread:
        unread_site(site)
    discovery_summary(update)
    if update.revisits is not None:
        revisit_summary(update.revisits)
    if not is_quiet():
        click.echo(_summary(update.bulk), err=True)
    if update.bulk.failed_now or update.unread:
        raise click.exceptions.Exit(1)


def unread_site(site: str) -> None:
    """The error of a site none of whose sources could be read (a failed input)."""
    error(f"{site}: no source of the site could be read (robots.txt, sitemaps, feeds, pages)")


def _summary(report: BulkReport) -> str:
    """What a bulk run did, in a few lines: the counts, then why URLs failed and where
    the failed URLs are listed, and that --retry-failed tries again those that failed
    in earlier runs, when this run did not."""
    finished = report.done_now + report.failed_now + report.kept_now
    rate = finished / report.seconds if report.seconds else 0.0
    # A revisit's failed refetch leaves the URL archived: not a failure of the list
    kept = f", {report.kept_now} not fetched again" if report.kept_now else ""
    lines = [
        f"archived {report.done} of {counted(report.total, 'URL')}, {report.failed} failed",
        f"  this run: {report.done_now} archived, {report.failed_now} failed{kept},"
        f" {report.bytes / 1e6:.1f} MB of WARC in {report.seconds:.1f} s ({rate:.1f} URLs/s)",
    ]
    if report.causes:
        shown = sum(cause.count for cause in report.causes)
        lines.append("  failed because:")
        width = len(str(report.causes[0].count))
        lines += [f"    {cause.count:>{width}}  {cause}" for cause in report.causes]
        if shown < report.failed:
            lines.append(f"    {report.failed - shown:>{width}}  (other causes)")
    if report.failed:
        lines.append(f"  every failed URL, with its cause: {report.failure_report}")
    before = report.not_retried
    if before > 0:
        # A list whose URLs all failed, run again with the option it lacked
        # (--allow-private), did nothing, and nothing said why.
        were = (
            "failed in an earlier run and was" if before == 1 else "failed in earlier runs and were"
        )
        lines.append(
            f"  {counted(before, 'URL')} {were} not tried again: --retry-failed tries them again"
        )
    return "\n".join(lines)


def discovery_summary(update: UpdateReport) -> None:
    """The line saying what discovery found, on stderr (not with -q)."""
    if not is_quiet():
        click.echo(
            f"discovered {counted(update.discovered, 'article URL')}"
            f" on {counted(len(update.sites), 'site')}, {update.new} new"
            f" ({counted(update.sources, 'feed, sitemap or page', 'feeds, sitemaps and pages')}"
            f" fetched and stored, {update.skipped} skipped)",
            err=True,
        )


def revisit_summary(report: RevisitReport) -> None:
    """The line saying what a revisit recorded, on stderr (not with -q)."""
    if not is_quiet():
        click.echo(
            f"revisited {counted(report.revisited, 'article')}:"
            f" {counted(report.changed, 'new version')},"
            f" {report.unchanged + report.not_modified} unchanged ({report.not_modified}"
            " answered 304 Not Modified)"
            + (
                f", {report.failed} not fetched again (their earlier captures stay)"
                if report.failed
                else ""
            ),
            err=True,
        )


@contextmanager
def bulk_progress() -> Iterator[Callable[[BulkProgress], None]]:
    """The progress display of :func:`show_progress`, fed by a bulk run's reports;
    Ctrl-C ends the run with its summary and how to go on (status 130), where click
    said only "Aborted!"."""
    try:
        with show_progress("archiving", "URL") as show:
            yield lambda state: show(state.done, state.failed, state.total, state.rate)
    except KeyboardInterrupt as stop:
        if isinstance(stop, RunInterrupted) and not is_quiet():
            click.echo(_summary(stop.report), err=True)
        click.echo("interrupted: the same command goes on from where it stopped", err=True)
        raise click.exceptions.Exit(130) from None
