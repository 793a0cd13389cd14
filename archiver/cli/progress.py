"""The progress of the commands that can run long (``bulk``, ``reprocess``).

A rich progress bar when stderr is a terminal; else a log line every 10 seconds, for
the log of a job; nothing with -q. Log lines (-v, a failed input) are printed above
the bar while it shows (see app's handler, which writes to the current stderr).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .app import is_quiet

__all__ = ["ProgressCallback", "show_progress"]

#: Seconds between two progress lines when stderr is not a terminal.
_LOG_EVERY = 10.0


class ProgressCallback(Protocol):
    """Shows where a run is: inputs finished and failed, of ``total`` when known."""

    def __call__(
        self, done: int, failed: int, total: int | None = None, rate: float | None = None
    ) -> None: ...


@contextmanager
def show_progress(verb: str, unit: str) -> Iterator[ProgressCallback]:
    """A progress display for the ``with`` block: "``verb`` 12/40 ``unit``, 1 failed".

    The callable it gives is called with the counts so far; ``rate`` (per second) is
    computed from the counts and the time since the block began when not given.
    """
    started = time.monotonic()
    if is_quiet():
        yield _nothing
    elif not sys.stderr.isatty():
        yield _LogLines(verb, unit, started)
    else:
        with _bar(verb) as (bar, task):

            def update(
                done: int, failed: int, total: int | None = None, rate: float | None = None
            ) -> None:
                speed = _per_second(done, failed, rate, started)
                bar.update(task, total=total, completed=done + failed, failed=failed, rate=speed)

            yield update


def _per_second(done: int, failed: int, rate: float | None, started: float) -> float:
    if rate is not None:
        return rate
    elapsed = time.monotonic() - started
    return (done + failed) / elapsed if elapsed > 0 else 0.0


def _nothing(done: int, failed: int, total: int | None = None, rate: float | None = None) -> None:
    """The progress display of -q."""


class _LogLines:
    """A line on stderr at most every 10 seconds: for a job's log, not a terminal."""

    def __init__(self, verb: str, unit: str, started: float) -> None:
        self.verb, self.unit, self.started, self.last = verb, unit, started, started

    def __call__(
        self, done: int, failed: int, total: int | None = None, rate: float | None = None
    ) -> None:
        now = time.monotonic()
        if now - self.last < _LOG_EVERY:
            return
        self.last = now
        of = "" if total is None else f"/{total}"
        speed = _per_second(done, failed, rate, self.started)
        click.echo(
            f"archiver: {self.verb} {done + failed}{of} {self.unit},"
            f" {failed} failed, {speed:.1f}/s",
            err=True,
        )


@contextmanager
def _bar(verb: str) -> Iterator[tuple[Progress, TaskID]]:
    columns = (
        TextColumn(verb),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed, {task.fields[rate]:.1f}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        yield bar, bar.add_task(verb, total=None, failed=0, rate=0.0)
