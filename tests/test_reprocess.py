"""archiver.runs.reextraction: input expansion, the per-file work unit, and whole runs.

These tests check the plumbing, not extraction quality: where an extractor is needed
and its output matters, a stub registry returns a known Article.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from warc_check import warcio_check

from archiver import warc
from archiver.article import Article, ExtractorInfo
from archiver.cli import main
from archiver.document import Document
from archiver.errors import (
    EmptyInputError,
    ExtractionError,
    InputError,
    InputTooLargeError,
    WarcError,
)
from archiver.extraction.registry import Registry
from archiver.runs import Failure, Report, process_file, reprocess
from archiver.runs.inputs import iter_inputs

# archiver/__init__.py re-exports the function reprocess under the module's name.
reprocess_module = importlib.import_module("archiver.runs.batch")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

PAGE = "Headline of the day\n\n" + "\n\n".join(
    f"Paragraph {i} of the story says something about the news of the day, at length."
    for i in range(1, 6)
)


class StubExtractor:
    """Returns the document's first line as the title and the whole text as the body."""

    name = "stub"
    version = "0"
    domains: tuple[str, ...] = ()

    def recognizes(self, document: Document) -> bool:
        return True

    def extract(self, document: Document) -> Article:
        if "EXPLODE" in document.text:
            raise ValueError("stub extractor bug")
        return Article(
            text=document.text.strip(),
            extractor=ExtractorInfo(self.name, self.version),
            input_kind=document.kind,
            url=document.url,
            title=document.text.strip().splitlines()[0],
        )


STUB = Registry((), StubExtractor())


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# --- iter_inputs ------------------------------------------------------------------------


def test_iter_inputs_walks_folders_sorted_and_filters_by_suffix(tmp_path: Path) -> None:
    for name in [
        "b.txt",
        "a.html",
        "c.md",
        "notes.json",
        "sub/z.htm",
        "sub/deeper/y.text",
        "D.TXT",
    ]:
        write(tmp_path / name, PAGE)
    found = list(iter_inputs([tmp_path]))
    assert found == [
        tmp_path / "D.TXT",
        tmp_path / "a.html",
        tmp_path / "b.txt",
        tmp_path / "sub" / "deeper" / "y.text",
        tmp_path / "sub" / "z.htm",
    ]


def test_iter_inputs_names_the_warc_files_of_a_folder_it_does_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A crawl's folder given as the input: its WARC files were passed over in silence.
    write(tmp_path / "a.html", PAGE)
    for name in ["crawl-1.warc.gz", "crawl-2.warc", "sub/crawl-3.warc.gz"]:
        write(tmp_path / name, "WARC/1.1")
    with caplog.at_level(logging.WARNING, logger="archiver.runs.inputs"):
        assert list(iter_inputs([tmp_path])) == [tmp_path / "a.html"]
    assert caplog.messages == [
        f"{tmp_path / 'sub'}: 1 WARC file not read: folders are searched for saved pages"
        " only; name the WARC files themselves",
        f"{tmp_path}: 2 WARC files not read: folders are searched for saved pages only;"
        " name the WARC files themselves",
    ]


def test_iter_inputs_takes_an_explicit_file_of_any_name(tmp_path: Path) -> None:
    page = write(tmp_path / "page.saved", PAGE)
    assert list(iter_inputs([str(page)])) == [page]


