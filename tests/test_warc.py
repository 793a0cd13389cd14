"""Tests for archiver.warc: the WARC layout, reproducible output, safe writing, reading back."""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import itertools
import json
import os
import re
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from warc_check import warcio_check
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

import archiver.warc.reader
import archiver.warc.writer
from archiver.article import Article, ExtractorInfo
from archiver.capture import load
from archiver.document import Document
from archiver.errors import WarcError
from archiver.warc.reader import read
from archiver.warc.writer import WarcWriter, target_uri

GREEK = (
    "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας και μία από τις αρχαιότερες πόλεις του κόσμου. "
    "Ο δήμαρχος ανακοίνωσε σήμερα νέα μέτρα για την καθαριότητα των δρόμων και των πλατειών."
)
GREEK_1253 = GREEK.encode("windows-1253")
HTML = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Rain</title></head>"
    b"<body><article><h1>Rain</h1><p>It rained in Athens.</p></article></body></html>"
)
URL = "https://news.example.gr/2024/03/rain"
DATE_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")
ID_RE = re.compile(r"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}>")


def ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"<urn:uuid:{uuid.UUID(int=next(counter))}>"


def clock() -> datetime:
    return datetime(2024, 3, 1, 10, 30, 15, 250000, tzinfo=UTC)


def html_capture() -> tuple[Document, Article]:
    document = load(HTML, name="rain.html", url=URL)
    article = Article(
        text="It rained in Athens.",
        extractor=ExtractorInfo("generic", "1.2.0"),
        input_kind="html",
        url=URL,
        site="news.example.gr",
        title="Rain",
        authors=("Μαρία Παπαδοπούλου", "John Smith"),
        published=datetime(2024, 3, 1, 9, 15, tzinfo=timezone(timedelta(hours=2))),
        language="en",
        tags=("weather",),
        captions=("Clouds over the Acropolis",),
    )
    return document, article


def text_capture() -> tuple[Document, Article]:
    document = load(GREEK_1253, name="x.txt")
    article = Article(
        text=GREEK + "\n\nΔεύτερη παράγραφος.",
        extractor=ExtractorInfo("kathimerini", "0.3", fallback=True),
        input_kind="text",
        title="Νέα μέτρα",
        published=date(2024, 2, 29),
        language="el",
    )
    return document, article


def write(path: Path, captures: list[tuple[Document, Article]]) -> Path:
    with WarcWriter(path, record_id=ids(), clock=clock) as writer:
        for document, article in captures:
            writer.write_article(document, article, target_uri=target_uri(document, article))
    return path


def records(path: Path) -> list[tuple[dict[str, str], str, bytes]]:
    """(headers, protocol, block) of every record, with warcio checking digests."""
    out = []
    with open(path, "rb") as file:
        for record in ArchiveIterator(file, check_digests="raise"):
            block = record.content_stream().read()
            out.append((dict(record.rec_headers.headers), record.rec_headers.protocol, block))
    return out


# -- writing and reading back ---------------------------------------------------------


def test_round_trip(tmp_path: Path) -> None:
    captures = [html_capture(), text_capture()]
    path = write(tmp_path / "a.warc.gz", captures)

    assert list(read(path)) == [article for _, article in captures]


def test_read_yields_each_re_extraction(tmp_path: Path) -> None:
    document, first = text_capture()
    second = Article(
        text="Only one paragraph.", extractor=ExtractorInfo("generic", "2.0"), input_kind="text"
    )
    path = write(tmp_path / "a.warc.gz", [(document, first), (document, second)])

    assert list(read(path)) == [first, second]


def test_output_is_deterministic(tmp_path: Path) -> None:
    captures = [html_capture(), text_capture()]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = write(tmp_path / "one" / "a.warc.gz", captures)
    two = write(tmp_path / "two" / "a.warc.gz", captures)

    assert one.read_bytes() == two.read_bytes()


def test_default_ids_and_dates_are_well_formed(tmp_path: Path) -> None:
    document, article = text_capture()
    with WarcWriter(tmp_path / "a.warc.gz") as writer:
        writer.write_article(document, article, target_uri=target_uri(document, article))

    for headers, _, _ in records(tmp_path / "a.warc.gz"):
        assert ID_RE.fullmatch(headers["WARC-Record-ID"])
        assert DATE_RE.fullmatch(headers["WARC-Date"])


