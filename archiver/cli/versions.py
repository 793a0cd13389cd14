"""Commands on an archive folder's versions and text: search, history."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from ..runs import search
from .app import is_quiet, main, print_table

__all__ = ["search_command"]

#: An archive folder; what is wrong with it is reported by the library (status 1).
_FOLDER = click.Path(path_type=Path, file_okay=False, readable=False)


@main.command("search", short_help="Find articles of an archive folder by their words.")
@click.argument("query")
@click.argument("directory", metavar="DIR", type=_FOLDER)
@click.option("--site", help="Only this host and its subdomains (egypttoday.com).")
@click.option("--since", metavar="YYYY-MM-DD", help="Only articles of this day or later.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only articles of this day or earlier.")
@click.option("--language", metavar="CODE", help="Only articles in this language (en, el, ar).")
@click.option("-n", "--limit", default=20, show_default=True, help="The most results shown.")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="text",
    show_default=True,
    help="Output format: JSON lines, or a table with snippets.",
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
    offset of its metadata record.
    """
    hits = search(
        query, directory, site=site, since=since, until=until, language=language, limit=limit
    )
    if fmt == "json":
        for hit in hits:
            click.echo(json.dumps(asdict(hit), ensure_ascii=False))
    elif hits:
        print_table(
            ("site", "date", "title", "url", "warc", "offset"),
            [
                (hit.site, hit.day, hit.title or "", hit.url, hit.warc, str(hit.offset))
                for hit in hits
            ],
            numeric={"offset"},
        )
        for hit in hits:
            click.echo(f"\n{hit.url}\n  {hit.snippet}")
    if not is_quiet():
        click.echo(f"{len(hits)} results", err=True)
