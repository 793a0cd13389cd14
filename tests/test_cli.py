"""The ``archiver`` command line: output formats, exit statuses, error messages."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner, Result
from warcio.warcwriter import WARCWriter

from archiver import warc
from archiver.article import Article
from archiver.capture import FetchConfig
from archiver.cli import app, fetching, main, pages, progress
from archiver.extraction import extract, to_markdown
from archiver.extraction.dispatch import default_registry
from archiver.runs import BulkConfig, BulkReport

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = min(SEEDS.glob("*.txt"))

PAGE = "Council approves the new harbour plan\n\n" + "\n\n".join(
    f"Paragraph {i}: the city council voted on Tuesday to approve the long debated plan "
    "for the old harbour, after months of public hearings and objections from residents."
    for i in range(1, 6)
)


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture(scope="module")
def seeds_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("warc") / "seeds.warc.gz"
    result = run("reprocess", str(SEEDS), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


# --- the group --------------------------------------------------------------------------


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("archiver, version ")


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("reprocess", "extract", "read", "sites"):
        assert command in result.stdout


def test_help_is_plain_text_and_every_option_is_documented() -> None:
    """--help showed reStructuredText (``get``), search's --site TEXT where the docs say
    HOST and its formats in the opposite order, and docs/cli.md's bulk table lacked
    --extract-timeout."""
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    search_docs = (ROOT / "docs" / "history-and-search.md").read_text(encoding="utf-8")

    def section(name: str) -> str:
        found = re.search(rf"^## `archiver {name}`.*?(?=^## |\Z)", docs, re.S | re.M)
        assert found is not None, name
        return found.group(0)

    for name, command in main.commands.items():
        shown = run(name, "--help").output
        assert "`" not in shown, name
        if name in ("search", "history"):
            documented = search_docs
        else:
            documented = section(name) + (section("bulk") if name == "update" else "")
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert option in documented, (name, option)
    shown = " ".join(run("search", "--help").output.split())
    assert "--site HOST " in shown
    assert "-f, --format [text|json] text: a table" in shown
    shown = " ".join(run("history", "--help").output.split())
    assert "-f, --format [text|json] text: the versions" in shown


def test_an_unknown_option_is_a_usage_error() -> None:
    assert run("reprocess", "--bogus").exit_code == 2
    assert run("extract").exit_code == 2  # FILE missing
    assert run("reprocess", str(SEEDS)).exit_code == 2  # -o missing


# --- reprocess --------------------------------------------------------------------------


def test_reprocess_prints_tab_separated_rows_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "seeds.warc.gz"
    result = run("reprocess", str(SEEDS), "-o", str(out))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "file\tsite\ttitle\tdate\twords"
    rows = [line.split("\t") for line in lines[1:]]
    assert [row[0] for row in rows] == [str(p) for p in sorted(SEEDS.glob("*.txt"))]
    assert all(len(row) == 5 and row[4].isdigit() for row in rows)
    assert "archived 5 of 5 inputs" in result.stderr
    assert str(out) in result.stderr
    assert "error" not in result.stderr
    assert len(list(warc.read(out))) == 5


def test_summaries_say_1_in_the_singular(tmp_path: Path) -> None:
    """'1 versions of the text, 1 captures', 'exported 1 articles', 'packaged 1 WARC
    files': every summary counts with one helper, counted()."""
    counted = app.counted
    assert counted(1, "site") == "1 site" and counted(0, "site") == "0 sites"
    assert counted(1, "feed, sitemap or page", "feeds, sitemaps and pages") == (
        "1 feed, sitemap or page"
    )
    assert counted(3, "feed, sitemap or page", "feeds, sitemaps and pages") == (
        "3 feeds, sitemaps and pages"
    )
    page = tmp_path / "page.txt"
    page.write_text(PAGE)
    out = tmp_path / "one.warc.gz"
    result = run("reprocess", str(page), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "archived 1 of 1 input (" in result.stderr
    result = run("export", str(out), "-o", str(tmp_path / "a.jsonl"))
    assert "exported 1 article to " in result.stderr
    result = run("index", str(out), "-o", str(tmp_path / "a.cdxj"))
    assert "indexed 1 capture to " in result.stderr
    result = run("wacz", str(out), "-o", str(tmp_path / "a.wacz"))
    assert "packaged 1 WARC file, 1 page, in " in result.stderr
    result = run("diff", str(out), str(out))
    assert "0 of 1 article changed; " in result.stderr


def test_reprocess_exits_1_when_some_inputs_fail(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    out = tmp_path / "out.warc.gz"
    result = run(
        "reprocess",
        str(tmp_path / "good.txt"),
        str(tmp_path / "empty.txt"),
        str(tmp_path / "missing.txt"),
        "-o",
        str(out),
    )
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'empty.txt'}: input is empty\n" in result.stderr
    assert f"error: {tmp_path / 'missing.txt'}: no such file or folder\n" in result.stderr
    assert "archived 1 of 3 inputs" in result.stderr and "2 failed" in result.stderr
    assert len(list(warc.read(out))) == 1


def test_reprocess_quiet_prints_only_errors(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run("--quiet", "reprocess", str(tmp_path), "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {tmp_path / 'empty.txt'}: input is empty\n"


def test_reprocess_warns_when_it_finds_no_input(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text(PAGE)
    out = tmp_path / "o.warc.gz"
    result = run("reprocess", str(tmp_path), "-o", str(out))
    assert result.exit_code == 0
    assert "no input files found" in result.stderr
    assert list(warc.read(out)) == []


def test_reprocess_of_a_warc_file_with_no_page_does_not_say_no_input_was_found(
    tmp_path: Path,
) -> None:
    # It said "no input files found (looked for *.txt, ...)" of a WARC file it had read.
    crawl = tmp_path / "crawl.warc.gz"
    with open(crawl, "wb") as file:
        writer = WARCWriter(file, gzip=True)
        writer.write_record(writer.create_warcinfo_record(crawl.name, {"software": "x"}))
    out = tmp_path / "o.warc.gz"
    result = run("reprocess", str(crawl), "-o", str(out))
    assert result.exit_code == 0
    assert "no input files found" not in result.stderr
    assert "warning: no page found: the WARC files hold no resource, response or revisit" in (
        result.stderr
    )
    assert list(warc.read(out)) == []


def test_reprocess_draws_a_rich_table_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "stdout_is_terminal", lambda: True)
    (tmp_path / "a.txt").write_text("[bold]Not markup[/bold]\n\n" + PAGE, encoding="utf-8")
    result = run("reprocess", str(tmp_path / "a.txt"), "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 0, result.output
    assert "\t" not in result.stdout
    header = result.stdout.splitlines()[0].split()
    assert header == ["file", "site", "title", "date", "words"]


def test_reprocess_no_sites_uses_only_the_generic_extractor(tmp_path: Path) -> None:
    out = tmp_path / "o.warc.gz"
    result = run("reprocess", "--no-sites", str(SEEDS), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert {a.extractor.name for a in warc.read(out)} == {default_registry().generic.name}


def test_reprocess_output_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("reprocess", str(SEEDS), "-o", str(blocker / "o.warc.gz"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {blocker / 'o.warc.gz'}: ")
    assert result.stdout == ""


# --- extract ----------------------------------------------------------------------------


def test_extract_prints_the_article_as_json() -> None:
    result = run("extract", str(SEED))
    assert result.exit_code == 0, result.output
    article = Article.from_json(result.stdout)
    assert article.text
    assert result.stdout.startswith("{\n  ")  # indented


def test_extract_text_format() -> None:
    result = run("extract", str(SEED), "--format", "text")
    assert result.exit_code == 0, result.output
    article = Article.from_json(run("extract", str(SEED)).stdout)
    head, _, body = result.stdout.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == (article.title or "(no title)")
    assert f"extractor: {article.extractor}" in lines
    assert all(": " in line for line in lines[1:])
    assert body.rstrip("\n") == article.text


def test_extract_markdown_format() -> None:
    result = run("extract", str(SEED), "--format", "markdown")
    assert result.exit_code == 0, result.output
    article = Article.from_json(run("extract", str(SEED)).stdout)
    assert result.stdout == to_markdown(article)
    header, _, body = result.stdout[4:].partition("\n---\n")
    assert yaml.safe_load(header)["title"] == article.title
    assert f"\n# {article.title}\n" in body


def test_extract_reads_stdin() -> None:
    result = run("extract", "-", "--url", "https://news.example.com/a/1", input=PAGE)
    assert result.exit_code == 0, result.output
    article = Article.from_json(result.stdout)
    assert article.url == "https://news.example.com/a/1"
    assert "harbour" in article.text


def test_extract_no_sites() -> None:
    result = run("extract", str(SEED), "--no-sites")
    assert result.exit_code == 0, result.output
    assert Article.from_json(result.stdout).extractor.name == "generic"


@pytest.mark.parametrize(
    ("content", "cause"),
    [(b"", "input is empty"), (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image")],
)
def test_extract_failure_is_one_line_and_exit_1(tmp_path: Path, content: bytes, cause: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = run("extract", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}: ")
    assert cause in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_extract_missing_file_is_an_error(tmp_path: Path) -> None:
    result = run("extract", str(tmp_path / "nope.txt"))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {tmp_path / 'nope.txt'}: cannot read the file: no such file or directory\n"
    )


def test_extract_empty_stdin() -> None:
    result = run("extract", "-", input=b"")
    assert result.exit_code == 1
    assert result.stderr == "error: <stdin>: input is empty\n"


# --- get and bulk: the config options ---------------------------------------------------


def test_get_defaults_are_fetch_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configs: list[FetchConfig] = []

    @contextmanager
    def fetcher(config: FetchConfig) -> Iterator[None]:  # stands in for Fetcher
        configs.append(config)
        yield None

    monkeypatch.setattr(fetching, "Fetcher", fetcher)
    monkeypatch.setattr(fetching, "archive", lambda url, *args, **kwargs: extract(PAGE, url=url))
    result = run("get", "https://news.example.com/a/1", "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 0, result.output
    assert configs == [FetchConfig()]


def bulk_configs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> list[BulkConfig]:
    """The BulkConfig that ``bulk`` passes to archive_many, given its options ``args``."""
    configs: list[BulkConfig] = []

    def archive_many(
        url_list: Path, out: str, *, config: BulkConfig, **kwargs: object
    ) -> BulkReport:
        configs.append(config)
        return BulkReport(
            out_dir=out,
            total=0,
            done=0,
            failed=0,
            done_now=0,
            failed_now=0,
            bytes=0,
            seconds=0.0,
            warcs=(),
            failure_report=tmp_path / "f.jsonl",
            state=tmp_path / "s",
        )

    monkeypatch.setattr(fetching, "archive_many", archive_many)
    listing = tmp_path / "urls.txt"
    listing.write_text("https://news.example.com/a/1\n")
    result = run("-q", "bulk", str(listing), "-o", str(tmp_path / "out"), *args)
    assert result.exit_code == 0, result.output
    return configs


def test_bulk_defaults_are_bulk_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The options take their defaults from the dataclasses: a default changed there is
    # the command line's too (and its help's "default: ...").
    assert bulk_configs(monkeypatch, tmp_path) == [BulkConfig()]


def test_bulk_options_set_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [config] = bulk_configs(
        monkeypatch,
        tmp_path,
        *("--concurrency", "3", "--per-host-delay", "90", "--warc-size", "5", "--no-extract"),
        *("--no-robots", "--allow-private", "--user-agent", "bot/1", "--timeout", "7"),
        *("--retries", "0"),
    )
    assert config == BulkConfig(
        concurrency=3,
        per_host_delay=90.0,
        max_host_delay=90.0,
        warc_size=5_000_000,
        extract=False,
        fetch=FetchConfig(
            user_agent="bot/1", timeout=7.0, retries=0, obey_robots=False, allow_private=True
        ),
    )


# --- read -------------------------------------------------------------------------------


def test_read_prints_json_lines(seeds_warc: Path) -> None:
    result = run("read", str(seeds_warc))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    articles = [Article.from_json(line) for line in lines]
    assert articles == list(warc.read(seeds_warc))


def test_read_text_format(seeds_warc: Path) -> None:
    result = run("read", str(seeds_warc), "--format", "text")
    assert result.exit_code == 0, result.output
    headers = [line for line in result.stdout.splitlines() if line.startswith("==> ")]
    assert len(headers) == 5
    for article in warc.read(seeds_warc):
        assert article.text in result.stdout


def test_read_and_export_markdown_come_from_the_one_renderer(
    seeds_warc: Path, tmp_path: Path
) -> None:
    result = run("read", str(seeds_warc), "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout == "\n".join(to_markdown(a) for a in warc.read(seeds_warc))
    assert result.stdout.count("\n---\n\n# ") == 5

    out = tmp_path / "articles.md"
    result = run("export", str(seeds_warc), "--format", "markdown", "-o", str(out))
    assert result.exit_code == 0, result.output
    expected = [
        to_markdown(e.article, {"target_uri": e.target_uri, "captured": e.captured.isoformat()})
        for e in warc.read_latest([seeds_warc])
    ]
    assert out.read_text(encoding="utf-8") == "\n".join(expected)
    header = out.read_text(encoding="utf-8")[4:].partition("\n---\n")[0]
    assert list(yaml.safe_load(header))[0] == "title"
    assert "target_uri" in yaml.safe_load(header)


@pytest.mark.parametrize("content", [None, b"", b"this is not a WARC file\n" * 10])
def test_read_bad_warc_is_one_line_and_exit_1(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "bad.warc.gz"
    if content is not None:
        path.write_bytes(content)
    result = run("read", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}: ")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


# --- sites ------------------------------------------------------------------------------


def test_sites_lists_the_extractors_generic_last() -> None:
    result = run("sites")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "name\tversion\tdomains"
    names = [line.split("\t")[0] for line in lines[1:]]
    assert names == [e.name for e in default_registry()]
    assert names[-1] == "generic"


# --- errors and logging -----------------------------------------------------------------


def test_an_internal_error_is_one_line_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something broke")

    monkeypatch.setattr(pages, "process_file", boom)
    result = run("extract", str(SEED))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error: RuntimeError: something broke")
    assert "-v" in result.stderr
    assert "Traceback" not in result.stderr

    verbose = run("-v", "extract", str(SEED))
    assert verbose.exit_code == 1
    assert "Traceback" in verbose.stderr
    assert "error: internal error: RuntimeError: something broke" in verbose.stderr


def test_verbose_logs_progress_to_stderr(tmp_path: Path) -> None:
    result = run("-vv", "reprocess", str(SEED), "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 0, result.output
    assert "archiver: debug: " in result.stderr
    assert "archiver:" not in result.stdout


def test_reprocess_verbose_logs_each_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("-v", "reprocess", str(SEEDS), str(empty), "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 1
    logged = [line for line in result.stderr.splitlines() if line.startswith("archiver: info: ")]
    for seed in sorted(SEEDS.glob("*.txt")):
        assert any(line.startswith(f"archiver: info: {seed}: archived (") for line in logged)
    # A failed input is reported once, by its error line: it was logged too.
    assert not any(str(empty) in line for line in logged)
    assert [line for line in result.stderr.splitlines() if str(empty) in line] == [
        f"error: {empty}: input is empty"
    ]


def test_reprocess_progress_lines_when_stderr_is_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "_LOG_EVERY", 0.0)  # a line at every input
    result = run("reprocess", str(SEEDS), "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("archiver: ")]
    assert lines[0].startswith("archiver: extracting 1 input, 0 failed, ")
    assert lines[-1].startswith("archiver: extracting 5 inputs, 0 failed, ")
    quiet = run("-q", "reprocess", str(SEEDS), "-o", str(tmp_path / "q.warc.gz"))
    assert quiet.stderr == ""


def test_reprocess_verbose_names_each_page_of_a_warc_input(
    seeds_warc: Path, tmp_path: Path
) -> None:
    result = run("-v", "reprocess", str(seeds_warc), "-o", str(tmp_path / "o.warc.gz"))
    assert result.exit_code == 0, result.output
    logged = [line for line in result.stderr.splitlines() if line.startswith("archiver: info: ")]
    uris = [entry.target_uri for entry in warc.read_latest([seeds_warc])]
    for uri in uris:
        assert any(
            line.startswith(f"archiver: info: {seeds_warc}#{uri}: archived (") for line in logged
        )
    assert len(uris) == 5


#: Each command over WARC files, with its output; "{}" is the folder of the test.
_OVER_WARCS = {
    "export": ("exporting", ["export", "-o", "{}/out.jsonl"], "exported 5 articles"),
    "index": ("indexing", ["index", "-o", "{}/out.cdxj"], "indexed"),
    "wacz": ("packaging", ["wacz", "-o", "{}/out.wacz"], "read 5 pages"),
    "diff": ("comparing", ["diff"], "read 5 articles"),
}


@pytest.mark.parametrize("command", sorted(_OVER_WARCS))
def test_commands_over_warc_files_show_progress_and_name_each_file(
    command: str, seeds_warc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verb, args, logged = _OVER_WARCS[command]
    other = tmp_path / "other.warc.gz"
    shutil.copyfile(seeds_warc, other)
    arguments = [arg.format(tmp_path) for arg in args] + [str(seeds_warc), str(other)]

    monkeypatch.setattr(progress, "_LOG_EVERY", 0.0)  # a line at every file
    result = run(*arguments)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("archiver: ")]
    assert lines, result.stderr
    assert all(line.startswith(f"archiver: {verb} ") for line in lines)
    assert lines[-1].split(" of ")[1].split(", ")[0].endswith("(100%)")
    assert "archiver: info:" not in result.stderr

    monkeypatch.setattr(progress, "_LOG_EVERY", 3600.0)  # -v alone: no progress line
    verbose = run("-v", *arguments)
    assert verbose.exit_code == 0, verbose.output
    for path in (seeds_warc, other):
        assert f"archiver: info: {path}: " in verbose.stderr
    assert f": {logged}" in verbose.stderr
    assert f"archiver: {verb} " not in verbose.stderr

    monkeypatch.setattr(progress, "_LOG_EVERY", 0.0)
    quiet = run("-q", *arguments)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""


def test_the_bytes_bar_leaves_stdout_to_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal, stdout = _Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", stdout)
    with click.Context(main, obj={"quiet": False}):
        with progress.show_bytes("exporting") as show:
            show(500_000, 2_000_000)
            sys.stdout.write('{"title": "a row"}\n')
            show(2_000_000, 2_000_000)
    assert stdout.getvalue() == '{"title": "a row"}\n'
    shown = terminal.getvalue()
    assert "exporting" in shown and "2.0/2.0 MB" in shown
    assert "a row" not in shown


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_log_lines_print_above_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    logger = logging.getLogger("archiver")
    with click.Context(main, obj={"quiet": False}):
        restore = app._configure_logging(0, False)
        try:
            with progress.show_progress("archiving", "URL") as show:
                show(3, 1, 10)
                logger.warning("http://example.com/x: HTTP 404 NOT FOUND")
                show(7, 3, 10)
        finally:
            restore()
    shown = terminal.getvalue()
    assert "archiving" in shown
    assert "10/10" in shown
    assert "3 failed" in shown
    assert "archiver: warning: http://example.com/x: HTTP 404 NOT FOUND" in shown


def test_a_bar_of_unknown_total_shows_no_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    """reprocess of a folder (no total) showed '1005/? 0 failed, 411.3/s 0:00:02 ETA':
    the time elapsed, then an "ETA" label with no time after it."""
    shown = {}
    for total in (None, 10):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        with click.Context(main, obj={"quiet": False}):
            with progress.show_progress("extracting", "input") as show:
                show(4, 1, total)
        shown[total] = terminal.getvalue()
    assert "5/?" in shown[None] and "ETA" not in shown[None]
    assert "5/10" in shown[10] and "ETA " in shown[10]


def test_the_installed_command_runs(tmp_path: Path) -> None:
    # The console script, as a user runs it: a real process, real exit status.
    script = Path(sys.executable).with_name("archiver")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "archiver"]
    out = tmp_path / "o.warc.gz"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    done = subprocess.run(
        [*command, "reprocess", str(SEED), str(empty), "-o", str(out)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert f"error: {empty}: input is empty" in done.stderr
    assert done.stdout.startswith("file\tsite\ttitle\tdate\twords\n")
    read = subprocess.run(
        [*command, "read", str(out)], check=False, capture_output=True, text=True, timeout=120
    )
    assert read.returncode == 0, read.stderr
    assert len([json.loads(line) for line in read.stdout.splitlines()]) == 1


def test_the_logging_set_up_is_undone_after_a_run(tmp_path: Path) -> None:
    logger = logging.getLogger("archiver")
    last_resort = logging.lastResort
    before = (list(logger.handlers), logger.level)
    assert run("-vv", "extract", str(SEED)).exit_code == 0
    assert run("extract", str(tmp_path / "missing.txt")).exit_code == 1
    assert (list(logger.handlers), logger.level) == before
    assert logging.lastResort is last_resort


def test_runs_at_once_in_threads_leave_the_logging_set_up_as_it_was() -> None:
    # As two main() in threads of one program interleave: the run that ended first put
    # back the original under the other, which then restored the first run's handler
    # for good (at ERROR, from -q: the program's own warnings were silenced).
    from archiver.cli.app import _configure_logging

    logger = logging.getLogger("archiver")
    original = (logging.lastResort, logger.level, list(logger.handlers))
    first = _configure_logging(0, True)
    second = _configure_logging(0, False)
    during = (logging.lastResort, logger.level, list(logger.handlers))
    first()
    assert (logging.lastResort, logger.level, logger.handlers) == during  # the second's
    second()
    # the logger's level too: left at ERROR, it hid the warnings of every later test
    assert (logging.lastResort, logger.level, logger.handlers) == original


def test_a_library_warning_is_formatted_and_quiet_under_q(tmp_path: Path) -> None:
    # warcio logs a warning of its own for a Target-URI with a space; with no handler
    # for it, logging's last resort printed it bare, -q or not. (A real process: under
    # pytest the root logger has handlers, and the last resort is never used.)
    spaced = tmp_path / "spaced.warc.gz"
    with open(spaced, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        page = io.BytesIO(PAGE.encode())
        writer.write_record(
            writer.create_warc_record("http://example.com/a b", "resource", payload=page)
        )
    command = [sys.executable, "-m", "archiver"]
    shown = {}
    for quiet in ([], ["-q"]):
        done = subprocess.run(
            [*command, *quiet, "index", str(spaced), "-o", str(tmp_path / "index.cdxj")],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        shown[bool(quiet)] = done.stderr
    warning = (
        "archiver: warning: Replacing spaces in invalid WARC-Target-URI: http://example.com/a b"
    )
    assert warning in shown[False].splitlines()
    assert "Replacing spaces" not in shown[True]


@pytest.mark.parametrize(
    "args",
    [
        ["bulk", "urls.txt", "-o", "out", "--per-host-delay", "nan"],
        ["bulk", "urls.txt", "-o", "out", "--extract-timeout", "NaN"],
        ["get", "http://x.test/", "-o", "out.warc.gz", "--timeout", "nan"],
        ["discover", "x.test", "--per-host-delay", "nan"],
        ["bulk", "urls.txt", "-o", "out", "--per-host-delay", "inf"],
        ["get", "http://x.test/", "-o", "out.warc.gz", "--timeout", "Infinity"],
    ],
)
def test_a_nan_or_infinite_time_is_a_usage_error_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """click's FloatRange lets NaN through: a NaN --per-host-delay once stalled a bulk
    run for ever, as an infinite one did, and a NaN --extract-timeout ended it with an
    internal error."""
    (tmp_path / "urls.txt").write_text("http://x.test/\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert f"Invalid value for '{args[-2]}'" in result.stderr
    assert "not a number of seconds" in result.stderr
    assert not list(tmp_path.glob("out*"))


@pytest.mark.parametrize("delay", [float("nan"), float("inf")])
def test_a_nan_or_infinite_per_host_delay_is_refused_by_the_api(delay: float) -> None:
    with pytest.raises(ValueError, match="per_host_delay"):
        BulkConfig(per_host_delay=delay, max_host_delay=float("inf"))


def test_ctrl_c_in_get_says_what_was_archived(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Click said 'Aborted!' and exited 1, the status of URLs that failed."""
    archived: list[str] = []

    def archive(url: str, *args: object, **kwargs: object) -> Article:
        if archived:
            raise KeyboardInterrupt
        archived.append(url)
        return extract(PAGE, url=url, kind="text")

    monkeypatch.setattr(fetching, "archive", archive)
    urls = [f"https://example.com/{n}" for n in range(3)]
    result = CliRunner().invoke(main, ["get", *urls, "-o", str(tmp_path / "out.warc.gz")])
    assert result.exit_code == 130
    assert "Aborted" not in result.output
    assert result.stdout.startswith("url\tsite\t") and urls[0] in result.stdout
    assert result.stderr.endswith("interrupted: 2 URLs not archived\n")


def test_an_output_named_as_a_folder_is_refused_and_a_warc_named_otherwise_is_said_so(
    tmp_path: Path,
) -> None:
    """`-o new/` made a file named "new", `-o page.html` a gzipped WARC named so."""
    folder = f"{tmp_path / 'new'}{os.sep}"
    result = CliRunner().invoke(main, ["reprocess", str(SEEDS), "-o", folder])
    assert result.exit_code == 2
    assert f"{folder} names a folder: give the WARC file's name ({folder}out.warc.gz)" in (
        result.stderr
    )
    assert not list(tmp_path.iterdir())
    html = tmp_path / "page.html"
    result = CliRunner().invoke(main, ["reprocess", str(SEEDS), "-o", str(html)])
    assert result.exit_code == 0
    assert f"archiver: warning: {html}: a gzipped WARC file, whatever its name says" in (
        result.stderr
    )
    assert html.read_bytes().startswith(b"\x1f\x8b")
    result = CliRunner().invoke(main, ["reprocess", str(SEEDS), "-o", str(tmp_path / "a.warc")])
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_ctrl_c_in_reprocess_says_nothing_was_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Click said 'Aborted!', with the status of failed inputs (1)."""
    real = pages.reprocess

    def interrupted_after_one(*args: Any, on_result: Any, **kwargs: Any) -> Any:
        def first(path: Path, result: object) -> None:
            on_result(path, result)
            raise KeyboardInterrupt

        return real(*args, on_result=first, **kwargs)

    monkeypatch.setattr(pages, "reprocess", interrupted_after_one)
    output = tmp_path / "out.warc.gz"
    result = CliRunner().invoke(main, ["reprocess", str(SEEDS), "-o", str(output)])
    assert result.exit_code == 130
    assert "Aborted" not in result.output
    assert (
        result.stderr == f"interrupted: {output} not written; the same command does it all again\n"
    )
    assert not output.exists() and not list(tmp_path.iterdir())


def test_ctrl_c_in_a_bulk_run_says_how_to_go_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Click said 'Aborted!' and no more."""

    def interrupted(*args: object, **kwargs: object) -> BulkReport:
        raise KeyboardInterrupt

    monkeypatch.setattr(fetching, "archive_many", interrupted)
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.com/a\n")
    result = CliRunner().invoke(main, ["bulk", str(urls), "-o", str(tmp_path / "out")])
    assert result.exit_code == 130
    assert result.stderr == "interrupted: the same command goes on from where it stopped\n"
