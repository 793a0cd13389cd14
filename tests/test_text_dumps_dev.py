"""The development set of real text dumps in ../shared/eval/text-dumps-dev."""

from __future__ import annotations

import json
from pathlib import Path

import archiver
from archiver.extraction.metrics import shingle_score


def dev_cases(shared: Path) -> list[tuple[Path, dict[str, object]]]:
    folder = shared / "eval" / "text-dumps-dev"
    return [
        (gold.with_suffix(".txt"), json.loads(gold.read_text(encoding="utf-8")))
        for gold in sorted(folder.glob("*/*.json"))
    ]


def test_bodies_and_titles(shared: Path) -> None:
    cases = dev_cases(shared)
    assert len(cases) == 16
    scores, wrong_titles = {}, {}
    for dump, gold in cases:
        article = archiver.extract(dump.read_bytes(), name=str(dump))
        body = "\n\n".join(gold["body"])  # type: ignore[arg-type]
        scores[str(dump)] = shingle_score(body, article.text).f1
        if gold["title"] is not None and article.title != gold["title"]:
            wrong_titles[str(dump)] = article.title
    assert sum(scores.values()) / len(scores) >= 0.99, scores
    assert min(scores.values()) >= 0.85, scores
    assert not wrong_titles
