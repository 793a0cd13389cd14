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
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pywb_server import get, pywb_tools, serving

import archiver
from archiver.runs import process_file
from archiver.warc.writer import WarcWriter, target_uri

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
COLLECTION = "news"


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
    with serving(server, root, COLLECTION, tmp_path / "wayback.log") as base:
        yield base


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
        # Exactly the captures: the derived records have URIs of their own.
        assert located == captures[uri], f"pywb does not find the capture of {uri}"
