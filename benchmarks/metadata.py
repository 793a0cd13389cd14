"""Metadata of the generic extractor against trafilatura's, and a worker's peak memory.

    python benchmarks/metadata.py [--no-memory | --memory-only]

Reads ../shared/eval beside the checkout and prints, ours beside trafilatura 2.3's
``extract_metadata`` on the same bytes:

- trafilatura-dev (pages with a gold title): title, author and date (day) exact, compared
  as ../shared/tools/meta_compare.py does (case- and space-insensitive; authors as sets
  split on ';' ',' ' and ' ' und '; a gold '' is right when nothing is returned);
- aeb-dev without ``--url``: the URL found (any) and right (the ground truth's, less
  scheme, ``www.``, query and trailing slash), and the site right (the URL's host);
- text-dumps-dev (ours only: trafilatura reads no text dumps), given without their URL
  as ``archiver extract`` reads a dump: the dumps whose title, authors, date and site
  are all right; a date with its time must keep the time, in the site's time zone;
- the peak RSS of one fresh process extracting aeb-dev and trafilatura-dev (with their
  URLs, as a worker of a bulk run gets them), its kernel high-water mark (VmHWM).

:func:`report` returns the figures (and prints them); benchmarks/extraction.py calls it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import trafilatura

import archiver
from archiver.extraction.registry import domain_of

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
TRAF_DEV = EVAL / "trafilatura-dev"
AEB_DEV = EVAL / "aeb-dev"
DUMPS_DEV = EVAL / "text-dumps-dev"


def norm_text(text: str | None) -> str:
    """A title or name as meta_compare.py compares it: NFKC, spaces folded, casefolded."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().casefold()


def name_set(value: str | list[str] | tuple[str, ...] | None) -> frozenset[str]:
    """Authors as a set of normalised names, split on ';' ',' ' and ' ' und '."""
    if isinstance(value, (list, tuple)):
        value = "; ".join(value)
    parts = re.split(r";|,| and | und ", value or "")
    return frozenset(x for x in (norm_text(p) for p in parts) if x)


def day_of(value: object) -> str:
    """The YYYY-MM-DD a date or its text begins with, or ''."""
    match = re.match(r"\d{4}-\d{2}-\d{2}", str(value or ""))
    return match.group(0) if match else ""


def _trafilatura_dev() -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    gold = json.loads((TRAF_DEV / "evaldata.json").read_text(encoding="utf-8"))
    for url, entry in gold.items():
        path = TRAF_DEV / "html" / f"{entry['file']}.gz"
        if path.is_file():
            yield url, gzip.decompress(path.read_bytes()), entry


