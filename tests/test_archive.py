"""archive(url), aarchive(url) and ``archiver get``: what a fetched page leaves in the WARC.

Every WARC written here is read back with warcio checking each record's digests.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from local_server import RawServer, chunked, reset, respond, sequence, slow, truncated
from pytest_httpserver import HTTPServer
from warc_check import warcio_check
from warcio.archiveiterator import ArchiveIterator

import archiver
from archiver.capture import FetchConfig, Fetcher
from archiver.cli import main
from archiver.errors import (
    ArchiverError,
    FetchError,
    HttpStatusError,
    NotHtmlError,
    RobotsDisallowedError,
    WarcError,
)
from archiver.warc.writer import WarcWriter

ROOT = Path(__file__).resolve().parent.parent
#: A Greek news page in windows-1253, declared by its meta tag.
GREEK_PAGE = (ROOT / "fixtures/html/001_42a795ce0eda0ed1.html").read_bytes()
PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Harbour plan approved</title></head>"
    b"<body><article><h1>Harbour plan approved</h1>"
    + b"".join(
        b"<p>Paragraph %d: the city council voted on Tuesday to approve the long debated "
        b"plan for the old harbour, after months of public hearings.</p>" % i
        for i in range(12)
    )
    + b"</article></body></html>"
)
FAST = FetchConfig(
    allow_private=True, timeout=2, total_timeout=5, retries=1, backoff=0.01, backoff_max=0.02
)


@dataclass
class Record:
    type: str
    headers: Any  # warcio StatusAndHeaders of the WARC record
    http: Any  # warcio StatusAndHeaders of the HTTP message, for request and response
    payload: bytes  # the block after any HTTP headers, as stored

    def header(self, name: str) -> str | None:
        value = self.headers.get_header(name)
        return None if value is None else str(value)


def records(path: Path) -> list[Record]:
    """Every record of the WARC file, with warcio checking each one's digests."""
    out = []
    with open(path, "rb") as file:
        for record in ArchiveIterator(file, check_digests="raise"):
            payload = record.raw_stream.read()
            http = record.http_headers if record.rec_type in ("request", "response") else None
            out.append(Record(record.rec_type, record.rec_headers, http, payload))
    return out


def types(path: Path) -> list[str]:
    return [record.type for record in records(path)]


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=input)


# --- must show --------------------------------------------------------------------------


def test_get_writes_a_faithful_checked_warc_whose_text_matches_extract(
    server: HTTPServer, tmp_path: Path
) -> None:
    sent = gzip.compress(GREEK_PAGE)
    server.expect_request("/world/article").respond_with_data(
        sent,
        headers={"Content-Encoding": "gzip"},
        content_type="text/html; charset=windows-1253",
    )
    url = server.url_for("/world/article")
    out = tmp_path / "news.warc.gz"

    result = run("get", url, "-o", str(out), "--allow-private")
    assert result.exit_code == 0, result.output
    assert url in result.stdout

    warcio_check(out)  # the warcio command line accepts it, digests and all
    stored = records(out)
    assert [r.type for r in stored] == ["warcinfo", "request", "response", "conversion", "metadata"]
    response = stored[2]
    assert response.payload == sent  # byte for byte what the server sent, still gzipped
    assert response.http.get_header("Content-Encoding") == "gzip"

    page = tmp_path / "page.html"
    page.write_bytes(GREEK_PAGE)
    extracted = run("extract", str(page), "--url", url, "--format", "json")
    assert extracted.exit_code == 0, extracted.output
    text = json.loads(extracted.stdout)["text"]
    assert text and stored[3].payload.decode("utf-8") == text


