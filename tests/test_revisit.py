"""Revisits: the recent articles of an archive folder fetched again, versions recorded."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import changing_farm
import pytest
from changing_farm import ChangingFarm
from click.testing import CliRunner
from news_farm import NewsFarm, resolving
from pytest_httpserver import HTTPServer
from warcio.archiveiterator import ArchiveIterator

import archiver
from archiver.capture import FetchConfig
from archiver.cli import fetching, main
from archiver.runs import BulkConfig, TextIndex
from archiver.runs.bookkeeping import STATE_FILE
from archiver.runs.refresh import revisit_period
from archiver.warc.records import NOT_MODIFIED_PROFILE

FAST = BulkConfig(
    per_host_delay=0, workers=1, fetch=FetchConfig(retries=0, timeout=10, allow_private=True)
)
COUNT = 300
#: The articles that change: every tenth, 30 of 300.
CHANGED = list(range(5, COUNT, 10))


def records_by_url(folder: Path, names: set[str]) -> dict[str, collections.Counter[str]]:
    """For the WARC files ``names`` of ``folder``: per URL, its captures by kind."""
    found: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for name in names:
        with open(folder / name, "rb") as stream:
            for record in ArchiveIterator(stream):
                headers = record.rec_headers
                uri = headers.get_header("WARC-Target-URI")
                if record.rec_type == "response":
                    found[uri]["response"] += 1
                elif record.rec_type == "revisit":
                    profile = headers.get_header("WARC-Profile")
                    found[uri]["304" if profile == NOT_MODIFIED_PROFILE else "same"] += 1
    return found


@pytest.fixture(scope="module")
def farm() -> Iterator[ChangingFarm]:
    farm = ChangingFarm()
    yield farm
    farm.close()


@pytest.fixture(scope="module")
def revisited(
    farm: ChangingFarm, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, archiver.RevisitReport, set[str], list[str]]:
    out = tmp_path_factory.mktemp("archive")
    urls = farm.urls(COUNT)
    first = archiver.archive_many(urls, out, config=FAST)
    assert first.ok and first.done == COUNT
    before = {path.name for path in out.glob("*.warc.gz")}
    farm.change(CHANGED)
    report = archiver.revisit(out, "3d", config=FAST)
    new_files = {path.name for path in out.glob("*.warc.gz")} - before
    return out, report, new_files, urls


def test_30_new_versions_and_270_revisits(
    revisited: tuple[Path, archiver.RevisitReport, set[str], list[str]],
) -> None:
    out, report, new_files, urls = revisited
    assert report.revisited == COUNT and report.first == 0
    assert report.changed == len(CHANGED)
    assert report.unchanged + report.not_modified == COUNT - len(CHANGED)
    # Both kinds of revisit: a 304 to a conditional request, and the same payload.
    assert report.not_modified > 0 and report.unchanged > 0
    assert report.run.ok and report.run.done_now == COUNT
    # In the WARC files: a response only for the changed pages, a revisit for the rest.
    captures = records_by_url(out, new_files)
    changed_urls = {urls[n] for n in CHANGED}
    assert {uri for uri, kinds in captures.items() if kinds["response"]} == changed_urls
    assert all(sum(kinds.values()) == 1 for kinds in captures.values())
    assert len(captures) == COUNT
    not_modified = sum(kinds["304"] for kinds in captures.values())
    assert not_modified == report.not_modified
    # The ledger keeps each version's record IDs.
    with sqlite3.connect(out / STATE_FILE) as db:
        rows = db.execute("SELECT url, kind, capture_id, metadata_id FROM versions").fetchall()
    by_url = collections.defaultdict(list)
    for url, kind, capture_id, metadata_id in rows:
        assert capture_id.startswith("<urn:uuid:") and metadata_id.startswith("<urn:uuid:")
        by_url[url].append(kind)
    assert all(kinds[0] == "first" and len(kinds) == 2 for kinds in by_url.values())
    assert {url for url, kinds in by_url.items() if kinds[1] == "changed"} == changed_urls


def test_search_finds_the_new_text_and_agrees_with_the_warc_files(
    revisited: tuple[Path, archiver.RevisitReport, set[str], list[str]], farm: ChangingFarm
) -> None:
    out, _, _, urls = revisited
    edited = {urls[n] for n in CHANGED if farm.kinds[n] in ("text", "both")}
    hits = archiver.search('"next autumn"', out, limit=100)
    assert {hit.url for hit in hits} == edited
    # The first versions stay searchable: every article says "next spring" in its
    # first version, and in its second when only the title changed.
    retitled = [n for n in CHANGED if farm.kinds[n] == "title"]
    assert len(archiver.search('"next spring"', out, limit=1000)) == COUNT + len(retitled)
    index = TextIndex(out)
    try:
        check = index.check()
    finally:
        index.close()
    assert check.ok, check
    # One row per distinct text: 300 first versions, and the 30 that changed.
    assert check.indexed == COUNT + len(CHANGED)


def test_a_second_revisit_finds_nothing_new(
    revisited: tuple[Path, archiver.RevisitReport, set[str], list[str]],
) -> None:
    out, _, _, _ = revisited
    report = archiver.revisit(out, timedelta(days=3), config=FAST)
    assert report.changed == 0 and report.first == 0
    assert report.unchanged + report.not_modified == COUNT


def test_only_articles_first_archived_within_the_period(farm: ChangingFarm, tmp_path: Path) -> None:
    urls = farm.urls(20)
    archiver.archive_many(urls[:10], tmp_path, config=FAST)
    time.sleep(1.5)
    archiver.archive_many(urls, tmp_path, config=FAST)
    report = archiver.revisit(tmp_path, "1s", config=FAST)
    assert report.revisited == 10
    assert report.unchanged + report.not_modified + report.changed == 10


def test_an_article_that_cannot_be_fetched_again_stays_archived(tmp_path: Path) -> None:
    farm = ChangingFarm(hosts=1)
    try:
        urls = farm.urls(6)
        assert archiver.archive_many(urls, tmp_path, config=FAST).ok
        farm.break_down([1, 2])
        farm.change([4])
        report = archiver.revisit(tmp_path, "3d", config=FAST)
        assert report.failed == 2 and report.changed == 1
        assert (report.run.failed_now, report.run.kept_now) == (0, 2)
        summary = fetching._summary(report.run).splitlines()
        assert summary[0] == "archived 6 of 6 URLs, 0 failed"
        assert summary[1].startswith("  this run: 4 archived, 0 failed, 2 not fetched again, ")
        # Still archived: no failure of the archive, nor of the report; the ledger
        # keeps the cause, and the file of the capture that stays the latest.
        assert report.run.ok and report.run.failed == 0
        assert report.run.failure_report.read_text() == ""
        with sqlite3.connect(tmp_path / STATE_FILE) as db:
            rows = db.execute("SELECT url, state, error, status, warc FROM urls").fetchall()
        broken = {urls[1], urls[2]}
        for url, state, error, status, warc in rows:
            assert state == "done"
            assert (error, status in (200, 304)) == (
                ("HttpStatusError", False) if url in broken else (None, True)
            )
            assert (tmp_path / warc).is_file()
        assert [len(archiver.history(url, tmp_path)) for url in urls] == [1, 1, 1, 1, 2, 1]
        # The next round fetches them again, and a success clears the cause.
        farm.break_down([])
        again = archiver.revisit(tmp_path, "3d", config=FAST)
        assert again.failed == 0 and again.revisited == 6 and again.run.done_now == 6
    finally:
        farm.close()


def test_a_lost_revisit_keeps_the_earlier_capture(tmp_path: Path) -> None:
    """A file lost as it was closed (requeue) held a revisit's capture: its URL keeps
    the earlier capture, which stays its latest should the fetch fail now."""
    from archiver.runs.ledger import DONE, FAILED, Ledger
    from archiver.runs.versions import Version
    from archiver.warc import CaptureRef

    ledger = Ledger(tmp_path / STATE_FILE)
    url = "https://h.example/a"
    ledger.add([(url, "h.example")])
    for kind, warc in (("first", "a.warc.gz"), ("changed", "b.warc.gz")):
        capture = CaptureRef(f"<{warc}>", url, "2026-01-01T00:00:00Z")
        ledger.record_version(Version(url, kind, capture, warc, None, None, warc, warc))
        ledger.finish(url, DONE, warc=warc)
    assert ledger.requeue("b.warc.gz") == 1
    latest = ledger.latest_version(url)
    assert latest is not None and latest.warc == "a.warc.gz"
    assert ledger.finish(url, FAILED, error="HttpStatusError") == DONE
    ledger.commit()
    assert next(iter(ledger.outcomes()))["warc"] == "a.warc.gz"
    ledger.close()


def test_bad_period_and_folder(tmp_path: Path) -> None:
    assert revisit_period("3d") == timedelta(days=3)
    assert revisit_period("12h") == timedelta(hours=12)
    for bad in ("3", "d", "-1d", "0d", "3 days", ""):
        with pytest.raises(archiver.InputError, match="not a period"):
            revisit_period(bad)
    with pytest.raises(archiver.InputError, match="not an archive folder"):
        archiver.revisit(tmp_path, "3d")


_REVISIT = """
import sys
from archiver.capture import FetchConfig
from archiver.cli import main
from archiver.cli import fetching
from archiver.runs import BulkConfig, revisit
config = BulkConfig(per_host_delay=0, workers=1, concurrency=4, warc_size=20_000,
                    fetch=FetchConfig(retries=0, timeout=10, allow_private=True))
