"""Body F1 and speed of the generic HTML extractor against trafilatura, in one run.

    python benchmarks/extraction.py [--rounds N] [--per-page] [--parts]

Reads the evaluation sets in ../shared/eval beside the checkout and prints:

- aeb-dev (93 news pages, gzip UTF-8 HTML and their reference bodies): for (a)
  ``archiver.extraction.html.extract_html``, (b) plain ``trafilatura.extract(html,
  include_comments=False)`` and (c) ``trafilatura.bare_extraction`` with
  ``with_metadata=True``, on the same decoded strings, set-level F1, precision and
  recall as ../shared/tools/shingle_f1.py computes them (mean P over pages with output,
  mean R over all pages), and pages per second;
- trafilatura-dev (495 pages of trafilatura's own corpus, mostly German, of every
  kind): for (a) ``archiver.extract(raw, url=url)``, (b) ``trafilatura.extract(raw,
  include_comments=False)`` and (c) ``trafilatura.bare_extraction`` with
  ``with_metadata=True``, on the same bytes, snippet F1, precision and recall as
  ../shared/tools/snippet_eval.py computes them, pages per second, and the pages where
  ours misses a wanted snippet that trafilatura finds while keeping under half of
  trafilatura's text;
- the site plugins, and the generic fallback on the template-changed variants, of
  ``fixtures/html`` against trafilatura, plain and with metadata, on the same bytes;
- the same on the one real page of a target site in ../shared/fixtures-real (jpost.com,
  2019), its fallback made by taking the plugin's body selectors away;
- the metadata table of ``benchmarks/metadata.py``, when that script is there.

Ours always reads the page's metadata (title, authors, date, site, URL) as well as its
body. Plain trafilatura reads the body alone; with ``with_metadata=True`` it does the
same work as ours (its body, the same as plain trafilatura's, is the one scored). Each
speed of ours is printed as a ratio to both.

With ``--parts`` it prints only where ours spends its CPU time on trafilatura-dev and
the variants, beside plain trafilatura: the budget scan, the search of the visible
page for a byline and date, the fallback's generic body (see :func:`parts_report`).

Timing leaves out reading and gunzipping the files. Each extractor first runs once over
every page (warm-up; its outputs are the ones scored), then all are timed over all
pages, alternating, for N rounds; the best round of each is reported, so that the other
load of a shared machine weighs on all alike.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura
from selectolax.lexbor import LexborHTMLParser as HTMLParser

import archiver
from archiver.extraction.html import extract_html
from archiver.extraction.metadata import headline_metadata

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "aeb-dev"
METRIC = SHARED / "tools" / "shingle_f1.py"
TRAF_DEV = SHARED / "eval" / "trafilatura-dev"
SNIPPET_METRIC = SHARED / "tools" / "snippet_eval.py"
METADATA_BENCHMARK = ROOT / "benchmarks" / "metadata.py"
REAL_PAGES = SHARED / "fixtures-real" / "jpost.com"

Extractor = Callable[[str, str], str]
#: trafilatura doing what ours does: the body and the page's metadata (title, author,
#: date, site, URL). Plain ``trafilatura.extract`` gives the body alone.
WITH_METADATA = "trafilatura.extract (with metadata)"


def load_script(path: Path) -> ModuleType:
    """A script (a reference metric, another benchmark), imported from its file."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the script {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shared_present(*needed: Path) -> bool:
    """Whether the ``needed`` paths of the shared/ folder are there; else says which are not."""
    if missing := [str(path) for path in needed if not path.exists()]:
        print(
            f"not found: {', '.join(missing)}: this benchmark needs the shared/ folder "
            "beside the checkout",
            file=sys.stderr,
        )
        return False
    return True


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


def trafilatura_with_metadata(html: str | bytes, url: str) -> str:
    """trafilatura's body and metadata, the body returned (``extract`` would print the
    metadata above it)."""
    document = trafilatura.bare_extraction(html, include_comments=False, with_metadata=True)
    return document.text if document is not None and document.text else ""


