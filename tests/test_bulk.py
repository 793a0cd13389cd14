"""Bulk archiving: every URL archived or reported, once; politeness; resume after kill -9."""

from __future__ import annotations

import asyncio
import codecs
import collections
import contextlib
import dataclasses
import errno
import itertools
import json
import logging
import multiprocessing
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from pytest_httpserver import HTTPServer
from site_farm import SiteFarm, outcome
from warc_check import requested_url, warcio_check
from warcio.archiveiterator import ArchiveIterator
from werkzeug import Request, Response

import archiver
from archiver.capture import FetchConfig
from archiver.errors import InputError, shown_name
from archiver.runs import BulkConfig, folders, rotation, scheduler, single
from archiver.runs.bookkeeping import FAILURE_REPORT, STATE_FILE, ingest, recover
from archiver.runs.ledger import DONE, Ledger, LedgerCounts
from archiver.runs.urls import normalize_url, open_url_list, url_lines
from archiver.runs.workers import ThreadWorkers
from archiver.warc import WarcWriter, read_captures

#: Fast and strict: no retries (a 500 fails at once), no wait between a host's requests;
#: the farm's loopback addresses allowed (a run refuses private addresses by default).
FAST = BulkConfig(
    per_host_delay=0, workers=1, fetch=FetchConfig(retries=0, timeout=10, allow_private=True)
)
#: The same on the command line.
FAST_OPTIONS = ("--per-host-delay", "0", "--retries", "0", "--allow-private")
WARC_NAME = r"archiver-\d{17}-\d{5}-\d+-[-a-z0-9._]+\.warc\.gz"


@pytest.fixture
def farm() -> Iterator[SiteFarm]:
    farm = SiteFarm(hosts=4)
    yield farm
    farm.close()


def write_list(path: Path, urls: list[str], extra: list[str] = ()) -> Path:  # type: ignore[assignment]
    path.write_text("# a list\n\n" + "\n".join([*urls, *extra]) + "\n", encoding="utf-8")
    return path


def page_number(url: str) -> int:
    return int(url.rsplit("/", 1)[1])


def archived_urls(folder: Path) -> list[str]:
    """The requested URL of every page in the folder's WARC files, one per page stored."""
    found = []
    for warc in sorted(folder.glob("*.warc.gz")):
        with open(warc, "rb") as file:
            for record in ArchiveIterator(file):
                if record.rec_type == "metadata":
                    found.append(requested_url(record))
    return found


def failure_rows(folder: Path) -> list[dict[str, object]]:
    lines = (folder / FAILURE_REPORT).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def check_every_url_accounted_for(folder: Path, urls: list[str], invalid: list[str]) -> None:
    """Each URL stored once or reported once, as its page number says it must be."""
    stored = archived_urls(folder)
    duplicates = [url for url, count in collections.Counter(stored).items() if count > 1]
    assert not duplicates, f"stored twice: {duplicates[:5]}"
    failures = failure_rows(folder)
    reported = [str(row["url"]) for row in failures]
    assert len(reported) == len(set(reported)), "a URL reported twice"
    assert not list(folder.glob("*.open")), "a WARC file left open"
    by_url = {str(row["url"]): row for row in failures}
    for url in urls:
        expected, kept = outcome(page_number(url))
        assert (url in stored) == kept, url
        if expected == "done":
            assert url not in by_url, url
        else:
            assert by_url[url]["error"] == expected, (url, by_url[url])
    assert set(stored) <= set(urls)
    assert {str(row["url"]) for row in failures} - set(urls) == set(invalid)
    for warc in folder.glob("*.warc.gz"):
        warcio_check(warc)


# --- URLs and lists -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:443/a?b=1#frag", "https://example.com/a?b=1"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("  http://bücher.de/ ", "http://xn--bcher-kva.de/"),
        ("http://[::1]:8000/p", "http://[::1]:8000/p"),
        ("http://example.com./", "http://example.com./"),
        # Dot segments go, as httpx drops them when it asks (the query is no path).
        ("https://example.com/a/../b/./c?x=/../", "https://example.com/b/c?x=/../"),
        ("https://example.com/..", "https://example.com/"),
    ],
)
def test_normalize_url(text: str, normal: str) -> None:
    assert normalize_url(text) == normal


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("ftp://example.com/x", "not an http(s) URL"),
        ("example.com/news", "not an http(s) URL"),
        ("http:///path", "no host"),
        ("http://example.com:99999/", "not a URL"),
        # no name server knows these: fetched, each failed as a dead host
        ("http://exa mple.com/", "not a valid name (it holds ' ')"),
        ("http://exa%20mple.com/", "not a valid name (it holds '%')"),
        ("http://a..b/", "not a valid name (it has an empty label)"),
        # httpx refuses these at the first attempt: a FetchError after "1 attempt",
        # the host made to wait its delay for a request that was never made
        ("http://example.com/a\x00b", "not a URL (it holds the control character"),
        ("http://example.com/a\x1bb", "not a URL (it holds the control character"),
        ("http://example.com/\x7f", "not a URL (it holds the control character"),
    ],
)
def test_normalize_url_refuses(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("(", r"\(").replace(")", r"\)")):
        normalize_url(text)