def _aeb_dev() -> Iterator[tuple[str, bytes]]:
    truth = json.loads((AEB_DEV / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, entry in sorted(truth.items()):
        yield entry["url"], gzip.decompress((AEB_DEV / "html" / f"{page_id}.html.gz").read_bytes())


def metadata_scores() -> dict[str, dict[str, float]]:
    """Title, author and date (day) exact on trafilatura-dev, ours and trafilatura's."""
    right = {who: {"title": 0, "author": 0, "date": 0} for who in ("ours", "trafilatura")}
    pages = 0
    for url, raw, gold in _trafilatura_dev():
        if "title" not in gold:
            continue
        pages += 1
        try:
            article = archiver.extract(raw, url=url)
            ours = (article.title, article.authors, article.published)
        except archiver.ArchiverError:
            ours = (None, (), None)
        found = trafilatura.extract_metadata(raw, default_url=url)
        theirs = (found.title, found.author, found.date) if found else (None, None, None)
        for who, (title, authors, published) in (("ours", ours), ("trafilatura", theirs)):
            right[who]["title"] += norm_text(title) == norm_text(gold["title"])
            right[who]["author"] += name_set(authors) == name_set(gold["author"])
            right[who]["date"] += day_of(published) == day_of(gold["date"])
    return {who: {k: v / pages for k, v in fields.items()} for who, fields in right.items()}


def _bare_url(url: str | None) -> str:
    url = (url or "").split("://", 1)[-1].removeprefix("www.")
    return url.split("#")[0].split("?")[0].rstrip("/")


def url_scores() -> dict[str, dict[str, int]]:
    """On aeb-dev without its URLs: pages where a URL is found, where it is the page's,
    and where the site (the URL's host) is right; ours and trafilatura's."""
    counts = {who: {"found": 0, "url": 0, "site": 0} for who in ("ours", "trafilatura")}
    for url, raw in _aeb_dev():
        try:
            ours = archiver.extract(raw)
            mine: tuple[str | None, str | None] = (ours.url, ours.site)
        except archiver.ArchiverError:
            mine = (None, None)
        found = trafilatura.extract_metadata(raw)
        theirs_url = found.url if found else None
        theirs = (theirs_url, domain_of(theirs_url) if theirs_url else None)
        for who, (got_url, site) in (("ours", mine), ("trafilatura", theirs)):
            counts[who]["found"] += got_url is not None
            counts[who]["url"] += got_url is not None and _bare_url(got_url) == _bare_url(url)
            counts[who]["site"] += site == domain_of(url)
    return counts


def _date_right(found: date | datetime | None, gold: str | None) -> bool:
    if gold is None or found is None:
        return gold is None and found is None
    if "T" in gold:  # the dump states the time: keep it, in the site's time zone
        return (
            isinstance(found, datetime)
            and found.tzinfo is not None
            and found.strftime("%Y-%m-%dT%H:%M") == gold
        )
    return found.isoformat()[:10] == gold


def dump_scores(*, with_urls: bool) -> dict[str, Any]:
    """text-dumps-dev read with or without their URLs: the dumps with each field right.

    Without its URL, a dump names its site only when its text does: ``named`` counts the
    dumps that a site plugin recognises or whose text holds their domain's name, the bound
    of ``site`` there.
    """
    fields = ("title", "authors", "date", "site")
    right = dict.fromkeys(fields, 0)
    named = 0
    wrong: list[str] = []
    golds = sorted(DUMPS_DEV.glob("*/*.json"))
    for gold_file in golds:
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        dump = gold_file.with_suffix(".txt").read_bytes()
        url = gold["url"] if with_urls else None
        article = archiver.extract(dump, name=str(gold_file), url=url)
        if not with_urls:
            named += article.site is not None or gold["site"].split(".")[0].encode() in dump.lower()
        checks = {
            "title": article.title == gold["title"],
            "authors": list(article.authors) == list(gold["authors"]),
            "date": _date_right(article.published, gold["published"]),
            "site": article.site == gold["site"],
        }
        for field, ok in checks.items():
            right[field] += ok
            if not ok:
                wrong.append(f"{gold_file.parent.name}/{gold_file.stem} {field}")
    return {"dumps": len(golds), **right, "named": named, "wrong": wrong}


def worker_peak_rss() -> float:
    """Peak RSS (MB) of a fresh process extracting aeb-dev and trafilatura-dev."""
    done = subprocess.run(
        [sys.executable, __file__, "--worker"], capture_output=True, text=True, check=True
    )
    return float(done.stdout.split()[-1])


def _worker() -> None:
    # one page in memory at a time, as in a worker
    pages = chain(_aeb_dev(), ((url, raw) for url, raw, _gold in _trafilatura_dev()))
    for url, raw in pages:
        try:
            archiver.extract(raw, url=url)
        except archiver.ArchiverError:
            pass
    print(f"{_peak_rss():.1f}")


def _peak_rss() -> float:
    """This process's peak RSS in MB. Linux's ``ru_maxrss`` keeps the parent's peak
    across fork and exec, so the kernel's high-water mark of this program's own memory
    (VmHWM) is read where there is one."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # in kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def report(*, memory: bool = True) -> dict[str, Any]:
    """Measure, print the table, and return the figures."""
    meta = metadata_scores()
    urls = url_scores()
    dumps = dump_scores(with_urls=False)
    dumps_with_urls = dump_scores(with_urls=True)
    figures: dict[str, Any] = {
        "trafilatura-dev": meta,
        "aeb-dev": urls,
        "text-dumps-dev": dumps,
        "text-dumps-dev with URLs": dumps_with_urls,
    }
    print("metadata                           ours   trafilatura")
    for field in ("title", "author", "date"):
        ours, theirs = meta["ours"][field], meta["trafilatura"][field]
        print(f"trafilatura-dev {field:18} {ours:6.3f} {theirs:12.3f}")
    pages = sum(1 for _ in _aeb_dev())
    for field, label in (("found", "URL found"), ("url", "URL right"), ("site", "site right")):
        ours_n, theirs_n = urls["ours"][field], urls["trafilatura"][field]
        print(f"aeb-dev no --url {label:17} {ours_n:3d}/{pages} {theirs_n:9d}/{pages}")
    for label, figures_of in (("no URL", dumps), ("URL", dumps_with_urls)):
        for field in ("title", "authors", "date", "site"):
            right = f"{figures_of[field]:3d}/{figures_of['dumps']}"
            print(f"text-dumps-dev {label:6} {field:12} {right}      -")
        if figures_of["wrong"]:
            print("  wrong: " + ", ".join(figures_of["wrong"]))
    print(
        f"  without its URL, {dumps['named']} of {dumps['dumps']} dumps name their site"
        " (the others hold no domain or plugin fingerprint: their site cannot be known)"
    )
    if memory:
        figures["peak_rss_mb"] = worker_peak_rss()
        print(f"worker peak RSS (aeb-dev + trafilatura-dev) {figures['peak_rss_mb']:.1f} MB")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-memory", action="store_true", help="skip the worker's peak RSS")
    which.add_argument("--memory-only", action="store_true", help="only the worker's peak RSS")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not EVAL.is_dir():
        print(f"{EVAL} not found: this benchmark needs the shared/ folder", file=sys.stderr)
        return 2
    if args.worker:
        _worker()
    elif args.memory_only:
        print(f"worker peak RSS (aeb-dev + trafilatura-dev) {worker_peak_rss():.1f} MB")
    else:
        report(memory=not args.no_memory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
