"""pywb replays the pages ``archive()`` fetched: gzip, brotli, chunked, redirects.

pywb is not installed with news-archiver (see tests/test_pywb.py); this test runs it
from ``$ARCHIVER_PYWB_BIN``, the folder of this Python or the PATH, and skips when it
is not there. The collection's index is the one ``archiver index`` writes, which leaves
out the conversion and metadata records (pywb's own indexer would list them under the
page's URL, and could serve the Article JSON in place of the page).
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import brotli
import httpx
import pytest
from local_server import RawServer, chunked, respond

import archiver
from archiver.fetch import FetchConfig

pytestmark = pytest.mark.slow

PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Replay</title></head>"
    b"<body><article><h1>Replay</h1>"
    + b"".join(b"<p>Paragraph %d of an article that pywb must replay.</p>" % i for i in range(20))
    + b"</article></body></html>"
)
HTML = ("Content-Type", "text/html; charset=utf-8")


def pywb_tools() -> tuple[str, str] | None:
    folders = [os.environ.get("ARCHIVER_PYWB_BIN", ""), str(Path(sys.executable).parent)]
    for folder in filter(None, folders):
        manager, wayback = Path(folder) / "wb-manager", Path(folder) / "wayback"
        if manager.is_file() and wayback.is_file():
            return str(manager), str(wayback)
    manager_path, wayback_path = shutil.which("wb-manager"), shutil.which("wayback")
    return (manager_path, wayback_path) if manager_path and wayback_path else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def site() -> Iterator[RawServer]:
    server = RawServer()
    server.routes["/gzip-chunked"] = chunked(
        [HTML, ("Content-Encoding", "gzip")], gzip.compress(PAGE)
    )
    server.routes["/br"] = respond(200, [HTML, ("Content-Encoding", "br")], brotli.compress(PAGE))
    server.routes["/chunked"] = chunked([HTML], PAGE)
    server.routes["/moved"] = respond(301, [("Location", "/chunked")], b"")
    yield server
    server.close()


@pytest.fixture
def replay(site: RawServer, tmp_path: Path) -> Iterator[str]:
    """pywb serving a collection of pages fetched from ``site``; yields its base URL."""
    tools = pywb_tools()
    if tools is None:
        pytest.skip("pywb is not installed (set ARCHIVER_PYWB_BIN to its bin folder)")
    manager, wayback = tools
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([manager, "init", "news"], cwd=root, check=True, capture_output=True)
    warc = root / "collections/news/archive/fetched.warc.gz"
    config = FetchConfig(obey_robots=False)
    for path in ("/gzip-chunked", "/br", "/moved"):
        archiver.archive(site.url(path), warc=warc, config=config)
    archiver.write_index([warc], root / "collections/news/indexes/index.cdxj")
    port = free_port()
    log = open(tmp_path / "wayback.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [wayback, "--port", str(port), "--bind", "127.0.0.1"],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/news"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"pywb exited: {(tmp_path / 'wayback.log').read_text()}")
            try:
                httpx.get(f"{base}/cdx?url=urn:none", timeout=2, trust_env=False)
                break
            except httpx.TransportError:
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
        log.close()


def test_pywb_replays_fetched_pages(replay: str, site: RawServer) -> None:
    with httpx.Client(trust_env=False, timeout=10) as client:
        for path in ("/gzip-chunked", "/br", "/chunked"):
            # id_: the page as archived, without pywb's rewriting; 2999: the latest capture.
            response = client.get(f"{replay}/2999id_/{site.url(path)}")
            assert response.status_code == 200, path
            assert response.content == PAGE, path  # decoded and de-chunked once, correctly
        moved = client.get(f"{replay}/2999id_/{site.url('/moved')}")
        assert moved.status_code == 301
        assert moved.headers["Location"].endswith("/chunked")
        rewritten = client.get(f"{replay}/2999mp_/{site.url('/moved')}", follow_redirects=True)
        assert rewritten.status_code == 200
        assert b"<title>Replay</title>" in rewritten.content
