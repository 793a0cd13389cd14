"""Body F1 of text-dump extraction on the seeds and on ../shared/eval/text-dumps-dev.

    python benchmarks/text_dumps.py [--no-sites] [--verbose]

Prints one line per page (body P/R/F1 with the metric of shingle_f1.py, and whether
the title matches) and the mean, with the site plugins on, or off with --no-sites.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import archiver
from archiver.extraction.metrics import shingle_score

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "text-dumps-dev"


def cases() -> list[tuple[str, Path, str, str | None]]:
    """(label, dump, gold body, gold title) for every seed and dev dump."""
    found = []
    for expected in sorted((ROOT / "fixtures" / "seeds").glob("*.json")):
        gold = json.loads(expected.read_text(encoding="utf-8"))
        dump = ROOT / "seeds" / f"{expected.stem}.txt"
        found.append((f"seed/{expected.stem}", dump, gold["text"], gold["title"]))
    for gold_file in sorted(DEV.glob("*/*.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        body = "\n\n".join(gold["body"])
        label = f"dev/{gold_file.parent.name}/{gold_file.stem}"
        found.append((label, gold_file.with_suffix(".txt"), body, gold.get("title")))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-sites", action="store_true", help="switch the site plugins off")
    parser.add_argument(
        "--verbose", action="store_true", help="print the extracted body of each page"
    )
    args = parser.parse_args()
    registry = archiver.default_registry()
    if args.no_sites:
        registry = registry.without_sites()
    scores: dict[str, list[float]] = {"seed": [], "dev": []}
    started = time.perf_counter()
    for label, path, body, title in cases():
        raw = path.read_bytes()
        article = archiver.extract(raw, name=str(path), kind="text", registry=registry)
        score = shingle_score(body, article.text)
        scores[label.split("/")[0]].append(score.f1)
        if title is None:
            title_ok = "-"
        else:
            title_ok = "ok" if article.title == title else f"WRONG {article.title!r}"
        print(
            f"{label:28} {article.extractor.name:16} P={score.precision:.3f} R={score.recall:.3f} "
            f"F1={score.f1:.3f} title={title_ok}"
        )
        if args.verbose:
            print("    " + article.text.replace("\n\n", "\n    "))
    elapsed = time.perf_counter() - started
    for group, values in scores.items():
        if values:
            mean = sum(values) / len(values)
            print(f"{group}: mean F1 {mean:.4f}, min {min(values):.4f}, n={len(values)}")
    print(f"{sum(map(len, scores.values())) / elapsed:.1f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
