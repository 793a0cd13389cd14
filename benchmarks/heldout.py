"""Held-out pages: body and metadata of ours against plain trafilatura on pages in neither set.

    python benchmarks/heldout.py [--corpus DIR] [--rounds N] [--per-page]

The pages are the test data of newspaper4k 0.9.6's sdist (``tests/data``: ``html/``,
``txt/`` reference bodies, ``metadata/`` JSON). They are read from ``--corpus`` (default
``~/.cache/news-archiver/heldout``); when that folder has no ``html/``, this script runs
``python -m pip download newspaper4k==0.9.6 --no-deps --no-binary :all:`` (which needs the
package index) and unpacks only ``tests/data`` there. The references are newspaper4k's own
output (its tests check that it reproduces them), not hand-made: the figures are
approximate, for the body as for the title, authors and date.

For each page with a reference body, on the same bytes, (a) ``archiver.extract(raw,
url=url)`` with the URL of the page's metadata JSON (none when it has none) and (b)
``trafilatura.extract(raw, include_comments=False)``, with trafilatura's metadata from
``trafilatura.extract_metadata(raw, default_url=url)`` as benchmarks/metadata.py reads it.
It prints:

- the pages skipped and why (no reference body, no page, the same bytes as another
  page, the URL of a page of aeb-dev or trafilatura-dev), and the pages on a site that
  a development set also has (kept, and measured apart as well);
- body F1, precision and recall as ../shared/tools/shingle_f1.py computes them (mean P
  over pages with output, mean R over all), for the pages written with spaces between
  words; pages whose reference is mostly in a script written without them (Han, kana,
  Thai, Lao, Khmer, Myanmar) are scored on their own line: ``\\w+`` cuts their text into
  whole clauses or single letters, so their word shingles are not comparable;
- title exact, authors and date (day) right, compared as ../shared/tools/meta_compare.py
  does, over the pages whose metadata JSON states each;
- pages per second of (a) and (b), timed as benchmarks/extraction.py times them;
- with ``--per-page``, one line per page.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from extraction import (  # benchmarks/ is the script's sys.path[0]
    best_passes,
    load_script,
    shared_present,
)

import archiver

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
SHARED = ROOT.parent / "shared"
AEB_DEV_TRUTH = SHARED / "eval" / "aeb-dev" / "ground-truth.json"
TRAF_DEV_DATA = SHARED / "eval" / "trafilatura-dev" / "evaldata.json"
METRIC = SHARED / "tools" / "shingle_f1.py"
DEFAULT_CORPUS = Path.home() / ".cache" / "news-archiver" / "heldout"
RELEASE = "newspaper4k==0.9.6"
DATA_PREFIX = "tests/data/"
# Scripts written without spaces between words (Unicode character-name prefixes).
UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


@dataclass
class Page:
    """A held-out page, its reference body and metadata, and what each extractor gave."""

    name: str
    raw: bytes
    reference: str
    url: str | None
    meta: dict[str, Any]
    unspaced: bool
    same_site: str | None = None  # the development set that has this page's site
    outputs: dict[str, Any] = field(default_factory=dict)


def fetch_corpus(target: Path) -> None:
    """newspaper4k's sdist downloaded with pip, its tests/data unpacked into ``target``."""
    with tempfile.TemporaryDirectory() as downloads:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", RELEASE, "--no-deps"]
            + ["--no-binary", ":all:", "-d", downloads],
            capture_output=True,
            text=True,
            check=False,
        )
        sdists = sorted(Path(downloads).glob("newspaper4k-*.tar.gz"))
        if done.returncode != 0 or not sdists:
            last = (done.stderr.strip().splitlines() or ["no sdist"])[-1]
            raise SystemExit(f"cannot download {RELEASE} (needs the package index): {last}")
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(sdists[0]) as sdist:
            for member in sdist.getmembers():
                inner = member.name.split("/", 1)[-1]
                if not member.isfile() or not inner.startswith(DATA_PREFIX) or ".." in inner:
                    continue
                source = sdist.extractfile(member)
                if source is not None:
                    path = target / inner.removeprefix(DATA_PREFIX)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(source.read())


