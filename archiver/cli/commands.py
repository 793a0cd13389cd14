"""The ``archiver`` command line: the only module that writes to the terminal.

Exit statuses: 0 success; 1 when an input or a WARC file could not be processed
(for ``reprocess``, when some inputs failed and the rest were archived); 2 for a usage
error, including an output file that cannot be written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TextIO

import click

from ..article import Article
from ..document import DEFAULT_MAX_BYTES
from ..errors import ArchiverError, InputError, InputTooLargeError, WarcError
from ..extraction import default_registry, extract
from ..extraction import Registry
from ..runs import Failure, process_file, reprocess

if TYPE_CHECKING:
    from ..runs import BulkProgress
    from ..capture import FetchConfig

__all__ = ["main"]

log = logging.getLogger(__name__)

#: Exit status of a usage error; click uses it for bad options too.
USAGE_ERROR = 2


def _package_version() -> str:
    try:
        return version("news-archiver")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


class _Main(click.Group):
    """The command group, turning errors into one-line messages and exit statuses."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click reports these itself
        except ArchiverError as exc:
            _error(str(exc))
            ctx.exit(1)
        except Exception as exc:
            verbose = bool(ctx.find_root().params.get("verbose"))
            if verbose:
                log.exception("internal error")
            hint = "" if verbose else " (a bug: rerun with -v for the traceback)"
            _error(f"internal error: {type(exc).__name__}: {exc}{hint}")
            ctx.exit(1)


def _error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _usage_error(message: str) -> NoReturn:
    _error(message)
    raise click.exceptions.Exit(USAGE_ERROR)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_package_version(), "-V", "--version", prog_name="archiver")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv for debug detail).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors: no tables, no summary.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Archive news articles: extract clean articles and store them in WARC files."""
    ctx.obj = {"quiet": quiet}
    ctx.call_on_close(_configure_logging(verbose, quiet))


def _configure_logging(verbose: int, quiet: bool) -> Callable[[], None]:
    """Send the library's log to stderr; returns the function that undoes it."""
    level = logging.ERROR if quiet else logging.WARNING
    if verbose:
        level = logging.INFO if verbose == 1 else logging.DEBUG
    logger = logging.getLogger("archiver")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(tracebacks=verbose > 0))
    saved_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def restore() -> None:
        # main() may run many times in one process (tests, a caller's own program):
        # leave the logging set-up as it was found.
        logger.removeHandler(handler)
        logger.setLevel(saved_level)

    return restore


class _Formatter(logging.Formatter):
    """``archiver: level: message``; tracebacks only with -v, since they are for bug reports."""

    def __init__(self, *, tracebacks: bool) -> None:
        super().__init__("archiver: %(levelname)s: %(message)s")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        # The record is shared with any other handler: change it only for this call.
        saved = record.levelname, record.exc_info, record.exc_text
        record.levelname = record.levelname.lower()
        if not self.tracebacks:
            record.exc_info, record.exc_text = None, None
        try:
            return super().format(record)
        finally:
            record.levelname, record.exc_info, record.exc_text = saved


def _quiet() -> bool:
    ctx = click.get_current_context()
    return bool(ctx.find_root().obj and ctx.find_root().obj.get("quiet"))


def _registry(no_sites: bool) -> Registry:
    registry = default_registry()
    return registry.without_sites() if no_sites else registry


_no_sites_option = click.option(
    "--no-sites", is_flag=True, help="Use only the generic extractor, no site plugins."
)
_format_option = click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="Output format.",
)


# --- reprocess --------------------------------------------------------------------------


