"""Commands on an archive folder's versions and text: search, history."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from ..errors import InputError
from ..outputs import TextVersion, WordChange, history
from ..runs.textindex import asked_day, search
from .app import counted, is_quiet, main, print_table, stdout_is_terminal
from .options import format_option

__all__ = ["history_command", "search_command"]

#: Words of unchanged text shown on each side of a change.
_CONTEXT = 6

#: An archive folder; what is wrong with it is reported by the library (status 1).
_FOLDER = click.Path(path_type=Path, file_okay=False, readable=False)


def _check_day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A usage error (status 2) for a day that is not one, as for the other options."""
    try:
        return asked_day(str(param.name), value)
    except InputError:
        raise click.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)") from None


@main.command("search", short_help="Find articles of an archive folder by their words.")
@click.argument("query")
@click.argument("directory", metavar="DIR", type=_FOLDER)
@click.option("--site", metavar="HOST", help="Only this host and its subdomains (egypttoday.com).")
@click.option(
    "--since", metavar="YYYY-MM-DD", callback=_check_day, help="Only articles of this day or later."
)
@click.option(
    "--until",
    metavar="YYYY-MM-DD",
    callback=_check_day,
    help="Only articles of this day or earlier.",
)
@click.option("--language", metavar="CODE", help="Only articles in this language (en, el, ar).")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    metavar="N",
    help="The most results shown.",
)
@format_option(
    "text",
    "json",
    help="text: a table, then each result's snippet (piped: tab-separated lines, the "
    "snippet last); json: JSON lines.",
)
def search_command(
    query: str,
    directory: Path,
    site: str | None,
    since: str | None,
    until: str | None,
    language: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Search the articles archived in DIR for QUERY, best matches first.

    All the words of QUERY must be found, in any order; put a phrase in double quotes
    ('"central bank"'), end a word with * for a prefix (bank*). Case and accents do
    not matter, in Greek and Arabic as in English. Each result names the WARC file and
    offset of its article's records.
    """
    hits = search(
        query, directory, site=site, since=since, until=until, language=language, limit=limit
    )
    if fmt == "json":
        for hit in hits:
            click.echo(json.dumps(asdict(hit), ensure_ascii=False))
    elif hits:
        header = ("site", "date", "title", "url", "warc", "offset")
        rows = [
            (hit.site, hit.day, hit.title or "", hit.url, hit.warc, str(hit.offset)) for hit in hits
        ]
        if stdout_is_terminal():
            print_table(header, rows, numeric={"offset"})
            for hit in hits:
                click.echo(f"\n{hit.url}\n  {hit.snippet}")
        else:
            # Piped, a table is tab-separated lines only: the snippet is its last column.
            print_table((*header, "snippet"), [(*row, hit.snippet) for row, hit in zip(rows, hits)])
    if not is_quiet():
        click.echo(counted(len(hits), "result"), err=True)


@main.command("history", short_help="Show every version of an archived article.")
@click.argument("url")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path, readable=False))
@format_option(
    "text", "json", help="text: the versions with their word diffs; json: one JSON object."
)
def history_command(url: str, directory: Path, fmt: str) -> None:
    """List the versions of the article at URL archived in DIR (a folder or a WARC file).

    Each version of the text gets its capture times, title and word count, then what
    changed since the version before: the title and metadata fields, and the text word
    for word ([-removed-] {+added+}). Captures whose page changed but whose text did
    not are counted in the version they repeat, as changes of markup.
    """
    versions = history(url, directory)
    if fmt == "json":
        data = {"url": url, "versions": [version.to_dict() for version in versions]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not versions:
        click.echo(f"{url}: not archived in {directory}", err=True)
        return
    captures = sum(len(version.captured) for version in versions)
    click.echo(
        f"{url}: {counted(len(versions), 'version')} of the text, {counted(captures, 'capture')}"
    )
    for version in versions:
        click.echo("\n" + _version_line(version))
        for change in version.changes:
            click.echo(f"  {change.name}: {_shown(change.old)} -> {_shown(change.new)}")
        if any(part.op != "equal" for part in version.diff):
            click.echo("  text: " + _shown_diff(version.diff))
        elif version.number > 1:
            click.echo("  text: unchanged")


def _shown(value: object) -> str:
    """A field's value in a change line: a date as ISO 8601, not as its Python repr."""
    return value.isoformat() if isinstance(value, datetime) else repr(value)


def _version_line(version: TextVersion) -> str:
    times = ", ".join(moment.strftime("%Y-%m-%d %H:%M:%S") for moment in version.captured)
    line = f"version {version.number}: {version.article.title or '(no title)'}"
    line += f" ({counted(version.words, 'word')}) captured {times}"
    if version.markup_changes:
        changes = counted(version.markup_changes, "time")
        line += f"; the page's markup changed {changes}, its text did not"
    return line


def _shown_diff(diff: tuple[WordChange, ...]) -> str:
    """The changed words in context, long unchanged stretches cut."""
    parts = []
    for position, part in enumerate(diff):
        if part.op == "equal":
            words = part.old.split()
            head = words[:_CONTEXT] if position else []
            tail = words[-_CONTEXT:] if position < len(diff) - 1 else []
            if len(words) > len(head) + len(tail):
                parts.append(" ".join([*head, "…", *tail]).strip())
            else:
                parts.append(part.old)
            continue
        if part.old:
            parts.append(f"[-{part.old}-]")
        if part.new:
            parts.append(f"{{+{part.new}+}}")
    return " ".join(parts)
