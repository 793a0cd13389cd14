"""Hostile and damaged WARC files (issue 13): every reader has a size, depth and time
budget, one bad record or input never stops the good ones, and every command that reads
WARC files gives the same verdict on the same damage, with the documented exit status.

The files are crafted here, with warcio or as raw bytes; the large ones are sparse or
highly compressible, so that they cost neither disk nor time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import time
import tracemalloc
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from click.testing import CliRunner, Result
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import archiver
from archiver.capture import DEFAULT_MAX_BYTES
from archiver.cli import main
from archiver.errors import InputError, InputTooLargeError, WarcError
from archiver.warc import reader as warc_reader
from archiver.warc import salvage
from archiver.warc.bodies import warcio_decodes
from archiver.warc.files import quote

ROOT = Path(__file__).resolve().parent.parent

PAGE = (
    "<!doctype html><html><head><title>A page of the news</title></head><body><article>"
    "<h1>A page of the news</h1>"
    + "".join(
        f"<p>Paragraph {i}: the council met today and agreed on new measures for the "
        "cleaning of the streets and squares of the city, after months of talks.</p>"
        for i in range(1, 7)
    )
    + "</article></body></html>"
).encode()
URL = "https://news.example.org/2024/03/page"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr


# --- crafting WARC files ------------------------------------------------------------------


def write_records(path: Path, records: list[dict[str, Any]], *, compress: bool = True) -> Path:
    """A WARC file of ``records``: dicts with type, uri, block or (status, headers, body),
    and any extra WARC headers."""
    with open(path, "wb") as file:
        writer = WARCWriter(file, gzip=compress, warc_version="WARC/1.1")
        for spec in records:
            http = None
            if "body" in spec:
                http = StatusAndHeaders(
                    spec.get("status", "200 OK"), spec["headers"], protocol="HTTP/1.1"
                )
                payload = spec["body"]
            else:
                payload = spec["block"]
            record = writer.create_warc_record(
                spec.get("uri", URL),
                spec.get("type", "response"),
                payload=io.BytesIO(payload),
                length=None if http else len(payload),
                http_headers=http,
                warc_content_type=spec.get("content_type"),
                warc_headers_dict=spec.get("warc_headers", {}),
            )
            writer.write_record(record)
    return path


def response(uri: str, body: bytes, *, coding: str | None = None, **extra: Any) -> dict[str, Any]:
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if coding:
        headers.append(("Content-Encoding", coding))
    headers += extra.pop("more_headers", [])
    return {"type": "response", "uri": uri, "body": body, "headers": headers, **extra}


def metadata(block: bytes, uri: str = f"urn:metadata:{URL}") -> dict[str, Any]:
    return {"type": "metadata", "uri": uri, "block": block, "content_type": "application/json"}


def raw_record(headers: list[tuple[str, str]], block: bytes, end: bytes = b"\r\n\r\n") -> bytes:
    """A record as bytes, headers as given (no digests unless given)."""
    lines = [b"WARC/1.1"] + [f"{name}: {value}".encode() for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + block + end


def record_headers(record_type: str = "resource", **extra: str) -> list[tuple[str, str]]:
    headers = {
        "WARC-Type": record_type,
        "WARC-Record-ID": f"<urn:uuid:{uuid.uuid4()}>",
        "WARC-Date": "2024-03-01T10:30:15Z",
        "WARC-Target-URI": URL,
        "Content-Type": "text/html",
    }
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    return list(headers.items())


@pytest.fixture(scope="module")
def good_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WARC of ours: one page, its capture, conversion and metadata records."""
    folder = tmp_path_factory.mktemp("good")
    page = folder / "page.html"
    page.write_bytes(PAGE)
    out = folder / "good.warc.gz"
    report = archiver.reprocess([page], warc=out)
    assert report.ok and len(report.articles) == 1
    return out


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Path]:
    """Makes a file unreadable: mode 000, and, for root (whom modes do not stop), an
    open() of the reader that fails as the system would for anyone else."""

    def make(path: Path) -> Path:
        path.chmod(0)
        if os.geteuid() == 0:
            real_open = open

            def denying_open(file: Any, *args: Any, **kwargs: Any) -> Any:
                if Path(file) == path:
                    raise PermissionError(13, "Permission denied", str(file))
                return real_open(file, *args, **kwargs)

            monkeypatch.setattr(warc_reader, "open", denying_open, raising=False)
        return path

    return make


