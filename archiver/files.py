"""Paths as the API takes them, and text files written whole or not at all."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from .errors import WarcError

__all__ = [
    "SAFE_NAME",
    "PathArg",
    "check_not_input",
    "check_not_special",
    "is_special",
    "path_list",
    "printable_path",
    "real_path",
    "safe_name",
    "write_text_file",
]

#: A file or folder name as every function of the API accepts it.
PathArg = str | os.PathLike[str]
#: The names a WACZ may give its files (the Frictionless Data package name rule, which
#: `wacz validate` checks): so are the names of every file news-archiver names itself.
SAFE_NAME = re.compile(r"[-a-z0-9._/]+")
_UNSAFE = re.compile(r"[^-a-z0-9._]+")


def path_list(paths: PathArg | Iterable[PathArg]) -> Iterable[PathArg]:
    """``paths``, or a lone path (a ``str`` or a ``Path``) as a list of one: iterated, a
    ``str`` is its characters, each taken for a path (``reprocess("seeds/")`` walked
    ``/`` and archived every page on the machine)."""
    return [paths] if isinstance(paths, (str, os.PathLike)) else paths


def safe_name(name: str) -> str:
    """``name`` made a safe file name (:data:`SAFE_NAME`, without ``/``): lowercased,
    each run of other characters (a space, ``~``, ``é``) replaced by one ``-``."""
    return _UNSAFE.sub("-", name.lower()) or "-"


def check_not_input(output: PathArg, inputs: Iterable[PathArg], *, what: str = "output") -> None:
    """Raise :class:`~archiver.errors.WarcError` when ``output`` is one of ``inputs``
    (by another name, a symbolic or a hard link too): writing it would replace an
    archive with what was read from it."""
    try:
        written = os.stat(output)
    except OSError:
        return  # nothing there yet, so no input
    for path in inputs:
        try:
            same = os.path.samestat(written, os.stat(path))
        except OSError:
            continue  # the reader names a missing input
        if same:
            raise WarcError(
                f"is also an input: write the {what} to another file", source=str(output)
            )


def real_path(path: Path) -> Path:
    """``path`` with its symbolic links resolved, as far as they resolve."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        # A symbolic link loop: Python 3.11 raises RuntimeError (later ones OSError).
        # The path is kept as it is named; reading it names the cause.
        return path.absolute()


def printable_path(path: PathArg) -> str:
    """``path`` as text that UTF-8 can write: the bytes of a file name that are not UTF-8
    (which Python holds as lone surrogates, and no WARC record or stdout can write) are
    shown as ``\\xNN`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def write_text_file(path: Path, write: Callable[[IO[str]], int]) -> int:
    """Write a text file through ``write`` under ``<path>.open``, renamed when complete;
    returns what ``write`` returns. Raises :class:`~archiver.errors.WarcError` naming
    the file when it cannot be written."""
    if is_special(path):
        # A device or a FIFO (/dev/null, /dev/stdout, a named pipe): written to as it
        # is. Renamed over, it was replaced by a regular file, /dev/null too for root.
        try:
            with open(path, "w", encoding="utf-8", newline="") as stream:
                return write(stream)
        except OSError as exc:
            raise WarcError(
                f"cannot write the file: {exc.strerror or exc}", source=str(path)
            ) from exc
    partial = Path(f"{path}.open")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "w", encoding="utf-8", newline="") as stream:
            count = write(stream)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise WarcError(f"cannot write the file: {exc.strerror or exc}", source=str(path)) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def check_not_special(path: Path, what: str) -> None:
    """Raise :class:`~archiver.errors.WarcError` naming ``path`` when it is a device or
    a named pipe: ``what`` (a WARC or WACZ file) is written whole, synced and renamed,
    which would replace the device (``/dev/null`` itself, for root); a pipe can be
    neither synced nor cut back."""
    if is_special(path):
        raise WarcError(
            f"cannot write {what} to a device or a named pipe: give a file name",
            source=str(path),
        )


def is_special(path: Path) -> bool:
    """Whether ``path`` is there and is neither a regular file nor a folder: a device or
    a named pipe (``/dev/null``), which a file written under ``<path>.open`` and renamed
    would replace."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))
