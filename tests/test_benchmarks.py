"""The benchmarks run to their end: bulk.py prints every case, its peers included,
warc_sizes.py the ratio of each set, and heldout.py its table and every page it skips;
extraction.py's test of a cut page."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(script: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """benchmarks/``script`` run with ``args`` in ``cwd``, its output captured."""
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_the_bulk_benchmark_prints_every_case_and_both_peers(tmp_path: Path) -> None:
    done = run_benchmark(
        "bulk.py",
        tmp_path,
        "--urls",
        "12",
        "--memory-urls",
        "12",
        "--memory-set",
        "fixtures",
        "--workers",
        "1",
    )
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("## fixtures", 1)[1].split("\n## ", 1)[0]
    cases = ["(a) fetch", "(b) fetch", "(c) extraction", "(e) trafilatura downloads"]
    if shutil.which("wget"):
        cases += ["(d) wget --warc-file", "(f) wget --warc-file, then trafilatura"]
        assert "(b)/(f) = " in table
    for case in cases:
        assert f"| {case}" in table, case
    assert "(b)/(e) = " in table
    assert "NOTE" not in table  # every page archived, or extracted, by every case


@pytest.mark.slow
def test_the_warc_sizes_benchmark_prints_the_ratio_of_each_set(tmp_path: Path) -> None:
    done = run_benchmark("warc_sizes.py", tmp_path, "--set", "fixtures", "--set", "farm")
    assert done.returncode == 0, done.stderr
    assert "fixtures: 10 pages archived, 0 failed" in done.stdout
    assert "farm: 37 pages archived, 3 failed" in done.stdout
    assert done.stdout.count("ratio") == 4


@pytest.mark.slow
def test_the_heldout_benchmark_scores_a_corpus_and_names_each_page_it_skips(
    tmp_path: Path, shared: Path
) -> None:
    corpus = tmp_path / "corpus"
    for folder in ("html", "txt", "metadata"):
        (corpus / folder).mkdir(parents=True)
    body = "The river rose above its banks on Monday and the town council met at night. " * 8
    page = f"<html><head><title>Flood</title></head><body><article><p>{body}</p></article>"
    (corpus / "html" / "flood.html").write_text(page + "</body></html>", encoding="utf-8")
    (corpus / "html" / "repeat.html").write_text(page + "</body></html>", encoding="utf-8")
    (corpus / "html" / "front.html").write_text(page + "<p>Front</p></body></html>")
    (corpus / "txt" / "flood.txt").write_text(body, encoding="utf-8")
    (corpus / "txt" / "repeat.txt").write_text(body, encoding="utf-8")
    (corpus / "txt" / "orphan.txt").write_text(body, encoding="utf-8")
    meta = {"url": "https://news.example/flood", "title": "Flood", "authors": []}
    (corpus / "metadata" / "flood.json").write_text(json.dumps(meta), encoding="utf-8")
    done = run_benchmark(
        "heldout.py", tmp_path, "--corpus", str(corpus), "--rounds", "1", "--per-page"
    )
    assert done.returncode == 0, done.stderr
    assert "skipped repeat: the same bytes as flood" in done.stdout
    assert "skipped front: no reference body" in done.stdout
    assert "skipped orphan: a reference body without its page" in done.stdout
    assert "held-out: 1 pages" in done.stdout
    assert done.stdout.count("spaced scripts     ") == 2  # ours and trafilatura
    assert "title right" in done.stdout


def test_a_page_is_cut_when_ours_misses_what_trafilatura_keeps_and_holds_under_half() -> None:
    spec = importlib.util.spec_from_file_location(
        "extraction", ROOT / "benchmarks" / "extraction.py"
    )
    assert spec is not None and spec.loader is not None
    extraction = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extraction)
    evaldata = {
        "cut": {"with": ["Headline", "first line"]},
        "long enough": {"with": ["Headline"]},
        "found": {"with": ["first line"]},
    }
    theirs = dict.fromkeys(evaldata, "Headline\nfirst line\n" + "more text " * 20)
    long_enough = "first line\n" + "more text " * 20
    ours = {"cut": "first line", "long enough": long_enough, "found": "first line"}
    cut = extraction.cut_pages(evaldata, ours, theirs, lambda text: text or "")
    assert cut == {"cut": ["Headline"]}