# --- case 4: br-encoded responses -----------------------------------------------------------


def test_case4_br_responses_are_read_and_a_bad_record_or_input_fails_alone(
    tmp_path: Path, good_warc: Path
) -> None:
    br = write_records(
        tmp_path / "br.warc.gz",
        [
            response(URL, brotli.compress(PAGE), coding="br"),
            response(f"{URL}/corrupt", b"\x8b\x00 not brotli at all" * 20, coding="br"),
            response(f"{URL}/gzip", gzip.compress(PAGE), coding="gzip"),
        ],
    )
    # warcio's own content_stream() fails on the first (see archiver.warc.bodies); ours not.
    captures = list(archiver.read_captures(br))
    assert [c.target_uri for c in captures] == [URL, f"{URL}/corrupt", f"{URL}/gzip"]
    assert captures[0].payload == PAGE and captures[0].error is None
    assert captures[2].payload == PAGE and captures[2].error is None
    bad = captures[1]
    assert isinstance(bad.error, InputError) and bad.payload == b""
    assert bad.error.source == f"{br}#{URL}/corrupt"
    assert bad.record_id in bad.error.message and "br" in bad.error.message

    # reprocess of a bad and a good input: both good pages of the first, and the second.
    out = tmp_path / "out.warc.gz"
    result = run("reprocess", str(br), str(good_warc), "-o", str(out))
    no_traceback(result)
    assert result.exit_code == 1
    assert f"error: {br}#{URL}/corrupt: record {bad.record_id}: " in result.stderr
    assert "archived 3 of 4 inputs" in result.stderr
    assert [a.title for a in archiver.read(out)] == ["A page of the news"] * 3


def test_case4_wacz_refuses_a_br_record_by_name_without_a_traceback(
    tmp_path: Path, good_warc: Path
) -> None:
    br = write_records(tmp_path / "br.warc.gz", [response(URL, brotli.compress(PAGE), coding="br")])
    record_id = next(archiver.read_captures(br)).record_id
    out = tmp_path / "c.wacz"
    result = run("wacz", str(good_warc), str(br), "-o", str(out))
    no_traceback(result)
    if warcio_decodes("br"):  # a warcio (or brotli) that has been fixed: it is packaged
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {br}: record {record_id} ")
    assert "Content-Encoding 'br'" in result.stderr and "wacz" in result.stderr
    assert not list(tmp_path.glob("c.wacz*"))


def test_case4_salvage_keeps_what_follows_a_br_response(tmp_path: Path) -> None:
    article = {"text": "t", "extractor": {"name": "x", "version": "1"}, "input_kind": "text"}
    left = write_records(
        tmp_path / "crawl.warc.gz.open",
        [
            response(URL, brotli.compress(PAGE), coding="br"),
            metadata(json.dumps(article).encode()),
        ],
    )
    salvaged = salvage(left)
    assert salvaged is not None and salvaged.metadata == [article]


# --- case 5: decompression within the input size limit --------------------------------------


def bomb(coding: str, size: int) -> bytes:
    page = b"<p>" + b"a" * size
    if coding == "gzip":
        return gzip.compress(page, 6)
    if coding == "deflate":
        return zlib.compress(page, 6)
    return brotli.compress(page, quality=1)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_case5_a_decompression_bomb_fails_alone_within_the_limit(
    tmp_path: Path, coding: str
) -> None:
    # Scaled down: a 1 MB limit (read_captures' max_bytes) and a 30 MB body, whose
    # stored form is tens of KB. The default limit is the same path with 20 MiB.
    limit = 1_000_000
    path = write_records(
        tmp_path / "bomb.warc.gz",
        [response(f"{URL}/bomb", bomb(coding, 30_000_000), coding=coding), response(URL, PAGE)],
    )
    tracemalloc.start()
    try:
        captures = list(archiver.read_captures(path, max_bytes=limit))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 * limit  # the decoder stops at the limit; 30 MB was never held
    bad, good = captures
    assert isinstance(bad.error, InputTooLargeError)
    assert bad.error.source == f"{path}#{URL}/bomb"
    assert bad.record_id in bad.error.message
    assert f"over the 1.0 MB limit once its {coding} Content-Encoding is undone" in str(bad.error)
    assert good.error is None and good.payload == PAGE


