"""Each seed against its hand-written expected Article in fixtures/seeds/.

Adding a seed means adding seeds/<name>.txt and fixtures/seeds/<name>.json: no test code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import archiver
from archiver.extraction.metrics import shingle_score

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = sorted((ROOT / "fixtures" / "seeds").glob("*.json"))


def load_case(expected: Path) -> tuple[dict[str, Any], archiver.Article]:
    gold = json.loads(expected.read_text(encoding="utf-8"))
    dump = ROOT / "seeds" / f"{expected.stem}.txt"
    return gold, archiver.extract(dump.read_bytes(), name=str(dump))


@pytest.fixture(scope="module", params=EXPECTED, ids=[p.stem for p in EXPECTED])
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], archiver.Article]:
    return load_case(request.param)


def test_there_are_five_seeds() -> None:
    assert len(EXPECTED) == 5


def test_body(case: tuple[dict[str, Any], archiver.Article]) -> None:
    gold, article = case
    assert shingle_score(gold["text"], article.text).f1 >= 0.99


@pytest.mark.parametrize("field", ["site", "title", "authors", "published", "language"])
def test_stated_metadata_is_exact(
    case: tuple[dict[str, Any], archiver.Article], field: str
) -> None:
    gold, article = case
    value = article.to_dict()[field]
    assert value == gold[field]


@pytest.mark.parametrize("field", ["description", "source", "section", "captions"])
def test_other_metadata(case: tuple[dict[str, Any], archiver.Article], field: str) -> None:
    gold, article = case
    assert article.to_dict()[field] == gold[field]


def test_tags_keep_every_word(case: tuple[dict[str, Any], archiver.Article]) -> None:
    # A text dump prints tags on one line without separators: multi-word tags cannot
    # be told apart from neighbours, so only the words are compared.
    gold, article = case
    words = lambda tags: sorted(w for t in tags for w in re.findall(r"\w+", t))  # noqa: E731
    assert words(article.tags) == words(gold["tags"])


def test_site_plugin_is_used(case: tuple[dict[str, Any], archiver.Article]) -> None:
    gold, article = case
    assert article.extractor.name != "generic"
    assert article.input_kind == "text"


@pytest.mark.parametrize("expected", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_generic_cleaner_alone_recovers_most_of_the_body(expected: Path) -> None:
    gold = json.loads(expected.read_text(encoding="utf-8"))
    dump = ROOT / "seeds" / f"{expected.stem}.txt"
    registry = archiver.default_registry().without_sites()
    article = archiver.extract(dump.read_bytes(), registry=registry)
    assert article.extractor.name == "generic"
    assert shingle_score(gold["text"], article.text).f1 >= 0.85


def test_article_json_round_trip(case: tuple[dict[str, Any], archiver.Article]) -> None:
    _, article = case
    assert archiver.Article.from_json(article.to_json()) == article


def test_reprocessed_seeds_pass_warcio_check_and_read_back_equal(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    out = tmp_path / "seeds.warc.gz"
    written = archiver.reprocess([ROOT / "seeds"], warc=out)
    assert written.ok and len(written) == 5
    warcio = shutil.which("warcio", path=str(Path(sys.executable).parent)) or shutil.which("warcio")
    assert warcio, "warcio's command-line tool is installed with warcio"
    check = subprocess.run([warcio, "check", "-v", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert list(archiver.read(out)) == list(written.articles)