@main.command("reprocess", short_help="Archive saved pages, or re-extract WARCs, in a WARC.")
@click.argument(
    "paths", nargs=-1, required=True, metavar="PATH...", type=click.Path(path_type=Path)
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    metavar="OUT",
    help="The WARC file to write (gzip-compressed: name it .warc.gz).",
)
@_no_sites_option
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Run on the Dask cluster whose scheduler is at ADDRESS, one OUT-<n> file per task.",
)
def reprocess_command(
    paths: tuple[Path, ...], output: Path, no_sites: bool, dask_address: str | None
) -> None:
    """Extract saved pages (files or folders of .txt/.html) and archive them in one WARC file.

    A .warc or .warc.gz file given as PATH is re-extracted: the pages stored in it go
    through the current extractors, and the new records, which refer to the original
    ones, go to OUT; the input WARC is left unchanged.

    With --dask, each WARC input (or group of 200 pages) is a task on the cluster,
    writing its own file beside OUT: OUT-00000.warc.gz, OUT-00001.warc.gz, ...

    Prints one row per article (file, site, title, date, words), then a summary on
    stderr. Exits 1 when some inputs failed; the others are archived all the same.
    """
    registry = _registry(no_sites)
    rows: list[tuple[str, str, str, str, str]] = []

    def on_result(path: Path, result: Article | Failure) -> None:
        if isinstance(result, Failure):
            _error(str(result))
        else:
            rows.append(_row(path, result))

    client = _dask_client(dask_address) if dask_address else None
    try:
        report = reprocess(paths, output, registry=registry, on_result=on_result, client=client)
    except WarcError as exc:
        _usage_error(str(exc))
    finally:
        if client is not None:
            client.close()

    total = len(report.articles) + len(report.failures)
    if not _quiet():
        if rows:
            _print_table(("file", "site", "title", "date", "words"), rows, numeric={"words"})
        words = sum(article.word_count for article in report)
        where = str(output) if client is None else _parts(report.warcs)
        summary = f"archived {len(report)} of {total} inputs ({words} words) in {where}"
        if report.failures:
            summary += f"; {len(report.failures)} failed"
        click.echo(summary, err=True)
    if total == 0 and not _quiet():
        click.echo(
            "warning: no input files found (looked for *.txt, *.text, *.htm, *.html)", err=True
        )
    if not report.ok:
        raise click.exceptions.Exit(1)


def _parts(warcs: Sequence[Path]) -> str:
    """The files of a re-extraction on a cluster, for its summary."""
    if len(warcs) < 2:
        return str(warcs[0]) if warcs else "no WARC file"
    return f"{len(warcs)} WARC files, {warcs[0]} to {warcs[-1].name}"


def _row(path: Path, article: Article) -> tuple[str, str, str, str, str]:
    return (
        str(path),
        article.site or "",
        article.title or "",
        _date(article),
        str(article.word_count),
    )


# --- extract ----------------------------------------------------------------------------


@main.command("extract", short_help="Extract one page and print the article.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--url", help="The page's URL: selects the site plugin and is kept in the Article.")
@_format_option
@_no_sites_option
def extract_command(file: Path, url: str | None, fmt: str, no_sites: bool) -> None:
    """Extract one article from FILE (a saved page or text dump; - for stdin) and print it."""
    registry = _registry(no_sites)
    if str(file) == "-":
        data = _read_stdin(DEFAULT_MAX_BYTES)
        article = extract(data, url=url, name="<stdin>", registry=registry)
    else:
        _, article = process_file(file, url=url, registry=registry)
    click.echo(article.to_json(indent=2) if fmt == "json" else _as_text(article))


def _read_stdin(max_bytes: int) -> bytes:
    stream = sys.stdin.buffer
    try:
        data = stream.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read standard input: {exc}", source="<stdin>") from exc
    if len(data) > max_bytes:
        raise InputTooLargeError(
            f"input is over the {max_bytes / 1e6:.1f} MB limit", source="<stdin>"
        )
    return data


def _as_text(article: Article) -> str:
    metadata = [
        ("site", article.site),
        ("url", article.url),
        ("published", _date(article)),
        ("authors", ", ".join(article.authors)),
        ("source", article.source),
        ("section", article.section),
        ("tags", ", ".join(article.tags)),
        ("language", article.language),
        ("extractor", str(article.extractor)),
    ]
    lines = [article.title or "(no title)"]
    lines += [f"{key}: {value}" for key, value in metadata if value]
    return "\n".join(lines) + "\n\n" + article.text