def test_software_can_be_named(tmp_path: Path) -> None:
    with WarcWriter(tmp_path / "a.warc.gz", software="archiver-cli/9.9") as writer:
        writer.write_article(*text_capture(), target_uri="urn:x")

    _, _, info = records(tmp_path / "a.warc.gz")[0]
    assert b"software: archiver-cli/9.9\r\n" in info


def test_warc_date_is_utc_with_z(tmp_path: Path) -> None:
    athens = timezone(timedelta(hours=2))
    document, article = text_capture()
    moments = iter(
        [
            datetime(2024, 1, 1, 12, 0, tzinfo=athens),
            datetime(2024, 1, 1, 12, 0, 0, 5, tzinfo=athens),
        ]
    )
    with WarcWriter(tmp_path / "a.warc.gz", clock=lambda: next(moments)) as writer:
        writer.write_article(document, article, target_uri="urn:x")

    dates = [headers["WARC-Date"] for headers, _, _ in records(tmp_path / "a.warc.gz")]
    assert dates == ["2024-01-01T10:00:00Z"] + ["2024-01-01T10:00:00.000005Z"] * 3


# -- the layout -----------------------------------------------------------------------


def test_layout(tmp_path: Path) -> None:
    html_doc, html_article = html_capture()
    text_doc, text_article = text_capture()
    assert text_doc.raw == GREEK_1253
    path = write(tmp_path / "a.warc.gz", [(html_doc, html_article), (text_doc, text_article)])

    found = records(path)

    assert [headers["WARC-Type"] for headers, _, _ in found] == (
        ["warcinfo"] + ["resource", "conversion", "metadata"] * 2
    )
    assert {protocol for _, protocol, _ in found} == {"WARC/1.1"}
    for headers, _, _ in found:
        assert ID_RE.fullmatch(headers["WARC-Record-ID"])
        assert headers["WARC-Date"] == "2024-03-01T10:30:15.250000Z"
        assert "Content-Type" in headers

    info_headers, _, info = found[0]
    assert info_headers["Content-Type"] == "application/warc-fields"
    assert info_headers["WARC-Filename"] == "a.warc.gz"
    assert "WARC-Target-URI" not in info_headers
    fields = dict(line.split(": ", 1) for line in info.decode().splitlines())
    assert fields["software"] == f"news-archiver/{_version()}"
    assert fields["format"] == "WARC File Format 1.1"
    assert "warc-1.1" in fields["conformsTo"]

    sha = "urn:sha256:" + hashlib.sha256(GREEK_1253).hexdigest()
    captures = [
        (html_doc, html_article, URL, "text/html; charset=utf-8"),
        (text_doc, text_article, sha, f"text/plain; charset={text_doc.encoding}"),
    ]
    for n, (document, article, uri, content_type) in enumerate(captures):
        (resource, _, raw), (conversion, _, text), (metadata, _, meta) = found[
            1 + 3 * n : 4 + 3 * n
        ]
        assert resource["WARC-Target-URI"] == uri
        assert conversion["WARC-Target-URI"] == "urn:text:" + uri
        assert metadata["WARC-Target-URI"] == "urn:metadata:" + uri
        for headers in (conversion, metadata):
            assert headers["WARC-Refers-To"] == resource["WARC-Record-ID"]
            assert headers["WARC-Refers-To-Target-URI"] == uri
            assert headers["WARC-Refers-To-Date"] == resource["WARC-Date"]

        assert raw == document.raw
        assert resource["Content-Type"] == content_type
        assert resource["WARC-Payload-Digest"].startswith("sha1:")
        assert resource["WARC-Block-Digest"].startswith("sha1:")
        assert "WARC-Refers-To" not in resource

        assert text == article.text.encode("utf-8")
        assert conversion["Content-Type"] == "text/plain; charset=utf-8"
        assert metadata["Content-Type"] == "application/json"
        # The text is stored once, in the conversion record, which the JSON names; the
        # JSON is compact and leaves out null and empty values.
        expected = {**article.to_dict(), "source_name": document.name}
        del expected["text"]
        expected["text_record"] = conversion["WARC-Record-ID"]
        data = json.loads(meta)
        assert data == {k: v for k, v in expected.items() if v is not None and v != []}
        assert meta == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def test_a_text_over_the_limit_of_a_conversion_record_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "a.warc.gz", [html_capture()])
    limits = {"metadata": archiver.warc.reader.MAX_METADATA_BYTES, "conversion": 10}
    monkeypatch.setattr(archiver.warc.reader, "_KEPT", limits)  # as 40 MiB of text would
    with pytest.raises(WarcError, match="its text is over the .* limit of a conversion record"):
        list(read(path))


