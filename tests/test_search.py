"""The full-text index of an archive folder: archiver.search and `archiver search`."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import archiver
from archiver.article import Article
from archiver.cli import app as cli_app
from archiver.cli import main
from archiver.cli import versions as cli_versions
from archiver.runs.ledger import STATE_FILE
from archiver.runs.textindex import SEARCH_FILE, IndexCheck, TextIndex
from archiver.runs.words import fold, match_expression
from archiver.warc import Stored, WarcWriter, article_at

ARTICLES = [
    (
        "https://www.egypttoday.com/Article/1/central-bank",
        "The Central Bank raises rates",
        "The central bank of Egypt raised its key rates on Thursday. Café owners worried.",
        "en",
        date(2024, 2, 1),
    ),
    (
        "https://www.jpost.com/business/old-story",
        "Markets wait",
        "Markets waited for the central bank decision, which came late in 2023.",
        "en",
        date(2023, 6, 1),
    ),
    (
        "https://www.naftemporiki.gr/finance/1",
        "Η Κεντρική Τράπεζα αυξάνει τα επιτόκια",
        "Η Ευρωπαϊκή Κεντρική Τράπεζα αύξησε τα επιτόκια την Πέμπτη. ΟΙ ΑΓΟΡΈΣ ΑΝΤΈΔΡΑΣΑΝ.",
        "el",
        date(2024, 3, 5),
    ),
    (
        "https://www.youm7.com/story/1",
        "البنك المركزي يرفع الفائدة",
        "رفع البنكُ المركزيُّ المصريُّ أسعارَ الفائدةِ يوم الخميس، وقال إنّ الأسواق مستقرة.",
        "ar",
        date(2024, 4, 9),
    ),
]


def page(title: str, text: str, language: str, published: date) -> bytes:
    return (
        f'<html lang="{language}"><head><title>{title}</title>'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f"</head><body><article><h1>{title}</h1><p>{text}</p>"
        f"<p>{text}</p></article></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    with WarcWriter(folder / "a-0001.warc.gz") as writer:
        for url, title, text, language, published in ARTICLES:
            document = archiver.load(page(title, text, language, published), name=url)
            article = archiver.extract_document(document)
            writer.write_article(document, article, target_uri=url)
    return folder


def urls(hits: list[archiver.Hit]) -> list[str]:
    return sorted(hit.url for hit in hits)


def test_fold_removes_accents_case_and_arabic_marks() -> None:
    assert fold("Café ΑΓΟΡΈΣ") == "cafe αγορεσ"
    assert fold("ἀγορές") == "αγορεσ"
    assert fold("البنكُ المركزيُّ") == "البنك المركزي"
    assert fold("أسعار إن آخر كتـــاب") == "اسعار ان اخر كتاب"


def test_query_syntax_is_quoted() -> None:
    assert match_expression('"Central Bank" rate*') == '"central bank" AND "rate"*'
    assert match_expression("a OR b NEAR(c)") == '"a" AND "or" AND "b" AND "near c"'
    with pytest.raises(archiver.InputError, match="no word"):
        match_expression(' "" * ')


def test_phrase_in_english_greek_and_arabic(archive: Path) -> None:
    assert urls(archiver.search('"central bank"', archive)) == sorted(
        [ARTICLES[0][0], ARTICLES[1][0]]
    )
    greek = archiver.search('"κεντρικη τραπεζα"', archive)
    assert urls(greek) == [ARTICLES[2][0]]
    assert "[Κεντρική]" in greek[0].snippet
    arabic = archiver.search('"البنك المركزي"', archive)
    assert urls(arabic) == [ARTICLES[3][0]]
    assert "[البنكُ]" in arabic[0].snippet
    # Written with hamza and harakat, found without, and the reverse.
    assert urls(archiver.search("اسعار", archive)) == [ARTICLES[3][0]]
    assert urls(archiver.search("أسعارَ", archive)) == [ARTICLES[3][0]]
    # Case and accents folded in Greek: the capitals with tonos are found in lower case.
    assert urls(archiver.search("αγορες", archive)) == [ARTICLES[2][0]]
    assert urls(archiver.search("cafe", archive)) == [ARTICLES[0][0]]


def test_words_are_not_a_phrase_and_prefixes(archive: Path) -> None:
    assert urls(archiver.search("bank central", archive)) == sorted(
        [ARTICLES[0][0], ARTICLES[1][0]]
    )
    assert archiver.search('"bank central"', archive) == []
    assert urls(archiver.search("επιτ*", archive)) == [ARTICLES[2][0]]


def test_filters(archive: Path) -> None:
    hits = archiver.search("central bank", archive, site="egypttoday.com")
    assert urls(hits) == [ARTICLES[0][0]]
    assert hits[0].site == "egypttoday.com" and hits[0].day == "2024-02-01"
    assert urls(archiver.search("central bank", archive, since="2024-01-01")) == [ARTICLES[0][0]]
    assert urls(archiver.search("central bank", archive, until="2023-12-31")) == [ARTICLES[1][0]]
    assert urls(archiver.search("τραπεζα", archive, language="el")) == [ARTICLES[2][0]]
    assert archiver.search("τραπεζα", archive, language="en") == []


def test_hit_points_at_the_record(archive: Path) -> None:
    (hit,) = archiver.search("Thursday", archive)
    entry = article_at(archive / hit.warc, hit.offset)
    assert entry is not None and entry.target_uri == hit.url
    assert entry.article.title == hit.title


def test_index_is_smaller_than_the_text_and_rebuilds_alike(archive: Path) -> None:
    index = TextIndex(archive)
    try:
        before = index.search("central bank")
        assert index.rebuild() == len(ARTICLES)
        assert index.search("central bank") == before
        assert index.check().ok
    finally:
        index.close()


def test_cli_search_and_index(archive: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["search", "central bank", str(archive), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["url"] for row in rows) == sorted([ARTICLES[0][0], ARTICLES[1][0]])
    assert {"site", "day", "title", "snippet", "url", "warc", "offset"} <= rows[0].keys()
    text = runner.invoke(main, ["search", "البنك المركزي", str(archive)])
    assert text.exit_code == 0 and ARTICLES[3][0] in text.output
    rebuilt = runner.invoke(main, ["index", "--text", str(archive)])
    assert rebuilt.exit_code == 0, rebuilt.output
    checked = runner.invoke(main, ["index", "--text", "--check", str(archive)])
    assert checked.exit_code == 0 and "agrees" in checked.output


def test_cli_search_piped_is_tab_separated_lines_only(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped, it printed the rows, then a blank line and a block of URL and snippet each."""
    result = CliRunner().invoke(main, ["search", "central bank", str(archive)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = ["site", "date", "title", "url", "warc", "offset", "snippet"]
    assert lines[0].split("\t") == header and len(lines) == 3
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == len(header) for row in rows)
    assert sorted(row[3] for row in rows) == sorted([ARTICLES[0][0], ARTICLES[1][0]])
    assert all("[central] [bank]" in row[6].lower() for row in rows)
    # On a terminal, a table and then each result's URL and snippet, as before.
    for module in (cli_app, cli_versions):
        monkeypatch.setattr(module, "stdout_is_terminal", lambda: True)
    shown = CliRunner().invoke(main, ["search", "central bank", str(archive)])
    assert shown.exit_code == 0 and "\t" not in shown.stdout
    assert f"\n\n{ARTICLES[0][0]}\n  " in shown.stdout


def test_bad_query_and_folder_are_errors_not_tracebacks(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["search", "x", str(tmp_path / "none")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    (tmp_path / SEARCH_FILE).mkdir()  # cannot be opened, nor made anew
    result = runner.invoke(main, ["search", "x", str(tmp_path)])
    assert result.exit_code == 1 and "cannot open the search index" in result.output
    (tmp_path / SEARCH_FILE).rmdir()
    result = runner.invoke(main, ["search", "*", str(tmp_path)])
    assert result.exit_code == 1


def test_a_folder_without_warc_files_is_no_archive_folder(tmp_path: Path) -> None:
    """A mistyped folder gave '0 results' (status 0) and was left a search.sqlite."""
    (tmp_path / "notes.txt").write_text("x")
    cause = "not an archive folder: it holds no WARC file"
    with pytest.raises(archiver.InputError, match=cause):
        archiver.search("central", tmp_path)
    with pytest.raises(archiver.InputError, match=cause):
        archiver.history("https://example.com/a", tmp_path)
    for command in (
        ["search", "central"],
        ["history", "https://example.com/a"],
        ["index", "--text"],
    ):
        result = CliRunner().invoke(main, [*command, str(tmp_path)])
        assert result.exit_code == 1
        assert result.stderr.strip() == f"error: {tmp_path}: {cause}"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
    # A run's folder, all of whose URLs failed.
    (tmp_path / STATE_FILE).write_bytes(b"")
    with pytest.raises(archiver.InputError, match=r"nothing is archived in it yet \("):
        archiver.search("central", tmp_path)
    # A run writing its first file is an archive: nothing found yet.
    (tmp_path / "a.warc.gz.open").write_bytes(b"")
    assert archiver.search("central", tmp_path) == []
    assert archiver.history("https://example.com/a", tmp_path) == []


@pytest.mark.parametrize("value", [None, 123])
def test_a_url_or_site_that_is_no_str_is_a_type_error(archive: Path, value: object) -> None:
    # history(None, folder) and search(site=123) ended in an AttributeError traceback.
    with pytest.raises(TypeError, match="the URL must be a str, not "):
        archiver.history(value, archive)  # type: ignore[arg-type]
    if value is not None:  # site=None is no filter
        with pytest.raises(TypeError, match="the site must be a str, not int"):
            archiver.search("council", archive, site=value)  # type: ignore[arg-type]


def test_index_text_of_a_missing_folder_names_it(tmp_path: Path) -> None:
    """It was a usage error (status 2) that named neither the folder nor the cause."""
    for arguments in (["--text"], ["--text", "--check"]):
        for path, cause in (
            (tmp_path / "none", "no such archive folder"),
            (tmp_path / "f", "not a folder"),
        ):
            (tmp_path / "f").write_text("x")
            result = CliRunner().invoke(main, ["index", *arguments, str(path)])
            assert result.exit_code == 1
            assert result.stderr.strip() == f"error: {path}: {cause}"
    result = CliRunner().invoke(main, ["index", "--text", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2


def test_index_check_without_text_is_a_usage_error(archive: Path, tmp_path: Path) -> None:
    """--check alone acted as --text --check, and with WARC files said "index --text
    takes one argument", naming an option not given."""
    warcs = [str(path) for path in sorted(archive.glob("*.warc.gz"))[:1]] * 2
    for arguments in ([str(archive)], warcs):
        result = CliRunner().invoke(main, ["index", "--check", *arguments])
        assert result.exit_code == 2
        assert result.stderr.startswith("error: --check goes with --text")
    result = CliRunner().invoke(main, ["index", "--text", "--check", str(archive), str(archive)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "error: index --text --check takes one argument: an archive folder"
    )


@pytest.mark.parametrize(
    "day", ["2024-13-45", "yesterday", "2024", "2024-03-01T10:00", "2024-W09-5", "2024-0301"]
)
def test_a_since_or_until_that_is_not_a_day_is_an_error_naming_it(archive: Path, day: str) -> None:
    """Days are compared as text: '2024-13-45' once kept what '2025' would, 'yesterday'
    silently found nothing, and a negative limit was no limit."""
    for option in ("since", "until"):
        with pytest.raises(archiver.InputError, match=f"{option}: not a day") as info:
            archiver.search("central", archive, **{option: day})
        assert info.value.source == repr(day)
        result = CliRunner().invoke(main, ["search", "central", str(archive), f"--{option}", day])
        # a usage error, as a bad --since of bulk and update is
        assert result.exit_code == 2 and f"{day!r} is not a day (YYYY-MM-DD)" in result.stderr
    result = CliRunner().invoke(main, ["search", "central", str(archive), "-n", "-1"])
    assert result.exit_code == 2


def test_a_day_in_the_basic_iso_form_is_read_as_one(archive: Path) -> None:
    hits = archiver.search("central", archive, since="20230101", until="20240201")
    assert sorted(hit.url for hit in hits) == sorted([ARTICLES[0][0], ARTICLES[1][0]])


@pytest.mark.parametrize("damage", ["not a database", "cut short"])
def test_a_damaged_index_is_built_anew(archive: Path, tmp_path: Path, damage: str) -> None:
    """It is a cache of the WARC files: a damaged one once stopped every search, run
    and `index --text` (the rebuild) of the folder with "cannot open the search index"."""
    folder = tmp_path / "archive"
    shutil.copytree(archive, folder)
    archiver.search("central", folder)  # the index is there, whichever test ran before
    index = folder / SEARCH_FILE
    if damage == "not a database":
        index.write_bytes(b"not a database" * 100)
    else:
        index.write_bytes(index.read_bytes()[:1000])
    hits = archiver.search("central", folder)
    assert sorted(hit.url for hit in hits) == sorted([ARTICLES[0][0], ARTICLES[1][0]])
    index.write_bytes(b"not a database" * 100)
    # a check reports the damage, and leaves the file as it found it
    result = CliRunner().invoke(main, ["index", "--text", "--check", str(folder)])
    assert result.exit_code == 1
    assert "cannot open the search index" in result.stderr
    assert index.read_bytes() == b"not a database" * 100
    result = CliRunner().invoke(main, ["index", "--text", str(folder)])
    assert result.exit_code == 0, result.output
    assert "the search index is damaged" in result.stderr
    assert "indexed the text of 4 article versions" in result.stderr


def _writing(path: Path) -> tuple[WarcWriter, list[tuple[Stored, Article]]]:
    """A writer of ``path`` left open (``.open``) once it wrote every article of
    ARTICLES, and what it stored of each."""
    writer = WarcWriter(path, keep_on_failure=True)
    stored = []
    for url, title, text, language, published in ARTICLES:
        document = archiver.load(page(title, text, language, published), name=url)
        article = archiver.extract_document(document)
        stored.append((writer.write_article(document, article, target_uri=url), article))
    return writer, stored


def test_sync_goes_on_from_the_last_article_indexed_in_a_salvaged_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = TextIndex(tmp_path)
    writer, stored = _writing(tmp_path / "a.warc.gz")
    # A run killed after indexing two of the four articles: the file is left .open.
    for done, article in stored[:2]:
        index.add("a.warc.gz", done, article)
    writer._file.close()  # type: ignore[union-attr]  # as a killed process leaves it
    salvaged = archiver.warc.salvage(tmp_path / "a.warc.gz.open")
    assert salvaged is not None
    with caplog.at_level("INFO", logger="archiver.runs.textindex"):
        assert index.sync() == 1
    assert f"after {stored[1][0].offset}" in caplog.text
    assert index.check().ok and index.check().indexed == len(ARTICLES)
    assert index.sync() == 0
    index.close()


def test_a_search_while_a_run_writes_keeps_what_the_run_indexed(tmp_path: Path) -> None:
    """A search (or a run's start) during a run saw the file the run writes, recorded
    in the index under its final name but still <name>.open, as a file gone: it built
    the index anew, dropping what the run had indexed of that file for good (the run
    then recorded the file complete, so no later sync noticed), and held the index so
    long that the run stopped with "database is locked"."""
    run = TextIndex(tmp_path)
    writer, stored = _writing(tmp_path / "a.warc.gz")
    for done, article in stored[:2]:
        run.add("a.warc.gz", done, article)
    assert (tmp_path / "a.warc.gz.open").is_file()
    reader = TextIndex(tmp_path)  # another process's search, while the file is open
    try:
        assert reader.sync() == 0
        assert len(reader.search("bank")) == 2
        for done, article in stored[2:]:
            run.add("a.warc.gz", done, article)  # the run goes on writing
    finally:
        reader.close()
    writer.close()
    run.complete(tmp_path / "a.warc.gz")
    assert run.check().ok and run.check().indexed == len(ARTICLES)
    run.close()


def test_an_index_built_anew_while_a_run_writes_keeps_the_file_it_writes(
    tmp_path: Path,
) -> None:
    """A search during a run that finds an indexed file gone builds the index anew: it
    indexed the closed files only, dropping what the run had indexed of the file it
    writes (<name>.open), and the run then recorded that file complete, so that no later
    sync noticed: its first articles were missing from the index for good."""
    run = TextIndex(tmp_path)
    url, title, text, language, published = ARTICLES[0]
    with WarcWriter(tmp_path / "0.warc.gz") as old:
        document = archiver.load(page("Old", "An old story of a harbour.", language, published))
        old.write_article(document, archiver.extract_document(document), target_uri=url + "/0")
    assert run.sync() == 1
    (tmp_path / "0.warc.gz").unlink()  # removed while the run writes the next file
    writer, stored = _writing(tmp_path / "a.warc.gz")
    for done, article in stored[:2]:
        run.add("a.warc.gz", done, article)
    reader = TextIndex(tmp_path)  # another process's search, while the file is open
    try:
        assert reader.sync() == 0  # built anew: no closed file is left
        # Every whole article written so far, under the file's final name, not complete.
        assert len(reader.search("bank")) == 2
        assert reader.check().indexed == len(ARTICLES)
        rows = reader._rows("SELECT id, warc, offset FROM docs ORDER BY id")
        files = reader._rows("SELECT name, size, position FROM files")
        assert files == [("a.warc.gz", None, stored[-1][0].offset)]
    finally:
        reader.close()
    for done, article in stored[2:]:
        run.add("a.warc.gz", done, article)  # indexed by the rebuild already: left as is
    assert run._rows("SELECT id, warc, offset FROM docs ORDER BY id") == rows
    writer.close()
    run.complete(tmp_path / "a.warc.gz")
    assert run.check() == IndexCheck(missing=(), extra=(), indexed=len(ARTICLES))
    assert run.sync() == 0
    run.close()


def test_an_index_built_anew_reads_a_file_being_written_up_to_its_last_whole_article(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The last record of a file being written may be cut short as it is read: what
    comes before it is indexed, and the file goes on from there once salvaged."""
    writer, stored = _writing(tmp_path / "written.warc.gz")
    writer.close()
    whole = (tmp_path / "written.warc.gz").read_bytes()
    (tmp_path / "written.warc.gz").unlink()
    last = stored[-1][0].offset
    (tmp_path / "a.warc.gz.open").write_bytes(whole[: last + (len(whole) - last) // 2])
    index = TextIndex(tmp_path)
    assert index.rebuild() == len(ARTICLES) - 1
    assert index._rows("SELECT name, size, position FROM files") == [
        ("a.warc.gz", None, stored[-2][0].offset)
    ]
    # The run was killed: the next one salvages the file and indexes it on.
    assert archiver.warc.salvage(tmp_path / "a.warc.gz.open") is not None
    with caplog.at_level("INFO", logger="archiver.runs.textindex"):
        assert index.sync() == 1
    assert f"after {stored[-2][0].offset}" in caplog.text
    assert index.check() == IndexCheck(missing=(), extra=(), indexed=len(ARTICLES) - 1)
    index.close()


def test_reprocess_into_an_archive_folder_keeps_its_index(archive: Path, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "a-0001.warc.gz").write_bytes((archive / "a-0001.warc.gz").read_bytes())
    assert len(archiver.search("bank", folder)) == 2  # creates the index
    report = archiver.reprocess([folder / "a-0001.warc.gz"], folder / "a-0002.warc.gz")
    assert report.ok and len(report) == len(ARTICLES)
    index = TextIndex(folder)
    try:
        check = index.check()
        # The re-extractions replace the rows of the extractions before: one per capture.
        assert check.ok and check.indexed == len(ARTICLES)
        hits = index.search("bank")
    finally:
        index.close()
    assert {hit.warc for hit in hits} == {"a-0002.warc.gz"}


def test_a_warc_file_removed_from_the_folder_leaves_the_index(
    archive: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "a-0001.warc.gz").write_bytes((archive / "a-0001.warc.gz").read_bytes())
    archiver.reprocess([folder / "a-0001.warc.gz"], folder / "a-0002.warc.gz")
    assert {hit.warc for hit in archiver.search("bank", folder)} == {"a-0002.warc.gz"}

    (folder / "a-0002.warc.gz").unlink()  # the re-extraction: the first one counts again

    assert {hit.warc for hit in archiver.search("bank", folder)} == {"a-0001.warc.gz"}
    (folder / "a-0001.warc.gz").unlink()
    assert archiver.search("bank", folder) == []
    index = TextIndex(folder)
    try:
        assert index.check().ok and index.check().indexed == 0
    finally:
        index.close()
