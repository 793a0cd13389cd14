"""Shingle-based precision, recall and F1 between two texts.

The metric of the article-extraction benchmark: both texts become multisets of
4-word shingles, and the score counts the shingles they share. Used by the tests,
the benchmarks and ``archiver diff`` to compare extractions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["Score", "shingle_score"]

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def shingle_score(reference: str, candidate: str) -> Score:
    """Precision and recall of ``candidate`` against ``reference``.

    Both are 1.0 when both texts are empty."""
    ref, cand = _shingles(reference), _shingles(candidate)
    shared = sum((ref & cand).values())
    if not ref and not cand:
        return Score(1.0, 1.0)
    precision = shared / sum(cand.values()) if cand else 0.0
    recall = shared / sum(ref.values()) if ref else 0.0
    return Score(precision, recall)
