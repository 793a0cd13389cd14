"""Bulk archiving: every URL archived or reported, once; politeness; resume after kill -9."""

from __future__ import annotations

import collections
import dataclasses
import itertools
import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_farm import SiteFarm, outcome
from warc_check import warcio_check
from warcio.archiveiterator import ArchiveIterator

import archiver
from archiver.capture import FetchConfig
from archiver.runs import BulkConfig
from archiver.runs.bookkeeping import FAILURE_REPORT, STATE_FILE
from archiver.runs.urls import normalize_url, read_url_list

#: Fast and strict: no retries (a 500 fails at once), no wait between a host's requests.
FAST = BulkConfig(per_host_delay=0, workers=1, fetch=FetchConfig(retries=0, timeout=10))
WARC_NAME = r"archiver-\d{17}-\d{5}-\d+~[^-]+\.warc\.gz"


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
                    found.append(
                        json.loads(record.content_stream().read())["fetch"]["requested_url"]
                    )
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
    ],
)
def test_normalize_url_refuses(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("(", r"\(").replace(")", r"\)")):
        normalize_url(text)


def test_read_url_list_skips_blanks_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("# header\n\nhttp://a.example/1\n   \n  # indented\nhttp://b.example/2  \n")
    assert list(read_url_list(path)) == ["http://a.example/1", "http://b.example/2"]


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
    assert (report.done_now, report.failed_now) == (report.done, report.failed - len(invalid))
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
        assert len(archiver.reprocess([revisit_file])) == 0
    assert "skipped: no file read has the original" in caplog.text
    others = [warc for warc in warcs if warc != revisit_file]
    assert len(archiver.reprocess([revisit_file], originals=others)) == 1


def _record_types(warc: Path) -> list[str]:
    with open(warc, "rb") as file:
        return [record.rec_type for record in ArchiveIterator(file)]


def test_warc_files_rotate_at_the_size_limit(farm: SiteFarm, tmp_path: Path) -> None:
    urls = [url for url in farm.urls(60) if outcome(page_number(url))[0] == "done"]
    config = BulkConfig(
        per_host_delay=0, workers=1, warc_size=100_000, fetch=FetchConfig(retries=0)
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


def test_one_request_at_a_time_per_host_with_the_delay_between(
    farm: SiteFarm, tmp_path: Path
) -> None:
    server = farm.servers[0]
    urls = [server.url_for(f"/p/{n}") for n in (1, 2, 4, 5)]
    config = BulkConfig(per_host_delay=0.3, workers=1, fetch=FetchConfig(retries=0))
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


def test_a_bad_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(archiver.StateError, match="cannot create the output folder"):
        archiver.archive_many(["http://example.com/"], blocker / "out", config=FAST)


# --- the command ----------------------------------------------------------------------------


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archiver", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_bulk_command(farm: SiteFarm, tmp_path: Path) -> None:
    urls = farm.urls(20)
    listing = write_list(tmp_path / "urls.txt", urls)
    out = tmp_path / "out"
    result = run_cli(
        "bulk", str(listing), "-o", str(out), "--per-host-delay", "0", "--retries", "0"
    )
    assert result.returncode == 1  # some URLs fail by design
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("archived 18 of 20 URLs, 2 failed")
    assert str(out / FAILURE_REPORT) in summary
    check_every_url_accounted_for(out, urls, [])


def test_the_bulk_command_refuses_a_missing_list(tmp_path: Path) -> None:
    result = run_cli("bulk", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.txt'}: no such file"


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
            "--per-host-delay", "0", "--retries", "0", "--warc-size", "1",
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