def test_iter_inputs_reports_a_missing_path_as_a_failure(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", PAGE)
    missing = tmp_path / "missing.txt"
    found = list(iter_inputs([missing, good]))
    assert found[1] == good
    failure = found[0]
    assert isinstance(failure, Failure)
    assert failure.source == str(missing)
    assert failure.error == "InputError"
    assert "no such file" in failure.message


def test_iter_inputs_yields_each_file_once(tmp_path: Path) -> None:
    page = write(tmp_path / "a.txt", PAGE)
    assert list(iter_inputs([page, tmp_path, str(page)])) == [page]


def test_iter_inputs_survives_a_symlink_loop(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", PAGE)
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert list(iter_inputs([tmp_path])) == [tmp_path / "a.txt"]


def test_iter_inputs_walks_each_folder_once(tmp_path: Path) -> None:
    # Each folder links twice to the next: walked once per way in, the last folder
    # would be walked 2**24 times.
    levels = [tmp_path / f"level{i}" for i in range(25)]
    for level in levels:
        level.mkdir()
    for level, below in zip(levels, levels[1:], strict=False):
        (level / "a").symlink_to(below, target_is_directory=True)
        (level / "b").symlink_to(below, target_is_directory=True)
    write(levels[-1] / "page.txt", PAGE)
    assert list(iter_inputs([levels[0]])) == [levels[0].joinpath(*["a"] * 24, "page.txt")]


def test_iter_inputs_takes_a_file_that_links_to_itself(tmp_path: Path) -> None:
    # Its name is taken as it is: reading it names the loop (see test_bad_input.py).
    write(tmp_path / "a.txt", PAGE)
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    assert list(iter_inputs([tmp_path])) == [tmp_path / "a.txt", tmp_path / "self.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_iter_inputs_reports_an_unreadable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    write(locked / "a.txt", PAGE)
    locked.chmod(0)
    try:
        found = list(iter_inputs([tmp_path]))
    finally:
        locked.chmod(0o755)
    assert len(found) == 1 and isinstance(found[0], Failure)
    assert found[0].source == str(locked)
    assert "permission denied" in found[0].message


# --- process_file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("page.html", PAGE, "html"),  # the name wins over the content...
        ("page.HTM", PAGE, "html"),
        ("page.txt", "<html><body><p>" + PAGE + "</p></body></html>", "text"),
        ("page.text", PAGE, "text"),
        ("page.saved", "<html><head><title>t</title></head><body><p>x</p></body></html>", "html"),
        ("page.saved", PAGE, "text"),  # ...and is sniffed when it says nothing
    ],
)
def test_process_file_takes_the_kind_from_the_name(
    tmp_path: Path, name: str, content: str, kind: str
) -> None:
    document, article = process_file(write(tmp_path / name, content), registry=STUB)
    assert document.kind == kind
    assert article.input_kind == kind
    assert document.name == str(tmp_path / name)


def test_process_file_passes_the_url_on(tmp_path: Path) -> None:
    document, article = process_file(
        write(tmp_path / "a.txt", PAGE), url="https://example.com/a", registry=STUB
    )
    assert document.url == article.url == "https://example.com/a"


def test_process_file_results_are_plain_picklable_data(tmp_path: Path) -> None:
    # The work unit must be able to cross a process boundary.
    result = process_file(write(tmp_path / "a.txt", PAGE), registry=STUB)
    assert pickle.loads(pickle.dumps(result)) == result


def test_process_file_names_the_file_when_it_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    with pytest.raises(InputError) as info:
        process_file(path, registry=STUB)
    assert info.value.source == str(path)
    assert "no such file" in info.value.message


def test_process_file_refuses_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "x.txt"
    folder.mkdir()
    with pytest.raises(InputError) as info:
        process_file(folder, registry=STUB)
    assert info.value.source == str(folder)
    assert "directory" in info.value.message


def test_process_file_honours_max_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", PAGE)
    with pytest.raises(InputTooLargeError) as info:
        process_file(path, registry=STUB, max_bytes=10)
    assert info.value.source == str(path)
    assert "limit" in info.value.message


def test_process_file_wraps_an_extractor_bug(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "EXPLODE\n\n" + PAGE)
    with pytest.raises(ExtractionError) as info:
        process_file(path, registry=STUB)
    assert info.value.source == str(path)
    assert "stub extractor bug" in info.value.message


# --- reprocess --------------------------------------------------------------------------


def test_report_behaves_like_a_sequence_of_articles() -> None:
    article = Article(text="x", extractor=ExtractorInfo("stub", "0"), input_kind="text")
    report = Report((article,), (), None)
    assert list(report) == [article]
    assert len(report) == 1
    assert report.ok
    failed = Report((), (Failure("a.txt", "EmptyInputError", "input is empty"),), None)
    assert not failed.ok
    assert str(failed.failures[0]) == "a.txt: input is empty"


def test_reprocess_without_a_warc(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", PAGE)
    write(tmp_path / "b.html", PAGE)
    report = reprocess([tmp_path], registry=STUB)
    assert report.ok
    assert report.warc is None
    assert len(report) == 2
    assert [a.input_kind for a in report] == ["text", "html"]


def test_reprocess_takes_a_single_path_as_one_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Iterated, "in/" would be the paths "i", "n" and "/": the last walked the whole
    # file system. The working folder holds a page of its own, which "." would take.
    write(tmp_path / "in" / "a.txt", PAGE)
    write(tmp_path / "stray.txt", PAGE)
    monkeypatch.chdir(tmp_path)
    seen: list[Path] = []
    for single in ("in/", Path("in")):
        report = reprocess(single, registry=STUB, on_result=lambda path, _: seen.append(path))
        assert report.ok and len(report) == 1
    assert seen == [Path("in/a.txt"), Path("in/a.txt")]


def test_reprocess_writes_a_warc_that_reads_back(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    for name in ["a.txt", "b.txt", "c.txt"]:
        write(inputs / name, f"Title {name}\n\n{PAGE}")
    out = tmp_path / "out" / "sub" / "archive.warc.gz"  # missing folders are created
    report = reprocess([inputs], out, registry=STUB)
    assert report.ok
    assert report.warc == out
    assert out.is_file()
    assert not Path(f"{out}.open").exists()
    assert [a.title for a in warc.read(out)] == ["Title a.txt", "Title b.txt", "Title c.txt"]
    assert list(warc.read(out)) == list(report)


def test_reprocess_goes_on_after_failures(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", PAGE)
    write(tmp_path / "b.txt", "   \n\t\n")
    write(tmp_path / "c.txt", "EXPLODE\n\n" + PAGE)
    write(tmp_path / "d.txt", PAGE)
    seen: list[tuple[Path, str]] = []
    report = reprocess(
        [tmp_path, tmp_path / "missing"],
        tmp_path / "out.warc.gz",
        registry=STUB,
        on_result=lambda path, result: seen.append((path, type(result).__name__)),
    )
    assert not report.ok
    assert len(report) == 2
    assert [(f.source, f.error) for f in report.failures] == [
        (str(tmp_path / "b.txt"), "EmptyInputError"),
        (str(tmp_path / "c.txt"), "ExtractionError"),
        (str(tmp_path / "missing"), "InputError"),
    ]
    assert seen == [
        (tmp_path / "a.txt", "Article"),
        (tmp_path / "b.txt", "Failure"),
        (tmp_path / "c.txt", "Failure"),
        (tmp_path / "d.txt", "Article"),
        (tmp_path / "missing", "Failure"),
    ]
    assert len(list(warc.read(tmp_path / "out.warc.gz"))) == 2


def test_reprocess_records_an_unexpected_exception_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def flaky(path: Path, **kwargs: Any) -> tuple[Document, Article]:
        if path.name == "a.txt":
            raise RuntimeError("a bug outside any extractor")
        return process_file(path, **kwargs)

    monkeypatch.setattr(reprocess_module, "process_file", flaky)
    write(tmp_path / "a.txt", PAGE)
    write(tmp_path / "b.txt", PAGE)
    with caplog.at_level(logging.ERROR, logger="archiver"):
        report = reprocess([tmp_path], registry=STUB)
    assert len(report) == 1
    (failure,) = report.failures
    assert failure == Failure(
        str(tmp_path / "a.txt"),
        "RuntimeError",
        "internal error: RuntimeError: a bug outside any extractor",
    )
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None  # the traceback is logged for the bug report


def test_reprocess_checks_the_output_before_any_work(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", PAGE)
    blocker = write(tmp_path / "file", "not a folder")
    calls: list[Path] = []
    with pytest.raises(WarcError) as info:
        reprocess(
            [tmp_path / "a.txt"],
            blocker / "out.warc.gz",
            registry=STUB,
            on_result=lambda path, result: calls.append(path),
        )
    assert info.value.source == str(blocker / "out.warc.gz")
    assert calls == []


def test_reprocess_refuses_a_folder_as_output(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", PAGE)
    with pytest.raises(WarcError, match="folder"):
        reprocess([tmp_path / "a.txt"], tmp_path, registry=STUB)


def test_reprocess_with_no_input_writes_only_warcinfo(tmp_path: Path) -> None:
    out = tmp_path / "empty.warc.gz"
    report = reprocess([], out, registry=STUB)
    assert report.ok and len(report) == 0
    assert out.is_file()
    assert list(warc.read(out)) == []


def test_reprocess_removes_the_partial_warc_when_interrupted(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", PAGE)
    write(tmp_path / "b.txt", PAGE)
    out = tmp_path / "out.warc.gz"

    def interrupt(path: Path, result: Article | Failure) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reprocess([tmp_path], out, registry=STUB, on_result=interrupt)
    assert not out.exists()
    assert not Path(f"{out}.open").exists()


def test_reprocess_the_seeds_with_the_default_registry(tmp_path: Path) -> None:
    out = tmp_path / "seeds.warc.gz"
    report = reprocess([SEEDS], out)
    assert report.failures == ()
    assert len(report) == len(list(SEEDS.glob("*.txt"))) == 5
    assert all(article.text for article in report)
    assert len(list(warc.read(out))) == 5


def test_empty_input_error_is_reported_by_name(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.txt", b"")
    report = reprocess([path], registry=STUB)
    assert report.failures == (Failure(str(path), EmptyInputError.__name__, "input is empty"),)


# --- a WARC made by wget ------------------------------------------------------------------

FIXTURE_PAGES = sorted(
    (Path(__file__).resolve().parent.parent / "fixtures" / "html").glob("0*[0-9a-f].html")
)


@pytest.fixture(scope="module")
def wget_warc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A WARC that the real wget wrote, of two news pages, named as a user might."""
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("wget is not installed")
    folder = tmp_path_factory.mktemp("wget")
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        urls = []
        for number, page in enumerate(FIXTURE_PAGES[:2]):
            path = f"/news/{number}.html"
            server.expect_request(path).respond_with_data(
                page.read_bytes(), content_type="text/html; charset=utf-8"
            )
            urls.append(server.url_for(path))
        subprocess.run(
            [wget, "--quiet", "--warc-file=My Crawl", "-P", "pages", *urls],
            cwd=folder,
            check=True,
            timeout=60,
        )
    finally:
        server.clear()
        server.stop()
    yield folder / "My Crawl.warc.gz"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_reprocess_of_a_wget_warc_skips_its_log_and_arguments(
    wget_warc: Path, tmp_path: Path
) -> None:
    out = tmp_path / "derived.warc.gz"
    result = cli("reprocess", str(wget_warc), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "archived 2 of 2 inputs" in result.stderr
    assert (
        "skipped 2 records that are not pages: wget_arguments.txt (text/plain),"
        " wget.log (text/plain)" in result.stderr
    )
    assert "error" not in result.stderr
    assert len(list(warc.read(out))) == 2


def test_read_of_a_wget_warc_hints_reprocess_and_takes_several_files(
    wget_warc: Path, tmp_path: Path
) -> None:
    result = cli("read", str(wget_warc))
    assert result.exit_code == 0 and result.stdout == ""
    assert "no articles archived by news-archiver" in result.stderr
    assert "archiver reprocess 'My Crawl.warc.gz'" not in result.stderr  # the full path
    assert f"archiver reprocess '{wget_warc}' -o OUT.warc.gz" in result.stderr
    # export said 'exported 0 articles to stdout', and no more.
    exported = cli("export", str(wget_warc))
    assert exported.exit_code == 0 and exported.stdout == ""
    assert exported.stderr.splitlines() == [
        "exported 0 articles to stdout",
        "no articles archived by news-archiver in it; to extract the pages of a WARC made"
        f" by another tool: archiver reprocess '{wget_warc}' -o OUT.warc.gz",
    ]

    derived = tmp_path / "derived.warc.gz"
    assert cli("reprocess", str(wget_warc), "-o", str(derived)).exit_code == 0
    again = tmp_path / "again.warc.gz"
    assert cli("reprocess", str(wget_warc), "-o", str(again)).exit_code == 0
    result = cli("read", str(derived), str(again), "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    assert len(result.stdout.splitlines()) == 4


def test_read_of_our_warc_without_articles_does_not_call_it_another_tools(
    server: HTTPServer, tmp_path: Path
) -> None:
    # A page that failed is stored all the same, with a metadata record and no article.
    server.expect_request("/gone").respond_with_data("<h1>gone</h1>", status=404)
    ours = tmp_path / "ours.warc.gz"
    fetched = cli("get", "--allow-private", server.url_for("/gone"), "-o", str(ours))
    assert fetched.exit_code == 1, fetched.output
    hint = (
        "no extracted articles in it (news-archiver stored its pages without extraction, or"
        f" only sources, revisits or failed pages): archiver reprocess {ours} -o OUT.warc.gz"
        " extracts the pages it holds"
    )
    result = cli("read", str(ours))
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == f"{ours}: {hint}\n"
    exported = cli("export", str(ours))
    assert exported.exit_code == 0 and exported.stdout == ""
    assert exported.stderr.splitlines() == ["exported 0 articles to stdout", hint]


def test_export_of_our_warc_and_another_tools_without_articles_hints_the_other_tool(
    wget_warc: Path, tmp_path: Path
) -> None:
    ours = tmp_path / "ours.warc.gz"
    with warc.WarcWriter(ours):
        pass  # its warcinfo record only
    assert warc.written_by_archiver(ours) and not warc.written_by_archiver(wget_warc)
    result = cli("export", str(ours), str(wget_warc))
    assert result.exit_code == 0 and result.stdout == ""
    assert "made by another tool" in result.stderr


def test_a_wacz_of_a_wget_warc_named_with_a_space_validates(
    wget_warc: Path, tmp_path: Path
) -> None:
    derived = tmp_path / "Derived Pages.warc.gz"
    assert cli("reprocess", str(wget_warc), "-o", str(derived)).exit_code == 0
    wacz = tmp_path / "crawl.wacz"
    result = cli("wacz", str(wget_warc), str(derived), "-o", str(wacz))
    assert result.exit_code == 0, result.output
    assert "2 pages" in result.stderr
    with zipfile.ZipFile(wacz) as package:
        names = {name for name in package.namelist() if name.startswith("archive/")}
    assert names == {"archive/my-crawl.warc.gz", "archive/derived-pages.warc.gz"}
    validated = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Validation succeeded" in validated.stdout


@pytest.mark.parametrize(
    ("name", "start"), [("out.warc", b"WARC/1.1\r\n"), ("out.warc.gz", b"\x1f\x8b")]
)
def test_the_output_is_compressed_as_its_name_says(tmp_path: Path, name: str, start: bytes) -> None:
    out = tmp_path / name
    result = cli("reprocess", str(SEEDS), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(start)
    warcio_check(out)
    assert len(list(warc.read(out))) == 5
