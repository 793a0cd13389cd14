"""ReplayWeb.page opens the WACZ of ``archiver wacz``: titles listed, clean text searchable.

The check is done in a real browser, offline: the WACZ and ReplayWeb.page's own files
(``index.html``, ``ui.js``, ``sw.js``, from the npm package ``replaywebpage``) are
served on 127.0.0.1 (a service worker needs http://127.0.0.1, not file://), headless
Chromium opens ``/?source=<the WACZ>`` as a user of https://replayweb.page would, and
every host name but 127.0.0.1 is made unresolvable, so nothing can come from outside.

Neither the browser nor ReplayWeb.page is installed with news-archiver, so the test
skips without them. ReplayWeb.page's files are looked for in ``$ARCHIVER_REPLAYWEB_DIR``
(.ci/run unpacks the package into ``.replayweb/replaywebpage-<version>`` and sets it),
else in that folder; Chromium is ``$ARCHIVER_CHROMIUM``, else ``chromium`` on the PATH
(Debian's package). Playwright drives it (``playwright`` is in the test extra) and
never downloads a browser of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

import archiver
from archiver.warc.reader import ArchivedArticle

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
REPLAYWEB_FILES = ("index.html", "ui.js", "sw.js")
# Given as `archiver wacz --title` gives it; ReplayWeb.page 2.5.3 does not show it: it
# reads `metadata.title` in datapackage.json, not WACZ 1.1.1's `title` (docs/archives.md).
TITLE = "Seeds in ReplayWeb.page"
TIMEOUT_MS = 30_000

# As root, offline: no sandbox, no GPU, and none of Chromium's own connections (updates,
# sync, field trials), which this machine's closed network refuses. Every host name but
# 127.0.0.1 is unresolvable, so the test shows that ReplayWeb.page needs nothing else.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def replayweb_dir() -> Path | None:
    """The folder with ReplayWeb.page's index.html, ui.js and sw.js, or None."""
    named = os.environ.get("ARCHIVER_REPLAYWEB_DIR")
    folders = [Path(named)] if named else sorted((ROOT / ".replayweb").glob("replaywebpage-*"))
    for folder in folders:
        if all((folder / name).is_file() for name in REPLAYWEB_FILES):
            return folder
    return None


