"""A check on the WARC file a re-extraction is to write, made before any work."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import WarcError
from ..files import check_not_special
from .inputs import error_cause

__all__ = ["check_writable"]


def check_writable(output: Path) -> None:
    """Raise WarcError now if ``output`` cannot be written, rather than after the work."""
    name = str(output)
    if output.is_dir():
        raise WarcError("cannot write the WARC file: it is a folder", source=name)
    check_not_special(output, "a WARC file")
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarcError(
            f"cannot create the folder {parent}: {error_cause(exc)}", source=name
        ) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise WarcError(f"cannot write the WARC file: folder {parent} is not writable", source=name)
