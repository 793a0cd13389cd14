"""pywb replays the pages ``archive()`` fetched: gzip, brotli, chunked, redirects.

pywb is not installed with news-archiver (see tests/test_pywb.py); this test runs it
from ``$ARCHIVER_PYWB_BIN``, the folder of this Python or the PATH, and skips when it
is not there. The collection is indexed both ways a user would: by pywb's own
``wb-manager add`` and by ``archiver index``. The conversion and metadata records have
``urn:text:`` and ``urn:metadata:`` URIs of their own, so neither index can serve them
in place of the page.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import brotli
import httpx
import pytest
from local_server import RawServer, chunked, respond
from pywb_server import pywb_tools, serving

import archiver
from archiver.capture import FetchConfig

pytestmark = pytest.mark.slow

PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Replay</title></head>"
    b"<body><article><h1>Replay</h1>"
    + b"".join(b"<p>Paragraph %d of an article that pywb must replay.</p>" % i for i in range(20))
    + b"</article></body></html>"
)
HTML = ("Content-Type", "text/html; charset=utf-8")


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


@pytest.fixture(params=["wb-manager add", "archiver index"])
def replay(request: pytest.FixtureRequest, site: RawServer, tmp_path: Path) -> Iterator[str]:
    """pywb serving a collection of pages fetched from ``site``; yields its base URL."""
    tools = pywb_tools()
    if tools is None:
        pytest.skip("pywb is not installed (set ARCHIVER_PYWB_BIN to its bin folder)")
    manager, wayback = tools
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([manager, "init", "news"], cwd=root, check=True, capture_output=True)
    warc = tmp_path / "fetched.warc.gz"
    config = FetchConfig(allow_private=True, obey_robots=False)
    for path in ("/gzip-chunked", "/br", "/moved"):
        archiver.archive(site.url(path), warc=warc, config=config)
    if request.param == "wb-manager add":
        subprocess.run([manager, "add", "news", str(warc)], cwd=root, check=True)
    else:
        shutil.copy(warc, root / "collections/news/archive")
        archiver.write_index([warc], root / "collections/news/indexes/index.cdxj")
    with serving(wayback, root, "news", tmp_path / "wayback.log") as base:
        yield base


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