def chromium() -> str | None:
    named = os.environ.get("ARCHIVER_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


# --- a static server that answers Range requests, as ReplayWeb.page expects -------------


class _StaticHandler(SimpleHTTPRequestHandler):
    """http.server's file handler plus single byte ranges (``a-b``, ``a-``, ``-n``).

    ReplayWeb.page asks for ``Range: bytes=0-`` first and, given a 206, reads the WACZ's
    index and records on demand, as from any static host; without ranges it would
    download the whole file.
    """

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        # UTF-8, as web hosts say: ReplayWeb.page's index.html does not declare a charset.
        kind = super().guess_type(path)
        return f"{kind}; charset=utf-8" if kind in ("text/html", "text/javascript") else kind

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if not match or not path.is_file() or match.groups() == ("", ""):
            return super().send_head()
        size = path.stat().st_size
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        with open(path, "rb") as file:
            file.seek(start)
            body = file.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1, any free port: yields (folder, base URL)."""
    site = tmp_path / "site"
    site.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_StaticHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the collection ----------------------------------------------------------------------


@pytest.fixture
def collection(tmp_path: Path) -> tuple[Path, list[ArchivedArticle]]:
    """The seeds archived and re-extracted, as ``archiver wacz archive/*.warc.gz
    derived.warc.gz -o collection.wacz`` packages them; and the newest Articles."""
    archive = tmp_path / "archive"
    archive.mkdir()
    assert archiver.reprocess([SEEDS], warc=archive / "seeds.warc.gz").ok
    assert archiver.reprocess([archive / "seeds.warc.gz"], warc=tmp_path / "derived.warc.gz").ok
    warcs = [archive / "seeds.warc.gz", tmp_path / "derived.warc.gz"]
    wacz = tmp_path / "collection.wacz"
    assert archiver.write_wacz(warcs, wacz, title=TITLE) == 5
    return wacz, list(archiver.read_latest(warcs))


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"\w+", text)}


def distinctive_word(entries: list[ArchivedArticle]) -> tuple[str, ArchivedArticle]:
    """A word of one Article's clean text that is in no title, no URL and no other text.

    Plain ASCII letters, eight or more, so that any tokenizer keeps it whole. The first
    Article that has one is taken, and its first such word in alphabetical order.
    """
    for target in entries:
        elsewhere = _words(target.article.title or "") | _words(target.target_uri)
        for other in entries:
            if other is not target:
                elsewhere |= _words(other.article.text) | _words(other.article.title or "")
                elsewhere |= _words(other.target_uri)
        found = sorted(
            word
            for word in _words(target.article.text) - elsewhere
            if re.fullmatch(r"[a-z]{8,}", word)
        )
        if found:
            return found[0], target
    raise AssertionError("no Article has a word of its own")


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture
def replayweb() -> Path:
    found = replayweb_dir()
    if found is None:
        pytest.skip(
            "ReplayWeb.page is not available: set ARCHIVER_REPLAYWEB_DIR to a folder with "
            "the npm package replaywebpage's index.html, ui.js and sw.js (.ci/run does)"
        )
    return found


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    """A Playwright page in a headless Chromium with a fresh profile; skips without one."""
    executable = chromium()
    if executable is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium, or set ARCHIVER_CHROMIUM)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install '.[test]')"
    )
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def test_replayweb_lists_the_titles_and_finds_a_word_of_the_text(
    replayweb: Path,
    browser_page: Any,
    collection: tuple[Path, list[ArchivedArticle]],
    serve: tuple[Path, str],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    wacz, entries = collection
    site, base = serve
    for name in REPLAYWEB_FILES:
        shutil.copy(replayweb / name, site / name)
    shutil.copy(wacz, site / "collection.wacz")
    titles = [entry.article.title for entry in entries]
    assert len(titles) == 5 and all(titles), titles
    word, target = distinctive_word(entries)

    page = browser_page
    log: list[str] = []
    page.on("console", lambda message: log.append(f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: log.append(f"page error: {error}"))

    def listed(title: str | None) -> Any:
        # Each page of the list is a heading (in shadow roots, which Playwright's
        # locators pierce) whose accessible name is its title, then its URL.
        name = re.compile("^" + re.escape(title or "") + r"(\s|$)")
        return page.get_by_role("heading", name=name)

    try:
        source = urllib.parse.quote(f"{base}/collection.wacz", safe=":/")
        page.goto(f"{base}/?source={source}#view=pages")
        # (a) the Pages list: every article, by its title.
        for title in titles:
            expect(listed(title)).to_be_visible()
        expect(page.get_by_text("5 pages", exact=True)).to_be_visible()
        # (b) full-text search, typed as a user would: a word of one article's clean
        # text, in no title, finds that article and no other, and shows it marked in a
        # snippet of that text.
        page.get_by_placeholder("Search by Page URL, Title, or Text").fill(word)
        expect(page.get_by_text("1 page", exact=True)).to_be_visible()
        expect(listed(target.article.title)).to_be_visible()
        expect(page.locator("mark").first).to_have_text(re.compile(f"^{word}$", re.IGNORECASE))
        for title in titles:
            if title != target.article.title:
                expect(listed(title)).to_have_count(0)
    except AssertionError as exc:
        page.screenshot(path=str(tmp_path / "replayweb.png"))
        raise AssertionError(
            f"{exc}\nsearched for {word!r} (in {target.target_uri});"
            f" screenshot {tmp_path / 'replayweb.png'}; browser log:\n" + "\n".join(log[-40:])
        ) from exc
