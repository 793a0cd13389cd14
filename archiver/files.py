"""Paths as the API takes them, and text files written whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .errors import WarcError

__all__ = ["PathArg", "write_text_file"]

#: A file or folder name as every function of the API accepts it.
PathArg = str | os.PathLike[str]


def write_text_file(path: Path, write: Callable[[IO[str]], int]) -> int:
    """Write a text file through ``write`` under ``<path>.open``, renamed when complete;
    returns what ``write`` returns. Raises :class:`~archiver.errors.WarcError` naming
    the file when it cannot be written."""
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