# --- get --------------------------------------------------------------------------------


def _fetch_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of ``get`` and ``bulk`` that make a FetchConfig (see _fetch_config)."""
    options = [
        click.option("--no-robots", is_flag=True, help="Fetch pages that robots.txt disallows."),
        click.option(
            "--block-private",
            is_flag=True,
            help="Refuse private, loopback and link-local addresses (for untrusted URL lists).",
        ),
        click.option("--user-agent", metavar="UA", help="The User-Agent header to send."),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            metavar="SECONDS",
            help="How long any one network operation may take.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0),
            default=2,
            show_default=True,
            metavar="N",
            help="Tries after the first on a network error, a timeout, a 429 or a 5xx.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _fetch_config(
    no_robots: bool, block_private: bool, user_agent: str | None, timeout: float, retries: int
) -> FetchConfig:
    from ..capture import DEFAULT_USER_AGENT, FetchConfig

    try:
        return FetchConfig(
            user_agent=user_agent or DEFAULT_USER_AGENT,
            timeout=timeout,
            retries=retries,
            obey_robots=not no_robots,
            block_private=block_private,
        )
    except ValueError as exc:
        _usage_error(str(exc))


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
@_fetch_options
@_no_sites_option
def get_command(
    urls: tuple[str, ...],
    output: Path,
    no_robots: bool,
    block_private: bool,
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
    from ..runs import archive
    from ..capture import Fetcher
    from ..warc import WarcWriter

    config = _fetch_config(no_robots, block_private, user_agent, timeout, retries)
    registry = _registry(no_sites)
    # Opened (and created, when missing) before any fetch, so that an output that
    # cannot be written is a usage error; each page is then appended on its own.
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        WarcWriter(output, append=True).close()
    except FileExistsError:
        _usage_error(f"{output}: cannot create the file: {output.parent} is not a folder")
    except OSError as exc:
        _usage_error(f"{output}: cannot create the folder {output.parent} ({exc.strerror})")
    except WarcError as exc:
        _usage_error(str(exc))

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
                _error(str(Failure.from_exception(url, exc)))
                failed += 1
                continue
            rows.append(
                (
                    url,
                    article.site or "",
                    article.title or "",
                    _date(article),
                    str(article.word_count),
                )
            )
    if not _quiet():
        if rows:
            _print_table(("url", "site", "title", "date", "words"), rows, numeric={"words"})
        words = sum(int(row[-1]) for row in rows)
        summary = f"archived {len(rows)} of {len(urls)} URLs ({words} words) in {output}"
        if failed:
            summary += f"; {failed} failed"
        click.echo(summary, err=True)
    if failed:
        raise click.exceptions.Exit(1)


# --- bulk -------------------------------------------------------------------------------


@main.command("bulk", short_help="Archive a list of URLs into a folder of WARC files.")
@click.argument("url_list", type=click.Path(dir_okay=False, path_type=Path), metavar="URLS.txt")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="DIR",
    help="The folder for the WARC files, the state ledger and the failure report;"
    " with --dask, any fsspec URL (s3://bucket/archive).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Fetches in flight at once, over all hosts.",
)
@click.option(
    "--per-host-delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="The least time between two requests to one host (robots.txt may ask for more).",
)
@click.option(
    "--warc-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    metavar="MB",
    help="Start a new WARC file once one reaches this size.",
)
@click.option("--no-extract", is_flag=True, help="Store the pages only; extract nothing.")
@click.option("--retry-failed", is_flag=True, help="Try again the URLs that failed before.")
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786).",
)
@_fetch_options
def bulk_command(
    url_list: Path,
    output: str,
    concurrency: int,
    per_host_delay: float,
    warc_size: int,
    no_extract: bool,
    retry_failed: bool,
    dask_address: str | None,
    no_robots: bool,
    block_private: bool,
    user_agent: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Archive every URL of URLS.txt (one per line; blank lines and # comments skipped).

    DIR gets the WARC files, state.sqlite (every URL's state) and failures.jsonl (every
    URL not archived, with the cause). Running the same command again resumes: done
    URLs are not fetched again. Shows a progress bar on a terminal, log lines
    otherwise, then a summary. Exits 1 when some URLs failed.
    """
    from ..runs import BulkConfig, archive_many

    if not url_list.is_file():
        _usage_error(f"{url_list}: no such file")
    if "://" in output and not dask_address:
        _usage_error(f"{output}: an output URL needs --dask; give a folder otherwise")
    fetch = _fetch_config(no_robots, block_private, user_agent, timeout, retries)
    config = BulkConfig(
        concurrency=concurrency,
        per_host_delay=per_host_delay,
        max_host_delay=max(60.0, per_host_delay),
        warc_size=warc_size * 1_000_000,
        extract=not no_extract,
        fetch=fetch,
    )
    client = _dask_client(dask_address) if dask_address else None
    with _bulk_progress() as progress:
        report = archive_many(
            url_list,
            output,
            config=config,
            retry_failed=retry_failed,
            progress=progress,
            client=client,
        )
    if not _quiet():
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


