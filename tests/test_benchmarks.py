"""The benchmarks run to their end: bulk.py prints every case, its peers included, and
warc_sizes.py the ratio of each set."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_bulk_benchmark_prints_every_case_and_both_peers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bulk.py"), "--urls", "12"]
        + ["--memory-urls", "12", "--memory-set", "fixtures", "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
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
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "warc_sizes.py"), "--set", "fixtures"]
        + ["--set", "farm"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "fixtures: 10 pages archived, 0 failed" in done.stdout
    assert "farm: 37 pages archived, 3 failed" in done.stdout
    assert done.stdout.count("ratio") == 4
