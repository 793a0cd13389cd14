"""The warcio command line's verdict on a WARC file, and what a metadata record says, for
the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def warcio_check(path: Path) -> str:
    """Assert that ``warcio check -v`` accepts ``path``, every digest included; its report."""
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    return check.stdout


def requested_url(metadata: Any) -> str:
    """The URL asked for of a fetched page's metadata record (a warcio record): the JSON
    names it only when it is not the final URL, which the record refers to."""
    fetched = json.loads(metadata.content_stream().read())["fetch"]
    return str(
        fetched.get("requested_url") or metadata.rec_headers.get_header("WARC-Refers-To-Target-URI")
    )