def _dask_client(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        _usage_error("--dask needs Dask: pip install 'news-archiver[dask]'")
    try:
        return Client(address, timeout=30)
    except OSError as exc:
        _usage_error(f"{address}: cannot reach the Dask scheduler ({exc})")


@contextmanager
def _bulk_progress() -> Iterator[Callable[[BulkProgress], None] | None]:
    """A rich progress bar on a terminal; else a log line every 10 s; nothing with -q."""
    if _quiet():
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
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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


# --- read -------------------------------------------------------------------------------


@main.command("read", short_help="Print the articles archived in a WARC file.")
@click.argument("warc", type=click.Path(dir_okay=False, path_type=Path))
@_format_option
def read_command(warc: Path, fmt: str) -> None:
    """Print the articles archived in WARC: JSON lines, or a header line and body each."""
    from ..warc import read  # imported here: only this command needs it

    try:
        for number, article in enumerate(read(warc)):
            if fmt == "json":
                click.echo(article.to_json())
            else:
                click.echo(("\n" if number else "") + _header(article))
                click.echo(article.text)
    except BrokenPipeError:
        raise  # the reader went away (| head): click exits quietly
    except OSError as exc:  # WarcError is the contract; this guards the message anyway
        raise WarcError(
            f"cannot read the WARC file: {exc.strerror or exc}", source=str(warc)
        ) from exc


def _header(article: Article) -> str:
    parts = [article.title or "(no title)"]
    parts += [p for p in (article.site, _date(article), article.url) if p]
    return "==> " + " | ".join(parts) + " <=="


# --- export, index, wacz, diff ------------------------------------------------------------

_warcs_argument = click.argument(
    "warcs", nargs=-1, required=True, metavar="WARC...", type=click.Path(path_type=Path)
)


@main.command("export", short_help="Export the archived articles as JSON lines or CSV.")
@_warcs_argument
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    metavar="OUT",
    help="The file to write; - (the default) for stdout.",
)
def export_command(warcs: tuple[Path, ...], fmt: str, output: Path) -> None:
    """Export the newest article of each capture in the WARC files, one row each.

    JSON lines are Article objects plus word_count, target_uri and captured; CSV has
    the same columns with the extractor split in three and lists as JSON arrays.
    """
    from ..outputs import export

    export_format: Literal["jsonl", "csv"] = "csv" if fmt == "csv" else "jsonl"
    count = export(warcs, _destination(output), format=export_format)
    if not _quiet():
        click.echo(f"exported {count} articles to {_where(output)}", err=True)


