"""The ``archiver`` command group, its logging set-up, and what its commands share.

The commands register on :data:`main` from their own modules (pages, fetching,
archives); this module holds how errors, tables and articles reach the terminal.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..article import Article
from ..errors import ArchiverError
from ..version import __version__

__all__ = [
    "USAGE_ERROR",
    "article_date",
    "article_row",
    "counted",
    "dask_client",
    "error",
    "is_quiet",
    "main",
    "print_table",
    "stdout_is_terminal",
    "usage_error",
]

log = logging.getLogger(__name__)

#: Exit status of a usage error; click uses it for bad options too.
USAGE_ERROR = 2


class _Main(click.Group):
    """The command group, turning errors into one-line messages and exit statuses."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click reports these itself
        except ArchiverError as exc:
            error(str(exc))
            ctx.exit(1)
        except Exception as exc:
            verbose = bool(ctx.find_root().params.get("verbose"))
            if verbose:
                log.exception("internal error")
            hint = "" if verbose else " (a bug: rerun with -v for the traceback)"
            text = str(exc) if len(str(exc)) <= 200 else str(exc)[:200] + "…"  # it may echo input
            error(f"internal error: {type(exc).__name__}: {text}{hint}")
            ctx.exit(1)


def error(message: str) -> None:
    """Print ``error: message`` on stderr."""
    click.echo(f"error: {message}", err=True)


def usage_error(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with the status of a usage error."""
    error(message)
    raise click.exceptions.Exit(USAGE_ERROR)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="archiver")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv for debug detail).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors: no tables, no summary.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Archive news articles: extract clean articles and store them in WARC files."""
    ctx.obj = {"quiet": quiet}
    ctx.call_on_close(_configure_logging(verbose, quiet))


def _configure_logging(verbose: int, quiet: bool) -> Callable[[], None]:
    """Send the library's log to stderr; returns the function that undoes it.

    The set-up is global (a logger's handlers and level, logging's last resort), and
    main() may run many times in one process, at once in threads too (tests, a caller's
    own program): the runs that overlap share the first one's, and the last to end puts
    back what was there before the first. Each undoing its own alone, a run that ended
    first put the original back under one still going, which then restored the first
    run's for good (its level: -q silenced the program's own warnings).
    """
    with _Logging.lock:
        if _Logging.runs == 0:
            _Logging.undo = _set_up_logging(verbose, quiet)
        _Logging.runs += 1

    def restore() -> None:
        with _Logging.lock:
            _Logging.runs -= 1
            if _Logging.runs == 0:
                _Logging.undo()

    return restore


class _Logging:
    """The logging set-up of the runs of main() going on (see _configure_logging)."""

    lock = threading.Lock()
    runs = 0
    undo: Callable[[], None] = staticmethod(lambda: None)


def _set_up_logging(verbose: int, quiet: bool) -> Callable[[], None]:
    """Send the library's log to stderr; returns the function that undoes it."""
    level = logging.ERROR if quiet else logging.WARNING
    if verbose:
        level = logging.INFO if verbose == 1 else logging.DEBUG
    logger = logging.getLogger("archiver")
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(_Formatter(tracebacks=verbose > 0))
    saved_level, saved_last_resort = logger.level, logging.lastResort
    logger.addHandler(handler)
    logger.setLevel(level)
    # The libraries' own warnings (warcio's "Replacing spaces in invalid
    # WARC-Target-URI", say) reach no handler and went to logging's last resort, bare
    # and in spite of -q: they get the same format and level.
    last_resort = logging.StreamHandler(_Stderr())
    last_resort.setFormatter(_Formatter(tracebacks=verbose > 0))
    last_resort.setLevel(max(level, logging.WARNING))
    logging.lastResort = last_resort

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logging.lastResort = saved_last_resort

    return undo


class _Stderr:
    """``sys.stderr`` as it is at each write, not when the log handler was made: a
    progress bar (cli/progress.py) replaces it while it shows, to print lines above it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


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


def is_quiet() -> bool:
    """Whether -q was given: print only errors."""
    ctx = click.get_current_context()
    return bool(ctx.find_root().obj and ctx.find_root().obj.get("quiet"))


def dask_client(address: str) -> Any:
    """A client of the Dask scheduler at ``address`` (the --dask option)."""
    try:
        from distributed import Client  # an optional dependency, and a slow import
    except ImportError:
        usage_error("--dask needs Dask: pip install 'news-archiver[dask]'")
    try:
        return Client(address, timeout=30)
    except OSError as exc:
        usage_error(f"{address}: cannot reach the Dask scheduler ({exc})")


# --- output -----------------------------------------------------------------------------


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and its noun, singular for 1: "1 site", "2 sites"; ``plural`` when it
    is not ``singular`` and an s ("1 feed, sitemap or page", "2 feeds, sitemaps and
    pages")."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def article_date(article: Article) -> str:
    """The article's publication date, ISO 8601; empty when unknown."""
    return article.published.isoformat() if article.published else ""


def article_row(name: str, article: Article) -> tuple[str, str, str, str, str]:
    """A row of an archiving command's table: name (a file or URL), site, title, date, words."""
    return (
        name,
        article.site or "",
        article.title or "",
        article_date(article),
        str(article.word_count),
    )


def stdout_is_terminal() -> bool:
    """Whether tables are for a person (rich) rather than a script (tab-separated)."""
    return sys.stdout.isatty()


def print_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Collection[str] = ()
) -> None:
    """A rich table on a terminal, else tab-separated lines (header first) for scripts."""
    if stdout_is_terminal():
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
