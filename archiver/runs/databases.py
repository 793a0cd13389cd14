"""What SQLite files of a run (the ledger, the search index) share: how errors read."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

__all__ = ["is_damaged", "sqlite_cause"]


def sqlite_cause(exc: BaseException, path: Path) -> str:
    """The cause of ``exc``, raised on the SQLite file ``path``, in a few words: the
    system's for a full disk."""
    if not isinstance(exc, sqlite3.Error):
        return type(exc).__name__
    name = getattr(exc, "sqlite_errorname", "")  # Python 3.11+
    full = name == "SQLITE_FULL" or "database or disk is full" in str(exc)
    if full or (name.startswith("SQLITE_IOERR") and _disk_is_full(path.parent)):
        return f"{os.strerror(errno.ENOSPC)}: {exc}"
    return str(exc)


def is_damaged(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says that its file is not a database, or a damaged one."""
    name = getattr(exc, "sqlite_errorname", "")  # Python 3.11+; the message before
    damaged = ("file is not a database", "database disk image is malformed")
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or str(exc) in damaged


def _disk_is_full(folder: Path) -> bool:
    """Whether the file system of ``folder`` has no room left (under a megabyte)."""
    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False
