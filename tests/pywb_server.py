"""Finding pywb and running its server on 127.0.0.1 for the replay tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

START_TIMEOUT = 60.0

# No proxy, whatever the environment says: the server is on this machine.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def pywb_tools() -> tuple[str, str] | None:
    """The paths of ``wb-manager`` and ``wayback``, or None when pywb is not installed.

    pywb pins old libraries, so it may live in a venv of its own: ARCHIVER_PYWB_BIN
    names its bin folder (.ci/run sets it).
    """
    folders = [os.environ.get("ARCHIVER_PYWB_BIN", ""), str(Path(sys.executable).parent)]
    for folder in filter(None, folders):
        manager, wayback = Path(folder) / "wb-manager", Path(folder) / "wayback"
        if manager.is_file() and wayback.is_file():
            return str(manager), str(wayback)
    manager_path, wayback_path = shutil.which("wb-manager"), shutil.which("wayback")
    return (manager_path, wayback_path) if manager_path and wayback_path else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with _opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@contextmanager
def serving(wayback: str, root: Path, collection: str, log_path: Path) -> Iterator[str]:
    """Run pywb's server over the collections in ``root``; yield the collection's base URL.

    The server is always stopped, and a server that exits or does not answer within
    START_TIMEOUT fails the test with its log.
    """
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [wayback, "--port", str(port), "--bind", "127.0.0.1"],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}/{collection}"
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"pywb exited: {log_path.read_text()}")
                try:
                    get(f"{base}/cdx?url=urn:none", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail("pywb did not start in time")
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