def test_metadata_naming_a_text_record_that_is_not_before_it_is_an_error(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "a.warc.gz", [html_capture()])
    broken = tmp_path / "broken.warc.gz"
    with open(path, "rb") as file, open(broken, "wb") as target:
        writer = WARCWriter(target, gzip=True, warc_version="WARC/1.1")
        for record in ArchiveIterator(file):
            if record.rec_type != "metadata":
                writer.write_record(record)
                continue
            data = json.loads(record.content_stream().read())
            data["text_record"] = "<urn:uuid:00000000-0000-0000-0000-00000000dead>"
            block = json.dumps(data).encode("utf-8")
            writer.write_record(
                writer.create_warc_record(
                    record.rec_headers.get_header("WARC-Target-URI"),
                    "metadata",
                    payload=io.BytesIO(block),
                    length=len(block),
                    warc_content_type="application/json",
                )
            )
    with pytest.raises(WarcError, match=r"broken\.warc\.gz: record .*: its text is in record"):
        list(read(broken))


def test_warcio_check_passes(tmp_path: Path) -> None:
    path = write(tmp_path / "a.warc.gz", [html_capture(), text_capture()])

    report = warcio_check(path)
    assert report.count("digest pass") == 7
    assert "failed" not in report


def test_each_record_is_its_own_gzip_member(tmp_path: Path) -> None:
    path = write(tmp_path / "a.warc.gz", [html_capture(), text_capture()])

    members = []
    data = path.read_bytes()
    while data:
        decompressor = zlib.decompressobj(wbits=31)
        members.append(decompressor.decompress(data))
        assert decompressor.eof
        data = decompressor.unused_data

    assert len(members) == 7
    for member in members:
        assert member.startswith(b"WARC/1.1\r\n")
        assert member.endswith(b"\r\n\r\n")
        assert member.count(b"WARC/1.1\r\nWARC-Type: ") == 1


# -- target URIs ----------------------------------------------------------------------


def test_target_uri_prefers_the_article_url() -> None:
    document = load(GREEK_1253, name="x.txt", url="https://example.com/document")
    _, article = text_capture()

    assert target_uri(document, article) == "https://example.com/document"
    assert (
        target_uri(
            document,
            Article(text="t", extractor=ExtractorInfo("g", "1"), input_kind="text", url=URL),
        )
        == URL
    )


def test_target_uri_of_a_bare_text_dump_hashes_the_bytes() -> None:
    _, article = text_capture()
    here = load(GREEK_1253, name="/home/a/x.txt")
    there = load(GREEK_1253, name="C:\\dumps\\other-name.txt")

    uri = target_uri(here, article)
    assert uri == "urn:sha256:" + hashlib.sha256(GREEK_1253).hexdigest()
    assert target_uri(there, article) == uri


# -- no half-written files ------------------------------------------------------------


def test_file_is_open_until_closed(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    document, article = text_capture()
    writer = WarcWriter(path)
    writer.write_article(document, article, target_uri="urn:x")

    assert writer.path == path
    assert not path.exists()
    assert (tmp_path / "a.warc.gz.open").exists()

    writer.close()
    assert path.exists()
    assert not (tmp_path / "a.warc.gz.open").exists()
    writer.close()  # a second close does nothing


def test_exception_inside_with_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    document, article = text_capture()

    with pytest.raises(RuntimeError), WarcWriter(path) as writer:
        writer.write_article(document, article, target_uri="urn:x")
        raise RuntimeError("boom")

    assert list(tmp_path.iterdir()) == []


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path / "a.warc.gz")
    writer.abort()
    writer.abort()

    assert list(tmp_path.iterdir()) == []
    with pytest.raises(WarcError, match="closed"):
        writer.write_article(*text_capture(), target_uri="urn:x")


def test_unwritable_location_raises_warc_error(tmp_path: Path) -> None:
    # A regular file as the parent fails even for root, unlike a read-only directory.
    (tmp_path / "file").write_text("not a directory")
    path = tmp_path / "file" / "a.warc.gz"

    with pytest.raises(WarcError) as caught:
        WarcWriter(path)

    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)
    assert "directory" in caught.value.message.lower()


