"""The progress of the commands that can run long: inputs for ``bulk``, ``get`` and
``reprocess`` (:func:`show_progress`), bytes of WARC files read for ``export``,
``index``, ``wacz`` and ``diff`` (:func:`show_bytes`).

A rich progress bar when stderr is a terminal; else a log line every 10 seconds, for
the log of a job; nothing with -q. Log lines (-v, a failed input) are printed above
the bar while it shows (see app's handler, which writes to the current stderr).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import click
from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from .app import counted, is_quiet

__all__ = ["ProgressCallback", "show_bytes", "show_progress"]

#: Seconds between two progress lines when stderr is not a terminal.
_LOG_EVERY = 10.0


class ProgressCallback(Protocol):
    """Shows where a run is: inputs finished and failed, of ``total`` when known."""

    def __call__(
        self, done: int, failed: int, total: int | None = None, rate: float | None = None
    ) -> None: ...


@contextmanager
def show_progress(verb: str, unit: str) -> Iterator[ProgressCallback]:
    """A progress display for the ``with`` block: "``verb`` 12/40 URLs, 1 failed", of
    ``unit`` given singular ("URL", "input").

    The callable it gives is called with the counts so far; ``rate`` (per second) is
    computed from the counts and the time since the block began when not given.
    """
    started = time.monotonic()
    if is_quiet():
        yield _nothing
    elif not sys.stderr.isatty():
        yield _LogLines(verb, unit, started)
    else:
        columns = (
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed, {task.fields[rate]:.1f}/s"),
        )
        with _bar(verb, columns, failed=0, rate=0.0) as (bar, task):

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


class _Clock:
    """When the next progress line is due: at most one every 10 seconds (``_LOG_EVERY``)."""

    def __init__(self, started: float) -> None:
        self.started, self.last = started, started

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last < _LOG_EVERY:
            return False
        self.last = now
        return True


class _LogLines(_Clock):
    """A line on stderr at most every 10 seconds: for a job's log, not a terminal."""

    def __init__(self, verb: str, unit: str, started: float) -> None:
        super().__init__(started)
        self.verb, self.unit = verb, unit

    def __call__(
        self, done: int, failed: int, total: int | None = None, rate: float | None = None
    ) -> None:
        if not self.due():
            return
        count = done + failed
        shown = (
            counted(count, self.unit) if total is None else f"{count}/{counted(total, self.unit)}"
        )
        speed = _per_second(done, failed, rate, self.started)
        click.echo(f"archiver: {self.verb} {shown}, {failed} failed, {speed:.1f}/s", err=True)


@contextmanager
def show_bytes(verb: str) -> Iterator[Callable[[int, int], None]]:
    """A progress display of the bytes of WARC files read: "``verb`` 1.2/3.4 MB".

    The callable it gives is called with the bytes read so far and in all.
    """
    started = time.monotonic()
    if is_quiet():
        yield _no_bytes
    elif not sys.stderr.isatty():
        yield _ByteLines(verb, started)
    else:
        with _bar(verb, (DownloadColumn(), TransferSpeedColumn())) as (bar, task):

            def update(done: int, total: int) -> None:
                bar.update(task, total=total, completed=done)

            yield update


def _no_bytes(done: int, total: int) -> None:
    """The bytes display of -q."""


class _ByteLines(_Clock):
    """A line on stderr at most every 10 seconds: "verb 1.2 MB of 3.4 MB (35%), 2.0 MB/s"."""

    def __init__(self, verb: str, started: float) -> None:
        super().__init__(started)
        self.verb = verb

    def __call__(self, done: int, total: int) -> None:
        if not self.due():
            return
        share = f" ({100 * done // total}%)" if total else ""
        elapsed = time.monotonic() - self.started
        speed = decimal(int(done / elapsed)) if elapsed > 0 else "0 bytes"
        click.echo(
            f"archiver: {self.verb} {decimal(done)} of {decimal(total)}{share}, {speed}/s",
            err=True,
        )


@contextmanager
def _bar(
    verb: str, counts: tuple[ProgressColumn, ...], **fields: Any
) -> Iterator[tuple[Progress, TaskID]]:
    """A bar with ``counts`` after it; ``fields`` are the task's, for those columns."""
    columns = (
        TextColumn(verb),
        BarColumn(),
        *counts,
        TimeElapsedColumn(),
        _TimeLeft(),
    )
    # Not redirect_stdout: export and index may write to stdout while the bar shows,
    # and rich would send that to the bar's console, stderr.
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=False, redirect_stdout=False) as bar:
        yield bar, bar.add_task(verb, total=None, **fields)


class _TimeLeft(TimeRemainingColumn):
    """The time left, "ETA 0:01:10", while the total is known; nothing when it is not
    (the inputs of a folder, counted as they are found): a bare "ETA" label was left
    after the time elapsed."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text.assemble("ETA ", super().render(task))
