"""A bulk run over 3,000 URLs among which are the hostile pages and hosts of issue 13.

It must finish; each hostile URL ends as :class:`site_farm.HostileSites` says (archived,
or in the failure report with the cause), every other URL as the farm says (archived,
but for the farm's own 404s, PDFs and 500s, reported), and no page is stored twice.

Not among them: a URL of a private address other than loopback, refused. The farm's
hosts are loopback addresses, which the run must be allowed (``allow_private``) to
fetch, and that allows every private address alike; the refusal itself is tested in
tests/test_hostile_fetch.py.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from site_farm import HOSTILE_TITLE, HostileSites, SiteFarm, outcome
from test_bulk import archived_urls, failure_rows, page_number, responses_by_url, write_list

import archiver
from archiver.capture import FetchConfig
from archiver.cli import main
from archiver.runs import BulkConfig

#: Ten seconds per network operation, five per fetch in all (the host that sends a byte
#: a second fails by it), no retries; the default budget of extraction per page.
CONFIG = BulkConfig(
    per_host_delay=0,
    fetch=FetchConfig(allow_private=True, retries=0, timeout=10, total_timeout=5),
)
TOTAL = 3000


@pytest.mark.slow
def test_a_bulk_run_over_hostile_pages_and_hosts_accounts_for_every_url(tmp_path: Path) -> None:
    farm = SiteFarm(hosts=8)
    hostile = HostileSites()
    try:
        normal = farm.urls(TOTAL - len(hostile.expected))
        urls = list(normal)
        for n, url in enumerate(hostile.expected):  # spread over the list
            urls.insert(100 + 200 * n, url)
        listing = write_list(tmp_path / "urls.txt", urls)
        out = tmp_path / "out"
        started = time.monotonic()

        report = archiver.archive_many(listing, out, config=CONFIG)

        elapsed = time.monotonic() - started
        rows = {str(row["url"]): row for row in failure_rows(out)}
        stored = collections.Counter(archived_urls(out))
        assert [url for url, count in stored.items() if count > 1] == []
        counts = responses_by_url(out)
        assert [url for url in stored if counts[url] != 1] == []
        # Each hostile URL as it must end; all of them listed when some do not.
        ended = {
            url: str(rows[url]["error"]) if url in rows else "done" if url in stored else "lost"
            for url in hostile.expected
        }
        wrong = {
            url: (expected, ended[url], rows.get(url, {}).get("message"))
            for url, expected in hostile.expected.items()
            if ended[url] != expected
        }
        assert wrong == {}, f"{len(wrong)} hostile URLs ended otherwise (expected, got, why)"
        # A response that came is stored, even when no article came of it.
        for url in hostile.expected:
            came = ended[url] in ("done", "ExtractionError")
            assert (url in stored) == came, url
        # Every other URL as the farm says.
        for url in normal:
            expected, kept = outcome(page_number(url))
            assert (url in stored) == kept, url
            assert (rows[url]["error"] if url in rows else "done") == expected, url
        assert report.total == TOTAL and report.done + report.failed == TOTAL
        assert set(rows) <= set(urls)
        # The UTF-16 label on a UTF-8 page reads as UTF-8.
        utf16 = hostile.pages.url_for("/utf-16")
        (article,) = [
            entry.article
            for entry in archiver.read_latest(sorted(out.glob("*.warc.gz")))
            if entry.target_uri == utf16
        ]
        assert article.title == HOSTILE_TITLE and "caf\u00e9" in article.text
        print(f"{TOTAL} URLs in {elapsed:.0f} s: {report.done} archived, {report.failed} failed")
        for url in hostile.expected:
            print(f"  {url}: {ended[url]}", rows[url]["message"] if url in rows else "")
    finally:
        hostile.close()
        farm.close()


@pytest.mark.parametrize(
    ("bad", "error"),
    [("/a\x00b", "InvalidUrl"), ("/del\x7f", "InvalidUrl"), ("http://xn--.com/", "FetchError")],
)
def test_a_url_that_httpx_cannot_parse_is_reported_and_the_run_goes_on(
    tmp_path: Path, server: HTTPServer, bad: str, error: str
) -> None:
    """A list line that passes the list's own URL check but not httpx's (a malformed
    IDNA host; a control character, before the list's check refused them too) once
    ended the whole run with an internal error, as the host's crawl delay was looked up
    after its failure; the page before it was left in a ``.open`` file."""
    server.expect_request("/ok").respond_with_data(
        "<html><body><p>A page.</p></body></html>", content_type="text/html"
    )
    broken = bad if bad.startswith("http") else server.url_for(bad)
    listing = write_list(tmp_path / "urls.txt", [server.url_for("/ok"), broken])
    out = tmp_path / "out"
    report = archiver.archive_many(listing, out, config=CONFIG)
    assert (report.done, report.failed) == (1, 1)
    assert [(row["url"], row["error"]) for row in failure_rows(out)] == [(broken, error)]
    assert archived_urls(out) == [server.url_for("/ok")]


def test_a_url_list_given_as_a_pipe_is_read(tmp_path: Path, server: HTTPServer) -> None:
    """``archiver bulk <(command)`` names a pipe, which was once refused as "no such
    file"; a device is refused with its own cause, for it might never end a line."""
    server.expect_request("/ok").respond_with_data(
        "<html><body><p>A page.</p></body></html>", content_type="text/html"
    )
    pipe = tmp_path / "urls"
    os.mkfifo(pipe)

    def feed() -> None:
        with open(pipe, "w", encoding="utf-8") as writer:
            writer.write(server.url_for("/ok") + "\n")

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    out = tmp_path / "out"
    args = ["--allow-private", "--per-host-delay", "0", "--retries", "0", "-o", str(out)]
    result = CliRunner().invoke(main, ["bulk", str(pipe), *args])
    feeder.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert archived_urls(out) == [server.url_for("/ok")]
    result = CliRunner().invoke(main, ["bulk", "/dev/zero", *args])
    assert result.exit_code == 2
    assert "/dev/zero: not a regular file or a pipe" in result.stderr


@pytest.mark.parametrize("name", ["missing.txt", "folder"])
def test_a_url_list_that_cannot_be_read_is_an_input_error_naming_it(
    tmp_path: Path, name: str
) -> None:
    """Once a bare FileNotFoundError or IsADirectoryError from the Python API."""
    (tmp_path / "folder").mkdir()
    listing = tmp_path / name
    with pytest.raises(archiver.InputError, match="cannot read the URL list") as info:
        archiver.archive_many(listing, tmp_path / "out", config=CONFIG)
    assert info.value.source == str(listing)