def test_case5_every_stored_body_is_bounded_chunked_and_identity_too(tmp_path: Path) -> None:
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in [PAGE] * 40) + b"0\r\n\r\n"
    path = write_records(
        tmp_path / "big.warc.gz",
        [
            response(f"{URL}/chunked", chunked, more_headers=[("Transfer-Encoding", "chunked")]),
            response(f"{URL}/plain", PAGE * 40),
            {
                "type": "resource",
                "uri": f"{URL}/file",
                "block": PAGE * 40,
                "content_type": "text/html",
            },
            response(URL, PAGE),
        ],
    )
    limit = len(PAGE) * 20
    captures = list(archiver.read_captures(path, max_bytes=limit))
    assert [type(c.error) for c in captures] == [InputTooLargeError] * 3 + [type(None)]
    assert [c.payload for c in captures[:3]] == [b""] * 3
    # Within the limit, chunking is undone as before.
    assert next(archiver.read_captures(path, max_bytes=len(PAGE) * 41)).payload == PAGE * 40


def test_case5_reprocess_reports_a_bomb_at_the_default_limit_and_archives_the_rest(
    tmp_path: Path,
) -> None:
    size = DEFAULT_MAX_BYTES + 1_000_000  # 22 MB decoded from about 21 KB
    path = write_records(
        tmp_path / "bomb.warc.gz",
        [response(f"{URL}/bomb", bomb("gzip", size), coding="gzip"), response(URL, PAGE)],
    )
    assert path.stat().st_size < 100_000
    out = tmp_path / "out.warc.gz"
    result = run("reprocess", str(path), "-o", str(out))
    no_traceback(result)
    assert result.exit_code == 1
    assert f"error: {path}#{URL}/bomb: record <urn:uuid:" in result.stderr
    assert "over the 21.0 MB limit once its gzip Content-Encoding is undone" in result.stderr
    assert "archived 1 of 2 inputs" in result.stderr
    assert len(list(archiver.read(out))) == 1


# --- case 8: file names that look like options --------------------------------------------------


def test_case8_a_warc_named_like_an_option_is_packaged_and_nothing_else_touched(
    tmp_path: Path, good_warc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(good_warc, tmp_path / "-ovictim.warc.gz")
    (tmp_path / "victim.warc.gz").write_bytes(b"someone else's file")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}

    result = run("wacz", "./-ovictim.warc.gz", "-o", "c.wacz", "--title", "-t --detect-pages")
    assert result.exit_code == 0, result.output
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert after.pop("c.wacz")
    assert after == before  # the victim and the input untouched, nothing added
    with zipfile.ZipFile(tmp_path / "c.wacz") as wacz:
        assert "archive/-ovictim.warc.gz" in wacz.namelist()
        package = json.loads(wacz.read("datapackage.json"))
    assert package["title"] == "-t --detect-pages"  # a title, not options


# --- case 10: crafted metadata records ---------------------------------------------------------

ARTICLE = {"text": "t", "extractor": {"name": "x", "version": "1"}, "input_kind": "text"}
CRAFTED = {
    "nested 100,000 deep": (
        b'{"text": "t", "extractor": {"name": "x", "version": "1"}, "input_kind": "text", '
        b'"tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "holds over 100000 values",
    ),
    "200,000 numbers": (
        b'{"text": "t", "extractor": {"name": "x", "version": "1"}, "input_kind": "text", '
        b'"tags": [' + b"1.5," * 200_000 + b"1.5]}",
        "holds over 100000 values",
    ),
    "nested 5,000 deep": (
        b'{"text": "t", "extractor": {"name": "x", "version": "1"}, "input_kind": "text", '
        b'"tags": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        "nested too deeply",
    ),
    "title a number": (json.dumps({**ARTICLE, "title": 5}).encode(), "title is int 5"),
    "text a list": (json.dumps({**ARTICLE, "text": ["a"]}).encode(), "text is list"),
    "authors of numbers": (json.dumps({**ARTICLE, "authors": [1, 2]}).encode(), "authors is"),
    "extractor a string": (json.dumps({**ARTICLE, "extractor": "x"}).encode(), "extractor is"),
    "published a number": (json.dumps({**ARTICLE, "published": 2024}).encode(), "published is"),
}