class DiskFull(io.FileIO):
    """A file on a disk that fills up after `room` bytes."""

    room = 400

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def test_failed_write_removes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        archiver.warc.writer, "open", lambda path, mode: DiskFull(path, "w"), raising=False
    )
    path = tmp_path / "a.warc.gz"
    writer = WarcWriter(path)

    with pytest.raises(WarcError, match="No space left") as caught:
        writer.write_article(*text_capture(), target_uri="urn:x")

    assert caught.value.source == str(path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(WarcError, match="not written"):
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_failed_close_removes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    path = tmp_path / "a.warc.gz"
    writer = WarcWriter(path)
    monkeypatch.setattr(os, "fsync", fsync)

    with pytest.raises(WarcError, match="cannot finish"):
        writer.close()

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("uri", ["", "https://example.com/a\r\nWARC-Type: response"])
def test_invalid_target_uri_is_refused(tmp_path: Path, uri: str) -> None:
    with WarcWriter(tmp_path / "a.warc.gz") as writer, pytest.raises(WarcError, match="Target"):
        writer.write_article(*text_capture(), target_uri=uri)


def test_record_ids_must_be_urn_uuids(tmp_path: Path) -> None:
    with pytest.raises(WarcError, match="urn:uuid"):
        WarcWriter(tmp_path / "a.warc.gz", record_id=lambda: "42")

    assert list(tmp_path.iterdir()) == []


# -- reading other and broken files ---------------------------------------------------


def test_read_skips_records_that_are_not_ours(tmp_path: Path) -> None:
    document, article = text_capture()
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    foreign = [
        ("resource", b"just bytes", "text/plain"),
        ("metadata", b"via: somewhere\r\n", "application/warc-fields"),
        ("metadata", b'{"other": "json"}', "application/json"),
        ("metadata", b"{not json", "application/json"),
    ]
    for record_type, block, content_type in foreign:
        writer.write_record(
            writer.create_warc_record(
                "https://example.com/",
                record_type,
                payload=io.BytesIO(block),
                length=len(block),
                warc_content_type=content_type,
            )
        )
    path = tmp_path / "mixed.warc.gz"
    path.write_bytes(buffer.getvalue())
    with open(path, "ab") as file:  # gzip members may simply be concatenated
        file.write(write(tmp_path / "ours.warc.gz", [(document, article)]).read_bytes())

    assert list(read(path)) == [article]


def test_read_uncompressed_warc(tmp_path: Path) -> None:
    document, article = text_capture()
    packed = write(tmp_path / "a.warc.gz", [(document, article)])
    plain = tmp_path / "a.warc"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))

    assert list(read(plain)) == [article]


def _broken_files(tmp_path: Path) -> dict[str, Path]:
    good = write(tmp_path / "good.warc.gz", [html_capture(), text_capture()]).read_bytes()
    contents = {
        "text": GREEK.encode(),
        "html": HTML,
        "gzipped text": gzip.compress(b"hello, this is not a WARC\n" * 10),
        "empty": b"",
        "truncated gzip": good[: len(good) - 40],
        "cut mid-file": good[: len(good) // 2],
        "corrupt byte": good[:300] + bytes([good[300] ^ 0xFF]) + good[301:],
    }
    paths = {}
    for label, data in contents.items():
        paths[label] = tmp_path / (label.replace(" ", "-") + ".warc.gz")
        paths[label].write_bytes(data)
    paths["missing"] = tmp_path / "missing.warc.gz"
    paths["directory"] = tmp_path
    return paths


@pytest.mark.parametrize(
    "label",
    [
        "text",
        "html",
        "gzipped text",
        "empty",
        "truncated gzip",
        "cut mid-file",
        "corrupt byte",
        "missing",
        "directory",
    ],
)
def test_read_of_a_bad_file_raises_warc_error(tmp_path: Path, label: str) -> None:
    path = _broken_files(tmp_path)[label]

    with pytest.raises(WarcError) as caught:
        list(read(path))

    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.message


def test_read_of_a_missing_file_fails_at_the_call(tmp_path: Path) -> None:
    with pytest.raises(WarcError, match="no such file"):
        read(tmp_path / "missing.warc.gz")


def test_invalid_article_json_of_ours_is_an_error(tmp_path: Path) -> None:
    block = json.dumps({"text": "t", "extractor": {"nom": "x"}, "input_kind": "text"}).encode()
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    writer.write_record(
        writer.create_warc_record(
            "urn:x",
            "metadata",
            payload=io.BytesIO(block),
            length=len(block),
            warc_content_type="application/json",
        )
    )
    path = tmp_path / "a.warc.gz"
    path.write_bytes(buffer.getvalue())

    with pytest.raises(WarcError, match="not a valid Article"):
        list(read(path))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("news-archiver")
    except PackageNotFoundError:
        return "0+unknown"
