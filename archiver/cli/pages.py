"""Commands on saved pages: ``extract`` prints one article, ``reprocess`` archives many."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ..article import Article
from ..capture import DEFAULT_MAX_BYTES
from ..errors import InputError, InputTooLargeError, WarcError
from ..extraction import extract, to_markdown
from ..runs import Failure, archive, process_file, reprocess
from ..runs.inputs import is_warc
from ..warc import SkippedRecord
from .app import (
    article_date,
    article_row,
    counted,
    dask_client,
    error,
    is_quiet,
    main,
    print_table,
    usage_error,
)
from .fetching import open_output
from .options import (
    WarcName,
    fetch_config,
    fetch_options,
    format_option,
    no_sites_option,
    registry_from,
)
from .progress import show_progress

__all__ = ["extract_command", "reprocess_command"]

#: The most records not pages that the summary of a re-extraction names.
_NAMED = 10


# --- reprocess --------------------------------------------------------------------------


@main.command("reprocess", short_help="Archive saved pages, or re-extract WARCs, in a WARC.")
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="PATH...",
    # readable=False: an unreadable input is a failed input (status 1), not a usage error.
    type=click.Path(path_type=Path, readable=False),
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=WarcName(),
    metavar="OUT",
    help="The WARC file to write: .warc.gz (gzip per record) or .warc (uncompressed).",
)
@no_sites_option
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

    Shows a progress bar on a terminal (a line every 10 s otherwise; -v logs each
    input), then prints one row per article (file, site, title, date, words) and a
    summary on stderr. Exits 1 when some inputs failed; the others are archived all
    the same.
    """
    registry = registry_from(no_sites)
    rows: list[tuple[str, str, str, str, str]] = []
    failed = 0

    def on_result(path: Path, result: Article | Failure) -> None:
        nonlocal failed
        if isinstance(result, Failure):
            error(str(result))
            failed += 1
        else:
            rows.append(article_row(str(path), result))
        show(len(rows), failed)

    client = dask_client(dask_address) if dask_address else None
    try:
        with show_progress("extracting", "input") as show:
            report = reprocess(paths, output, registry=registry, on_result=on_result, client=client)
    except WarcError as exc:
        usage_error(str(exc))
    except KeyboardInterrupt:
        # Click said "Aborted!", with the status of failed inputs (1). The file is
        # written whole or not at all: the run starts again from the beginning.
        where = f"{output} not written; " if client is None else ""
        click.echo(f"interrupted: {where}the same command does it all again", err=True)
        raise click.exceptions.Exit(130) from None
    finally:
        if client is not None:
            client.close()

    total = len(report.articles) + len(report.failures)
    if not is_quiet():
        if rows:
            print_table(("file", "site", "title", "date", "words"), rows, numeric={"words"})
        words = sum(article.word_count for article in report)
        where = str(output) if client is None else _parts(report.warcs)
        summary = (
            f"archived {len(report)} of {counted(total, 'input')}"
            f" ({counted(words, 'word')}) in {where}"
        )
        if report.failures:
            summary += f"; {len(report.failures)} failed"
        click.echo(summary, err=True)
        if not_pages := [record for record in report.skipped if not record.unresolved]:
            click.echo(_skipped(not_pages), err=True)
        if unresolved := [record for record in report.skipped if record.unresolved]:
            click.echo(_unresolved(unresolved), err=True)
    if total == 0 and not report.skipped and not is_quiet():
        click.echo(_nothing_found(paths), err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)


def _nothing_found(paths: Sequence[Path]) -> str:
    """The warning of a run that found no input: WARC files named on the command line
    were found and read, and held no record of a page."""
    warcs = [path for path in paths if is_warc(path)]
    if not warcs:
        return "warning: no input files found (looked for *.txt, *.text, *.htm, *.html)"
    found = "warning: no page found: the WARC files hold no resource, response or revisit record"
    if len(warcs) < len(paths):
        found += ", and the folders no *.txt, *.text, *.htm or *.html file"
    return found


def _skipped(records: Sequence[SkippedRecord]) -> str:
    """The line that names the records of WARC inputs that are not pages (the first 10)."""
    shown = ", ".join(str(record) for record in records[:_NAMED])
    more = f", and {len(records) - _NAMED} more" if len(records) > _NAMED else ""
    what = counted(len(records), "record that is not a page", "records that are not pages")
    return f"skipped {what}: {shown}{more}"


def _unresolved(records: Sequence[SkippedRecord]) -> str:
    """The warning that names the revisit records whose pages could not be had."""
    shown = ", ".join(record.target_uri for record in records[:_NAMED])
    more = f", and {len(records) - _NAMED} more" if len(records) > _NAMED else ""
    return (
        f"warning: skipped {counted(len(records), 'revisit record')} whose response no"
        " file read holds: "
        f"{shown}{more} (name all the WARC files of a run together)"
    )


def _parts(warcs: Sequence[Path]) -> str:
    """The files of a re-extraction on a cluster, for its summary."""
    if len(warcs) < 2:
        return str(warcs[0]) if warcs else "no WARC file"
    return f"{counted(len(warcs), 'WARC file')}, {warcs[0]} to {warcs[-1].name}"


# --- extract ----------------------------------------------------------------------------


@main.command("extract", short_help="Extract one page (a file or a URL) and print the article.")
# A string, not a click.Path: a Path would fold the // of a URL. An unreadable FILE is
# bad input (status 1), reported when it is read, not a usage error.
@click.argument("source", required=False, metavar="FILE|URL")
@click.option(
    "-u",
    "--url",
    metavar="URL",
    help="The page's URL: selects the site plugin and is kept in the Article."
    " Without FILE, the page is fetched from it.",
)
@format_option("json", "text", "markdown")
@no_sites_option
@click.option(
    "-o",
    "--output",
    type=WarcName(),
    metavar="OUT",
    help="Also append the fetched page's records to this WARC file (a URL only).",
)
@fetch_options
def extract_command(
    source: str | None,
    url: str | None,
    fmt: str,
    no_sites: bool,
    output: Path | None,
    no_robots: bool,
    allow_private: bool,
    user_agent: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Extract one article and print it: from FILE (a saved page or text dump; - for
    stdin), or from the page at URL, fetched as archiver get fetches (robots.txt obeyed).

    A URL is given as the argument (archiver extract https://...) or with -u and no
    FILE. Nothing is stored unless -o names a WARC file.
    """
    registry = registry_from(no_sites)
    if source is not None and _is_web_url(source):
        if url is not None:
            usage_error(f"{source}: give the URL once, as FILE|URL or with -u")
        source, url = None, source
    if source is None:
        if url is None:
            usage_error("give a FILE (- for stdin) or a URL to fetch")
        config = fetch_config(no_robots, allow_private, user_agent, timeout, retries)
        payloads = None if output is None else open_output(output)
        article = archive(url, output, config=config, registry=registry, payloads=payloads)
    elif output is not None:
        usage_error("-o stores a fetched page; archive saved files with archiver reprocess")
    elif source == "-":
        data = _read_stdin(DEFAULT_MAX_BYTES)
        article = extract(data, url=url, name="<stdin>", registry=registry)
    else:
        _, article = process_file(Path(source), url=url, registry=registry)
    if fmt == "markdown":
        click.echo(to_markdown(article), nl=False)
    else:
        click.echo(article.to_json(indent=2) if fmt == "json" else _as_text(article))


def _is_web_url(text: str) -> bool:
    scheme, _, rest = text.partition("://")
    return bool(rest) and scheme.lower() in ("http", "https")


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
        ("published", article_date(article)),
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