@pytest.mark.parametrize("label", list(CRAFTED))
def test_case10_a_crafted_metadata_record_is_an_error_naming_it(
    tmp_path: Path, good_warc: Path, label: str
) -> None:
    block, cause = CRAFTED[label]
    path = tmp_path / "crafted.warc.gz"
    shutil.copy(good_warc, path)
    with open(path, "ab") as file:  # after a good article: a gzip member of its own
        file.write(write_records(tmp_path / "m.warc.gz", [metadata(block)]).read_bytes())
    for command in (
        ["read", str(path)],
        ["export", str(path)],
        ["diff", str(good_warc), str(path)],
        ["wacz", str(path), "-o", str(tmp_path / "c.wacz")],
    ):
        result = run(*command)
        no_traceback(result)
        assert result.exit_code == 1, (command, result.output)
        message = result.stderr.strip().splitlines()[-1]
        assert re.match(rf"error: {re.escape(str(path))}: record <urn:uuid:[-0-9a-f]+>: ", message)
        assert cause in message and len(message) < 300


def test_case10_a_200_mb_metadata_record_is_reported_not_read(tmp_path: Path) -> None:
    # A sparse file: 200 MB of block that take no disk, streamed through in 64 KiB.
    size = 200_000_000
    record_id = f"<urn:uuid:{uuid.uuid4()}>"
    head = raw_record(
        record_headers(
            "metadata",
            WARC_Record_ID=record_id,
            Content_Type="application/json",
            Content_Length=str(size),
        ),
        b"",
        end=b"",
    )
    path = tmp_path / "huge.warc"
    with open(path, "wb") as file:
        file.write(head)
        file.seek(len(head) + size)
        file.write(b"\r\n\r\n")
    tracemalloc.start()
    try:
        with pytest.raises(WarcError) as caught:
            list(archiver.read(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000
    assert caught.value.message == (
        f"record {record_id}: its JSON is 200.0 MB, over the "
        f"{2 * DEFAULT_MAX_BYTES / 1e6:.1f} MB limit of a metadata record: not read"
    )
    result = run("export", str(path), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1 and "200.0 MB" in result.stderr
    assert not list(tmp_path.glob("out.jsonl*"))


def test_case10_export_holds_one_record_at_a_time(tmp_path: Path) -> None:
    text = "word " * 200_000  # about 1 MB a record
    path = write_records(
        tmp_path / "many.warc.gz",
        [
            metadata(
                json.dumps({**ARTICLE, "text": text}).encode(),
                uri=f"urn:metadata:{URL}/{number}",
            )
            for number in range(20)
        ],
    )

    class Sink(io.StringIO):
        """Counts the lines written, keeps none."""

        lines = 0

        def write(self, text: str) -> int:
            self.lines += text.count("\n")
            return len(text)

    archiver.export([path], Sink())  # once before measuring: the imports it makes
    out = Sink()
    tracemalloc.start()
    try:
        archiver.export([path], out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.lines == 20
    # 20 MB of articles, read twice (read_latest): memory holds a few copies of one
    # (its block, its text, its row), never two records.
    assert peak < 6_000_000


# --- case 11: header lines without a line end ----------------------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["warc", "warc.gz"])
def test_case11_a_header_line_without_an_end_fails_fast_with_a_short_message(
    tmp_path: Path, compress: bool
) -> None:
    line = b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: http://x/" + b"a" * 20_000_000
    path = tmp_path / ("long.warc.gz" if compress else "long.warc")
    path.write_bytes(gzip.compress(line, 1) if compress else line)
    started = time.monotonic()
    with pytest.raises(WarcError) as caught:
        list(archiver.read(path))
    # Only the 64 KiB budget is searched: a 20 MB line costs what a 64 KiB one does.
    assert time.monotonic() - started < 2
    assert caught.value.message.startswith("record 1: a header runs over 64 KiB: 'WARC-Target-URI")
    assert len(str(caught.value)) < len(str(path)) + 200


def test_case11_an_endless_http_header_line_is_bounded_too(tmp_path: Path) -> None:
    block = b"HTTP/1.1 200 OK\r\nSet-Cookie: " + b"c" * 1_000_000 + b"\r\n\r\n<p>x</p>"
    path = tmp_path / "http.warc"
    path.write_bytes(
        raw_record(
            record_headers(
                "response", Content_Type="application/http", Content_Length=str(len(block))
            ),
            block,
        )
    )
    with pytest.raises(WarcError, match=r"a header runs over 64 KiB: 'Set-Cookie: ccc"):
        list(archiver.read_captures(path))


def test_case11_quoting_bytes_of_a_file_is_short() -> None:
    assert quote(b"WARC/1.1\r\n") == "'WARC/1.1\\r\\n'"
    assert quote(b"\x00" * 1_000) == "'" + "\\x00" * 25 + "…'"
    assert quote("a" * 20_000_000) == "'" + "a" * 100 + "…'"
    assert len(quote(bytes(range(256)) * 1000)) <= 103


# --- case 15: one checked reading path, one verdict, the documented exit status --------------


def damaged_files(folder: Path, good: Path, unreadable: Callable[[Path], Path]) -> dict[str, Path]:
    data = good.read_bytes()
    plain = gzip.decompress(data)  # multi-member: all of them
    files: dict[str, bytes] = {
        "trailing NULs": data + b"\0" * 512,
        "trailing NULs, uncompressed": plain + b"\0" * 512,
        "bad WARC-Date": data
        + gzip.compress(
            raw_record(record_headers(WARC_Date="2024-13-45T99:00:00Z", Content_Length="1"), b"x")
        ),
        "truncated gzip member": data[:-40],
        "cut mid-file": data[: len(data) // 2],
        "wrong Content-Length": data
        + gzip.compress(raw_record(record_headers(Content_Length="3"), b"abcdef")),
        "digest mismatch": data
        + gzip.compress(
            raw_record(
                record_headers(Content_Length="1", WARC_Block_Digest="sha1:" + "A" * 32),
                b"x",
            )
        ),
        "no Content-Length": data + gzip.compress(raw_record(record_headers(), b"")),
        "endless header line": data + gzip.compress(b"WARC/1.1\r\nWARC-Type: " + b"r" * 100_000),
        "one gzip stream": gzip.compress(plain),
        "not a WARC file": b"<html>hello, not a WARC file</html>\n" * 10,
        "empty": b"",
    }
    paths = {}
    for label, content in files.items():
        paths[label] = folder / (label.replace(" ", "-").replace(",", "") + ".warc.gz")
        if label == "trailing NULs, uncompressed":
            paths[label] = paths[label].with_suffix("")
        paths[label].write_bytes(content)
    locked = folder / "unreadable.warc.gz"
    locked.write_bytes(data)
    paths["unreadable"] = unreadable(locked)
    paths["missing"] = folder / "missing.warc.gz"
    paths["directory"] = folder / "a-folder.warc.gz"
    paths["directory"].mkdir()
    return paths


def verdicts(path: Path, good: Path, out: Path) -> Iterator[tuple[str, Result]]:
    yield "read", run("read", str(path))
    yield "export", run("export", str(good), str(path), "-o", str(out / "a.jsonl"))
    yield "index", run("index", str(path), "-o", str(out / "i.cdxj"))
    yield "wacz", run("wacz", str(good), str(path), "-o", str(out / "c.wacz"))
    yield "diff", run("diff", str(path), str(good))
    if not path.is_dir():  # reprocess takes folders, of pages: it walks this one
        yield "reprocess", run("reprocess", str(path), str(good), "-o", str(out / "r.warc.gz"))


def test_case15_every_command_gives_the_same_verdict_on_the_same_damage(
    tmp_path: Path, good_warc: Path, unreadable: Callable[[Path], Path]
) -> None:
    files = damaged_files(tmp_path, good_warc, unreadable)
    out = tmp_path / "out"
    out.mkdir()
    expected = {
        "unreadable": "cannot read the file: Permission denied",
        "missing": "no such file",
        "directory": "is a directory, not a WARC file",
        "trailing NULs": "NUL bytes, not a gzip member, after the last record",
        "trailing NULs, uncompressed": "NUL bytes after the last record",
        "bad WARC-Date": "invalid WARC-Date '2024-13-45T99:00:00Z'",
        "truncated gzip member": "truncated",
        "cut mid-file": "truncated",
        "wrong Content-Length": "is not followed by the two CRLFs that end a record",
        "digest mismatch": "block digest failed",
        "no Content-Length": "has no Content-Length",
        "endless header line": "a header runs over 64 KiB",
        "one gzip stream": "does not start a gzip member of its own",
        "not a WARC file": "not a WARC file",
        "empty": "the file is empty",
    }
    assert set(expected) == set(files)
    for label, path in files.items():
        messages = {}
        for command, result in verdicts(path, good_warc, out):
            no_traceback(result)
            # The exit status docs/cli.md gives for an input that cannot be processed.
            assert result.exit_code == 1, (label, command, result.output)
            errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
            assert len(errors) == 1, (label, command, result.stderr)
            messages[command] = errors[0]
        assert len(set(messages.values())) == 1, (label, messages)
        message = messages["read"]
        assert message.startswith(f"error: {path}: "), message
        assert expected[label] in message, (label, message)
        assert len(message) < len(str(path)) + 300
        # Nothing half-made: the outputs that take all inputs are not written.
        assert not [p.name for p in out.iterdir() if p.name != "r.warc.gz"], label
    # reprocess archives the good input named along with the damaged one.
    assert len(list(archiver.read(out / "r.warc.gz"))) >= 1


def test_case15_the_exit_status_table_of_the_docs_says_so() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = text.split("## Exit statuses", 1)[1].split("\n## ", 1)[0]
    rows = {
        line.split("|")[1].strip(): line.split("|")[2] for line in table.splitlines() if "|" in line
    }
    assert "cannot be read" in rows["1"] and "damaged" in rows["1"]
    assert "Never for an input file" in rows["2"] and "unreadable" in rows["2"]


def test_a_capture_without_a_target_uri_is_refused_by_index_and_wacz(tmp_path: Path) -> None:
    """cdxj-indexer and the wacz package fail on it with an AttributeError, which index
    once quoted as the cause and wacz blamed on its output file."""
    page = b"<html><p>A page.</p></html>"
    headers = [(k, v) for k, v in record_headers("resource") if k != "WARC-Target-URI"]
    warc = tmp_path / "nouri.warc.gz"
    warc.write_bytes(
        gzip.compress(raw_record([*headers, ("Content-Length", str(len(page)))], page))
    )
    for args in (["index", str(warc)], ["wacz", str(warc), "-o", str(tmp_path / "x.wacz")]):
        result = run(*args)
        no_traceback(result)
        assert result.exit_code == 1
        assert f"error: {warc}: record <urn:uuid:" in result.stderr
        assert "without the WARC-Target-URI" in result.stderr


def test_reprocess_fails_a_capture_without_a_target_uri_alone(tmp_path: Path) -> None:
    """Its derived records were written with the URI `urn:text:` and an empty
    WARC-Refers-To-Target-URI, which index and wacz refuse in a capture."""
    headers = [(k, v) for k, v in record_headers("resource") if k != "WARC-Target-URI"]
    warc = tmp_path / "nouri.warc.gz"
    warc.write_bytes(
        gzip.compress(raw_record([*headers, ("Content-Length", str(len(PAGE)))], PAGE))
        + write_records(tmp_path / "good.warc.gz", [response(URL, PAGE)]).read_bytes()
    )
    out = tmp_path / "out.warc.gz"
    result = run("reprocess", str(warc), "-o", str(out))
    no_traceback(result)
    assert result.exit_code == 1
    record_id = dict(headers)["WARC-Record-ID"]
    assert (
        f"error: {warc}#: record {record_id} is a resource record without a WARC-Target-URI"
        in result.stderr
    )
    assert "archived 1 of 2 inputs" in result.stderr
    assert [entry.target_uri for entry in archiver.read_latest([out])] == [URL]
