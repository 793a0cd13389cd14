"""pywb, given our WARC files, finds every archived URL through its CDX API.

pywb pins old libraries (redis 2, an exact Werkzeug, brotlipy, whose ``brotli``
module shadows the real one), so it is not installed with news-archiver: the test
runs pywb from wherever it is installed and skips when it is not. It looks, in order,
for the folder named by ``$ARCHIVER_PYWB_BIN`` (say, the ``bin`` of a virtual
environment made for pywb: ``python3 -m venv /opt/pywb && /opt/pywb/bin/pip install
pywb``), the folder of this Python, and the PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import archiver
from archiver.reprocess import process_file
from archiver.warc import WarcWriter, target_uri

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
COLLECTION = "news"
START_TIMEOUT = 60.0


def pywb_tools() -> tuple[str, str] | None:
    """The paths of ``wb-manager`` and ``wayback``, or None when pywb is not installed."""
    folders = [os.environ.get("ARCHIVER_PYWB_BIN", ""), str(Path(sys.executable).parent)]
    for folder in filter(None, folders):
        manager, wayback = Path(folder) / "wb-manager", Path(folder) / "wayback"
        if manager.is_file() and wayback.is_file():
            return str(manager), str(wayback)
    manager_path, wayback_path = shutil.which("wb-manager"), shutil.which("wayback")
    if manager_path and wayback_path:
        return manager_path, wayback_path
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# No proxy, whatever the environment says: the server is on this machine.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with _opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.fixture
def warcs(tmp_path: Path) -> list[Path]:
    """The seeds three ways: urn:sha256 URIs, http URLs, and a re-extraction."""
    plain = tmp_path / "seeds.warc.gz"
    assert archiver.reprocess([SEEDS], warc=plain).ok
    with_urls = tmp_path / "seeds-urls.warc.gz"
    with WarcWriter(with_urls) as writer:
        for number, path in enumerate(sorted(SEEDS.glob("*.txt"))):
            _, found = process_file(path)
            url = f"https://www.{found.site or 'example.com'}/news/article-{number}"
            document, article = process_file(path, url=url)
            writer.write_article(document, article, target_uri=target_uri(document, article))
    derived = tmp_path / "derived.warc.gz"
    assert archiver.reprocess([plain], warc=derived).ok
    return [plain, with_urls, derived]


@pytest.fixture
def tools() -> tuple[str, str]:
    found = pywb_tools()
    if found is None:
        pytest.skip("pywb is not installed (set ARCHIVER_PYWB_BIN to its bin folder)")
    return found


@pytest.fixture
def wayback(tools: tuple[str, str], tmp_path: Path, warcs: list[Path]) -> Iterator[str]:
    """A pywb server on 127.0.0.1 serving a collection of ``warcs``; yields its base URL."""
    manager, server = tools
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([manager, "init", COLLECTION], cwd=root, check=True, capture_output=True)
    subprocess.run(
        [manager, "add", COLLECTION, *map(str, warcs)], cwd=root, check=True, capture_output=True
    )
    port = free_port()
    log = open(tmp_path / "wayback.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1"],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/{COLLECTION}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"pywb exited: {(tmp_path / 'wayback.log').read_text()}")
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
        log.close()


def test_pywb_finds_every_archived_url(wayback: str, warcs: list[Path], tmp_path: Path) -> None:
    archived = {entry.target_uri for entry in archiver.read_latest(warcs)}
    assert len(archived) == 10  # 5 urn:sha256 URIs and 5 http(s) URLs
    assert sum(uri.startswith("https://") for uri in archived) == 5
    # Where `archiver index` says each capture is: pywb must find the same records.
    archiver.write_index(warcs, tmp_path / "index.cdxj")
    captures: dict[str, set[tuple[str, str]]] = {}
    for line in (tmp_path / "index.cdxj").read_text(encoding="utf-8").splitlines():
        fields = json.loads(line.split(" ", 2)[2])
        captures.setdefault(fields["url"], set()).add((fields["filename"], fields["offset"]))
    assert set(captures) == archived
    for uri in sorted(archived):
        query = urllib.parse.urlencode({"url": uri, "output": "json"})
        status, body = get(f"{wayback}/cdx?{query}")
        assert status == 200, f"{uri}: {status} {body[:200]}"
        found = [json.loads(line) for line in body.splitlines() if line.strip()]
        assert uri in {line["url"] for line in found}, f"pywb does not find {uri}"
        located = {(line.get("filename"), line.get("offset")) for line in found}
        assert captures[uri] <= located, f"pywb does not find the capture of {uri}"
