"""Commands on WARC files and the extractors: read, export, index, wacz, diff, sites."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TextIO, cast

import click

from ..article import Article
from ..errors import StateError, WarcError
from ..extraction import default_registry, to_markdown
from ..files import check_not_input
from ..outputs import ExportFormat, diff, export, write_index, write_wacz
from ..runs import TextIndex, check_archive_folder
from ..warc import read, written_by_archiver
from .app import article_date, counted, is_quiet, main, print_table, usage_error
from .options import format_option
from .progress import show_bytes

#: A WARC file to read. click checks nothing (no exists=, readable=, dir_okay=): what
#: cannot be read is reported by the one checked reading path (archiver.warc), with
#: the exit status of bad input, 1, alike for every command, not as a usage error.
_WARC_PATH = click.Path(path_type=Path, readable=False)
#: A file to write: what cannot be written is reported when it is written (status 1).
_OUTPUT_PATH = click.Path(allow_dash=True, path_type=Path, readable=False)

__all__ = [
    "diff_command",
    "export_command",
    "index_command",
    "read_command",
    "sites_command",
    "wacz_command",
]


_warcs_argument = click.argument(
    "warcs", nargs=-1, required=True, metavar="WARC...", type=_WARC_PATH
)


# --- read -------------------------------------------------------------------------------


@main.command("read", short_help="Print the articles archived in WARC files.")
@_warcs_argument
@format_option("json", "text", "markdown")
def read_command(warcs: tuple[Path, ...], fmt: str) -> None:
    """Print the articles archived in the WARC files: JSON lines, a header line and body
    each, or Markdown documents (front matter, title, text) one after the other. A file
    with none (a crawler's WARC, or pages stored without extraction) is named on
    stderr, with a hint."""
    number = 0
    for warc in warcs:
        found = _print_articles(warc, fmt, number)
        number += found
        if not found and not is_quiet():
            click.echo(f"{warc}: {_no_articles((warc,))}", err=True)


def _no_articles(warcs: tuple[Path, ...]) -> str:
    """What to say of WARC files that hold no article of ours: a crawler's, or ours
    without one (pages stored with --no-extract, or only sources, revisits or failed
    pages), which must not be called another tool's."""
    names = " ".join(shlex.quote(str(warc)) for warc in warcs)
    where, holds = ("it", "it holds") if len(warcs) == 1 else ("them", "they hold")
    if all(written_by_archiver(warc) for warc in warcs):
        return (
            f"no extracted articles in {where} (news-archiver stored its pages without"
            " extraction, or only sources, revisits or failed pages): archiver reprocess"
            f" {names} -o OUT.warc.gz extracts the pages {holds}"
        )
    return (
        f"no articles archived by news-archiver in {where}; to extract the pages of a WARC"
        f" made by another tool: archiver reprocess {names} -o OUT.warc.gz"
    )


def _print_articles(warc: Path, fmt: str, before: int) -> int:
    """Print the articles of ``warc`` (``before`` were printed already); their count."""
    number = before
    try:
        for article in read(warc):
            if fmt == "json":
                click.echo(article.to_json())
            elif fmt == "markdown":
                click.echo(("\n" if number else "") + to_markdown(article), nl=False)
            else:
                click.echo(("\n" if number else "") + _header(article))
                click.echo(article.text)
            number += 1
    except BrokenPipeError:
        raise  # the reader went away (| head): click exits quietly
    except OSError as exc:  # WarcError is the contract; this guards the message anyway
        raise WarcError(
            f"cannot read the WARC file: {exc.strerror or exc}", source=str(warc)
        ) from exc
    return number - before


def _header(article: Article) -> str:
    parts = [article.title or "(no title)"]
    parts += [p for p in (article.site, article_date(article), article.url) if p]
    return "==> " + " | ".join(parts) + " <=="


# --- export, index, wacz, diff ------------------------------------------------------------


@main.command("export", short_help="Export the archived articles as JSON lines, CSV or Markdown.")
@_warcs_argument
@format_option("jsonl", "csv", "markdown")
@click.option(
    "-o",
    "--output",
    default="-",
    type=_OUTPUT_PATH,
    metavar="OUT",
    help="The file to write; - (the default) for stdout.",
)
def export_command(warcs: tuple[Path, ...], fmt: str, output: Path) -> None:
    """Export the newest article of each capture in the WARC files, one row each.

    JSON lines are Article objects plus word_count, target_uri and captured; CSV has
    the same columns with the extractor split in three and lists as JSON arrays;
    Markdown is one document per article (YAML front matter with target_uri and
    captured, the title, the text), one after the other.

    Shows its progress on stderr (bytes of the WARC files; -v logs each file).
    """
    destination = _destination(output, warcs, "export")
    with show_bytes("exporting") as show:
        count = export(warcs, destination, format=cast(ExportFormat, fmt), progress=show)
    if not is_quiet():
        click.echo(f"exported {counted(count, 'article')} to {_where(output)}", err=True)
        if not count:
            click.echo(_no_articles(warcs), err=True)


def _destination(output: Path, warcs: tuple[Path, ...], what: str) -> Path | TextIO:
    """An output option's value: "-" is standard output; a file is checked (see
    :func:`_check_output`)."""
    if str(output) == "-":
        return sys.stdout
    _check_output(output, warcs, what)
    return output


def _check_output(output: Path, warcs: tuple[Path, ...], what: str) -> None:
    """An output that is one of the inputs is a usage error (status 2), as it is for
    reprocess; found before any work."""
    try:
        check_not_input(output, warcs, what=what)
    except WarcError as exc:
        usage_error(str(exc))


def _where(output: Path) -> str:
    return "stdout" if str(output) == "-" else str(output)


@main.command("index", short_help="Write the CDXJ index of WARC files, or a search index.")
@_warcs_argument
@click.option(
    "-o",
    "--output",
    default="-",
    type=_OUTPUT_PATH,
    metavar="OUT",
    help="The CDXJ file to write; - (the default) for stdout.",
)
@click.option(
    "--text",
    is_flag=True,
    help="Rebuild the full-text search index of an archive folder (the one argument) "
    "from its WARC files.",
)
@click.option(
    "--check",
    is_flag=True,
    help="With --text: compare the search index with the WARC files instead; exit "
    "status 1 when they differ.",
)
def index_command(warcs: tuple[Path, ...], output: Path, text: bool, check: bool) -> None:
    """Write the sorted CDXJ index of the captures in the WARC files, for replay tools.

    Shows its progress on stderr (bytes of the WARC files, read to check them, then to
    index them; -v logs each file). With --text, rebuild (or --check) the search index
    of an archive folder instead: archiver index --text archive/.
    """
    if check and not text:
        # It acted as --text --check, and with WARC files said "index --text takes one
        # argument", naming an option not given.
        usage_error("--check goes with --text: archiver index --text --check DIR")
    if text:
        if len(warcs) != 1:
            usage_error(
                f"index {'--text --check' if check else '--text'} takes one argument:"
                " an archive folder"
            )
        _text_index(warcs[0], check=check)
        return
    destination = _destination(output, warcs, "index")
    with show_bytes("indexing") as show:
        count = write_index(warcs, destination, progress=show)
    if not is_quiet():
        click.echo(f"indexed {counted(count, 'capture')} to {_where(output)}", err=True)


def _text_index(folder: Path, *, check: bool) -> None:
    check_archive_folder(folder)  # an input: status 1 naming it, as search and history say
    # A check reports a damaged index; it does not make it anew
    index = TextIndex(folder, renew_damaged=not check)
    try:
        if not check:
            count = index.rebuild()
            if not is_quiet():
                click.echo(f"indexed the text of {counted(count, 'article version')}", err=True)
            return
        found = index.check()
    finally:
        index.close()
    for warc, offset in found.missing:
        click.echo(f"missing from the index: {warc} at {offset}")
    for warc, offset in found.extra:
        click.echo(f"in the index, not in the WARC files: {warc} at {offset}")
    if not found.ok:
        raise StateError(
            f"the search index disagrees with the WARC files ({len(found.missing)} missing, "
            f"{len(found.extra)} extra): rebuild it with `archiver index --text`",
            source=str(index.path),
        )
    versions = counted(found.indexed, "version")
    click.echo(f"the search index agrees with the WARC files ({versions})")


@main.command("wacz", short_help="Package WARC files as a WACZ collection.")
@_warcs_argument
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, readable=False),
    metavar="OUT",
    help="The WACZ file to write (name it .wacz).",
)
@click.option("--title", metavar="TITLE", help="The collection's title.")
def wacz_command(warcs: tuple[Path, ...], output: Path, title: str | None) -> None:
    """Package the WARC files as one WACZ file, which ReplayWeb.page opens.

    Its page list has one page per capture with the article's title and clean text,
    so that ReplayWeb.page's search finds the articles.

    Shows its progress on stderr (bytes of the WARC files, read to check them, for the
    pages, then by the wacz package; -v logs each file).
    """
    _check_output(output, warcs, "WACZ")
    with show_bytes("packaging") as show:
        count = write_wacz(warcs, output, title=title, progress=show)
    if not is_quiet():
        files = counted(len(set(warcs)), "WARC file")
        click.echo(f"packaged {files}, {counted(count, 'page')}, in {output}", err=True)


@main.command("diff", short_help="Show which articles changed between two archives.")
@click.argument("old", type=_WARC_PATH)
@click.argument("new", type=_WARC_PATH)
def diff_command(old: Path, new: Path) -> None:
    """Show which articles changed from the WARC file OLD to NEW (say, a re-extraction).

    Articles are matched by URI. Prints one row per article that changed, was added or
    was removed: status, uri, the old and new extractors, the body's shingle F1 (new
    against old) and the metadata fields that changed; then a summary on stderr.
    Shows its progress on stderr (bytes of the WARC files; -v logs each file).
    """
    with show_bytes("comparing") as show:
        changes = diff(old, new, progress=show)
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
        print_table(("status", "uri", "old", "new", "f1", "fields"), rows, numeric={"f1"})
    if not is_quiet():
        counts = dict.fromkeys(("changed", "added", "removed", "same"), 0)
        for change in changes:
            counts[change.status] += 1
        compared = counts["changed"] + counts["same"]
        click.echo(
            f"{counts['changed']} of {counted(compared, 'article')} changed; "
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
    print_table(("name", "version", "domains"), rows)
