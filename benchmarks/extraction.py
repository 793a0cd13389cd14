"""Body F1 and speed of the generic HTML extractor against plain trafilatura, on aeb-dev.

    python benchmarks/extraction.py [--rounds N] [--per-page]

Reads ../shared/eval/aeb-dev beside the checkout (93 pages, gzip UTF-8 HTML and their
reference bodies) and prints, for (a) ``archiver.extraction.html.extract_html`` and (b) plain
``trafilatura.extract(html, include_comments=False)``, on the same decoded strings:
set-level F1, precision and recall as ../shared/tools/shingle_f1.py computes them (mean
P over pages with output, mean R over all pages), and pages per second.

Timing leaves out reading and gunzipping the files. Each extractor first runs once over
every page (warm-up; its outputs are the ones scored), then both are timed over all
pages, alternating, for N rounds; the best round of each is reported, so that the other
load of a shared machine weighs on both alike.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import trafilatura

from archiver.extraction.html import extract_html

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "aeb-dev"
METRIC = SHARED / "tools" / "shingle_f1.py"

Extractor = Callable[[str, str], str]


def load_metric() -> ModuleType:
    """The reference metric script, imported from its file."""
    spec = importlib.util.spec_from_file_location("shingle_f1", METRIC)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the metric script {METRIC}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Decoded HTML by page id, and the ground truth."""
    truth = json.loads((DEV / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {
        page_id: gzip.decompress((DEV / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
        for page_id in sorted(truth)
    }
    return pages, truth


def ours(html: str, url: str) -> str:
    return extract_html(html, url=url).text


def plain_trafilatura(html: str, url: str) -> str:
    return trafilatura.extract(html, include_comments=False) or ""


def run(
    extractor: Extractor, pages: dict[str, str], truth: dict[str, dict[str, str]]
) -> tuple[dict[str, str], float]:
    """Outputs by page id, and the seconds the pass took."""
    outputs = {}
    started = time.perf_counter()
    for page_id, html in pages.items():
        outputs[page_id] = extractor(html, truth[page_id]["url"])
    return outputs, time.perf_counter() - started


def site_plugin_comparison(rounds: int) -> None:
    """Pages per second of the site plugins against plain trafilatura on fixtures/html/.

    The template-changed variants are timed apart: they take the generic fallback.
    """
    from archiver import extract
    from archiver.capture import load

    fixtures = ROOT / "fixtures" / "html"
    page_sets = (("site fixtures", "*[!t].json"), ("variants (fallback)", "*.variant.json"))
    for label, pattern in page_sets:
        documents = []
        for sidecar in sorted(fixtures.glob(pattern)):
            url = json.loads(sidecar.read_text(encoding="utf-8"))["url"]
            raw = sidecar.with_suffix(".html").read_bytes()
            documents.append((raw, url, load(raw, url=url).text))
        timed: dict[str, Callable[[bytes, str, str], object]] = {
            "site plugins (archiver.extract)": lambda raw, url, _: extract(raw, url=url),
            "trafilatura.extract (plain)": lambda _raw, _url, html: trafilatura.extract(
                html, include_comments=False
            ),
        }
        best = dict.fromkeys(timed, float("inf"))
        for function in timed.values():
            for raw, url, html in documents:  # warm-up
                function(raw, url, html)
        for _ in range(max(1, rounds) * 5):
            for name, function in timed.items():
                started = time.perf_counter()
                for raw, url, html in documents:
                    function(raw, url, html)
                best[name] = min(best[name], time.perf_counter() - started)
        rates = {name: len(documents) / seconds for name, seconds in best.items()}
        plugin, plain = rates.values()
        print(f"{label}: {len(documents)} pages")
        for name, rate in rates.items():
            print(f"{name:32} {rate:8.1f} pages/s")
        print(f"{'ratio':32} {plugin / plain:8.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed rounds per extractor (default 3)"
    )
    parser.add_argument("--per-page", action="store_true", help="print each page's P/R for both")
    args = parser.parse_args()
    if not DEV.is_dir() or not METRIC.is_file():
        print(
            f"aeb-dev not found: this benchmark needs {DEV} and {METRIC} "
            "(the shared/ folder beside the checkout)",
            file=sys.stderr,
        )
        return 2
    metric = load_metric()
    pages, truth = load_pages()
    ids = sorted(truth)
    extractors: dict[str, Extractor] = {
        "archiver.extraction.html.extract_html": ours,
        "trafilatura.extract (plain)": plain_trafilatura,
    }
    outputs = {name: run(extractor, pages, truth)[0] for name, extractor in extractors.items()}
    best = dict.fromkeys(extractors, float("inf"))
    for _ in range(max(1, args.rounds)):
        for name, extractor in extractors.items():
            best[name] = min(best[name], run(extractor, pages, truth)[1])
    print(f"aeb-dev: {len(ids)} pages; best of {max(1, args.rounds)} timed rounds after a warm-up")
    for name in extractors:
        predictions = {page_id: {"articleBody": text} for page_id, text in outputs[name].items()}
        score = metric.score(truth, predictions, ids)
        print(
            f"{name:32} F1={score['f1']:.4f} P={score['precision']:.4f} "
            f"R={score['recall']:.4f}  {len(ids) / best[name]:6.1f} pages/s"
        )
    if args.per_page:
        names = list(extractors)
        for page_id in ids:
            cells = []
            for name in names:
                precision, recall, _, _ = metric.page_scores(
                    truth[page_id]["articleBody"], outputs[name][page_id]
                )
                cells.append(f"P={precision:.3f} R={recall:.3f}")
            print(f"{page_id[:12]}  {'   '.join(cells)}  {truth[page_id]['url'][:60]}")
    site_plugin_comparison(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