def test_archive_of_a_local_page_completes(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/news/1").respond_with_data(PAGE, content_type="text/html")
    out = tmp_path / "news.warc.gz"
    article = archiver.archive(server.url_for("/news/1"), warc=out, config=FAST)
    assert article.title == "Harbour plan approved"
    assert article.url == server.url_for("/news/1")
    assert "Paragraph 11" in article.text
    assert list(archiver.read(out)) == [article]


# --- the records ------------------------------------------------------------------------


def test_the_records_of_a_page_and_their_links(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    server.expect_request("/new").respond_with_data(PAGE, content_type="text/html")
    url, final = server.url_for("/old"), server.url_for("/new")
    out = tmp_path / "a.warc.gz"
    archiver.archive(url, warc=out, config=FAST)

    stored = records(out)
    assert [r.type for r in stored] == [
        "warcinfo",
        "request",
        "response",  # the 301
        "request",
        "response",  # the page
        "conversion",
        "metadata",
    ]
    ids = [r.header("WARC-Record-ID") for r in stored]
    _, req1, resp1, req2, resp2, conversion, metadata = stored
    assert [r.header("WARC-Target-URI") for r in stored[1:]] == [url, url, final, final] + [
        "urn:text:" + final,
        "urn:metadata:" + final,
    ]
    assert req1.header("WARC-Concurrent-To") == ids[2]
    assert req2.header("WARC-Concurrent-To") == ids[4]
    assert resp1.http.get_statuscode() == "301"
    assert resp2.http.get_statuscode() == "200"
    assert resp2.header("WARC-IP-Address") == "127.0.0.1"
    assert req2.http.protocol == "GET"
    assert req2.header("Content-Type") == "application/http; msgtype=request"
    assert resp2.header("Content-Type") == "application/http; msgtype=response"
    assert resp2.payload == PAGE
    for derived in (conversion, metadata):
        assert derived.header("WARC-Refers-To") == ids[4]
        assert derived.header("WARC-Refers-To-Target-URI") == final
        assert derived.header("WARC-Refers-To-Date") == resp2.header("WARC-Date")
    for record in (req1, resp1, req2, resp2):
        assert record.header("WARC-Payload-Digest") and record.header("WARC-Block-Digest")

    data = json.loads(metadata.payload)
    assert data["title"] == "Harbour plan approved"
    # The final URL, status and Content-Type are the response record's: the JSON leaves
    # them out, and reading the file back (salvage() here) puts them back.
    assert data["fetch"] == {"requested_url": url, "redirects": [url], "attempts": 1}
    opened = tmp_path / "b.warc.gz.open"
    opened.write_bytes(out.read_bytes())
    salvaged = archiver.warc.salvage(opened)
    assert salvaged is not None
    assert salvaged.metadata[0]["fetch"] == {
        "requested_url": url,
        "url": final,
        "status": 200,
        "content_type": "text/html",
        "redirects": [url],
        "attempts": 1,
    }
    (latest,) = archiver.read_latest([out])
    assert latest.capture_id == ids[4]  # the article leads back to the response


def test_a_chunked_response_is_stored_so_that_headers_and_body_agree(
    raw: RawServer, tmp_path: Path
) -> None:
    sent = gzip.compress(PAGE)
    raw.routes["/page"] = chunked(
        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], sent, size=50
    )
    out = tmp_path / "a.warc.gz"
    archiver.archive(
        raw.url("/page"), warc=out, config=FetchConfig(allow_private=True, obey_robots=False)
    )
    response = records(out)[2]
    assert response.payload == sent
    assert response.http.get_header("Content-Length") == str(len(sent))
    assert response.http.get_header("Transfer-Encoding") is None
    assert response.http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    # warcio (and pywb, which reads with it) decode the stored body to the page.
    (capture,) = archiver.read_captures(out)
    assert capture.payload == PAGE


@pytest.mark.parametrize(
    ("header", "meta", "encoding"),
    [("windows-1253", "utf-8", "windows-1253"), ("utf-8", "windows-1253", "utf-8")],
)
def test_the_charset_of_the_header_wins_over_the_meta_tag(
    server: HTTPServer, tmp_path: Path, header: str, meta: str, encoding: str
) -> None:
    title = "Νέα μέτρα για την καθαριότητα"
    body = "".join(
        f"<p>Ο δήμαρχος ανακοίνωσε σήμερα νέα μέτρα, παράγραφος {n}, για τους δρόμους.</p>"
        for n in range(8)
    )
    html = (
        f"<html><head><meta charset='{meta}'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode(encoding)
    server.expect_request("/gr").respond_with_data(
        html, content_type=f"text/html; charset={header}"
    )
    article = archiver.archive(server.url_for("/gr"), warc=tmp_path / "a.warc.gz", config=FAST)
    assert article.title == title
    assert "ο δήμαρχος ανακοίνωσε" in article.text.lower()


def test_a_pdf_is_stored_raw_without_a_conversion_record(
    server: HTTPServer, tmp_path: Path
) -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    server.expect_request("/report.pdf").respond_with_data(pdf, content_type="application/pdf")
    url = server.url_for("/report.pdf")
    out = tmp_path / "a.warc.gz"
    with pytest.raises(NotHtmlError) as caught:
        archiver.archive(url, warc=out, config=FAST)
    assert str(caught.value) == (
        f"{url}: the response is application/pdf, not HTML: stored, not extracted"
    )
    stored = records(out)
    assert [r.type for r in stored] == ["warcinfo", "request", "response", "metadata"]
    assert stored[2].payload == pdf
    data = json.loads(stored[3].payload)
    assert data["not_extracted"]["error"] == "NotHtmlError"
    assert "application/pdf" in data["not_extracted"]["reason"]
    assert stored[3].header("WARC-Refers-To") == stored[2].header("WARC-Record-ID")
    assert list(archiver.read(out)) == []  # no Article in it


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_page_is_stored_and_reported_not_retried(
    server: HTTPServer, tmp_path: Path, status: int
) -> None:
    server.expect_request("/gone").respond_with_data("<h1>gone</h1>", status=status)
    url = server.url_for("/gone")
    out = tmp_path / "a.warc.gz"
    with pytest.raises(HttpStatusError) as caught:
        archiver.archive(url, warc=out, config=FAST)
    assert caught.value.status == status
    assert str(caught.value).startswith(f"{url}: HTTP {status}")
    assert types(out) == ["warcinfo", "request", "response", "metadata"]
    assert len([r for r, _ in server.log if r.path == "/gone"]) == 1


def test_the_warcio_example_of_docs_warc_md_skips_records_without_an_article(
    server: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It read data["title"] of every metadata record, and a failed page's (fetch and
    not_extracted) or a discovery source's (fetch and discovery) has none: KeyError."""
    server.expect_request("/story").respond_with_data(PAGE, content_type="text/html")
    server.expect_request("/gone").respond_with_data("<h1>gone</h1>", status=404)
    server.expect_request("/feed.xml").respond_with_data("<rss/>", content_type="text/xml")
    out = tmp_path / "news-2024-03-01.warc.gz"
    archiver.archive(server.url_for("/story"), warc=out, config=FAST)
    with pytest.raises(HttpStatusError):
        archiver.archive(server.url_for("/gone"), warc=out, config=FAST)
    with Fetcher(FAST) as fetcher, WarcWriter(out, append=True) as writer:
        source = fetcher.fetch(server.url_for("/feed.xml"))
        writer.write_capture(source, metadata={"fetch": {}, "discovery": {"kind": "feed"}})
    docs = (ROOT / "docs" / "warc.md").read_text(encoding="utf-8")
    example = re.search(r"With warcio directly.*?```python\n(.*?)```", docs, re.S)
    assert example is not None
    monkeypatch.chdir(tmp_path)
    exec(example[1], {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"{server.url_for('/story')} Harbour plan approved"
    assert len(printed) == 3 and printed[2].startswith("  its text is in record <urn:uuid:")


def test_a_page_that_cannot_be_fetched_writes_nothing(raw: RawServer, tmp_path: Path) -> None:
    raw.routes["/reset"] = reset()
    out = tmp_path / "a.warc.gz"
    with pytest.raises(FetchError):
        archiver.archive(
            raw.url("/reset"), warc=out, config=FetchConfig(allow_private=True, retries=0)
        )
    assert not out.exists() and not Path(f"{out}.open").exists()


# --- every fault: an archived page or a clear error -------------------------------------


FAULTS = {
    "reset, then the page": (
        sequence(reset(), respond(200, [("Content-Type", "text/html")], PAGE)),
        None,
    ),
    "503, then the page": (
        sequence(respond(503, [], b"busy"), respond(200, [("Content-Type", "text/html")], PAGE)),
        None,
    ),
    "always reset": (reset(), "connection"),
    "too slow": (slow(3, respond(200, [], PAGE)), "timed out"),
    "truncated": (
        truncated([("Content-Type", "text/html")], PAGE[:50], len(PAGE)),
        "broken response",
    ),
    "gzip bomb": (
        respond(
            200,
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            gzip.compress(b" " * (4 * 1024 * 1024)),
        ),
        "decompression bomb",
    ),
    "empty page": (respond(200, [("Content-Type", "text/html")], b"   "), "empty"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_ends_in_an_archived_page_or_a_clear_error(
    raw: RawServer, tmp_path: Path, fault: str
) -> None:
    route, cause = FAULTS[fault]
    raw.routes["/page"] = route
    url = raw.url("/page")
    out = tmp_path / "a.warc.gz"
    config = FetchConfig(
        allow_private=True,
        timeout=0.5,
        total_timeout=2,
        retries=1,
        backoff=0.01,
        obey_robots=False,
        max_decompressed_bytes=1024 * 1024,
    )
    if cause is None:
        article = archiver.archive(url, warc=out, config=config)
        assert article.title == "Harbour plan approved"
        assert list(archiver.read(out)) == [article]
    else:
        with pytest.raises(ArchiverError) as caught:
            archiver.archive(url, warc=out, config=config)
        assert str(caught.value).startswith(f"{url}: ")
        assert cause in str(caught.value).lower()
    if out.exists():
        records(out)  # whatever was stored reads back whole


# --- appending --------------------------------------------------------------------------


def test_an_existing_warc_is_appended_to(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    server.expect_request("/b").respond_with_data(
        PAGE.replace(b"Harbour plan approved", b"Second story"), content_type="text/html"
    )
    out = tmp_path / "a.warc.gz"
    first = archiver.archive(server.url_for("/a"), warc=out, config=FAST)
    before = out.read_bytes()
    second = archiver.archive(server.url_for("/b"), warc=out, config=FAST)
    after = out.read_bytes()
    assert after.startswith(before)  # the earlier records are untouched
    assert types(out).count("warcinfo") == 1
    assert list(archiver.read(out)) == [first, second]
    warcio_check(out)


def test_a_reprocessed_warc_can_be_appended_to(server: HTTPServer, tmp_path: Path) -> None:
    out = tmp_path / "seeds.warc.gz"
    seed = min((ROOT / "seeds").glob("*.txt"))
    archiver.reprocess([seed], warc=out)
    server.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    archiver.archive(server.url_for("/a"), warc=out, config=FAST)
    assert len(list(archiver.read(out))) == 2


def test_an_aborted_append_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "a.warc.gz"
    WarcWriter(out).close()
    before = out.read_bytes()
    writer = WarcWriter(out, append=True)
    document = archiver.load(PAGE, name="p.html")
    writer.write_article(document, archiver.extract_document(document), target_uri="urn:x:1")
    writer.abort()
    assert out.read_bytes() == before


def test_a_warc_named_warc_is_uncompressed_and_appended_to_as_it_is(
    server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    server.expect_request("/b").respond_with_data(PAGE + b"<!-- b -->", content_type="text/html")
    plain = tmp_path / "plain.warc"
    for path in ("/a", "/b"):
        result = run("get", server.url_for(path), "-o", str(plain), "--allow-private")
        assert result.exit_code == 0, result.output
    assert plain.read_bytes().startswith(b"WARC/1.1\r\n")
    assert b"\x1f\x8b" not in plain.read_bytes()
    warcio_check(plain)
    assert len(list(archiver.read(plain))) == 2
    assert types(plain).count("warcinfo") == 1

    # A gzipped file named .warc (as versions before wrote) stays gzipped.
    WarcWriter(tmp_path / "old.warc.gz").close()
    gzipped = (tmp_path / "old.warc.gz").rename(tmp_path / "old.warc")
    archiver.archive(server.url_for("/a"), warc=gzipped, config=FAST)
    assert gzipped.read_bytes().startswith(b"\x1f\x8b")
    warcio_check(gzipped)

    not_a_warc = tmp_path / "notes.warc"
    not_a_warc.write_text("my notes\n")
    with pytest.raises(WarcError, match="cannot append: not a WARC file"):
        WarcWriter(not_a_warc, append=True)


def test_appenders_take_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "a.warc.gz"
    WarcWriter(out).close()
    monkeypatch.setattr(sys.modules["archiver.warc.files"], "_LOCK_WAIT", 0.2)
    holder = WarcWriter(out, append=True)
    with pytest.raises(WarcError, match="another writer has held the file"):
        WarcWriter(out, append=True)
    holder.close()
    WarcWriter(out, append=True).close()  # its turn now


def test_a_writer_can_be_passed_in(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    out = tmp_path / "a.warc.gz"
    with WarcWriter(out) as writer, Fetcher(FAST) as fetcher:
        archiver.archive(server.url_for("/a"), writer, fetcher=fetcher)
        archiver.archive(server.url_for("/a"), writer, fetcher=fetcher)
    assert len(list(archiver.read(out))) == 2


# --- async ------------------------------------------------------------------------------


def test_aarchive(server: HTTPServer, tmp_path: Path) -> None:
    for n in range(3):
        server.expect_request(f"/p{n}").respond_with_data(PAGE, content_type="text/html")
    out = tmp_path / "a.warc.gz"

    async def main() -> list[archiver.Article]:
        async with archiver.AsyncFetcher(FAST) as fetcher:
            return await asyncio.gather(
                *(
                    archiver.aarchive(server.url_for(f"/p{n}"), out, fetcher=fetcher)
                    for n in range(3)
                )
            )

    articles = asyncio.run(main())
    assert [a.title for a in articles] == ["Harbour plan approved"] * 3
    assert len(list(archiver.read(out))) == 3
    warcio_check(out)


# --- the command ------------------------------------------------------------------------


def test_get_reports_each_failure_and_exits_1(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/ok").respond_with_data(PAGE, content_type="text/html")
    server.expect_request("/gone").respond_with_data("", status=404)
    ok, gone, bad = server.url_for("/ok"), server.url_for("/gone"), "ftp://example.com/x"
    out = tmp_path / "out.warc.gz"
    result = run("get", ok, gone, bad, "-o", str(out), "--retries", "0", "--allow-private")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "url\tsite\ttitle\tdate\twords"
    assert lines[1].startswith(f"{ok}\t") and "Harbour plan approved" in lines[1]
    assert f"error: {gone}: HTTP 404 NOT FOUND" in result.stderr
    assert f"error: {bad}: not an http(s) URL (scheme 'ftp')" in result.stderr
    assert "archived 1 of 3 URLs" in result.stderr
    assert len(list(archiver.read(out))) == 1


def test_get_that_stores_nothing_names_no_file(tmp_path: Path) -> None:
    """It said 'archived 0 of 1 URLs (0 words) in out.warc.gz', a file not written."""
    out = tmp_path / "out.warc.gz"
    result = run("get", "ftp://example.com/x", "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    summary = result.stderr.splitlines()[-1]
    assert summary == f"archived 0 of 1 URL (0 words); 1 failed; nothing stored, {out} not written"


def test_get_reads_urls_from_stdin(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    server.expect_request("/b").respond_with_data(PAGE, content_type="text/html")
    a, b, out = server.url_for("/a"), server.url_for("/b"), tmp_path / "out.warc.gz"
    piped = f"# from a script\n{a}\n\n  {b}  \n"
    result = run("get", "-", "-o", str(out), "--allow-private", input=piped)
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[0] for line in result.stdout.splitlines()[1:]] == [a, b]
    assert "archived 2 of 2 URLs" in result.stderr
    assert len(list(archiver.read(out))) == 2


def test_extract_fetches_a_url_and_stores_nothing(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    url = server.url_for("/page")
    result = run("extract", url, "--format", "markdown", "--allow-private")
    assert result.exit_code == 0, result.output
    assert "\n# Harbour plan approved\n\nParagraph 0: the city council" in result.stdout
    assert f"url: {url}\n" in result.stdout
    assert list(tmp_path.iterdir()) == []
    # -u without FILE is the same (trafilatura's spelling); -o stores the page too.
    out = tmp_path / "page.warc.gz"
    stored = run("extract", "-u", url, "--format", "markdown", "--allow-private", "-o", str(out))
    assert stored.exit_code == 0, stored.output
    assert stored.stdout == result.stdout
    assert [a.title for a in archiver.read(out)] == ["Harbour plan approved"]


def test_extract_of_a_url_obeys_robots_and_refuses_private_addresses(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /\n")
    url = httpserver.url_for("/a")
    refused = run("extract", url)
    assert refused.exit_code == 1
    assert f"error: {url}: 127.0.0.1 is a loopback address" in refused.stderr
    disallowed = run("extract", url, "--allow-private")
    assert disallowed.exit_code == 1
    assert f"error: {url}: robots.txt of" in disallowed.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a FILE (- for stdin) or a URL to fetch"),
        (["http://127.0.0.1:9/", "-u", "http://127.0.0.1:9/"], "give the URL once"),
        (["page.html", "-o", "x.warc.gz"], "-o stores a fetched page"),
    ],
)
def test_extract_usage_errors(args: list[str], message: str) -> None:
    result = run("extract", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_get_robots_switches(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /\n")
    httpserver.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    url, out = httpserver.url_for("/a"), tmp_path / "out.warc.gz"
    refused = run("get", url, "-o", str(out), "--allow-private")
    assert refused.exit_code == 1
    assert f"error: {url}: robots.txt of" in refused.stderr
    allowed = run(
        "get", url, "-o", str(out), "--no-robots", "--user-agent", "Test/1", "--allow-private"
    )
    assert allowed.exit_code == 0, allowed.output
    request = next(r for r in records(out) if r.type == "request")
    assert request.http.get_header("User-Agent") == "Test/1"


def test_get_refuses_private_addresses_by_default(server: HTTPServer, tmp_path: Path) -> None:
    url = server.url_for("/a")
    result = run("get", url, "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 1
    assert f"error: {url}: 127.0.0.1 is a loopback address" in result.stderr
    assert "--allow-private" in result.stderr


def test_get_timeout_option(raw: RawServer, tmp_path: Path) -> None:
    raw.routes["/slow"] = slow(3, respond(200, [], PAGE))
    url = raw.url("/slow")
    args = ["--timeout", "0.3", "--retries", "0", "--no-robots", "--allow-private"]
    result = run("get", url, "-o", str(tmp_path / "o.warc.gz"), *args)
    assert result.exit_code == 1
    assert f"error: {url}: timed out" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--timeout", "0"],
        ["--retries", "-1"],
        ["--bogus"],
    ],
)
def test_get_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = run("get", "http://127.0.0.1:9/", "-o", str(tmp_path / "o.warc.gz"), *args)
    assert result.exit_code == 2


def test_get_output_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = run("get", "http://127.0.0.1:9/", "-o", str(not_a_folder / "o.warc.gz"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {not_a_folder / 'o.warc.gz'}: ")
    assert "http://127.0.0.1:9/" not in result.stderr  # nothing was fetched


def test_get_is_in_the_help() -> None:
    result = run("--help")
    assert "get" in result.stdout


def test_robots_disallow_via_archive(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /\n")
    url = httpserver.url_for("/a")
    with pytest.raises(RobotsDisallowedError):
        archiver.archive(url, warc=tmp_path / "a.warc.gz", config=FAST)
    assert not (tmp_path / "a.warc.gz").exists()


def test_a_get_that_stores_nothing_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "o.warc.gz"
    result = run("get", "ftp://example.com/x", "-o", str(out), "--retries", "0")
    assert result.exit_code == 1
    assert "error: ftp://example.com/x" in result.stderr
    assert not list(tmp_path.iterdir())


def test_get_stores_an_identical_payload_once_then_as_a_revisit(
    server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    server.expect_request("/copy").respond_with_data(PAGE, content_type="text/html")
    out = tmp_path / "o.warc.gz"
    a, copy = server.url_for("/a"), server.url_for("/copy")
    result = run("get", a, copy, "-o", str(out), "--allow-private")
    assert result.exit_code == 0, result.output
    # Again, appending: the payload the file holds is not stored a third time.
    result = run("get", a, "-o", str(out), "--allow-private")
    assert result.exit_code == 0, result.output

    stored = records(out)
    assert [r.type for r in stored if r.type in ("response", "revisit")] == [
        "response",
        "revisit",
        "revisit",
    ]
    response = next(r for r in stored if r.type == "response")
    for revisit in (r for r in stored if r.type == "revisit"):
        assert revisit.header("WARC-Refers-To") == response.header("WARC-Record-ID")
        assert revisit.header("WARC-Refers-To-Target-URI") == a
        assert revisit.header("WARC-Payload-Digest") == response.header("WARC-Payload-Digest")
    assert PAGE not in b"".join(r.payload for r in stored if r.type == "revisit")
    warcio_check(out)
    assert [article.url for article in archiver.read(out)] == [a, copy, a]
    report = archiver.reprocess([out], warc=tmp_path / "again.warc.gz")
    assert report.ok and len(report) == 3
