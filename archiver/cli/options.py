"""Options that several commands share, and those that make a FetchConfig or BulkConfig.

The defaults of the config options are those of the dataclasses, read from an instance
made with no arguments: changing a default in FetchConfig or BulkConfig changes the
command line's (and its help's "default: ..."). The help texts are the command line's.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..capture import FetchConfig
from ..discovery import cutoff, home_url
from ..errors import InputError
from ..extraction import Registry, default_registry
from ..runs import BulkConfig
from .app import usage_error

__all__ = [
    "Seconds",
    "WarcName",
    "bulk_config",
    "bulk_options",
    "check_sites",
    "fetch_config",
    "fetch_options",
    "format_option",
    "no_sites_option",
    "registry_from",
    "since_option",
]

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)

#: The unit of --warc-size.
_MB = 1_000_000

_FETCH_DEFAULTS = FetchConfig()
_BULK_DEFAULTS = BulkConfig()


class Seconds(click.FloatRange):
    """A time in seconds within a range, NaN and infinity refused: click's FloatRange lets
    NaN through (every comparison with NaN is false), and a NaN or infinite delay stalled
    a bulk run for ever."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


class WarcName(click.Path):
    """The name of a WARC file to write (``-o OUT``), as a Path. A name ending in a
    separator names a folder, and is refused: ``-o new/`` made a file named ``new``. A
    name that is neither ``.warc`` nor ``.warc.gz`` gets a gzipped WARC file all the
    same, with a warning (``-o page.html`` made one named so)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        name = os.fsdecode(super().convert(value, param, ctx))
        if name.endswith(("/", os.sep)):
            self.fail(f"{name} names a folder: give the WARC file's name ({name}out.warc.gz)")
        # a folder is an error of the command's, named so: no warning about its name
        if not name.lower().endswith((".warc", ".warc.gz")) and not os.path.isdir(name):
            log.warning("%s: a gzipped WARC file, whatever its name says (.warc.gz)", name)
        return Path(name)


def no_sites_option(command: F) -> F:
    """The --no-sites option (see registry_from)."""
    return click.option(
        "--no-sites", is_flag=True, help="Use only the generic extractor, no site plugins."
    )(command)


def format_option(*formats: str, help: str = "Output format.") -> Callable[[F], F]:
    """The -f/--format option (its value is ``fmt``) with the choices ``formats``, the
    first the default."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(formats)),
        default=formats[0],
        show_default=True,
        help=help,
    )


def since_option(command: F) -> F:
    """The --since option of discovery: a period back from now, or a date."""
    return click.option(
        "--since",
        metavar="PERIOD",
        callback=_check_since,
        help="Only the articles dated since then: a period back from now (30m, 12h, 2d,"
        " 1w) or a date (2025-01-31); undated ones are kept.",
    )(command)


def _check_since(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            cutoff(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def check_sites(sites: tuple[str, ...]) -> None:
    """A usage error, before any fetch, for a site that is no host name or URL."""
    for site in sites:
        try:
            home_url(site)
        except InputError as exc:
            usage_error(str(exc))


def registry_from(no_sites: bool) -> Registry:
    """The extractors to use, given the --no-sites option."""
    registry = default_registry()
    return registry.without_sites() if no_sites else registry


def _apply(command: F, options: list[Callable[[F], F]]) -> F:
    """``command`` with ``options``, listed in the order its help shows them."""
    for option in reversed(options):
        command = option(command)
    return command


def fetch_options(command: F) -> F:
    """The options of ``get`` and ``bulk`` that make a FetchConfig (see fetch_config)."""
    return _apply(
        command,
        [
            click.option(
                "--no-robots", is_flag=True, help="Fetch pages that robots.txt disallows."
            ),
            click.option(
                "--allow-private",
                is_flag=True,
                help="Fetch private, loopback and link-local addresses too (refused by default,"
                " so that untrusted URLs cannot reach your own network).",
            ),
            click.option("--user-agent", metavar="UA", help="The User-Agent header to send."),
            click.option(
                "--timeout",
                type=Seconds(min=0, min_open=True),
                default=_FETCH_DEFAULTS.timeout,
                show_default=True,
                metavar="SECONDS",
                help="How long any one network operation may take.",
            ),
            click.option(
                "--retries",
                type=click.IntRange(min=0),
                default=_FETCH_DEFAULTS.retries,
                show_default=True,
                metavar="N",
                help="Tries after the first on a network error, a timeout, a 429 or a 5xx.",
            ),
        ],
    )


def fetch_config(
    no_robots: bool, allow_private: bool, user_agent: str | None, timeout: float, retries: int
) -> FetchConfig:
    """The FetchConfig of fetch_options' values; a field no option sets keeps its default."""
    try:
        return FetchConfig(
            user_agent=user_agent or _FETCH_DEFAULTS.user_agent,
            timeout=timeout,
            retries=retries,
            obey_robots=_FETCH_DEFAULTS.obey_robots and not no_robots,
            allow_private=_FETCH_DEFAULTS.allow_private or allow_private,
        )
    except ValueError as exc:
        usage_error(str(exc))


def bulk_options(command: F) -> F:
    """The options of ``bulk`` that make its BulkConfig, but for fetching (see bulk_config)."""
    return _apply(
        command,
        [
            click.option(
                "--concurrency",
                type=click.IntRange(min=1),
                default=_BULK_DEFAULTS.concurrency,
                show_default=True,
                metavar="N",
                help="Fetches in flight at once, over all hosts.",
            ),
            click.option(
                "--per-host-delay",
                type=Seconds(min=0),
                default=_BULK_DEFAULTS.per_host_delay,
                show_default=True,
                metavar="SECONDS",
                help="The least time between two requests to one host"
                " (robots.txt may ask for more).",
            ),
            click.option(
                "--warc-size",
                type=click.IntRange(min=1),
                default=_BULK_DEFAULTS.warc_size // _MB,
                show_default=True,
                metavar="MB",
                help="Start a new WARC file once one reaches this size.",
            ),
            click.option(
                "--no-extract", is_flag=True, help="Store the pages only; extract nothing."
            ),
            click.option(
                "--extract-timeout",
                type=Seconds(min=0, min_open=True),
                default=_BULK_DEFAULTS.extract_timeout,
                show_default=True,
                metavar="SECONDS",
                help="The longest one page's extraction may take; a page past it is"
                " reported as failed (and stored) and its worker process replaced.",
            ),
        ],
    )


def bulk_config(
    concurrency: int,
    per_host_delay: float,
    warc_size: int,
    no_extract: bool,
    fetch: FetchConfig,
    extract_timeout: float = _BULK_DEFAULTS.extract_timeout,
) -> BulkConfig:
    """The BulkConfig of bulk_options' values; a field no option sets keeps its default."""
    return BulkConfig(
        concurrency=concurrency,
        per_host_delay=per_host_delay,
        max_host_delay=max(_BULK_DEFAULTS.max_host_delay, per_host_delay),
        warc_size=warc_size * _MB,
        extract=_BULK_DEFAULTS.extract and not no_extract,
        extract_timeout=extract_timeout,
        fetch=fetch,
    )