def unspaced(text: str) -> bool:
    """Whether most letters of ``text`` are of a script written without word spaces."""
    letters = [c for c in text if c.isalpha()]
    names = (unicodedata.name(c, "") for c in letters)
    return sum(name.startswith(UNSPACED_SCRIPTS) for name in names) > len(letters) / 2


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def dev_urls() -> dict[str, str]:
    """The development sets' page URLs, and the set of each."""
    aeb = json.loads(AEB_DEV_TRUTH.read_text(encoding="utf-8"))
    urls = {entry["url"]: "aeb-dev" for entry in aeb.values()}
    for url in json.loads(TRAF_DEV_DATA.read_text(encoding="utf-8")):
        urls[url] = "trafilatura-dev"
    return urls


def same_site(host: str, dev_hosts: dict[str, str]) -> str | None:
    """The development set with a page on ``host``, one of its subdomains or parents."""
    for dev_host, dev_set in dev_hosts.items():
        if host == dev_host or host.endswith("." + dev_host) or dev_host.endswith("." + host):
            return dev_set
    return None


def load_corpus(corpus: Path) -> tuple[list[Page], list[str]]:
    """The pages to score, and one line for each page left out."""
    known = dev_urls()
    dev_hosts = {host_of(url): dev_set for url, dev_set in known.items()}
    pages: list[Page] = []
    skipped: list[str] = []
    seen: dict[str, str] = {}
    names = {p.stem for p in (corpus / "html").glob("*.html")}
    names |= {p.stem for p in (corpus / "txt").glob("*.txt")}
    for name in sorted(names):
        html, txt = corpus / "html" / f"{name}.html", corpus / "txt" / f"{name}.txt"
        meta_file = corpus / "metadata" / f"{name}.json"
        if not html.is_file():
            skipped.append(f"{name}: a reference body without its page")
            continue
        if not txt.is_file():
            skipped.append(f"{name}: no reference body")
            continue
        raw = html.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest in seen:
            skipped.append(f"{name}: the same bytes as {seen[digest]}")
            continue
        seen[digest] = name
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
        url = meta.get("url")
        if url in known:
            skipped.append(f"{name}: {url} is a page of {known[url]}")
            continue
        reference = txt.read_text(encoding="utf-8")
        page = Page(name, raw, reference, url, meta, unspaced(reference))
        page.same_site = same_site(host_of(url), dev_hosts) if url else None
        pages.append(page)
    return pages, skipped


def ours(page: Page) -> tuple[str, tuple[Any, ...]]:
    try:
        article = archiver.extract(page.raw, url=page.url)
    except archiver.ArchiverError:
        return "", (None, (), None)
    return article.text, (article.title, article.authors, article.published)


def theirs_body(page: Page) -> str:
    return trafilatura.extract(page.raw, include_comments=False) or ""


def theirs_metadata(page: Page) -> tuple[Any, ...]:
    found = trafilatura.extract_metadata(page.raw, default_url=page.url)
    return (found.title, found.author, found.date) if found else (None, None, None)


def metadata_checks(page: Page, found: tuple[Any, ...], compare: Any) -> dict[str, bool]:
    """Title, authors and date (day) right, for the fields the page's JSON states."""
    title, authors, published = found
    checks = {}
    if page.meta.get("title"):
        checks["title"] = compare.norm_text(title) == compare.norm_text(page.meta["title"])
    if page.meta.get("authors"):
        checks["author"] = compare.name_set(authors) == compare.name_set(page.meta["authors"])
    if page.meta.get("publish_date"):
        checks["date"] = compare.day_of(published) == compare.day_of(page.meta["publish_date"])
    return checks


