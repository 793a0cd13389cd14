"""The files of an archive folder: its WARC files, closed and being written, the
check that a folder given as an archive is one, and the lock that lets one run at a
time write to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import InputError, StateError
from .ledger import STATE_FILE

__all__ = ["RUN_LOCK", "check_archive_folder", "one_run_at_a_time", "open_warc_files", "warc_files"]

log = logging.getLogger(__name__)

#: The file a run holds locked while it writes to its folder.
RUN_LOCK = "run.lock"


@contextmanager
def one_run_at_a_time(folder: Path) -> Iterator[None]:
    """Hold ``folder`` for the run of this process (again within it: a revisit's bulk
    run), or raise :class:`~archiver.errors.StateError` at once when another process
    holds it: a second run would take the first one's WARC file being written for one
    a killed run left, and salvage it under it (an update run by cron every hour, while
    the last one still runs). The lock goes with the process, killed or not."""
    lock = FileLock(folder / RUN_LOCK, timeout=0, is_singleton=True)
    held = True
    try:
        lock.acquire()
    except Timeout:
        raise StateError(
            f"another run (bulk, update or a revisit) is writing to this folder (it holds"
            f" {RUN_LOCK}): wait for it to end, or archive into another folder",
            source=str(folder),
        ) from None
    except (OSError, NotImplementedError) as exc:
        # A file system that locks nothing (some network ones) must not stop the work
        log.warning("%s: cannot lock %s (%s): runs are not kept apart", folder, RUN_LOCK, exc)
        held = False
    try:
        yield
    finally:
        if held:
            lock.release()


def check_archive_folder(folder: Path) -> None:
    """Raise :class:`~archiver.errors.InputError` naming ``folder`` when it is missing or
    holds no WARC file (closed or being written): a mistyped folder is said, rather than
    read as an empty archive (search left it a search.sqlite of nothing)."""
    if not folder.is_dir():
        cause = "not a folder" if folder.exists() else "no such archive folder"
        raise InputError(cause, source=str(folder))
    if warc_files(folder) or open_warc_files(folder):
        return
    if (folder / STATE_FILE).exists():  # a run's folder, all of whose URLs failed
        cause = "nothing is archived in it yet (it holds no WARC file)"
    else:
        cause = "not an archive folder: it holds no WARC file"
    raise InputError(cause, source=str(folder))


def open_warc_files(folder: Path) -> list[Path]:
    """The WARC files of ``folder`` being written (``<name>.open``), in name order."""
    return sorted(
        path
        for path in folder.glob("*.warc*.open")
        if path.is_file() and path.name.endswith((".warc.open", ".warc.gz.open"))
    )


def warc_files(folder: Path) -> list[Path]:
    """The closed WARC files of ``folder``, in name order (the order they were written)."""
    return sorted(
        path
        for path in folder.glob("*.warc*")
        if path.is_file() and path.name.endswith((".warc", ".warc.gz"))
    )