revisit(sys.argv[1], "3d", config=config)
"""


def _captures_since(folder: Path, before: set[str]) -> int:
    """The captures written to the WARC files of ``folder`` not in ``before``, the one
    being written (``.open``) included, as far as they can be read now."""
    count = 0
    for path in folder.glob("*.warc.gz*"):
        if path.name in before or path.name.endswith(".sqlite"):
            continue
        try:
            with open(path, "rb") as stream:
                for record in ArchiveIterator(stream):
                    count += record.rec_type in ("response", "revisit")
        except Exception:  # the record being written: counted up to it
            pass
    return count


@pytest.mark.slow
def test_killed_revisit_loses_no_version_and_records_none_twice(tmp_path: Path) -> None:
    farm = ChangingFarm(delay=0.02)
    try:
        urls = farm.urls(COUNT)
        out = tmp_path / "archive"
        config = BulkConfig(
            per_host_delay=0,
            workers=1,
            concurrency=4,
            fetch=FetchConfig(retries=0, timeout=10, allow_private=True),
        )
        assert archiver.archive_many(urls, out, config=config).ok
        before = {path.name for path in out.glob("*.warc.gz")}
        farm.change(CHANGED)
        command = [sys.executable, "-c", _REVISIT, str(out)]
        # Killed once a run has written some pages (a machine under load starts slowly):
        # 40 pages into the first run, 40 more into the second.
        for written in (40, 80):
            process = subprocess.Popen(command, start_new_session=True)
            deadline = time.monotonic() + 120
            while _captures_since(out, before) < written and time.monotonic() < deadline:
                time.sleep(0.05)
            assert process.poll() is None, "the revisit ended before the kill"
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            try:
                os.killpg(process.pid, signal.SIGKILL)  # its extraction process
            except ProcessLookupError:
                pass
        with sqlite3.connect(out / STATE_FILE) as db:
            (left,) = db.execute("SELECT COUNT(*) FROM urls WHERE state = 'pending'").fetchone()
        assert 0 < left < COUNT
        subprocess.run(command, check=True, timeout=300)
        new_files = {path.name for path in out.glob("*.warc.gz")} - before
        assert not list(out.glob("*.open"))
        captures = records_by_url(out, new_files)
        # Each article revisited exactly once over the three runs, and each change kept.
        assert len(captures) == COUNT
        assert all(sum(kinds.values()) == 1 for kinds in captures.values())
        changed = {uri for uri, kinds in captures.items() if kinds["response"]}
        assert changed == {urls[n] for n in CHANGED}
        with sqlite3.connect(out / STATE_FILE) as db:
            kinds = dict(db.execute("SELECT kind, COUNT(*) FROM versions GROUP BY kind"))
            round_left = db.execute("SELECT value FROM meta WHERE key = 'revisit_round'")
            assert round_left.fetchone() is None
        assert kinds["first"] == COUNT and kinds["changed"] == len(CHANGED)
        assert kinds.get("unchanged", 0) + kinds.get("not-modified", 0) == COUNT - len(CHANGED)
        index = TextIndex(out)
        try:
            check = index.check()
        finally:
            index.close()
        assert check.ok, check
        assert check.indexed == COUNT + len(CHANGED)
    finally:
        farm.close()


# --- history ------------------------------------------------------------------------------


def test_history_shows_each_change_word_for_word(
    revisited: tuple[Path, archiver.RevisitReport, set[str], list[str]], farm: ChangingFarm
) -> None:
    out, _, _, urls = revisited
    for n in CHANGED:
        versions = archiver.history(urls[n], out)
        assert len(versions) == 2, n
        first, second = versions
        assert (first.number, second.number) == (1, 2)
        assert second.article.title == changing_farm.title(n, 1, changed=farm.kinds[n] != "text")
        fields = {change.name for change in second.changes}
        assert ("title" in fields) == (farm.kinds[n] in ("title", "both"))
        changed_words = [part for part in second.diff if part.op != "equal"]
        if farm.kinds[n] == "title":
            assert changed_words == []
            continue
        old = changing_farm.paragraphs(n, 0, changed=False)
        new = changing_farm.paragraphs(n, 1, changed=True)
        # The diff, applied to the old text, gives the new one, word for word.
        assert " ".join(part.old for part in second.diff if part.old) == " ".join(old)
        assert " ".join(part.new for part in second.diff if part.new) == " ".join(new)
        assert any("autumn" in part.new and "spring" in part.old for part in changed_words)
    # An article that did not change: one version, captured twice (or once and a 304).
    same = archiver.history(urls[0].replace("http://", "HTTP://"), out)
    assert len(same) == 1 and same[0].diff == () and same[0].markup_changes == 0


def test_markup_changed_but_not_the_text_is_one_version(farm: ChangingFarm, tmp_path: Path) -> None:
    urls = farm.urls(400)[300:]  # articles of their own
    archiver.archive_many(urls[:4], tmp_path, config=FAST)
    farm.restyle([300, 301])
    archiver.revisit(tmp_path, "3d", config=FAST)
    (version,) = archiver.history(urls[0], tmp_path)
    assert len(version.captured) == 2 and version.markup_changes == 1
    result = CliRunner().invoke(main, ["history", urls[0], str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 version of the text, 2 captures" in result.output
    assert "markup changed 1 time, its text did not" in result.output


def test_history_command(
    revisited: tuple[Path, archiver.RevisitReport, set[str], list[str]], farm: ChangingFarm
) -> None:
    out, _, _, urls = revisited
    n = next(n for n in CHANGED if farm.kinds[n] == "both")
    runner = CliRunner()
    text = runner.invoke(main, ["history", urls[n], str(out)])
    assert text.exit_code == 0, text.output
    assert "2 versions of the text" in text.output
    assert "title: " in text.output and "(updated 1)" in text.output
    assert "next [-spring-] {+autumn+} if" in text.output
    data = json.loads(runner.invoke(main, ["history", urls[n], str(out), "-f", "json"]).stdout)
    assert data["url"] == urls[n] and len(data["versions"]) == 2
    assert data["versions"][1]["changes"][0]["field"] == "title"
    assert any(op != "equal" for op, _, _ in data["versions"][1]["diff"])
    missing = runner.invoke(main, ["history", "http://nowhere.example/", str(out)])
    assert missing.exit_code == 0 and "not archived" in missing.output
    absent = runner.invoke(main, ["history", urls[n], str(out / "nothing")])
    assert absent.exit_code == 1 and "Traceback" not in absent.output


# --- archiver update --revisit (on the discovery farm of issue 15) -------------------------


def test_update_revisit_records_the_changed_article(tmp_path: Path) -> None:
    news = NewsFarm(12)
    try:
        with resolving(news.hosts):
            site = news.sites[5]
            out = str(tmp_path / "archive")
            fast = ["--allow-private", "--per-host-delay", "0", "--retries", "0"]
            runner = CliRunner()
            result = runner.invoke(main, ["bulk", "--discover", site.home, "-o", out, *fast])
            assert result.exit_code == 0, result.output
            changed = site.articles[3]
            site.articles[3] = dataclasses.replace(changed, title="A new title for the story")
            site._build()
            result = runner.invoke(main, ["update", out, "--revisit", "3d", *fast])
            assert result.exit_code == 0, result.output
            count = len(site.articles)
            assert f"revisited {count} articles: 1 new version, {count - 1} unchanged" in (
                result.output
            )
            url = site.url(changed.path)
            shown = runner.invoke(main, ["history", url, out])
            assert "2 versions of the text" in shown.output, shown.output
            assert "-> 'A new title for the story'" in shown.output
            bad = runner.invoke(main, ["update", out, "--revisit", "soon", *fast])
            assert bad.exit_code == 2 and "not a period" in bad.output
    finally:
        news.close()


def _page(title: str) -> str:
    published = "2026-03-01T08:00:00+00:00" if "first" in title else "2026-03-02T09:30:00+00:00"
    meta = f'<meta property="article:published_time" content="{published}">'
    body = " ".join(
        f"<p>{title}: paragraph {n} of the story, told at length so that it reads as an"
        " article with enough words in each of its paragraphs to be kept.</p>"
        for n in range(4)
    )
    head = f"<head><title>{title}</title>{meta}</head>"
    return f"<html>{head}<body><h1>{title}</h1>{body}</body></html>"


def test_history_of_a_url_that_redirects_shows_the_page_it_led_to(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    html = "text/html; charset=utf-8"
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/moved").respond_with_data(
        _page("The first story"), content_type=html, headers={"ETag": '"same"'}
    )
    httpserver.expect_request("/target").respond_with_data(
        _page("The other story"), content_type=html, headers={"ETag": '"same"'}
    )
    httpserver.expect_request("/short").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/target")}
    )
    moved, short = httpserver.url_for("/moved"), httpserver.url_for("/short")
    assert archiver.archive_many([moved, short], tmp_path, config=FAST).ok
    # Archived as asked for: under the URL given, not only under the one it led to.
    assert [v.article.title for v in archiver.history(short, tmp_path)] == ["The other story"]
    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/target").respond_with_data(
        _page("The other story"), content_type=html
    )
    httpserver.expect_request("/moved").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/target")}
    )
    report = archiver.revisit(tmp_path, "1d", config=FAST)
    assert report.changed == 1
    # An earlier capture's validators go to the URL it came from only: /target, sent
    # /moved's, would answer 304 for a page never captured under that URL; /short,
    # sent those of the /target it led to, could answer 304 for itself.
    asked = {(request.path, request.headers.get("If-None-Match")) for request, _ in httpserver.log}
    assert asked == {
        ("/robots.txt", None),
        ("/moved", '"same"'),
        ("/target", None),
        ("/short", None),
    }
    # The new version the revisit counted is in the history of the URL that changed.
    versions = archiver.history(moved, tmp_path)
    assert [v.article.title for v in versions] == ["The first story", "The other story"]
    shown = CliRunner().invoke(main, ["history", moved, str(tmp_path)])
    # A date that changed reads as a date, not as Python's repr of one.
    assert "published: 2026-03-01T08:00:00+00:00 -> 2026-03-02T09:30:00+00:00" in shown.output


@pytest.mark.parametrize("path", ["/plain", "/café", "/{id}"])
def test_validators_go_to_a_url_whose_capture_names_it_percent_encoded(
    httpserver: HTTPServer, tmp_path: Path, path: str
) -> None:
    # The ledger keeps /café as given; the capture's WARC-Target-URI is the URL as sent,
    # /caf%C3%A9: the same URL, not a redirect's target, whose validators still go.
    html = "text/html; charset=utf-8"
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request(path).respond_with_data(
        _page("The first story"), content_type=html, headers={"ETag": '"v1"'}
    )
    url = httpserver.url_for("/").rstrip("/") + path
    assert archiver.archive_many([url], tmp_path, config=FAST).ok
    httpserver.clear_log()
    archiver.revisit(tmp_path, "1d", config=FAST)
    asked = [(request.path, request.headers.get("If-None-Match")) for request, _ in httpserver.log]
    assert (path, '"v1"') in asked
