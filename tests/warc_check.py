"""The warcio command line's verdict on a WARC file, for the tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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