def test_read_url_list_skips_blanks_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("# header\n\nhttp://a.example/1\n   \n  # indented\nhttp://b.example/2  \n")
    with open_url_list(path) as lines:
        assert list(url_lines(lines)) == ["http://a.example/1", "http://b.example/2"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_read_url_list_in_the_encoding_its_byte_order_mark_names(
    tmp_path: Path, encoding: str
) -> None:
    # Notepad starts a list with a BOM: its first URL was refused, "no scheme".
    path = tmp_path / "urls.txt"
    text = "http://a.example/1\r\nhttp://b.example/\u00e9\r\n"
    path.write_bytes(
        text.encode(encoding) if encoding != "utf-16-be" else b"\xfe\xff" + text.encode(encoding)
    )
    with open_url_list(path) as lines:
        assert list(url_lines(lines)) == ["http://a.example/1", "http://b.example/\u00e9"]


def test_url_lines_drops_the_byte_order_mark_of_standard_input() -> None:
    assert list(url_lines(["\ufeffhttp://a.example/1\n"])) == ["http://a.example/1"]


def test_a_line_that_is_not_utf8_fails_alone_and_is_named_by_its_bytes(
    tmp_path: Path,
) -> None:
    # Its bytes were replaced by U+FFFD, and that other URL was archived in its place;
    # from standard input (surrogateescape), SQLite refused the line and the run stopped.
    listing = tmp_path / "urls.txt"
    listing.write_bytes(b"http://a.example/caf\xe9\nhttp://b.example/1\n")
    ledger = Ledger(tmp_path / STATE_FILE)
    ingest(listing, ledger)
    ingest(["http://c.example/caf\udce9", "http://d.example/\ud800"], ledger)
    failures = {row["url"]: row["message"] for row in ledger.failures()}
    assert failures == {
        url: f"{url}: not a URL (its bytes are not UTF-8 text)"
        for url in [
            "http://a.example/caf\\xe9",
            "http://c.example/caf\\xe9",
            "http://d.example/\\ud800",
        ]
    }
    assert ledger.counts().total == 4
    ledger.close()


def test_an_entry_of_a_callers_list_that_is_no_text_fails_alone(tmp_path: Path) -> None:
    # .strip() of None stopped the whole run with an AttributeError.
    ledger = Ledger(tmp_path / STATE_FILE)
    ingest([None, 123, "http://a.example/1"], ledger)  # type: ignore[list-item]
    failures = {row["url"]: row["message"] for row in ledger.failures()}
    assert failures == {
        "None": "None: not a URL (not text: NoneType)",
        "123": "123: not a URL (not text: int)",
    }
    assert ledger.counts().total == 3
    ledger.close()


def test_a_huge_url_is_cut_in_messages_and_kept_whole_in_the_report(
    farm: SiteFarm, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A 100,000-character line was printed whole, in its warning and in the report's
    # message (str(error): "source: cause"); the report's "url" is data, and stays whole.
    invalid = "ftp://" + "a" * 100_000
    gone = farm.urls(4)[3] + "?q=" + "b" * 20_000  # page 3: a 404
    listing = write_list(tmp_path / "urls.txt", [invalid, gone])
    with caplog.at_level(logging.WARNING, logger="archiver"):
        archiver.archive_many(listing, tmp_path / "out", config=FAST)
    rows = {row["url"]: row for row in failure_rows(tmp_path / "out")}
    assert set(rows) == {invalid, gone}
    cut = {invalid: ": not an http(s) URL (scheme 'ftp')", gone: ": HTTP 404 NOT FOUND"}
    for url, cause in cut.items():
        message = str(rows[url]["message"])
        assert message == f"{url[:150]}…{url[-49:]}{cause}"
    warnings = [record.getMessage() for record in caplog.records]
    assert sorted(warnings) == sorted(str(row["message"]) for row in rows.values())


def test_a_name_is_cut_in_the_middle_as_an_error_shows_it() -> None:
    assert shown_name("x" * 200) == "x" * 200
    assert (
        shown_name("/a" * 150 + "/page.html") == "/a" * 75 + "…" + ("/a" * 150)[-39:] + "/page.html"
    )
    assert shown_name("a\n" * 100) == repr("a\n" * 100)[:150] + "…" + repr("a\n" * 100)[-49:]
    error = InputError("not a site", source="h" * 100_000)
    assert error.source == "h" * 100_000
    assert str(error) == "h" * 150 + "…" + "h" * 49 + ": not a site"


# --- a run ----------------------------------------------------------------------------------


def test_every_url_is_archived_or_reported_once(farm: SiteFarm, tmp_path: Path) -> None:
    urls = farm.urls(120)
    invalid = ["not a url", "ftp://example.com/file"]
    # Duplicates, in another spelling too, are archived once.
    extra = [*invalid, urls[5], urls[6].replace("http://", "HTTP://")]
    listing = write_list(tmp_path / "urls.txt", urls, extra)
    seen: list[archiver.BulkProgress] = []

    report = archiver.archive_many(listing, tmp_path / "out", config=FAST, progress=seen.append)

    check_every_url_accounted_for(tmp_path / "out", urls, invalid)
    failed = sum(outcome(n)[0] != "done" for n in range(120)) + len(invalid)
    assert (report.total, report.done, report.failed) == (122, 122 - failed, failed)
    # The lines that are not URLs failed in this run too, as it read the list.
    assert (report.done_now, report.failed_now) == (report.done, report.failed)
    assert report.not_retried == 0 and seen[-1].failed_now == report.failed_now
    assert not report.ok
    assert report.failure_report == tmp_path / "out" / FAILURE_REPORT
    assert seen and seen[-1].done + seen[-1].failed == 122
    (warc,) = report.warcs
    assert re_fullmatch(WARC_NAME, warc.name)


def re_fullmatch(pattern: str, text: str) -> bool:
    import re

    return re.fullmatch(pattern, text) is not None


def test_the_failure_report_says_why(farm: SiteFarm, tmp_path: Path) -> None:
    urls = farm.urls(24)
    report = archiver.archive_many(urls, tmp_path / "out", config=FAST)
    rows = {row["url"]: row for row in failure_rows(tmp_path / "out")}
    assert report.failed == 3
    assert rows[urls[3]] == {
        "url": urls[3],
        "error": "HttpStatusError",
        "message": f"{urls[3]}: HTTP 404 NOT FOUND",
        "attempts": 1,
        "last_status": 404,
    }
    assert rows[urls[13]]["error"] == "NotHtmlError"
    assert rows[urls[23]]["error"] == "HttpStatusError"
    assert rows[urls[23]]["last_status"] == 500


@pytest.mark.timeout(120)  # with the wait, it would take 300 hours
def test_urls_refused_before_any_request_leave_the_host_no_wait(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """The per-host delay is owed to a host that was asked: 300 URLs of a private
    address (or a path robots.txt disallows) waited it, an hour each here, for nothing."""
    slow = BulkConfig(
        per_host_delay=3600, max_host_delay=3600, workers=1, fetch=FetchConfig(retries=0)
    )
    private = [f"http://127.0.0.1:9/{n}" for n in range(300)]
    report = archiver.archive_many(private, tmp_path / "private", config=slow)
    assert report.failed == 300
    rows = failure_rows(tmp_path / "private")
    assert {(row["error"], row["attempts"]) for row in rows} == {("BlockedAddressError", 0)}
    # robots.txt is read once, a request: the paths it disallows are refused after it,
    # with no request of their own.
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /\n")
    disallowed = [httpserver.url_for(f"/{n}") for n in range(3)]
    report = archiver.archive_many(disallowed, tmp_path / "robots", config=FAST)
    rows = failure_rows(tmp_path / "robots")
    assert [row["attempts"] for row in rows] == [1, 0, 0]
    assert [request.path for request, _ in httpserver.log] == ["/robots.txt"]


def test_identical_payloads_are_stored_once_then_as_revisits(
    farm: SiteFarm, tmp_path: Path
) -> None:
    urls = [url for url in farm.urls(240) if page_number(url) % 50 == 33]  # 5 pages, same bytes
    archiver.archive_many(urls, tmp_path / "out", config=FAST)
    (warc,) = tmp_path.joinpath("out").glob("*.warc.gz")
    with open(warc, "rb") as file:
        records = [
            (record.rec_type, dict(record.rec_headers.headers)) for record in ArchiveIterator(file)
        ]
    responses = [headers for kind, headers in records if kind == "response"]
    revisits = [headers for kind, headers in records if kind == "revisit"]
    assert (len(responses), len(revisits)) == (1, 4)
    (original,) = responses
    for revisit in revisits:
        assert revisit["WARC-Profile"].endswith("/revisit/identical-payload-digest")
        assert revisit["WARC-Refers-To"] == original["WARC-Record-ID"]
        assert revisit["WARC-Refers-To-Target-URI"] == original["WARC-Target-URI"]
        assert revisit["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
    # Each URL still has its Article, and re-extraction finds all five pages.
    assert len(list(archiver.read_latest([warc]))) == 5
    warcio_check(warc)
    derived = tmp_path / "derived.warc.gz"
    assert archiver.reprocess([warc], warc=derived).ok
    latest = archiver.read_latest([warc, derived])
    assert sorted(entry.target_uri for entry in latest if entry.warc == derived) == sorted(urls)


def test_reextraction_finds_the_originals_of_revisits_in_other_files(
    farm: SiteFarm, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    urls = [url for url in farm.urls(240) if page_number(url) % 50 == 33]  # 5 pages, same bytes
    config = dataclasses.replace(FAST, warc_size=1)  # a file per page: revisits refer across
    archiver.archive_many(urls, tmp_path / "out", config=config)
    warcs = sorted(tmp_path.joinpath("out").glob("*.warc.gz"))
    assert len(warcs) == 5
    derived = tmp_path / "derived.warc.gz"
    report = archiver.reprocess(warcs, warc=derived)
    assert report.ok and sorted(article.url for article in report) == sorted(urls)
    latest = list(archiver.read_latest([*warcs, derived]))
    assert sorted(entry.target_uri for entry in latest if entry.warc == derived) == sorted(urls)
    # One file alone lacks the original; named as originals, the others supply it.
    revisit_file = [warc for warc in warcs if "revisit" in _record_types(warc)][-1]
    with caplog.at_level(logging.INFO, logger="archiver.warc.captures"):
        alone = archiver.reprocess([revisit_file])
    assert "skipped: no file read has the original" in caplog.text
    # Reported, not lost: the command said "no input files found" and exited 0.
    assert len(alone) == 0 and [record.unresolved for record in alone.skipped] == [True]
    result = run_cli("reprocess", str(revisit_file), "-o", str(derived))
    assert "warning: skipped 1 revisit record whose response no file read holds" in result.stderr
    assert "no input files found" not in result.stderr
    others = [warc for warc in warcs if warc != revisit_file]
    assert len(archiver.reprocess([revisit_file], originals=others)) == 1
    # A lone path is one file, here too: its characters were taken for files.
    original = next(warc for warc in warcs if "response" in _record_types(warc))
    assert len(list(read_captures(revisit_file, originals=str(original)))) == 1
    assert len(archiver.reprocess(str(revisit_file), originals=str(original))) == 1


def _record_types(warc: Path) -> list[str]:
    with open(warc, "rb") as file:
        return [record.rec_type for record in ArchiveIterator(file)]


def test_warc_files_rotate_at_the_size_limit(farm: SiteFarm, tmp_path: Path) -> None:
    urls = [url for url in farm.urls(60) if outcome(page_number(url))[0] == "done"]
    config = BulkConfig(
        per_host_delay=0,
        workers=1,
        warc_size=100_000,
        fetch=FetchConfig(retries=0, allow_private=True),
    )
    report = archiver.archive_many(urls, tmp_path / "out", config=config)
    warcs = sorted(tmp_path.joinpath("out").glob("*.warc.gz"))
    assert len(warcs) > 2 and set(report.warcs) == set(warcs)
    serials = [warc.name.split("-")[2] for warc in warcs]
    assert serials == [f"{n:05d}" for n in range(len(warcs))]
    for warc in warcs:
        assert re_fullmatch(WARC_NAME, warc.name)
        warcio_check(warc)
    assert sorted(archived_urls(tmp_path / "out")) == sorted(urls)


def test_a_second_run_fetches_nothing_again(farm: SiteFarm, tmp_path: Path) -> None:
    urls = farm.urls(30)
    listing = write_list(tmp_path / "urls.txt", urls)
    first = archiver.archive_many(listing, tmp_path / "out", config=FAST)
    requests = sum(len(server.log) for server in farm.servers)

    again = archiver.archive_many(listing, tmp_path / "out", config=FAST)

    assert sum(len(server.log) for server in farm.servers) == requests
    assert (again.done, again.failed, again.done_now, again.failed_now) == (
        first.done,
        first.failed,
        0,
        0,
    )
    check_every_url_accounted_for(tmp_path / "out", urls, [])


def test_retry_failed_tries_the_failures_again(farm: SiteFarm, tmp_path: Path) -> None:
    urls = farm.urls(30)
    archiver.archive_many(urls, tmp_path / "out", config=FAST)
    report = archiver.archive_many(urls, tmp_path / "out", config=FAST, retry_failed=True)
    # Tried again and failed again (the farm does not change its mind): still reported
    # once each. The 404 and the PDF are stored again, as new captures.
    assert report.failed_now == 3
    assert len(failure_rows(tmp_path / "out")) == 3


def test_the_urls_of_a_site_whose_robots_txt_is_down_fail_without_a_request(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    down = [True]
    asked: list[str] = []

    def robots(request: Request) -> Response:
        asked.append(request.path)
        return Response("User-agent: *\nAllow: /\n", status=503 if down[0] else 200)

    httpserver.expect_request("/robots.txt").respond_with_handler(robots)
    urls = [httpserver.url_for(f"/p{n}") for n in range(6)]
    for n in range(6):
        httpserver.expect_request(f"/p{n}").respond_with_data(
            "<p>a page</p>", content_type="text/html"
        )
    fetch = FetchConfig(retries=1, backoff=0.01, allow_private=True)
    config = dataclasses.replace(FAST, extract=False, fetch=fetch)
    report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert (report.done_now, report.failed_now) == (0, 6)
    assert len(asked) == 2  # the first URL's two attempts; the other five made none
    rows = failure_rows(tmp_path / "out")
    assert sorted(int(str(row["attempts"])) for row in rows) == [0, 0, 0, 0, 0, 2]
    refused = [row for row in rows if row["attempts"] == 0]
    assert all(row["error"] == "RobotsUnreachableError" for row in refused), refused
    down[0] = False
    again = dataclasses.replace(config, fetch=dataclasses.replace(fetch, robots_retry_after=0))
    report = archiver.archive_many([], tmp_path / "out", config=again, retry_failed=True)
    assert report.done_now == 6


def test_one_request_at_a_time_per_host_with_the_delay_between(
    farm: SiteFarm, tmp_path: Path
) -> None:
    server = farm.servers[0]
    urls = [server.url_for(f"/p/{n}") for n in (1, 2, 4, 5)]
    config = BulkConfig(
        per_host_delay=0.3, workers=1, fetch=FetchConfig(retries=0, allow_private=True)
    )
    starts: list[float] = []
    server.clear_log()
    original = server.dispatch

    def timed(request):  # type: ignore[no-untyped-def]
        if request.path.startswith("/p/"):
            starts.append(time.monotonic())
        return original(request)

    server.dispatch = timed  # type: ignore[method-assign]
    archiver.archive_many(urls, tmp_path / "out", config=config)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(starts) == 4
    # A guarantee of the scheduler, not a speed: never sooner than the delay.
    assert min(gaps) >= 0.3


@contextlib.contextmanager
def servers(*last_bytes: int) -> Iterator[list[HTTPServer]]:
    """HTTP servers on 127.0.0.<n>, started (their ports are chosen then), stopped after."""
    started = [HTTPServer(host=f"127.0.0.{n}", port=0) for n in last_bytes]
    for server in started:
        server.start()
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def serve_pages(server: HTTPServer) -> None:
    """A small page for every /p/<n>."""
    server.expect_request(re.compile(r"/p/\d+")).respond_with_data(
        "<p>a page</p>", content_type="text/html"
    )


def no_robots(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("", status=404)


def redirect(server: HTTPServer, path: str, target: str) -> None:
    server.expect_request(path).respond_with_data("", status=302, headers={"Location": target})


@pytest.mark.timeout(60)
def test_a_host_redirected_to_from_another_is_paced_as_its_own_urls(tmp_path: Path) -> None:
    """Short links on one host to pages of another, beside that host's own URLs: the
    target sees one request at a time, the delay apart, and reads its robots.txt once
    (it saw two at once, 0.03 s apart, and its robots.txt read twice)."""
    delay = 0.2
    seen = Visits(hold=0.02)
    robots_reads: list[float] = []

    def robots(_request: Request) -> Response:
        robots_reads.append(time.monotonic())
        return Response("User-agent: *\nAllow: /\n", content_type="text/plain")

    with servers(2, 3) as (short, site):
        site.expect_request("/robots.txt").respond_with_handler(robots)
        site.expect_request(re.compile(r"/p/\d+")).respond_with_handler(
            seen.handler(
                lambda request: Response(f"<p>page {request.path}</p>", content_type="text/html")
            )
        )
        no_robots(short)
        for n in range(8):
            redirect(short, f"/s/{n}", site.url_for(f"/p/{100 + n}"))
        urls = [short.url_for(f"/s/{n}") for n in range(8)]
        urls += [site.url_for(f"/p/{n}") for n in range(8)]
        config = BulkConfig(
            per_host_delay=delay, workers=1, fetch=FetchConfig(retries=0, allow_private=True)
        )
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now == 16
    assert len(robots_reads) == 1
    assert len(seen.spans) == 16
    # A guarantee of the scheduler, not a speed: never two at once, never sooner.
    assert min(seen.gaps()) >= delay, seen.gaps()


@pytest.mark.timeout(60)
def test_two_hosts_redirecting_to_each_other_never_wait_on_each_other(tmp_path: Path) -> None:
    """Each host's URLs redirect to the other host: a fetch that held its own host while
    it waited for the other's turn would wait for ever on one doing the same."""
    with servers(2, 3) as (one, two):
        for here, there in ((one, two), (two, one)):
            no_robots(here)
            serve_pages(here)
            for n in range(6):
                redirect(here, f"/r/{n}", there.url_for(f"/p/{n}"))
        urls = [server.url_for(f"/r/{n}") for n in range(6) for server in (one, two)]
        config = BulkConfig(
            per_host_delay=0.05, workers=1, fetch=FetchConfig(retries=0, allow_private=True)
        )
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now == 12


@pytest.mark.timeout(60)
def test_links_waiting_for_a_slow_hosts_turn_leave_other_hosts_their_slots(
    tmp_path: Path,
) -> None:
    """Links on one host to a slow site, beside another site's URLs: the links' fetches,
    each waiting for the slow site's turn, took every slot of the run, and the other
    site's URLs went at the slow one's pace (so do a site's URLs written without its
    "www.", each redirected to the host with it)."""
    slow, free = Visits(hold=0.4), Visits(hold=0.0)
    with servers(2, 3, 4) as (short, site, other):
        for server, seen in ((site, slow), (other, free)):
            server.expect_request(re.compile(r"/p/\d+")).respond_with_handler(
                seen.handler(lambda _: Response("<p>a page</p>", content_type="text/html"))
            )
        for server in (short, site, other):
            no_robots(server)
        for n in range(12):
            redirect(short, f"/s/{n}", site.url_for(f"/p/{n}"))
        urls = [short.url_for(f"/s/{n}") for n in range(12)]
        urls += [other.url_for(f"/p/{n}") for n in range(12)]
        config = BulkConfig(
            concurrency=4,
            per_host_delay=0.05,
            extract=False,
            fetch=FetchConfig(retries=0, allow_private=True),
        )
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now == 24
    # The other site's twelve URLs, 0.05 s apart, are done while the slow site (0.45 s a
    # page) answers its first few links; they were done after its eleventh.
    last_of_other = max(end for _, end, _ in free.spans)
    slow_starts = sorted(start for start, _, _ in slow.spans)
    assert last_of_other < slow_starts[5], (last_of_other, slow_starts)


@pytest.mark.timeout(60)
def test_a_redirect_targets_503_slows_that_host_down_when_the_retry_leaves_it(
    tmp_path: Path,
) -> None:
    """A short link whose target answered 503: the retry, which begins at the short
    link's host, let go of the target as after a clean answer, and the target's own
    next URL came the base delay later, not the doubled one (a second at least)."""
    seen = Visits(hold=0.0)
    busy = iter([Response("busy", status=503)])

    def page(request: Request) -> Response:
        ok = Response("<p>a page</p>", content_type="text/html")
        return next(busy, ok) if request.path == "/p/0" else ok

    with servers(2, 3) as (short, site):
        for server in (short, site):
            no_robots(server)
        site.expect_request(re.compile(r"/p/\d+")).respond_with_handler(seen.handler(page))
        redirect(short, "/s", site.url_for("/p/0"))
        urls = [short.url_for("/s")] + [site.url_for(f"/p/{n}") for n in range(1, 3)]
        fetch = FetchConfig(retries=1, backoff=0.01, backoff_max=0.02, allow_private=True)
        config = BulkConfig(per_host_delay=0.1, extract=False, fetch=fetch)
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now == 3
    spans = sorted(seen.spans)
    first = [path for _, _, path in spans].index("/p/0")  # its first answer, the 503
    assert spans[first + 1][0] - spans[first][1] >= 1.0, spans


@pytest.mark.timeout(60)
def test_a_short_link_host_that_answered_503_is_slowed_down_when_its_retry_redirects(
    tmp_path: Path,
) -> None:
    """A short link answered 503, then, retried, redirected to the site: the short
    host was let go as after a clean answer (its next URL 0.1 s after the 503), and the
    site, which had answered well, was slowed down instead."""
    seen = Visits(hold=0.0)
    busy = iter([Response("busy", status=503)])

    with servers(2, 3) as (short, site):
        for server in (short, site):
            no_robots(server)
        serve_pages(site)
        to_site = Response("", status=302, headers={"Location": site.url_for("/p/0")})
        short.expect_request("/s").respond_with_handler(
            seen.handler(lambda _request: next(busy, to_site))
        )
        short.expect_request("/own").respond_with_handler(
            seen.handler(lambda _request: Response("<p>a page</p>", content_type="text/html"))
        )
        urls = [short.url_for("/s"), short.url_for("/own")]
        fetch = FetchConfig(retries=1, backoff=0.01, backoff_max=0.02, allow_private=True)
        config = BulkConfig(per_host_delay=0.1, extract=False, fetch=fetch)
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now == 2
    spans = sorted(seen.spans)
    assert [path for _, _, path in spans] == ["/s", "/s", "/own"], spans
    assert spans[2][0] - spans[1][1] >= 1.0, spans


class Visits:
    """The page requests a server saw, each (start, end, path); robots.txt is read in
    the turn of the page that needs it, so it is left out."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.spans: list[tuple[float, float, str]] = []
        self._lock = threading.Lock()

    def handler(self, respond: Any) -> Any:
        """``respond`` answering ``hold`` seconds late, its request timed."""

        def timed(request: Request) -> Response:
            start = time.monotonic()
            time.sleep(self.hold)  # long enough for two at once to overlap
            response = respond(request)
            if request.path != "/robots.txt":
                with self._lock:
                    self.spans.append((start, time.monotonic(), request.path))
            return response

        return timed

    def gaps(self) -> list[float]:
        """From the end of each request to the start of the next."""
        spans = sorted(self.spans)
        return [later[0] - earlier[1] for earlier, later in itertools.pairwise(spans)]


@pytest.mark.timeout(60)
def test_a_retry_after_a_wait_for_another_host_timed_out_waits_for_its_own_host(
    tmp_path: Path,
) -> None:
    """A short link whose wait for its target's turn ran out of the attempt's time: the
    retry, at the short link's own host again, waits for that host's turn (it was asked
    while the host's own URLs were, 0.07 s after one)."""
    delay = 0.2
    seen = Visits(hold=0.3)
    with servers(2, 3, 4, 5) as (short, site, *others):
        # The site is held a second at a time (its Crawl-delay) by the short links of
        # the two other hosts, longer than the short host's link may wait in all.
        site.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 1\n")
        serve_pages(site)
        for n, other in enumerate(others):
            no_robots(other)
            redirect(other, "/r", site.url_for(f"/p/{n}"))
        short.expect_request("/robots.txt").respond_with_handler(
            seen.handler(lambda _: Response("", status=404))
        )
        to_site = {"Location": site.url_for("/p/9")}
        short.expect_request("/r").respond_with_handler(
            seen.handler(lambda _: Response("", status=302, headers=to_site))
        )
        short.expect_request(re.compile(r"/p/\d+")).respond_with_handler(
            seen.handler(lambda _: Response("<p>a page</p>", content_type="text/html"))
        )
        urls = [other.url_for("/r") for other in others] + [short.url_for("/r")]
        urls += [short.url_for(f"/p/{n}") for n in range(10)]
        fetch = FetchConfig(retries=2, backoff=0.01, total_timeout=1, allow_private=True)
        config = BulkConfig(per_host_delay=delay, workers=1, fetch=fetch)
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now + report.failed_now == len(urls)
    assert len(seen.spans) >= 11
    # A guarantee of the scheduler, not a speed: never two at once, never sooner.
    assert min(seen.gaps()) >= delay, seen.gaps()


@pytest.mark.timeout(10)
def test_a_wait_for_another_hosts_turn_cut_short_leaves_the_fetch_on_no_host() -> None:
    """A fetch's wait for a redirect's host, cancelled (its attempt out of time), holds
    no host: the retry, at the page's own host again, waits for that host's turn."""

    async def main() -> None:
        run = scheduler._Run.__new__(scheduler._Run)  # its hosts alone
        run._hosts, run._ready, run._config = {}, [], BulkConfig(per_host_delay=0.1)
        fetcher: Any = dataclasses.make_dataclass("Fetcher", [])()
        fetcher.crawl_delay = lambda _url: None
        own, other = run._host("own.example"), run._host("other.example")
        own.busy = other.busy = True  # the fetch's, and another fetch's
        turn = scheduler._Turn(own, "own.example", "http://own.example/r", own, "own.example")
        waiting = asyncio.create_task(run._move(fetcher, turn, "http://other.example/p", False))
        await asyncio.sleep(0.01)
        assert not own.busy and other.waiters
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        own.busy = True  # its host's next URL, dispatched meanwhile
        retry = asyncio.create_task(run._move(fetcher, turn, "http://own.example/r", True))
        await asyncio.sleep(0.01)
        assert not retry.done() and own.waiters  # it was asked of the host at once
        run._release(own, "own.example", None, slow_down=False, paced=True)
        await retry
        assert turn.host is own and own.busy

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_short_links_waiting_for_their_sites_turn_do_not_time_out(tmp_path: Path) -> None:
    """The wait for a host's turn asks nothing of a server: six short links to one site,
    each waiting for those before it, longer in all than an attempt's total_timeout, are
    all archived (half of them failed, timed out)."""
    with servers(3, *range(10, 16)) as (site, *shorts):
        no_robots(site)
        serve_pages(site)
        for n, short in enumerate(shorts):
            no_robots(short)
            redirect(short, "/r", site.url_for(f"/p/{n}"))
        urls = [short.url_for("/r") for short in shorts]
        fetch = FetchConfig(retries=0, total_timeout=1, allow_private=True)
        config = BulkConfig(per_host_delay=0.4, workers=1, fetch=fetch)
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now == len(urls), report.causes


def timed_pages(server: HTTPServer, robots: str, answer: Response) -> tuple[list[str], list[float]]:
    """Three URLs of ``server``, each answered ``answer``, under the robots.txt
    ``robots``; and the times their requests come, filled as they come."""
    server.expect_request("/robots.txt").respond_with_data(robots, content_type="text/plain")
    starts: list[float] = []

    def timed(_request: Request) -> Response:
        starts.append(time.monotonic())
        return answer

    server.expect_request("/page").respond_with_handler(timed)
    return [server.url_for(f"/page?n={n}") for n in range(3)], starts


@pytest.mark.timeout(60)
def test_a_429_never_brings_a_host_below_its_crawl_delay(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    # A Crawl-delay over max_host_delay: a 429 capped the doubled delay at the maximum,
    # so the host's slow-down signal made the next request come sooner than its
    # robots.txt allows.
    urls, starts = timed_pages(
        httpserver, "User-agent: *\nCrawl-delay: 0.6\n", Response("slow down", status=429)
    )
    config = BulkConfig(
        per_host_delay=0.1,
        max_host_delay=0.3,
        extract=False,
        fetch=FetchConfig(retries=0, allow_private=True),
    )
    report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.failed_now == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 2 and min(gaps) >= 0.6, gaps


@pytest.mark.timeout(60)
@pytest.mark.parametrize("robots", ["User-agent: *\nCrawl-delay: 0.5\n", ""])
def test_a_retry_waits_the_host_delay_too(
    httpserver: HTTPServer, tmp_path: Path, robots: str
) -> None:
    # A retry is a request to the host: it waited only the backoff (a second by
    # default), however long the host's Crawl-delay or --per-host-delay was.
    httpserver.expect_request("/robots.txt").respond_with_data(
        robots, status=200 if robots else 404, content_type="text/plain"
    )
    starts: list[float] = []

    def flaky(request: Request) -> Response:
        starts.append(time.monotonic())
        return (
            Response("oops", status=500)
            if len(starts) < 3
            else Response("<p>ok</p>", content_type="text/html")
        )

    httpserver.expect_request("/flaky").respond_with_handler(flaky)
    config = BulkConfig(
        per_host_delay=0.05 if robots else 0.5,
        extract=False,
        fetch=FetchConfig(retries=2, backoff=0.01, backoff_max=0.02, allow_private=True),
    )
    report = archiver.archive_many([httpserver.url_for("/flaky")], tmp_path / "out", config=config)
    assert report.done_now == 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 2 and min(gaps) >= 0.5, gaps


@pytest.mark.timeout(60)
def test_a_crawl_delay_is_honoured_up_to_the_cap(
    httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A robots.txt asking for a Crawl-delay of 10**9 s held its host's second URL, and
    # the run, for 31 years.
    urls, starts = timed_pages(
        httpserver,
        "User-agent: *\nCrawl-delay: 1000000000\n",
        Response("<p>ok</p>", content_type="text/html"),
    )
    config = BulkConfig(
        per_host_delay=0.05,
        extract=False,
        fetch=FetchConfig(max_crawl_delay=0.4, allow_private=True),
    )
    with caplog.at_level(logging.WARNING, logger="archiver.capture.plan"):
        report = archiver.archive_many(urls, tmp_path / "out", config=config)
    assert report.done_now == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 2 and min(gaps) >= 0.4, gaps
    capped = [r.getMessage() for r in caplog.records if "Crawl-delay" in r.getMessage()]
    assert capped == [
        f"robots.txt of http://{httpserver.host}:{httpserver.port} asks for a Crawl-delay"
        " of 1e+09 s: 0.4 s taken (FetchConfig.max_crawl_delay)"
    ]


# --- a full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of its own (a 16 MB tmpfs), to fill; skipped where none can be made."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("needs Linux and mount(8), to make a small file system")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (not root?): {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int, pieces: int = 4, piece: int = 64 * 1024) -> list[Path]:
    """Fill ``disk`` but for ``leave`` bytes; returns the fillers, ``pieces`` small ones
    (of ``piece`` bytes) last, to free a little at a time."""
    big = shutil.disk_usage(disk).free - leave - pieces * piece
    fillers = [disk / "filler", *(disk / f"filler-{n}" for n in range(pieces))]
    for path, size in zip(fillers, [big] + [piece] * pieces):
        with open(path, "wb") as file:
            file.write(b"\0" * size)  # tmpfs has no sparse files to cheat with
    return fillers


def responses_by_url(folder: Path) -> collections.Counter[str]:
    """How many response and revisit records each URL has over the folder's WARC files."""
    found: collections.Counter[str] = collections.Counter()
    for warc in folder.glob("*.warc.gz"):
        with open(warc, "rb") as file:
            for record in ArchiveIterator(file):
                if record.rec_type in ("response", "revisit"):
                    found[record.rec_headers.get_header("WARC-Target-URI")] += 1
    return found


@pytest.mark.parametrize("leave", [150_000, 600_000])
def test_a_full_disk_is_a_clear_error_and_the_resumed_run_loses_and_doubles_nothing(
    farm: SiteFarm, small_disk: Path, tmp_path: Path, leave: int
) -> None:
    urls = farm.urls(300)
    listing = write_list(tmp_path / "urls.txt", urls)
    out = small_disk / "out"
    fillers = fill(small_disk, leave)
    # The disk fills mid-run: a clear error, not a traceback nor an "internal error".
    result = run_cli("-q", "bulk", str(listing), "-o", str(out), *FAST_OPTIONS)
    assert result.returncode == 1, result.stderr
    assert "No space left on device" in result.stderr, result.stderr
    assert "internal error" not in result.stderr and str(out) in result.stderr
    # Again on the full disk, then with a little room: clear errors again, or progress,
    # and nothing the first run stored is lost or archived twice.
    for freed in [None, *fillers[1:-1]]:
        if freed is not None:
            freed.unlink()
        with pytest.raises((archiver.StateError, archiver.WarcError)) as error:
            archiver.archive_many(listing, out, config=FAST)
        assert "No space left on device" in str(error.value)
        assert str(out) in str(error.value)
    for filler in fillers:
        filler.unlink(missing_ok=True)

    report = archiver.archive_many(listing, out, config=FAST)

    check_every_url_accounted_for(out, urls, [])
    stored = [url for url in urls if outcome(page_number(url))[1]]
    assert report.total == 300 and report.done + report.failed == 300
    counts = responses_by_url(out)
    assert {url: counts[url] for url in stored} == dict.fromkeys(stored, 1)
    with sqlite3.connect(out / STATE_FILE) as db:
        states = dict(db.execute("SELECT url, state FROM urls").fetchall())
    assert states == {
        url: "done" if outcome(page_number(url))[0] == "done" else "failed" for url in urls
    }


@pytest.mark.timeout(60)
@pytest.mark.parametrize("descriptors", ["free", "none left"])
def test_a_page_appended_to_a_full_disk_leaves_the_warc_file_as_it_was(
    server: HTTPServer, small_disk: Path, monkeypatch: pytest.MonkeyPatch, descriptors: str
) -> None:
    # archiver get appends to an existing file. The disk full, the flush that failed
    # left bytes in the buffer, and closing the file after cutting it back wrote them
    # again, at the cut: the file ended in a broken gzip member, and the pages
    # appended after it were unreadable. With no descriptor left to duplicate (EMFILE),
    # the abort raised that OSError instead, the file neither cut nor closed.
    page = "<html><body><article>" + "<p>The harbour plan was approved.</p>" * 40
    for n in range(2):
        server.expect_request(f"/{n}").respond_with_data(
            page + f"<p>{os.urandom(600).hex()}</p></article></body></html>",
            content_type="text/html",
        )
    warc = small_disk / "news.warc.gz"
    config = FetchConfig(allow_private=True, retries=0)
    archiver.archive(server.url_for("/0"), warc=warc, config=config)
    before = warc.read_bytes()
    fill(small_disk, 0, pieces=0)  # the file's last block has room for some bytes still
    if descriptors == "none left":

        def dup(fd: int) -> int:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

        monkeypatch.setattr(os, "dup", dup)
    with pytest.raises(archiver.WarcError, match="No space left on device"):
        archiver.archive(server.url_for("/1"), warc=warc, config=config)
    monkeypatch.undo()
    assert warc.read_bytes() == before
    warcio_check(warc)


def test_a_ledger_write_that_fails_is_a_state_error_and_no_later_write_is_taken(
    tmp_path: Path,
) -> None:
    ledger = Ledger(tmp_path / STATE_FILE)
    ledger.add([("http://a.example/1", "a.example")])
    # SQLite's own full disk: SQLITE_FULL, and it rolls the transaction back itself.
    ledger._db.execute("PRAGMA max_page_count = 1")
    ledger.finish("http://a.example/1", DONE, warc="a.warc.gz")
    with pytest.raises(archiver.StateError, match="No space left on device") as error:
        ledger.set("serial", "x" * 100_000)
    assert error.value.source == str(tmp_path / STATE_FILE)
    assert "No space left on device" in str(ledger.failure)
    # What the failed transaction held is gone, and the ledger says so at every write.
    with pytest.raises(archiver.StateError, match="a write failed"):
        ledger.finish("http://a.example/1", DONE, warc="a.warc.gz")
    ledger.close()  # closes, with nothing to commit
    reopened = Ledger(tmp_path / STATE_FILE)
    assert reopened.counts() == LedgerCounts(pending=1, done=0, failed=0)
    reopened.close()


def test_a_salvage_not_recorded_is_redone_by_the_next_run(
    farm: SiteFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The order of the fix for a full disk: a run stopped after salvage() renamed a file
    # and before the ledger recorded its pages must not fetch them again.
    urls = [url for url in farm.urls(40) if outcome(page_number(url))[0] == "done"]
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(rotation.RotatedWarcs, "close", _disk_full)
        with pytest.raises(archiver.StateError):
            archiver.archive_many(urls, out, config=FAST)
    (left_open,) = out.glob("*.warc.gz.open")
    with sqlite3.connect(out / STATE_FILE) as db:  # as if the run's last commit failed
        db.execute("UPDATE urls SET state = 'pending', warc = NULL")
    # The next run salvages the file, then the disk fills before its pages are recorded.
    ledger = Ledger(out / STATE_FILE)
    original = Ledger.set

    def full_disk_when_done(self: Ledger, key: str, value: object) -> None:
        if key == "salvaging" and value is None:  # the commit of the pages' outcomes
            raise self._failed("commit", sqlite3.OperationalError("database or disk is full"))
        original(self, key, value)

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "set", full_disk_when_done)
        with pytest.raises(archiver.StateError):
            list(recover(out, ledger))
    ledger.close_quietly()
    assert not left_open.exists() and left_open.with_suffix("").exists()
    requests = sum(len(server.log) for server in farm.servers)

    report = archiver.archive_many(urls, out, config=FAST)

    assert (report.done, report.done_now, report.failed) == (len(urls), 0, 0)
    assert sum(len(server.log) for server in farm.servers) == requests  # nothing fetched
    assert sorted(archived_urls(out)) == sorted(urls)
    assert report.warcs == (left_open.with_suffix(""),)


def test_a_file_lost_as_it_was_closed_has_its_pages_fetched_again(
    farm: SiteFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [url for url in farm.urls(30) if outcome(page_number(url))[0] == "done"]
    out = tmp_path / "out"

    def failing_close(self: WarcWriter) -> None:
        # What a writer does when the last sync of a file fails: the file is removed.
        self.abort()
        raise archiver.WarcError("cannot finish the file (No space left on device)")

    with monkeypatch.context() as patch:
        patch.setattr(WarcWriter, "close", failing_close)
        with pytest.raises(archiver.WarcError):
            archiver.archive_many(urls, out, config=FAST)
    assert list(out.glob("*.warc.gz*")) == []

    report = archiver.archive_many(urls, out, config=FAST)

    assert (report.done, report.done_now) == (len(urls), len(urls))
    assert sorted(archived_urls(out)) == sorted(urls)


def test_a_file_named_as_before_is_salvaged_and_resumed(
    farm: SiteFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Earlier versions named files <prefix>-<stamp>-<serial>-<pid>~<host>.warc.gz.
    urls = [url for url in farm.urls(20) if outcome(page_number(url))[0] == "done"]
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(rotation.RotatedWarcs, "close", _disk_full)
        with pytest.raises(archiver.StateError):
            archiver.archive_many(urls, out, config=FAST)
    (left_open,) = out.glob("*.warc.gz.open")
    old_name = out / "archiver-20240301103015000-00000-4242~Old_Host.warc.gz.open"
    left_open.rename(old_name)
    with sqlite3.connect(out / STATE_FILE) as db:  # as if the run's last commit failed
        db.execute("UPDATE urls SET state = 'pending', warc = NULL")
    requests = sum(len(server.log) for server in farm.servers)

    report = archiver.archive_many(urls, out, config=FAST)

    assert (report.done, report.done_now, report.failed) == (len(urls), 0, 0)
    assert sum(len(server.log) for server in farm.servers) == requests  # nothing fetched
    assert report.warcs == (old_name.with_suffix(""),)
    assert sorted(archived_urls(out)) == sorted(urls)


def _disk_full(self: object) -> None:
    raise archiver.StateError("cannot commit (No space left on device)")


def test_a_bad_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(archiver.StateError, match="cannot create the output folder"):
        archiver.archive_many(["http://example.com/"], blocker / "out", config=FAST)


def test_a_second_run_on_a_folder_being_written_stops_at_once(
    farm: SiteFarm, tmp_path: Path
) -> None:
    """A run that started (an update from cron) while another writes to the folder
    would salvage the other's WARC file being written, as one a killed run left."""
    urls = [url for url in farm.urls(12) if url.startswith(farm.servers[0].url_for("/"))]
    listing = write_list(tmp_path / "urls.txt", urls)
    out = tmp_path / "out"
    options = ("--per-host-delay", "60", "--retries", "0", "--allow-private")
    first = interruptible_bulk(listing, "-o", out, *options, stderr=subprocess.DEVNULL)
    try:
        open_file = first_page_written(out, first)
        size = open_file.stat().st_size
        second = run_cli("bulk", str(listing), "-o", str(out), *FAST_OPTIONS)
        assert second.returncode == 1
        assert f"{out}: another run (bulk, update or a revisit) is writing to this folder" in (
            second.stderr
        )
        with pytest.raises(archiver.StateError, match="another run"):
            archiver.revisit(out, "1d", config=FAST)
        assert open_file.stat().st_size == size  # left alone
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    # Once it has ended, the folder is free: the next run goes on from where it stopped.
    report = archiver.archive_many(listing, out, config=FAST)
    assert report.ok and report.done_now == len(urls) - 1


def interruptible_bulk(*args: object, stderr: int) -> subprocess.Popen[str]:
    """``archiver bulk`` with ``args``, started, Ctrl-C's handler set first: a child
    inherits an ignored SIGINT, and the README's test run (not CI's) had one, the run
    going on past the signal to its next page."""
    interruptible = (
        "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler);"
        " runpy.run_module('archiver', run_name='__main__', alter_sys=True)"
    )
    return subprocess.Popen(
        [sys.executable, "-c", interruptible, "bulk", *map(str, args)], stderr=stderr, text=True
    )


def first_page_written(out: Path, run: subprocess.Popen[str]) -> Path:
    """The WARC file that ``run`` writes into ``out``, once its first page is in it (the
    run then waits its host's delay): the file is made empty, then written to."""
    deadline = time.monotonic() + 60
    while not (found := list(out.glob("*.warc.gz.open"))) or not found[0].stat().st_size:
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.1)
    time.sleep(0.5)  # the page's records, written and flushed one after the other
    return found[0]


def test_ctrl_c_ends_a_bulk_run_with_its_summary_its_failure_report_and_a_closed_warc(
    farm: SiteFarm, tmp_path: Path
) -> None:
    """Ctrl-C said only how to go on: no counts, no failure report, and the WARC file
    left .open, which WARC tools do not read, until the next run salvaged it."""
    urls = [url for url in farm.urls(12) if url.startswith(farm.servers[0].url_for("/"))]
    listing = write_list(tmp_path / "urls.txt", urls)
    out = tmp_path / "out"
    options = ("--per-host-delay", "60", "--retries", "0", "--allow-private", "--no-extract")
    run = interruptible_bulk(listing, "-o", out, *options, stderr=subprocess.PIPE)
    try:
        first_page_written(out, run)
    finally:
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130
    assert f"archived 1 of {len(urls)} URLs, 0 failed\n  this run: 1 archived, 0 failed," in stderr
    assert stderr.endswith("interrupted: the same command goes on from where it stopped\n")
    assert (out / "failures.jsonl").read_text() == ""
    assert not list(out.glob("*.open"))
    [warc] = out.glob("*.warc.gz")
    warcio_check(warc)
    report = archiver.archive_many(listing, out, config=FAST)
    assert report.ok and report.done_now == len(urls) - 1


def test_a_second_ctrl_c_while_an_interrupted_run_winds_up_loses_nothing(
    farm: SiteFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C twice: the second, as the run stopped its workers and wrote its failure
    report, ended it with a bare KeyboardInterrupt, without the report or its summary."""
    urls = farm.urls(6)
    write_report = scheduler.write_failure_report

    def ctrl_c_again(*args: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        write_report(*args)

    monkeypatch.setattr(scheduler, "write_failure_report", ctrl_c_again)

    def ctrl_c_once_a_page_is_done(state: archiver.BulkProgress) -> None:
        if state.done:
            os.kill(os.getpid(), signal.SIGINT)

    # Ctrl-C's own handler: a test run as a shell's background job has SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(archiver.RunInterrupted) as stopped:
            archiver.archive_many(
                urls, tmp_path / "out", config=FAST, progress=ctrl_c_once_a_page_is_done
            )
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back
    finally:
        signal.signal(signal.SIGINT, previous)
    assert stopped.value.report.done_now >= 1
    assert (tmp_path / "out" / FAILURE_REPORT).exists()


def test_a_folder_that_cannot_be_locked_is_archived_into_all_the_same(
    farm: SiteFarm,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unsupported(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(folders.FileLock, "acquire", unsupported)
    urls = farm.urls(2)
    with caplog.at_level(logging.WARNING, logger="archiver.runs.folders"):
        assert archiver.archive_many(urls, tmp_path, config=FAST).ok
    assert caplog.messages == [
        f"{tmp_path}: cannot lock run.lock ([Errno 38] Function not implemented):"
        " runs are not kept apart"
    ]


# --- the command ----------------------------------------------------------------------------


def run_cli(
    *args: str, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archiver", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_bulk_command(farm: SiteFarm, tmp_path: Path) -> None:
    urls = farm.urls(20)
    listing = write_list(tmp_path / "urls.txt", urls)
    out = tmp_path / "out"
    result = run_cli("bulk", str(listing), "-o", str(out), *FAST_OPTIONS)
    assert result.returncode == 1  # some URLs fail by design
    lines = result.stderr.splitlines()
    # Each failure as it happens (pages 3 and 13: a 404 and a PDF), then the summary.
    assert f"archiver: warning: {urls[3]}: HTTP 404 NOT FOUND" in lines
    assert any(line.startswith(f"archiver: warning: {urls[13]}: ") for line in lines)
    summary = lines[lines.index("archived 18 of 20 URLs, 2 failed") :]
    assert summary[1].startswith("  this run: 18 archived, 2 failed, ")
    assert summary[2:] == [
        "  failed because:",
        "    1  HttpStatusError (HTTP 404)",
        "    1  NotHtmlError",
        f"  every failed URL, with its cause: {out / FAILURE_REPORT}",
    ]
    check_every_url_accounted_for(out, urls, [])
    # -v: each URL as it is done.
    again = run_cli("-v", "bulk", str(listing), "-o", str(out), *FAST_OPTIONS, "--retry-failed")
    assert f"archiver: warning: {urls[3]}: HTTP 404 NOT FOUND" in again.stderr.splitlines()
    assert f"archiver: info: {urls[0]}: archived" not in again.stderr  # done before
    fresh = run_cli("-v", "bulk", str(listing), "-o", str(tmp_path / "v"), *FAST_OPTIONS)
    assert f"archiver: info: {urls[0]}: archived" in fresh.stderr.splitlines()


def test_a_run_that_tries_none_of_the_urls_that_failed_before_says_so(
    farm: SiteFarm, tmp_path: Path
) -> None:
    """A list refused for its private addresses, run again with --allow-private, did
    nothing (this run: 0 archived, 0 failed) and nothing said that --retry-failed was
    needed. The hint comes only when failed URLs were left untried, and counts none of
    the lines that are not URLs, which no run tries (they were "failed in earlier runs"
    on the first run, and not in its "this run: 0 failed")."""
    urls = [farm.urls(3)[n] for n in (0, 1)]  # pages 0 and 1: archived when fetched
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join([*urls, "not a url"]) + "\n")
    out = tmp_path / "out"
    hint = "  2 URLs failed in earlier runs and were not tried again: --retry-failed tries"
    refused = run_cli("bulk", str(listing), "-o", str(out), "--retries", "0")
    assert refused.returncode == 1 and "BlockedAddressError" in refused.stderr
    assert "  this run: 0 archived, 3 failed," in refused.stderr
    assert "--retry-failed" not in refused.stderr  # this run's failures: none before
    again = run_cli("bulk", str(listing), "-o", str(out), *FAST_OPTIONS)
    assert again.returncode == 1
    assert "  this run: 0 archived, 0 failed," in again.stderr
    assert again.stderr.rstrip().splitlines()[-1].startswith(hint), again.stderr
    retried = run_cli("bulk", str(listing), "-o", str(out), *FAST_OPTIONS, "--retry-failed")
    assert retried.returncode == 1, retried.stderr  # the line that is not a URL
    assert "--retry-failed" not in retried.stderr
    assert retried.stderr.startswith("archived 2 of 3 URLs, 1 failed")


def test_the_bulk_command_reads_the_list_from_stdin(farm: SiteFarm, tmp_path: Path) -> None:
    urls = farm.urls(6)
    out = tmp_path / "out"
    piped = "# piped\n" + "\n".join(urls) + "\nnot a url\n"
    result = run_cli("bulk", "-", "-o", str(out), *FAST_OPTIONS, input=piped)
    assert result.returncode == 1, result.stderr  # page 3 is a 404, and a line no URL
    assert "archiver: warning: not a url: not an http(s) URL" in result.stderr
    assert "    1  InvalidUrl\n" in result.stderr
    check_every_url_accounted_for(out, urls, ["not a url"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_standard_input_is_read_as_a_list_file_is(
    farm: SiteFarm, tmp_path: Path, encoding: str
) -> None:
    # sys.stdin decodes strictly in the locale's encoding (en_US.UTF-8's is strict, as
    # PYTHONIOENCODING makes it here): a byte that is not UTF-8 stopped the run with an
    # internal error; a UTF-16 list (with its byte-order mark) was all NULs.
    urls = farm.urls(2)
    lines = [f"{urls[0]}\r\n".encode(encoding)]
    if encoding == "utf-8":
        lines.append(b"http://a.example/caf\xe9\r\n")
    lines.append(f"{urls[1]}\r\n".encode(encoding).removeprefix(codecs.BOM_UTF16))
    result = subprocess.run(
        [sys.executable, "-m", "archiver", "bulk", "-", "-o", str(tmp_path / "out"), *FAST_OPTIONS],
        input=b"".join(lines),
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
    )
    assert "internal error" not in result.stderr.decode()
    assert sorted(archived_urls(tmp_path / "out")) == sorted(urls)
    failed = [row["url"] for row in failure_rows(tmp_path / "out")]
    assert failed == (["http://a.example/caf\\xe9"] if encoding == "utf-8" else [])


def test_the_bulk_command_refuses_a_missing_list(tmp_path: Path) -> None:
    result = run_cli("bulk", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.txt'}: no such file"


def test_the_extraction_budget_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from archiver.cli import fetching, main

    configs: list[BulkConfig] = []

    def archive_many(urls: object, out: object, *, config: BulkConfig, **kwargs: object) -> None:
        configs.append(config)
        raise archiver.StateError("stop here")

    monkeypatch.setattr(fetching, "archive_many", archive_many)
    listing = write_list(tmp_path / "urls.txt", ["http://a.example/"])
    out = str(tmp_path / "out")
    runner = CliRunner()
    runner.invoke(main, ["-q", "bulk", str(listing), "-o", out, "--extract-timeout", "2.5"])
    runner.invoke(main, ["-q", "bulk", str(listing), "-o", out])
    assert [config.extract_timeout for config in configs] == [2.5, BulkConfig().extract_timeout]
    refused = runner.invoke(main, ["bulk", str(listing), "-o", out, "--extract-timeout", "0"])
    assert refused.exit_code == 2


# --- the extraction workers -----------------------------------------------------------------


def test_a_page_past_the_extraction_budget_fails_and_the_run_goes_on(
    farm: SiteFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = farm.urls(40)
    hangs, crashes = urls[7], urls[9]
    original = single.extract_page

    def extract_page(content: bytes, *, url: str, **kwargs: Any) -> archiver.Article:
        if url == hangs:
            time.sleep(120)  # a hostile page that never ends
        if url == crashes:
            os.kill(os.getpid(), signal.SIGKILL)  # a crash in C code, or the OOM killer
        return original(content, url=url, **kwargs)

    # The workers are forked from this process, patch included (their replacements are
    # spawned, without it).
    monkeypatch.setattr(single, "extract_page", extract_page)
    config = dataclasses.replace(FAST, workers=2, extract_timeout=2.0)
    started = time.monotonic()

    report = archiver.archive_many(urls, tmp_path / "out", config=config)

    assert time.monotonic() - started < 60
    rows = {row["url"]: row for row in failure_rows(tmp_path / "out")}
    assert rows[hangs]["error"] == "ExtractionError"
    assert rows[hangs]["message"] == (
        f"{hangs}: extraction took longer than 2 s (the per-page budget): stopped"
    )
    assert rows[crashes]["error"] == "ExtractionError"
    assert rows[crashes]["message"] == f"{crashes}: the extraction process died (killed by SIGKILL)"
    # Both are stored all the same, as any page that yields no article; every other
    # page is as it would be without them.
    stored = archived_urls(tmp_path / "out")
    assert sorted(stored) == sorted(url for url in urls if outcome(page_number(url))[1])
    for url in urls:
        expected = outcome(page_number(url))[0]
        if url in (hangs, crashes):
            continue
        if expected == "done":
            assert url not in rows, rows.get(url)
        else:
            assert rows[url]["error"] == expected
    assert report.failed == len(rows) == 2 + sum(outcome(n)[0] != "done" for n in range(40))
    assert not multiprocessing.active_children()  # every worker stopped at the end


def test_in_threads_a_page_past_the_budget_fails_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Dask worker extracts in threads, which cannot be stopped: the page fails anyway.
    def extract_page(content: bytes, **kwargs: Any) -> archiver.Article:
        time.sleep(3)
        raise AssertionError("not reached in time")

    monkeypatch.setattr(single, "extract_page", extract_page)
    started = time.monotonic()
    with pytest.raises(archiver.ExtractionError, match="longer than 0.5 s"):
        url = "http://a.example/"
        asyncio.run(ThreadWorkers(1, 0.5).extract(b"<p>x</p>", url, url, None))
    assert time.monotonic() - started < 2.5


#: Loaded by the command's Python (and its workers) through PYTHONPATH: every page's
#: extraction hangs, so that the workers are busy when the run is killed.
HANGING_EXTRACTION = """
import time

import archiver.runs.single


def extract_page(content, **kwargs):
    time.sleep(600)


archiver.runs.single.extract_page = extract_page
"""


def test_a_killed_bulk_leaves_no_process_behind(farm: SiteFarm, tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HANGING_EXTRACTION, encoding="utf-8")
    listing = write_list(tmp_path / "urls.txt", farm.urls(100))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "archiver", "-q", "bulk", str(listing), "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), *sys.path])}
    process = subprocess.Popen([*command, *FAST_OPTIONS], env=env, start_new_session=True)
    try:
        main = psutil.Process(process.pid)
        deadline = time.monotonic() + 60
        # Running, its workers started and busy with the first pages fetched.
        while len(main.children()) < 2 or sum(len(server.log) for server in farm.servers) < 8:
            assert process.poll() is None, "the run ended before the kill"
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.05)
        time.sleep(0.5)
        run = main.children(recursive=True)

        os.kill(process.pid, signal.SIGKILL)
        process.wait()

        _, alive = psutil.wait_procs(run, timeout=5)
        left = [proc for proc in alive if _running(proc)]
        assert not left, [(proc.pid, proc.name()) for proc in left]
    finally:
        _kill_group(process.pid)


def _running(proc: psutil.Process) -> bool:
    """Whether ``proc`` still runs: a zombie (dead, waiting for init to reap it) does not."""
    try:
        return bool(proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


# --- kill -9 and resume ---------------------------------------------------------------------


@pytest.mark.slow
def test_killed_three_times_and_resumed_nothing_is_lost_or_doubled(tmp_path: Path) -> None:
    farm = SiteFarm(hosts=8)
    try:
        urls = farm.urls(5000)
        invalid = ["not a url"]
        listing = write_list(tmp_path / "urls.txt", urls, invalid)
        out = tmp_path / "out"
        command = [
            sys.executable, "-m", "archiver", "-q", "bulk", str(listing), "-o", str(out),
            *FAST_OPTIONS, "--warc-size", "1",
        ]  # fmt: skip
        rng = random.Random(5)
        for _ in range(3):
            process = subprocess.Popen(command, start_new_session=True)
            time.sleep(rng.uniform(1.5, 4.0))
            assert process.poll() is None, "the run ended before the kill"
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            # The pool's processes go with their parent; make sure, for the next run.
            _kill_group(process.pid)
            assert list(out.glob("*.warc.gz.open")), "no WARC file was open at the kill"
        with sqlite3.connect(out / STATE_FILE) as db:
            (left,) = db.execute("SELECT COUNT(*) FROM urls WHERE state = 'pending'").fetchone()
        assert 0 < left < 5000
        final = subprocess.run(command, timeout=600, check=False)
        assert final.returncode == 1
        check_every_url_accounted_for(out, urls, invalid)
    finally:
        farm.close()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def block_sizes(warc: Path) -> collections.Counter[str]:
    """The bytes of the blocks of ``warc``, by record type."""
    sizes: collections.Counter[str] = collections.Counter()
    with open(warc, "rb") as file:
        for record in ArchiveIterator(file):
            sizes[record.rec_type] += len(record.content_stream().read())
    return sizes


def metadata_records(warc: Path) -> list[dict[str, Any]]:
    with open(warc, "rb") as file:
        return [
            json.loads(record.content_stream().read())
            for record in ArchiveIterator(file)
            if record.rec_type == "metadata"
        ]


def test_a_warc_prefix_must_be_a_safe_name() -> None:
    with pytest.raises(ValueError, match=r"warc_prefix must be made of \[-a-z0-9._/\]"):
        BulkConfig(warc_prefix="My Crawl")
    assert BulkConfig(warc_prefix="crawls/2024-03.a_b").warc_prefix == "crawls/2024-03.a_b"


def test_a_bulk_archive_packs_as_a_valid_wacz_and_stores_the_text_once(
    farm: SiteFarm, tmp_path: Path
) -> None:
    listing = write_list(tmp_path / "urls.txt", farm.urls(40))
    out = tmp_path / "out"
    result = run_cli("bulk", str(listing), "-o", str(out), *FAST_OPTIONS)
    assert result.returncode == 1, result.stderr  # some URLs fail by design
    (warc,) = out.glob("*.warc.gz")
    assert re_fullmatch(WARC_NAME, warc.name)

    # The text is in the conversion records only, and the metadata records leave out
    # what the records beside them hold (the response's URL, status and Content-Type)
    # and null and empty values. What they keep (about 800 bytes a page: title,
    # description, captions, tags, the extractor...) is 30% of the text of these short
    # pages (2.5 KB of text each); it was 40% with those, 140% with the text too.
    sizes = block_sizes(warc)
    assert sizes["metadata"] < 0.35 * sizes["conversion"], sizes
    for data in metadata_records(warc):
        assert "text" not in data
        assert not {"url", "status", "content_type"} & data["fetch"].keys()
        assert None not in data.values() and [] not in data.values()

    wacz = tmp_path / "bulk.wacz"
    result = run_cli("wacz", str(warc), "-o", str(wacz))
    assert result.returncode == 0, result.stderr
    validated = wacz_validate(wacz)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Validation succeeded" in validated.stdout