def body_line(label: str, pages: list[Page], metric: Any, who: str) -> str:
    if not pages:
        return f"{label:44}   0 pages"
    truth = {page.name: {"articleBody": page.reference} for page in pages}
    predictions = {page.name: {"articleBody": page.outputs[who]} for page in pages}
    score = metric.score(truth, predictions, sorted(truth))
    return (
        f"{label:44} {len(pages):3} pages  F1={score['f1']:.4f} P={score['precision']:.4f} "
        f"R={score['recall']:.4f}"
    )


def report(pages: list[Page], rounds: int, *, per_page: bool) -> None:
    """Extract every page with both, time both, and print the table."""
    metric = load_script(METRIC)
    compare = load_script(BENCHMARKS / "metadata.py")
    for page in pages:  # the warm-up, whose outputs are the ones scored
        page.outputs["ours"], found = ours(page)
        page.outputs["trafilatura"] = theirs_body(page)
        page.outputs["ours meta"] = metadata_checks(page, found, compare)
        page.outputs["trafilatura meta"] = metadata_checks(page, theirs_metadata(page), compare)
    timed: dict[str, Callable[[Page], object]] = {"ours": ours, "trafilatura": theirs_body}
    best = best_passes(
        {
            who: lambda function=function: [function(page) for page in pages]
            for who, function in timed.items()
        },
        rounds,
    )
    spaced = [page for page in pages if not page.unspaced]
    groups = (
        ("spaced scripts", spaced),
        ("  of them on sites in neither dev set", [p for p in spaced if p.same_site is None]),
        ("unspaced scripts (shingles not comparable)", [p for p in pages if p.unspaced]),
    )
    names = {"ours": "archiver.extract", "trafilatura": "trafilatura.extract (plain)"}
    print(f"held-out: {len(pages)} pages; best of {max(1, rounds)} timed rounds after a warm-up")
    for who, name in names.items():
        print(f"{name}: {len(pages) / best[who]:.1f} pages/s")
        for label, group in groups:
            print("  " + body_line(label, group, metric, who))
        for check in ("title", "author", "date"):
            stated = [
                p.outputs[f"{who} meta"][check] for p in pages if check in p.outputs[f"{who} meta"]
            ]
            print(f"  {check + ' right':44} {sum(stated):3}/{len(stated)} pages stating it")
    if per_page:
        print_pages(pages, metric)


def print_pages(pages: Iterable[Page], metric: Any) -> None:
    print("page                 ours P/R        trafilatura P/R   metadata wrong (ours | theirs)")
    for page in pages:
        cells = []
        for who in ("ours", "trafilatura"):
            precision, recall, _, _ = metric.page_scores(page.reference, page.outputs[who])
            cells.append(f"{precision:.3f}/{recall:.3f}")
        wrong = [
            ",".join(check for check, ok in page.outputs[f"{who} meta"].items() if not ok) or "-"
            for who in ("ours", "trafilatura")
        ]
        marks = ("unspaced " if page.unspaced else "") + (
            f"site in {page.same_site}" if page.same_site else ""
        )
        print(f"{page.name:20} {cells[0]:15} {cells[1]:17} {' | '.join(wrong):22} {marks}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the pages' folder")
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed rounds per extractor (default 3)"
    )
    parser.add_argument("--per-page", action="store_true", help="print each page's figures")
    args = parser.parse_args()
    if not shared_present(AEB_DEV_TRUTH, TRAF_DEV_DATA, METRIC):
        return 2
    if not (args.corpus / "html").is_dir():
        fetch_corpus(args.corpus)
    pages, skipped = load_corpus(args.corpus)
    print(f"corpus: {args.corpus}")
    for line in skipped:
        print(f"skipped {line}")
    for page in pages:
        if page.same_site:
            print(f"kept, on a site {page.same_site} also has: {page.name} {page.url}")
    report(pages, args.rounds, per_page=args.per_page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
