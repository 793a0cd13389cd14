"""Working with archives: reading the newest Articles, export, re-extraction, diff,
CDXJ index and WACZ packaging."""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import archiver
from archiver.article import Article
from archiver.capture import FetchConfig
from archiver.cli import main
from archiver.errors import HttpStatusError, WarcError
from archiver.outputs import export, write_index, write_wacz
from archiver.outputs.tables import CSV_COLUMNS
from archiver.runs import process_file
from archiver.warc.writer import WarcWriter, target_uri

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
OLD_VERSION = "0.0.1"
LONG_AGO = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)

GREEK_HTML = (
    "<!doctype html><html><head><meta charset='iso-8859-7'><title>Νέα μέτρα για την Αθήνα"
    "</title></head><body><article><h1>Νέα μέτρα για την Αθήνα</h1>"
    + "".join(
        f"<p>Παράγραφος {i}: ο δήμαρχος ανακοίνωσε σήμερα νέα μέτρα για την καθαριότητα "
        "των δρόμων και των πλατειών της πόλης, μετά από μήνες συζητήσεων.</p>"
        for i in range(1, 6)
    )
    + "</article></body></html>"
)
PAGE_URL = "https://news.example.gr/2024/03/athens"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def records(path: Path) -> list[tuple[dict[str, str], bytes]]:
    with open(path, "rb") as file:
        return [
            (dict(record.rec_headers.headers), record.content_stream().read())
            for record in ArchiveIterator(file)
        ]


# --- fixtures: a WARC of the seeds, one "by an older extractor", its re-extraction ------


@pytest.fixture(scope="module")
def seeds_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seeds") / "seeds.warc.gz"
    report = archiver.reprocess([SEEDS], warc=out)
    assert report.ok and len(report) == 5
    return out


def older(article: Article, number: int) -> Article:
    """What an older extractor version might have made of the page."""
    article = replace(article, extractor=replace(article.extractor, version=OLD_VERSION))
    if number == 0:  # a different title
        return replace(article, title=f"{article.title} | Old Site Name")
    if number == 1:  # a body with boilerplate left in, and no language
        return replace(
            article, text=article.text + "\n\nSubscribe to our newsletter!", language=None
        )
    return article


def resource_headers(warc: Path) -> dict[str, dict[str, str]]:
    """The headers of the resource records of ``warc``, by record id."""
    return {
        headers["WARC-Record-ID"]: headers
        for headers, _ in records(warc)
        if headers["WARC-Type"] == "resource"
    }


@pytest.fixture(scope="module")
def old_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("old") / "old.warc.gz"
    with WarcWriter(out, clock=lambda: LONG_AGO) as writer:
        for number, path in enumerate(sorted(SEEDS.glob("*.txt"))):
            document, article = process_file(path)
            writer.write_article(
                document, older(article, number), target_uri=target_uri(document, article)
            )
    return out