def _destination(output: Path) -> Path | TextIO:
    """An output option's value: "-" is standard output."""
    return sys.stdout if str(output) == "-" else output


def _where(output: Path) -> str:
    return "stdout" if str(output) == "-" else str(output)


@main.command("index", short_help="Write the CDXJ index of WARC files.")
@_warcs_argument
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    metavar="OUT",
    help="The CDXJ file to write; - (the default) for stdout.",
)
def index_command(warcs: tuple[Path, ...], output: Path) -> None:
    """Write the sorted CDXJ index of the captures in the WARC files, for replay tools."""
    from ..outputs import write_index

    count = write_index(warcs, _destination(output))
    if not _quiet():
        click.echo(f"indexed {count} captures to {_where(output)}", err=True)


@main.command("wacz", short_help="Package WARC files as a WACZ collection.")
@_warcs_argument
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="OUT",
    help="The WACZ file to write (name it .wacz).",
)
@click.option("--title", help="The collection's title.")
def wacz_command(warcs: tuple[Path, ...], output: Path, title: str | None) -> None:
    """Package the WARC files as one WACZ file, which ReplayWeb.page opens.

    Its page list has one page per capture with the article's title and clean text,
    so that ReplayWeb.page's search finds the articles.
    """
    from ..outputs import write_wacz

    count = write_wacz(warcs, output, title=title)
    if not _quiet():
        click.echo(f"packaged {len(set(warcs))} WARC files, {count} pages, in {output}", err=True)


@main.command("diff", short_help="Show which articles changed between two archives.")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
def diff_command(old: Path, new: Path) -> None:
    """Show which articles changed from the WARC file OLD to NEW (say, a re-extraction).

    Articles are matched by URI. Prints one row per article that changed, was added or
    was removed: status, uri, the old and new extractors, the body's shingle F1 (new
    against old) and the metadata fields that changed; then a summary on stderr.
    """
    from ..outputs import diff

    changes = diff(old, new)
    shown = [change for change in changes if change.status != "same"]
    rows = [
        (
            change.status,
            change.target_uri,
            str(change.old_extractor or ""),
            str(change.new_extractor or ""),
            "" if change.text_f1 is None else f"{change.text_f1:.3f}",
            ", ".join(change.fields),
        )
        for change in shown
    ]
    if rows:
        _print_table(("status", "uri", "old", "new", "f1", "fields"), rows, numeric={"f1"})
    if not _quiet():
        counts = {status: 0 for status in ("changed", "added", "removed", "same")}
        for change in changes:
            counts[change.status] += 1
        compared = counts["changed"] + counts["same"]
        click.echo(
            f"{counts['changed']} of {compared} articles changed; "
            f"{counts['removed']} only in {old}, {counts['added']} only in {new}",
            err=True,
        )


# --- sites ------------------------------------------------------------------------------


@main.command("sites", short_help="List the extractors in use.")
def sites_command() -> None:
    """List the extractors in use: site plugins in order of precedence, generic last."""
    rows = [
        (extractor.name, extractor.version, ", ".join(extractor.domains) or "(any)")
        for extractor in default_registry()
    ]
    _print_table(("name", "version", "domains"), rows)


def _date(article: Article) -> str:
    return article.published.isoformat() if article.published else ""


# --- output -----------------------------------------------------------------------------


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _print_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Collection[str] = ()
) -> None:
    """A rich table on a terminal, else tab-separated lines (header first) for scripts."""
    if _stdout_is_terminal():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, header_style="bold")
        for name in header:
            table.add_column(name, justify="right" if name in numeric else "left")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))  # Text: a "[" in a title is no markup
        Console(file=sys.stdout).print(table)
        return
    for row in (header, *rows):
        # One line per row, whatever the cells hold: tabs and newlines become spaces.
        click.echo("\t".join(" ".join(cell.split()) for cell in row))


if __name__ == "__main__":  # python -m archiver.cli.commands
    main()