def run(
    extractor: Extractor, pages: dict[str, str], truth: dict[str, dict[str, str]]
) -> dict[str, str]:
    """Outputs by page id."""
    return {page_id: extractor(html, truth[page_id]["url"]) for page_id, html in pages.items()}


def round_times(
    passes: Mapping[str, Callable[[], object]],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """The seconds of ``clock`` each pass took in each of ``rounds`` rounds: in a round
    every pass runs once, one after the other, in the order given and in the reverse
    order every other round (so that no pass always follows the same one)."""
    times: dict[str, list[float]] = {name: [] for name in passes}
    for number in range(max(1, rounds)):
        order = list(passes.items())
        for name, function in order if number % 2 == 0 else reversed(order):
            started = clock()
            function()
            times[name].append(clock() - started)
    return times


def best_passes(
    passes: Mapping[str, Callable[[], object]],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """The fastest of ``rounds`` timed runs of each pass, in seconds of ``clock`` (see
    :func:`round_times`)."""
    return {name: min(times) for name, times in round_times(passes, rounds, clock).items()}


def paired_ratio(ours: list[float], theirs: list[float]) -> str:
    """The median, over rounds, of the ratio of their time to ours in the same round,
    with its quartiles: two runs side by side share the machine's load of the moment,
    which moves the best rounds of each by some 5% on a shared machine."""
    ratios = [their / our for our, their in zip(ours, theirs, strict=True)]
    measured = ratios if len(ratios) > 1 else ratios * 2  # one round: its own quartiles
    low, middle, high = statistics.quantiles(measured, n=4, method="inclusive")
    return f"{middle:.2f}x (quartiles {low:.2f}-{high:.2f}, {len(ratios)} rounds)"


def trafilatura_dev_comparison(rounds: int) -> None:
    """Snippet F1 and pages per second on trafilatura-dev: ours and trafilatura, same bytes."""
    metric = load_script(SNIPPET_METRIC)
    evaldata: dict[str, dict[str, Any]] = json.loads(
        (TRAF_DEV / "evaldata.json").read_text(encoding="utf-8")
    )
    pages = {
        url: gzip.decompress((TRAF_DEV / "html" / f"{entry['file']}.gz").read_bytes())
        for url, entry in evaldata.items()
    }

    titles: dict[str, str | None] = {}

    def ours_on(url: str, raw: bytes) -> str | None:
        article = extract_or_none(raw, url)
        if article is None:
            return None
        titles[url] = article.title
        return article.text

    def theirs_on(_url: str, raw: bytes) -> str | None:
        return trafilatura.extract(raw, include_comments=False)

    extractors = {
        "archiver.extract (generic)": ours_on,
        "trafilatura.extract (plain)": theirs_on,
        WITH_METADATA: lambda url, raw: trafilatura_with_metadata(raw, url) or None,
    }
    outputs = {
        name: {url: function(url, raw) for url, raw in pages.items()}
        for name, function in extractors.items()
    }
    times = round_times(
        {
            name: lambda function=function: [function(url, raw) for url, raw in pages.items()]
            for name, function in extractors.items()
        },
        rounds,
    )
    best = {name: min(seconds) for name, seconds in times.items()}
    print(f"trafilatura-dev: {len(pages)} pages; best of {max(1, rounds)} timed rounds")
    for name in extractors:
        score = metric.score(evaldata, outputs[name])
        print(
            f"{name:38} F1={score['f1']:.4f} P={score['precision']:.4f} "
            f"R={score['recall']:.4f}  {len(pages) / best[name]:6.1f} pages/s"
        )
    print_ratios({name: len(pages) / seconds for name, seconds in best.items()})
    ours, plain = times["archiver.extract (generic)"], times["trafilatura.extract (plain)"]
    print(f"  paired, trafilatura.extract (plain)'s time over ours: {paired_ratio(ours, plain)}")
    ours_out, theirs_out, _ = outputs.values()
    cut = cut_pages(evaldata, ours_out, theirs_out, metric.norm)
    # Ours gives the headline as the Article's title, not in its text.
    in_title = [
        url for url, missed in cut.items() if all(w in metric.norm(titles.get(url)) for w in missed)
    ]
    print(
        "pages where ours misses a wanted snippet that trafilatura finds and keeps under "
        f"half of trafilatura's text: {len(cut)}, of which {len(in_title)} miss only "
        "what ours gives as the title"
    )
    for url, missed in cut.items():
        print(f"  {url}{'  (in the title)' if url in in_title else ''}: {missed}")


def cut_pages(
    evaldata: Mapping[str, Mapping[str, Any]],
    ours_out: Mapping[str, str | None],
    theirs_out: Mapping[str, str | None],
    norm: Callable[[str | None], str],
) -> dict[str, list[str]]:
    """The pages where ours lost what trafilatura kept: a wanted snippet that trafilatura
    finds and ours does not, with under half of trafilatura's text; with those snippets
    (normalised)."""
    cut = {}
    for url, entry in evaldata.items():
        ours_text, theirs_text = norm(ours_out[url]), norm(theirs_out[url])
        wanted = [norm(snippet) for snippet in entry.get("with", [])]
        missed = [w for w in wanted if theirs_text and w in theirs_text and w not in ours_text]
        if missed and len(ours_text) < len(theirs_text) / 2:
            cut[url] = missed
    return cut


def metadata_report() -> None:
    """The metadata table of benchmarks/metadata.py, so that one command prints everything:
    its ``report()`` (which prints its figures), or else its ``main()``."""
    if not METADATA_BENCHMARK.is_file():
        print(f"(no {METADATA_BENCHMARK.relative_to(ROOT)}: no metadata table)")
        return
    module = load_script(METADATA_BENCHMARK)
    if hasattr(module, "report"):
        module.report()
        return
    arguments = sys.argv
    sys.argv = [str(METADATA_BENCHMARK)]  # its own defaults, not this script's arguments
    try:
        module.main()
    finally:
        sys.argv = arguments


def site_plugin_comparison(rounds: int) -> None:
    """Pages per second of the site plugins against plain trafilatura on fixtures/html/,
    each given the page's bytes as they came (each decodes them its own way).

    The template-changed variants are timed apart: they take the generic fallback.
    """
    from archiver import extract

    fixtures = ROOT / "fixtures" / "html"
    page_sets = (("site fixtures", "*[!t].json"), ("variants (fallback)", "*.variant.json"))
    for label, pattern in page_sets:
        documents = []
        for sidecar in sorted(fixtures.glob(pattern)):
            url = json.loads(sidecar.read_text(encoding="utf-8"))["url"]
            documents.append((sidecar.with_suffix(".html").read_bytes(), url))
        timed: dict[str, Callable[[bytes, str], object]] = {
            "site plugins (archiver.extract)": lambda raw, url: extract(raw, url=url),
            "trafilatura.extract (plain)": lambda raw, _url: trafilatura.extract(
                raw, include_comments=False
            ),
            WITH_METADATA: trafilatura_with_metadata,
        }
        for function in timed.values():
            for raw, url in documents:  # warm-up
                function(raw, url)
        # small sets: more rounds, so that the best of them is not one a neighbour slowed
        times = round_times(
            {
                name: lambda function=function, documents=documents: [
                    function(*document) for document in documents
                ]
                for name, function in timed.items()
            },
            max(1, rounds) * 20,
        )
        rates = {name: len(documents) / min(seconds) for name, seconds in times.items()}
        print(f"{label}: {len(documents)} pages")
        for name, rate in rates.items():
            print(f"{name:38} {rate:8.1f} pages/s")
        print_ratios(rates)
        ours, plain = times["site plugins (archiver.extract)"], times["trafilatura.extract (plain)"]
        print(
            f"  paired, trafilatura.extract (plain)'s time over ours: {paired_ratio(ours, plain)}"
        )


def real_page_comparison(rounds: int) -> None:
    """The one real page of a target site (../shared/fixtures-real, jpost.com 2019): its
    site plugin, the plugin's fallback (its body selectors taken away, as when the site
    changes its template) and trafilatura, in pages per second, each given the page's
    bytes."""
    from archiver.capture import load
    from archiver.extraction.sites import SitePlugin, builtin_plugins

    pages = sorted(REAL_PAGES.glob("*.html.gz"))
    if not pages:
        print(f"(no {REAL_PAGES}: no real page)")
        return
    raw = gzip.decompress(pages[0].read_bytes())
    truth = pages[0].with_name(pages[0].name.replace(".html.gz", ".groundtruth.json"))
    url = json.loads(truth.read_text(encoding="utf-8"))["url"]
    plugin = next(p for p in builtin_plugins() if "jpost.com" in p.domains)
    changed = SitePlugin(replace(plugin.rules, html={**plugin.rules.html, "body": ()}))
    timed: dict[str, Callable[[], object]] = {
        "site plugin (archiver.extract)": lambda: archiver.extract(raw, url=url),
        "its fallback (template not found)": lambda: changed.extract(load(raw, url=url)),
        "trafilatura.extract (plain)": lambda: trafilatura.extract(raw, include_comments=False),
        WITH_METADATA: lambda: trafilatura_with_metadata(raw, url),
    }
    for function in timed.values():  # warm-up
        function()
    times = round_times(timed, max(1, rounds) * 10)
    rates = {name: 1 / min(seconds) for name, seconds in times.items()}
    print(f"real page {pages[0].name}: one page")
    for name, rate in rates.items():
        print(f"{name:38} {rate:8.1f} pages/s")
    plugin, fallback, *theirs = rates.items()
    for ours in (plugin, fallback):
        print_ratios(dict([ours, *theirs]))
    plain = times["trafilatura.extract (plain)"]
    for name in ("site plugin (archiver.extract)", "its fallback (template not found)"):
        print(
            f"  paired, plain trafilatura's time over {name}'s: {paired_ratio(times[name], plain)}"
        )


def parts_report(rounds: int) -> None:
    """Where ours spends its time, beside plain trafilatura: CPU milliseconds a page,
    best of ``rounds`` alternated passes (after a warm-up), and the bound that the work
    plain trafilatura does not do puts on the ratio.

    On trafilatura-dev, the generic extractor: the budget scan, and the search of the
    visible page for a byline and a date (``extract_html`` less ``extract_html`` without
    it). On the variants, the site plugin's fallback: the budget scan, and the generic
    body (``extract_html`` without that search) that the site's own pass completes.
    """
    from archiver.capture import load
    from archiver.extraction.budget import bounded_html

    evaldata = json.loads((TRAF_DEV / "evaldata.json").read_text(encoding="utf-8"))
    fixtures = ROOT / "fixtures" / "html"
    sets = {
        "trafilatura-dev": [
            (url, gzip.decompress((TRAF_DEV / "html" / f"{entry['file']}.gz").read_bytes()))
            for url, entry in evaldata.items()
        ],
        "variants (fallback)": [
            (
                json.loads(sidecar.read_text(encoding="utf-8"))["url"],
                sidecar.with_suffix(".html").read_bytes(),
            )
            for sidecar in sorted(fixtures.glob("*.variant.json"))
        ],
    }
    for label, listed in sets.items():
        pages = [(url, raw, load(raw, url=url).text) for url, raw in listed]
        parts: dict[str, Callable[[str, bytes, str], object]] = {
            "archiver.extract, the whole": lambda url, raw, _: extract_or_none(raw, url),
            "the budget scan": lambda _url, _raw, html: bounded_html(html),
            "extract_html without the visible page's byline and date": lambda url, _, html: (
                extract_html(html, url=url, metadata=headline_metadata(HTMLParser(html), url))
            ),
            "trafilatura.extract (plain)": lambda _url, raw, _: trafilatura.extract(
                raw, include_comments=False
            ),
        }
        if label == "trafilatura-dev":
            parts["extract_html"] = lambda url, _, html: extract_html(html, url=url)
        for part in parts.values():  # warm-up
            for page in pages:
                part(*page)
        best = best_passes(
            {
                name: lambda part=part, pages=pages: [part(*page) for page in pages]
                for name, part in parts.items()
            },
            max(1, rounds) * (1 if len(pages) > 50 else 20),
            time.process_time,
        )
        ms = {name: seconds * 1000 / len(pages) for name, seconds in best.items()}
        print(f"{label}: CPU ms a page")
        for name, value in ms.items():
            print(f"  {name:58} {value:6.2f}")
        whole, budget = ms["archiver.extract, the whole"], ms["the budget scan"]
        body = ms["extract_html without the visible page's byline and date"]
        plain = ms["trafilatura.extract (plain)"]
        if "extract_html" in ms:
            search = ms["extract_html"] - body
            print(f"  the visible page's byline and date: {search:.2f}")
            bound = whole - budget - search
            what = "ours without the budget scan and that search"
        else:
            print(f"  the site's own pass over the page: {whole - budget - body:.2f}")
            bound = body
            what = "the generic body alone"
        print(
            f"  ratio to plain trafilatura: ours, the whole, {plain / whole:.2f}x; "
            f"{what}, {plain / bound:.2f}x ({bound:.2f} ms)"
        )


def extract_or_none(raw: bytes, url: str) -> archiver.Article | None:
    """``archiver.extract``'s Article, None for a page it refuses (an ArchiverError)."""
    try:
        return archiver.extract(raw, url=url)
    except archiver.ArchiverError:
        return None


def print_ratios(rates: Mapping[str, float]) -> None:
    """Ours (the first of ``rates``, in pages per second) against each of the others."""
    (ours_name, ours_rate), *others = rates.items()
    for name, rate in others:
        print(f"  {ours_name} / {name}: {ours_rate / rate:.2f}x")


def aeb_dev_comparison(rounds: int, *, per_page: bool) -> None:
    """Shingle F1 and pages per second on aeb-dev: extract_html and trafilatura, same strings."""
    metric = load_script(METRIC)
    pages, truth = load_pages()
    ids = sorted(truth)
    extractors: dict[str, Extractor] = {
        "archiver.extraction.html.extract_html": ours,
        "trafilatura.extract (plain)": plain_trafilatura,
        WITH_METADATA: trafilatura_with_metadata,
    }
    outputs = {name: run(extractor, pages, truth) for name, extractor in extractors.items()}
    best = best_passes(
        {
            name: lambda extractor=extractor: run(extractor, pages, truth)
            for name, extractor in extractors.items()
        },
        rounds,
    )
    print(f"aeb-dev: {len(ids)} pages; best of {max(1, rounds)} timed rounds after a warm-up")
    for name in extractors:
        predictions = {page_id: {"articleBody": text} for page_id, text in outputs[name].items()}
        score = metric.score(truth, predictions, ids)
        print(
            f"{name:38} F1={score['f1']:.4f} P={score['precision']:.4f} "
            f"R={score['recall']:.4f}  {len(ids) / best[name]:6.1f} pages/s"
        )
    print_ratios({name: len(ids) / seconds for name, seconds in best.items()})
    if per_page:
        names = list(extractors)
        for page_id in ids:
            cells = []
            for name in names:
                precision, recall, _, _ = metric.page_scores(
                    truth[page_id]["articleBody"], outputs[name][page_id]
                )
                cells.append(f"P={precision:.3f} R={recall:.3f}")
            print(f"{page_id[:12]}  {'   '.join(cells)}  {truth[page_id]['url'][:60]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed rounds per extractor (default 3)"
    )
    parser.add_argument("--per-page", action="store_true", help="print each page's P/R for both")
    parser.add_argument(
        "--parts",
        action="store_true",
        help="print only where ours spends its time beside plain trafilatura (CPU time)",
    )
    args = parser.parse_args()
    if not shared_present(DEV, METRIC, TRAF_DEV, SNIPPET_METRIC):
        return 2
    if args.parts:
        parts_report(args.rounds)
        return 0
    aeb_dev_comparison(args.rounds, per_page=args.per_page)
    trafilatura_dev_comparison(args.rounds)
    site_plugin_comparison(args.rounds)
    real_page_comparison(args.rounds)
    metadata_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
