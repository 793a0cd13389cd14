"""The files of an archive folder: its WARC files, closed and being written, and the
check that a folder given as an archive is one."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .ledger import STATE_FILE

__all__ = ["check_archive_folder", "open_warc_files", "warc_files"]


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