@pytest.fixture(scope="module")
def reextracted(old_warc: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(derived WARC, sha256 of the old WARC before, and after the re-extraction)."""
    before = sha256(old_warc)
    out = tmp_path_factory.mktemp("new") / "derived.warc.gz"
    report = archiver.reprocess([old_warc], warc=out)
    assert report.ok and len(report) == 5, report.failures
    return out, before, sha256(old_warc)


# --- reading the newest Article of each capture, and export -----------------------------


def test_jsonl_export_gives_the_same_articles_as_read(seeds_warc: Path, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    assert archiver.export([seeds_warc], out) == 5
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [Article.from_dict(row) for row in rows] == list(archiver.read(seeds_warc))
    for row, article in zip(rows, archiver.read(seeds_warc)):
        assert row["word_count"] == article.word_count
        assert row["target_uri"].startswith("urn:sha256:")
        assert datetime.fromisoformat(row["captured"]).tzinfo is not None
    assert not list(tmp_path.glob("*.open"))


def test_csv_export_has_flat_columns_with_lists_as_json(seeds_warc: Path, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    assert archiver.export([seeds_warc], out, format="csv") == 5
    with open(out, encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        rows = list(reader)
    for row, article in zip(rows, archiver.read(seeds_warc), strict=True):
        assert row["text"] == article.text  # newlines and quotes survive
        assert row["title"] == (article.title or "")
        assert json.loads(row["authors"]) == list(article.authors)
        assert json.loads(row["tags"]) == list(article.tags)
        assert json.loads(row["captions"]) == list(article.captions)
        assert row["published"] == (article.published.isoformat() if article.published else "")
        assert row["extractor_name"] == article.extractor.name
        assert row["extractor_fallback"] in {"true", "false"}
        assert int(row["word_count"]) == article.word_count


def test_export_to_a_stream_and_a_missing_warc(seeds_warc: Path, tmp_path: Path) -> None:
    stream = io.StringIO()
    assert archiver.export([seeds_warc], stream) == 5
    assert len(stream.getvalue().splitlines()) == 5
    with pytest.raises(WarcError, match="missing.warc.gz: no such file"):
        archiver.export([tmp_path / "missing.warc.gz"], tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_read_latest_takes_the_newest_extraction_of_each_capture(
    old_warc: Path, reextracted: tuple[Path, str, str]
) -> None:
    derived = reextracted[0]
    resources = resource_headers(old_warc)
    for order in ([old_warc, derived], [derived, old_warc]):
        latest = list(archiver.read_latest(order))
        assert len(latest) == 5
        assert {entry.capture_id for entry in latest} == set(resources)
        for entry in latest:
            assert entry.warc == derived
            assert entry.article.extractor.version != OLD_VERSION
            assert entry.captured == LONG_AGO  # the capture's date, not the re-extraction's
            assert entry.extracted > LONG_AGO
            assert entry.target_uri == resources[entry.capture_id]["WARC-Target-URI"]
    # The old file alone: its own Articles, one per capture.
    old = list(archiver.read_latest([old_warc]))
    assert [entry.article.extractor.version for entry in old] == [OLD_VERSION] * 5


# --- re-extraction ------------------------------------------------------------------------


def test_reextraction_leaves_the_original_unchanged(reextracted: tuple[Path, str, str]) -> None:
    _, before, after = reextracted
    assert before == after


def test_reextraction_refers_to_the_original_records(
    old_warc: Path, reextracted: tuple[Path, str, str]
) -> None:
    derived = reextracted[0]
    resources = resource_headers(old_warc)
    new = records(derived)
    assert [headers["WARC-Type"] for headers, _ in new] == ["warcinfo"] + [
        "conversion",
        "metadata",
    ] * 5
    referred = set()
    for headers, block in new[1:]:
        original = resources[headers["WARC-Refers-To"]]
        referred.add(headers["WARC-Refers-To"])
        assert headers["WARC-Refers-To-Target-URI"] == original["WARC-Target-URI"]
        assert headers["WARC-Refers-To-Date"] == original["WARC-Date"]
        prefix = "urn:text:" if headers["WARC-Type"] == "conversion" else "urn:metadata:"
        assert headers["WARC-Target-URI"] == prefix + original["WARC-Target-URI"]
        if headers["WARC-Type"] == "metadata":
            data = json.loads(block)
            assert data["extractor"]["version"] != OLD_VERSION
            assert data["source_name"] == f"{old_warc}#{original['WARC-Target-URI']}"
    assert referred == set(resources)
    # The text matches a fresh extraction of the same file.
    fresh = {target_uri(*process_file(p)): process_file(p)[1] for p in SEEDS.glob("*.txt")}
    for article in archiver.read(derived):
        assert article in fresh.values()


def test_reextraction_refuses_to_write_over_its_input(old_warc: Path) -> None:
    before = sha256(old_warc)
    with pytest.raises(WarcError, match="is also an input"):
        archiver.reprocess([old_warc], warc=old_warc)
    assert sha256(old_warc) == before


def test_reprocess_refuses_to_write_over_a_page_of_a_folder_it_reads(tmp_path: Path) -> None:
    """`archiver reprocess seeds/ -o seeds/001.txt` replaced the text dump with the WARC
    file: the output was checked against the folder, not against the pages in it."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    page = sorted(folder.glob("*.txt"))[1]
    before = sha256(page)
    result = run("reprocess", str(folder), "-o", str(page))
    assert result.exit_code == 2
    assert f"error: {page}: is also an input" in result.stderr
    with pytest.raises(WarcError, match="is also an input"):
        archiver.reprocess([folder], warc=page)
    assert sha256(page) == before


@pytest.mark.parametrize("command", ["export", "index", "wacz"])
@pytest.mark.parametrize("name", ["same", "symlink", "hardlink"])
def test_outputs_refuse_to_write_over_their_input(
    old_warc: Path, tmp_path: Path, command: str, name: str
) -> None:
    """`archiver export a.warc.gz -o a.warc.gz` once replaced the archive with its
    export; so did index and wacz, by any name of the file."""
    warc = tmp_path / "a.warc.gz"
    shutil.copy(old_warc, warc)
    before = sha256(warc)
    output = {"same": warc, "symlink": tmp_path / "link.warc.gz", "hardlink": tmp_path / "hard"}
    if name == "symlink":
        output[name].symlink_to(warc)
    elif name == "hardlink":
        output[name].hardlink_to(warc)
    result = run(command, str(warc), "-o", str(output[name]))
    assert result.exit_code == 2  # a usage error, as for reprocess
    assert f"error: {output[name]}: is also an input" in result.stderr
    assert sha256(warc) == before
    with pytest.raises(WarcError, match="is also an input"):
        {"export": export, "index": write_index, "wacz": write_wacz}[command]([warc], output[name])
    assert sha256(warc) == before


def test_a_damaged_warc_input_is_a_failure_after_its_good_pages(
    old_warc: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.warc.gz"
    data = old_warc.read_bytes()
    damaged.write_bytes(data[: len(data) * 2 // 3])
    report = archiver.reprocess([damaged, tmp_path / "gone.warc.gz"], warc=tmp_path / "o.warc.gz")
    assert 1 <= len(report) < 5
    assert [failure.source for failure in report.failures] == [
        str(damaged),
        str(tmp_path / "gone.warc.gz"),
    ]
    assert "truncated" in report.failures[0].message


def write_responses(path: Path) -> None:
    """A WARC as a crawler writes it: request and response records, HTTP encodings."""
    page = gzip.compress(GREEK_HTML.encode("iso-8859-7"))
    with open(path, "wb") as file:
        writer = WARCWriter(file, gzip=True, warc_version="WARC/1.1")

        def response(url: str, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=http
                )
            )

        request = StatusAndHeaders(
            "GET /2024/03/athens HTTP/1.1", [("Host", "news.example.gr")], is_http_request=True
        )
        writer.write_record(writer.create_warc_record(PAGE_URL, "request", http_headers=request))
        response(
            PAGE_URL,
            "200 OK",
            [
                ("Content-Type", "text/html; charset=iso-8859-7"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(page))),
            ],
            page,
        )
        chunked = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in (b"Hello ", b"world"))
        response(
            "https://news.example.gr/chunked",
            "200 OK",
            [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
            chunked + b"0\r\n\r\n",
        )
        response(
            "https://news.example.gr/robots.txt",
            "200 OK",
            [("Content-Type", "text/plain")],
            b"User-agent: *\nDisallow:\n",
        )
        response(
            "https://news.example.gr/gone",
            "404 Not Found",
            [("Content-Type", "text/html")],
            b"<p>no</p>",
        )
        response(
            "https://news.example.gr/logo.png",
            "200 OK",
            [("Content-Type", "image/png")],
            b"\x89PNG",
        )


def test_captures_of_response_records_are_decoded(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    write_responses(crawl)
    skipped: list[archiver.warc.SkippedRecord] = []
    captures = list(archiver.read_captures(crawl, on_skipped=skipped.append))
    assert [(c.target_uri, c.status) for c in captures] == [
        (PAGE_URL, 200),
        ("https://news.example.gr/chunked", 200),
    ]
    # Not pages: a plain-text response, a 404, an image.
    assert [str(record) for record in skipped] == [
        "robots.txt (text/plain)",
        "gone (text/html, HTTP 404)",
        "logo.png (image/png)",
    ]
    assert captures[0].payload == GREEK_HTML.encode("iso-8859-7")  # gzip undone
    assert captures[0].content_type == "text/html; charset=iso-8859-7"
    assert captures[1].payload == b"Hello world"  # chunking undone
    assert list(archiver.read(crawl)) == []  # response records are read, not mistaken


def test_a_utf16_page_of_a_response_record_with_no_content_type_is_a_page(tmp_path: Path) -> None:
    # Its kind was sniffed from its raw bytes, where "<html" has NULs between its letters:
    # it was skipped as no page. It is read as load() reads it (a byte-order mark, or the
    # NULs of UTF-16), which decodes and extracts it.
    page = GREEK_HTML.replace("<meta charset='iso-8859-7'>", "")
    bodies = {
        f"{PAGE_URL}/le-bom": codecs.BOM_UTF16_LE + page.encode("utf-16-le"),
        f"{PAGE_URL}/be-bom": codecs.BOM_UTF16_BE + page.encode("utf-16-be"),
        f"{PAGE_URL}/le": page.encode("utf-16-le"),
        f"{PAGE_URL}/be": page.encode("utf-16-be"),
    }
    crawl = tmp_path / "crawl.warc.gz"
    with open(crawl, "wb") as file:
        writer = WARCWriter(file, gzip=True, warc_version="WARC/1.1")
        for url, body in [*bodies.items(), (f"{PAGE_URL}/text", "Καλημέρα σας.".encode("utf-16"))]:
            http = StatusAndHeaders("200 OK", [], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http
            )
            writer.write_record(record)
    skipped: list[archiver.warc.SkippedRecord] = []
    captures = list(archiver.read_captures(crawl, on_skipped=skipped.append))
    assert [(c.target_uri, c.content_type, c.payload) for c in captures] == [
        (url, None, body) for url, body in bodies.items()
    ]
    assert [record.target_uri for record in skipped] == [f"{PAGE_URL}/text"]  # not HTML
    report = archiver.reprocess(crawl, warc=tmp_path / "out.warc.gz")
    assert report.ok and len(report) == 4
    assert {article.title for article in report} == {"Νέα μέτρα για την Αθήνα"}


def test_a_revisit_without_a_payload_digest_is_re_extracted_or_reported(
    tmp_path: Path,
) -> None:
    # The server-not-modified profile makes WARC-Payload-Digest optional: such a revisit
    # was neither re-extracted nor reported, as if the file had not held it.
    profile = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    crawl = tmp_path / "crawl.warc.gz"
    with open(crawl, "wb") as file:
        writer = WARCWriter(file, gzip=True, warc_version="WARC/1.1")
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        original = writer.create_warc_record(
            PAGE_URL, "response", payload=io.BytesIO(GREEK_HTML.encode()), http_headers=http
        )
        writer.write_record(original)
        for refers_to in (original.rec_headers.get_header("WARC-Record-ID"), "<urn:uuid:gone>"):
            not_modified = StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1")
            revisit = writer.create_warc_record(
                PAGE_URL,
                "revisit",
                payload=io.BytesIO(b""),
                length=0,
                http_headers=not_modified,
                warc_headers_dict={"WARC-Profile": profile, "WARC-Refers-To": refers_to},
            )
            revisit.rec_headers.remove_header("WARC-Payload-Digest")
            writer.write_record(revisit)
    skipped: list[archiver.warc.SkippedRecord] = []
    captures = list(archiver.read_captures(crawl, on_skipped=skipped.append))
    assert [c.record_type for c in captures] == ["response", "revisit"]
    assert captures[1].payload == GREEK_HTML.encode()
    assert [(record.target_uri, record.unresolved) for record in skipped] == [(PAGE_URL, True)]
    result = run("reprocess", str(crawl), "-o", str(tmp_path / "out.warc.gz"))
    assert result.exit_code == 0
    assert "archived 2 of 2 inputs" in result.stderr
    assert f"skipped 1 revisit record whose response no file read holds: {PAGE_URL}" in (
        result.stderr
    )


def test_a_revisit_of_a_response_that_is_not_a_page_is_reported_as_skipped(
    tmp_path: Path,
) -> None:
    # It was dropped: neither re-extracted nor among the records named as not pages.
    crawl = tmp_path / "crawl.warc.gz"
    with open(crawl, "wb") as file:
        writer = WARCWriter(file, gzip=True, warc_version="WARC/1.1")
        http = StatusAndHeaders("200 OK", [("Content-Type", "application/pdf")], "HTTP/1.1")
        pdf = writer.create_warc_record(
            "https://news.example.gr/a.pdf",
            "response",
            payload=io.BytesIO(b"%PDF-1.4 a report"),
            http_headers=http,
        )
        writer.write_record(pdf)
        profile = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        digest = pdf.rec_headers.get_header("WARC-Payload-Digest")
        revisit = writer.create_warc_record(
            "https://news.example.gr/b.pdf",
            "revisit",
            payload=io.BytesIO(b""),
            length=0,
            warc_headers_dict={"WARC-Profile": profile, "WARC-Payload-Digest": digest},
        )
        writer.write_record(revisit)
    result = run("reprocess", str(crawl), "-o", str(tmp_path / "out.warc.gz"))
    assert result.exit_code == 0
    assert (
        "skipped 2 records that are not pages: a.pdf (application/pdf), b.pdf (application/pdf)"
        in result.stderr
    )


def test_a_partial_content_response_is_not_a_page(tmp_path: Path) -> None:
    # A 206 holds a range of the page: it was archived as an article of its fragment.
    crawl = tmp_path / "crawl.warc.gz"
    with open(crawl, "wb") as file:
        writer = WARCWriter(file, gzip=True, warc_version="WARC/1.1")
        headers = [("Content-Type", "text/html"), ("Content-Range", "bytes 0-99/5000")]
        http = StatusAndHeaders("206 Partial Content", headers, "HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                "https://news.example.gr/story",
                "response",
                payload=io.BytesIO(GREEK_HTML.encode()[:100]),
                http_headers=http,
            )
        )
    result = run("reprocess", str(crawl), "-o", str(tmp_path / "out.warc.gz"))
    assert "skipped 1 record that is not a page: story (text/html, HTTP 206)" in result.stderr


def test_reextraction_of_response_records(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    write_responses(crawl)
    before = sha256(crawl)
    out = tmp_path / "derived.warc.gz"
    report = archiver.reprocess([crawl], warc=out)
    assert sha256(crawl) == before
    article = report.articles[0]
    assert article.title == "Νέα μέτρα για την Αθήνα"
    assert "καθαριότητα" in article.text
    assert article.url == PAGE_URL
    (entry,) = [e for e in archiver.read_latest([crawl, out]) if e.target_uri == PAGE_URL]
    response_ids = [h["WARC-Record-ID"] for h, _ in records(crawl) if h["WARC-Type"] == "response"]
    assert entry.capture_id == response_ids[0]


# --- diff -------------------------------------------------------------------------------


def test_diff_shows_what_changed_between_extractor_versions(
    old_warc: Path, reextracted: tuple[Path, str, str]
) -> None:
    changes = archiver.diff(old_warc, reextracted[0])
    # A new extractor version alone is no change: only the output counts.
    assert [change.status for change in changes] == ["changed"] * 2 + ["same"] * 3
    title_change, body_change, *others = changes
    assert title_change.fields == ("title",)
    assert title_change.text_f1 == 1.0
    assert body_change.fields == ("language",)
    assert body_change.text_f1 is not None and 0.9 < body_change.text_f1 < 1.0
    for change in changes:
        assert change.old_extractor is not None and change.old_extractor.version == OLD_VERSION
        assert change.new_extractor is not None
        assert change.new_extractor.version != OLD_VERSION
    for change in others:
        assert change.fields == () and change.text_f1 == 1.0


def test_diff_of_an_archive_with_itself_and_added_removed(seeds_warc: Path, tmp_path: Path) -> None:
    assert {change.status for change in archiver.diff(seeds_warc, seeds_warc)} == {"same"}
    crawl = tmp_path / "crawl.warc.gz"
    write_responses(crawl)
    derived = tmp_path / "derived.warc.gz"
    archiver.reprocess([crawl], warc=derived)
    statuses = [change.status for change in archiver.diff(seeds_warc, derived)]
    assert statuses == ["removed"] * 5 + ["added"] * 2


# --- CDXJ index and WACZ ------------------------------------------------------------------


def test_a_lone_path_is_one_warc_file(seeds_warc: Path, tmp_path: Path) -> None:
    # Iterated, a str is its characters, each taken for a path: "s", "e"... ("/" walked
    # the whole file system in reprocess).
    lone = str(seeds_warc)
    assert len(list(archiver.read_latest(lone))) == 5
    assert archiver.export(lone, tmp_path / "a.jsonl") == 5
    assert archiver.write_index(seeds_warc, tmp_path / "a.cdxj") == 5
    assert archiver.write_wacz(lone, tmp_path / "a.wacz") == 5


def test_index_lists_every_capture_sorted(seeds_warc: Path, tmp_path: Path) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    write_responses(crawl)
    out = tmp_path / "index.cdxj"
    assert archiver.write_index([seeds_warc, crawl], out) == 10
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    uris = {article.url or "" for article in archiver.read(seeds_warc)}  # all None: urn:sha256
    assert uris == {""}
    assert {e["url"] for e in entries if e["filename"] == "seeds.warc.gz"} == {
        entry.target_uri for entry in archiver.read_latest([seeds_warc])
    }
    # Captures only: the Article JSON would shadow the page in a replay tool.
    assert {e["mime"] for e in entries} == {"text/plain", "text/html", "image/png"}
    assert "gr,example,news)/2024/03/athens" in {line.split(" ")[0] for line in lines}


def test_index_names_a_bad_warc(seeds_warc: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"this is not a WARC file\n")
    with pytest.raises(WarcError, match=r"bad\.warc\.gz: not a WARC file"):
        archiver.write_index([seeds_warc, bad], tmp_path / "index.cdxj")
    assert not list(tmp_path.glob("index.cdxj*"))


def wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wacz_has_our_pages_with_text_and_validates(
    old_warc: Path, reextracted: tuple[Path, str, str], tmp_path: Path
) -> None:
    derived = reextracted[0]
    out = tmp_path / "collection.wacz"
    assert archiver.write_wacz([old_warc, derived], out, title="Seeds") == 5
    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        assert {"archive/old.warc.gz", "archive/derived.warc.gz", "pages/pages.jsonl"} <= names
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx.gz"} <= names
        header, *pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        package = json.loads(wacz.read("datapackage.json"))
    assert header["format"] == "json-pages-1.0" and header["hasText"] is True
    assert package["wacz_version"] == "1.1.1" and package["title"] == "Seeds"
    assert package["metadata"]["title"] == "Seeds"  # where ReplayWeb.page reads it
    latest = list(archiver.read_latest([old_warc, derived]))
    assert [(p["url"], p["title"], p["text"]) for p in pages] == [
        (e.target_uri, e.article.title, e.article.text) for e in latest
    ]
    assert all(p["ts"] == "2020-01-02T03:04:05.000Z" for p in pages)  # the capture's date
    result = wacz_validate(out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_wacz_refuses_two_warcs_of_one_name(seeds_warc: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / seeds_warc.name
    other.parent.mkdir()
    shutil.copy(seeds_warc, other)
    with pytest.raises(WarcError, match="same file name"):
        archiver.write_wacz([seeds_warc, other], tmp_path / "x.wacz")
    assert not list(tmp_path.glob("x.wacz*"))


def test_wacz_gives_unsafe_names_safe_ones_and_two_that_meet_a_number(
    seeds_warc: Path, tmp_path: Path
) -> None:
    # A bulk file named as before (~host), and a file whose safe name is that one's.
    old = shutil.copy(seeds_warc, tmp_path / "archiver-20240301-00000-42~My Host.warc.gz")
    same = shutil.copy(seeds_warc, tmp_path / "archiver-20240301-00000-42-my-host.warc.gz")
    out = tmp_path / "x.wacz"
    assert archiver.write_wacz([old, same], out) == 5
    with zipfile.ZipFile(out) as wacz:
        names = sorted(name for name in wacz.namelist() if name.startswith("archive/"))
    assert names == [
        "archive/archiver-20240301-00000-42-my-host-2.warc.gz",
        "archive/archiver-20240301-00000-42-my-host.warc.gz",
    ]
    result = wacz_validate(out)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the commands -------------------------------------------------------------------------


def test_cli_reprocess_export_index_wacz_diff(old_warc: Path, tmp_path: Path) -> None:
    before = sha256(old_warc)
    derived = tmp_path / "derived.warc.gz"
    result = run("reprocess", str(old_warc), "-o", str(derived))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith(f"{old_warc}\t")
    assert "archived 5 of 5 inputs" in result.stderr
    assert sha256(old_warc) == before

    result = run("reprocess", str(old_warc), "-o", str(old_warc))
    assert result.exit_code == 2 and "is also an input" in result.stderr

    result = run("export", str(old_warc), str(derived))
    assert result.exit_code == 0, result.output
    exported = [Article.from_json(line) for line in result.stdout.splitlines()]
    assert exported == [e.article for e in archiver.read_latest([old_warc, derived])]
    assert "exported 5 articles to stdout" in result.stderr

    csv_out = tmp_path / "a.csv"
    result = run("-q", "export", str(derived), "-f", "csv", "-o", str(csv_out))
    assert result.exit_code == 0 and result.stderr == ""
    assert csv_out.read_text(encoding="utf-8").startswith(",".join(CSV_COLUMNS))

    result = run("index", str(old_warc))
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 5

    result = run("wacz", str(old_warc), str(derived), "-o", str(tmp_path / "c.wacz"))
    assert result.exit_code == 0, result.output
    assert "5 pages" in result.stderr

    result = run("diff", str(old_warc), str(derived))
    assert result.exit_code == 0, result.output
    header, *rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert header == ["status", "uri", "old", "new", "f1", "fields"]
    assert [(row[0], row[5]) for row in rows] == [("changed", "title"), ("changed", "language")]
    assert all(row[2].split()[1] == OLD_VERSION for row in rows)
    assert "2 of 5 articles changed" in result.stderr


def test_outputs_report_the_bytes_of_each_warc_file_read(
    old_warc: Path, reextracted: tuple[Path, str, str], tmp_path: Path
) -> None:
    derived = reextracted[0]
    sizes = [old_warc.stat().st_size, derived.stat().st_size]
    both = sum(sizes)

    seen: list[tuple[int, int]] = []
    archiver.export([old_warc, derived], io.StringIO(), progress=lambda *a: seen.append(a))
    assert seen == [(sizes[0], both), (both, both)]

    seen.clear()  # index and wacz read each file twice: to check it, then to use it
    archiver.write_index([old_warc, derived], io.StringIO(), progress=lambda *a: seen.append(a))
    assert [done for done, _ in seen] == [sizes[0], both, both + sizes[0], 2 * both]
    assert {total for _, total in seen} == {2 * both}

    seen.clear()
    wacz = tmp_path / "c.wacz"
    archiver.write_wacz([old_warc, derived], wacz, progress=lambda *a: seen.append(a))
    # Checked, pages read, then packaged by the wacz package: each file three times.
    assert seen[-1] == (3 * both, 3 * both) and len(seen) == 6

    seen.clear()  # diff reads old, then new: the same file twice counts twice
    archiver.diff(derived, derived, progress=lambda *a: seen.append(a))
    assert seen == [(sizes[1], 2 * sizes[1]), (2 * sizes[1], 2 * sizes[1])]


def test_cli_errors_name_the_file(tmp_path: Path) -> None:
    for command in ("export", "index"):
        result = run(command, str(tmp_path / "none.warc.gz"))
        assert result.exit_code == 1
        assert result.stderr == f"error: {tmp_path / 'none.warc.gz'}: no such file or folder\n"
    result = run("wacz", str(tmp_path / "none.warc.gz"), "-o", str(tmp_path / "x.wacz"))
    assert result.exit_code == 1 and "no such file" in result.stderr


# --- archives written before the text left the metadata record --------------------------


def in_old_format(source: Path, out: Path) -> Path:
    """``source`` as news-archiver wrote it before: the text in the metadata JSON too,
    every key of the Article (null and empty ones too), the ``fetch`` object whole (the
    response's URL, status and Content-Type repeated), JSON with spaces."""
    texts: dict[str, str] = {}
    response: Any = None
    with open(source, "rb") as file, open(out, "wb") as target:
        writer = WARCWriter(target, gzip=True, warc_version="WARC/1.1")
        for record in ArchiveIterator(file):
            headers = record.rec_headers
            if record.rec_type in ("response", "revisit"):
                response = record
            if record.rec_type not in ("conversion", "metadata"):
                writer.write_record(record)
                continue
            block = record.content_stream().read()
            if record.rec_type == "conversion":
                texts[headers.get_header("WARC-Record-ID")] = block.decode("utf-8")
            else:
                block = old_metadata(json.loads(block), texts, response)
            copy = writer.create_warc_record(
                headers.get_header("WARC-Target-URI") or "",
                record.rec_type,
                payload=io.BytesIO(block),
                length=len(block),
                warc_content_type=headers.get_header("Content-Type"),
                warc_headers_dict={
                    name: value
                    for name, value in headers.headers
                    if name not in ("Content-Length", "WARC-Block-Digest", "WARC-Payload-Digest")
                },
            )
            writer.write_record(copy)
    return out


def old_metadata(data: dict[str, Any], texts: dict[str, str], response: Any) -> bytes:
    if "text_record" in data:
        extra = {k: v for k, v in data.items() if k not in Article.__dataclass_fields__}
        del extra["text_record"]
        text = texts[data["text_record"]]
        data = {**Article.from_dict({**data, "text": text}).to_dict(), **extra}
    if "fetch" in data:
        data["fetch"] = old_fetch(data["fetch"], response)
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def old_fetch(fetched: dict[str, Any], response: Any) -> dict[str, Any]:
    """The ``fetch`` object as it was written before, keys in their order then."""
    uri = response.rec_headers.get_header("WARC-Target-URI")
    return {
        "requested_url": fetched.get("requested_url", uri),
        "url": uri,
        "status": int(response.http_headers.get_statuscode()),
        "content_type": response.http_headers.get_header("Content-Type"),
        "redirects": fetched.get("redirects", []),
        "attempts": fetched["attempts"],
    }


def test_archives_with_the_text_in_metadata_are_read_by_every_command(
    old_warc: Path, reextracted: tuple[Path, str, str], tmp_path: Path
) -> None:
    derived = reextracted[0]
    before_old = in_old_format(old_warc, tmp_path / "old-format.warc.gz")
    before_derived = in_old_format(derived, tmp_path / "derived-format.warc.gz")
    assert b"text_record" not in gzip.decompress(before_old.read_bytes())
    assert list(archiver.read(before_old)) == list(archiver.read(old_warc))
    assert [e.article for e in archiver.read_latest([before_old, before_derived])] == [
        e.article for e in archiver.read_latest([old_warc, derived])
    ]

    result = run("read", str(before_old), "--format", "json")
    assert (
        result.exit_code == 0
        and result.stdout == run("read", str(old_warc), "--format", "json").stdout
    )
    result = run("export", str(before_old), str(before_derived))
    assert result.exit_code == 0 and "exported 5 articles" in result.stderr
    result = run("index", str(before_old))
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 5
    result = run("diff", str(before_old), str(before_derived))
    assert result.exit_code == 0 and "2 of 5 articles changed" in result.stderr
    result = run("wacz", str(before_old), str(before_derived), "-o", str(tmp_path / "c.wacz"))
    assert result.exit_code == 0 and "5 pages" in result.stderr, result.output
    again = tmp_path / "again.warc.gz"
    result = run("reprocess", str(before_old), "-o", str(again))
    assert result.exit_code == 0 and "archived 5 of 5 inputs" in result.stderr, result.output


def test_fetched_archives_in_the_old_and_the_new_format_read_alike(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    page = GREEK_HTML.encode("iso-8859-7")
    httpserver.expect_request("/a").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data(
        GREEK_HTML.replace("Αθήνα", "Πειραιά").encode("iso-8859-7"), content_type="text/html"
    )
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    new = tmp_path / "new.warc.gz"
    config = FetchConfig(allow_private=True, obey_robots=False, retries=0)
    with WarcWriter(new) as writer:
        for path in ("/a", "/old", "/gone"):
            with contextlib.suppress(HttpStatusError):
                archiver.archive(httpserver.url_for(path), writer, config=config)
    old = in_old_format(new, tmp_path / "old.warc.gz")
    assert b'"status": 200' in gzip.decompress(old.read_bytes())
    assert b'"status"' not in gzip.decompress(new.read_bytes())

    assert len(list(archiver.read(new))) == 2
    assert list(archiver.read(old)) == list(archiver.read(new))
    before, now = (
        run("read", str(old), "--format", "json"),
        run("read", str(new), "--format", "json"),
    )
    assert before.exit_code == 0 and before.stdout == now.stdout
    before, now = run("export", str(old)), run("export", str(new))
    assert before.exit_code == 0 and "exported 2 articles" in before.stderr
    assert before.stdout.replace(str(old), str(new)) == now.stdout
    before, now = run("index", str(old)), run("index", str(new))
    assert before.exit_code == 0 and "indexed 4 captures" in before.stderr
    assert len(before.stdout.splitlines()) == len(now.stdout.splitlines()) == 4
    result = run("diff", str(old), str(new))
    assert result.exit_code == 0 and "0 of 2 articles changed" in result.stderr
    result = run("wacz", str(old), "-o", str(tmp_path / "c.wacz"))
    assert result.exit_code == 0 and "2 pages" in result.stderr, result.output
    result = run("reprocess", str(old), "-o", str(tmp_path / "again.warc.gz"))
    assert result.exit_code == 0 and "archived 2 of 2 inputs" in result.stderr, result.output

    # A bulk run that was killed learns from salvage() what each page's fetch was.
    salvaged = []
    for path in (old, new):
        opened = tmp_path / f"{path.name}.open"
        shutil.copy(path, opened)
        kept = archiver.warc.salvage(opened)
        assert kept is not None
        salvaged.append([data["fetch"] for data in kept.metadata])
    assert salvaged[0] == salvaged[1]
    assert salvaged[1][1] == {
        "requested_url": httpserver.url_for("/old"),
        "url": httpserver.url_for("/b"),
        "status": 200,
        "content_type": "text/html",
        "redirects": [httpserver.url_for("/old")],
        "attempts": 1,
    }
    assert salvaged[1][2]["status"] == 404


def test_an_output_that_is_a_fifo_is_written_to_not_replaced(
    seeds_warc: Path, tmp_path: Path
) -> None:
    """`-o` was written as OUT.open and renamed over OUT: a named pipe's reader got
    nothing, and `-o /dev/null` as root left /dev/null a regular file (a device is not
    tried here: a regression would replace it)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # Opened first, not blocking, so that the writer's open succeeds and nothing waits.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert write_index([seeds_warc], fifo) == 5
        received = os.read(reader, 1 << 16).decode()
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(received.splitlines()) == 5 and not Path(f"{fifo}.open").exists()


def test_a_warc_or_wacz_output_that_is_a_fifo_is_refused_and_kept(
    seeds_warc: Path, tmp_path: Path
) -> None:
    """A WARC file is written as OUT.open, synced and renamed over OUT: `reprocess -o
    /dev/null` as root replaced /dev/null with a regular file (a device is not tried
    here: a regression would replace it). A pipe can be neither synced nor cut back."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cause = "cannot write a {} file to a device or a named pipe: give a file name"
    with pytest.raises(WarcError, match=cause.format("WARC")):
        WarcWriter(fifo)
    with pytest.raises(WarcError, match=cause.format("WACZ")):
        write_wacz([seeds_warc], fifo)
    result = run("reprocess", str(SEEDS), "-o", str(fifo))
    assert result.exit_code == 2 and cause.format("WARC") in result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipe"]
