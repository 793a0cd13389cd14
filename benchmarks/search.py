"""Full-text search: index build time, index size against text size, query latency.

    python benchmarks/search.py [--articles N] [--keep DIR] [--rebuild]
    python benchmarks/search.py --queries DIR     # the queries alone, on a kept folder

Writes N synthetic articles (100,000 by default; a third each in English, Greek and
Arabic) to WARC files in a temporary archive folder, as a bulk run does: each article's
records with ``WarcWriter.write_article`` and its text into the folder's search index
with ``TextIndex.add``, files rotated at 100 MB and marked indexed when closed. The
time of the index's part is printed apart from the WARC writing. With ``--rebuild``
the index is then rebuilt from the WARC files alone (``archiver index --text``) and
that time printed too.

The text: words drawn with a Zipf distribution (s = 1.1) from a vocabulary of 30,000
made-up words per language, built from syllables of its script, Greek with its
accents and Arabic with some harakat; 150 to 600 words per article; titles of 6 to
10 words; 1 article in 100 holds the phrase "central bank", "κεντρική τράπεζα" or
"البنك المركزي". Sizes: the UTF-8 bytes of the titles and texts indexed, against the
index file (``search.sqlite``, its WAL checkpointed) as the run leaves it, and after
FTS5's ``optimize`` and ``VACUUM``.

Queries run through ``TextIndex.search`` (20 results, the best ranked of the newest
5,000 matches, each with its snippet read from the WARC record at its offset), 7 times
each after a first, untimed run; median and 95th percentile are printed per query and
over all. The figures go in docs/benchmarks.md; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from archiver.article import Article, ExtractorInfo
from archiver.document import Document
from archiver.runs import TextIndex
from archiver.runs.textindex import SEARCH_FILE
from archiver.warc import WarcWriter

_SYLLABLES = {
    "en": "ba be bi bo bu ca co da de di do fa fe fi ga ge go ha he hi ka ke la le li lo "
    "lu ma me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve "
    "wa we ya st tr pl br ch sh th ng er an in on".split(),
    "el": "κα κε κο τα τε τι το πα πο πέ μα με μι μο να νε νι λα λε λο ρα ρε ρο σα σε "
    "σο στα στη τρα γα γι δα δε δι θα θε ζω ξε ψα χα χω φα φι βα βο ου αι ει ά έ ί ό ώ "
    "ής ός ών".split(),
    "ar": "با بي بو تا تي ت ثا جا جي حا خا دا ذا را ري زا سا سي شا صا ضا طا ظا عا غا "
    "فا في قا كا كي لا لي ما مي نا ني ها وا يا ال ةِ بُ مَ سْ رّ".split(),
}
_PHRASES = {"en": "central bank", "el": "κεντρική τράπεζα", "ar": "البنك المركزي"}
_SITES = {
    "en": ["egypttoday.com", "jpost.com", "algemeiner.com"],
    "el": ["naftemporiki.gr", "capital.gr"],
    "ar": ["youm7.com", "ahram.org.eg"],
}
_VOCABULARY = 30_000
_EXTRACTOR = ExtractorInfo("bench", "1")
_WARC_SIZE = 100 * 1024 * 1024


def vocabulary(language: str, rng: random.Random) -> list[str]:
    syllables = _SYLLABLES[language]
    words: set[str] = set()
    while len(words) < _VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


def zipf_weights(count: int) -> list[float]:
    total, weights = 0.0, []
    for rank in range(1, count + 1):
        total += 1.0 / rank**1.1
        weights.append(total)
    return weights


def articles(count: int, seed: int = 16) -> list[tuple[str, Article]]:
    rng = random.Random(seed)
    languages = list(_SYLLABLES)
    words = {language: vocabulary(language, rng) for language in languages}
    cumulative = zipf_weights(_VOCABULARY)
    made = []
    for n in range(count):
        language = languages[n % 3]
        drawn = rng.choices(words[language], cum_weights=cumulative, k=rng.randint(150, 600))
        if n % 100 == 7:
            drawn.insert(rng.randrange(len(drawn)), _PHRASES[language])
        title = " ".join(rng.choices(words[language], cum_weights=cumulative, k=rng.randint(6, 10)))
        site = rng.choice(_SITES[language])
        url = f"https://www.{site}/news/{n}"
        text = "\n\n".join(" ".join(drawn[i : i + 60]) for i in range(0, len(drawn), 60))
        published = date(2023, 1, 1) + timedelta(days=n % 700)
        article = Article(
            text=text,
            extractor=_EXTRACTOR,
            input_kind="html",
            url=url,
            site=site,
            title=title.capitalize(),
            language=language,
            published=published,
        )
        made.append((url, article))
    return made


def build(folder: Path, made: list[tuple[str, Article]]) -> tuple[float, float, int]:
    """Write the WARC files and index as a run does; (total s, index s, text bytes)."""
    index = TextIndex(folder)
    spent_indexing = 0.0
    text_bytes = 0
    started = time.perf_counter()
    writer: WarcWriter | None = None
    serial = 0
    for url, article in made:
        if writer is None or writer.size >= _WARC_SIZE:
            if writer is not None:
                writer.close()
                index.complete(writer.path)
            writer = WarcWriter(folder / f"bench-{serial:05d}.warc.gz")
            serial += 1
        raw = f"<html><title>{article.title}</title><p>{article.text}</p></html>".encode()
        document = Document(text=raw.decode(), kind="html", raw=raw, encoding="utf-8", name=url)
        stored = writer.write_article(document, article, target_uri=url)
        before = time.perf_counter()
        index.add(writer.path.name, stored, article)
        spent_indexing += time.perf_counter() - before
        text_bytes += len((article.title or "").encode()) + len(article.text.encode())
    assert writer is not None
    writer.close()
    index.complete(writer.path)
    index.close()
    return time.perf_counter() - started, spent_indexing, text_bytes


def index_size(folder: Path) -> int:
    import sqlite3

    with sqlite3.connect(folder / SEARCH_FILE) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return (folder / SEARCH_FILE).stat().st_size


def optimize(folder: Path) -> None:
    import sqlite3

    db = sqlite3.connect(folder / SEARCH_FILE, isolation_level=None)
    db.execute("INSERT INTO words (words) VALUES ('optimize')")
    db.execute("VACUUM")
    db.close()


QUERIES = [
    ('"central bank"', {}),
    ('"κεντρική τράπεζα"', {}),
    ('"البنك المركزي"', {}),
    ("central", {}),
    ("bank*", {}),
    ('"central bank"', {"site": "egypttoday.com", "since": "2024-01-01"}),
    ("τράπεζα", {"language": "el"}),
]


def run_queries(folder: Path) -> None:
    made = articles(3)  # the same first articles as the corpus's (one per language)
    rng = random.Random(3)
    # Common and rarer words of the corpus itself, in each language.
    for language in ("en", "el", "ar"):
        sample = next(article for _, article in made if article.language == language)
        words = sample.text.split()
        QUERIES.append((rng.choice(words[:20]), {}))
        QUERIES.append((f'"{words[5]} {words[6]}"', {}))
    index = TextIndex(folder)
    timings: list[float] = []
    print(f"{'query':42} {'filters':38} {'hits':>5} {'median ms':>10} {'p95 ms':>8}")
    for query, filters in QUERIES:
        hits = index.search(query, **filters)
        times = []
        for _ in range(7):
            started = time.perf_counter()
            index.search(query, **filters)
            times.append((time.perf_counter() - started) * 1000)
        timings += times
        shown = ", ".join(f"{key}={value}" for key, value in filters.items())
        print(
            f"{query:42} {shown:38} {len(hits):>5} {statistics.median(times):>10.1f} "
            f"{sorted(times)[int(0.95 * (len(times) - 1))]:>8.1f}"
        )
    index.close()
    timings.sort()
    print(
        f"all queries: median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms, max {timings[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Build in this folder and keep it.")
    parser.add_argument("--rebuild", action="store_true", help="Time a rebuild too.")
    parser.add_argument("--queries", type=Path, help="Only run the queries on this folder.")
    options = parser.parse_args()
    if options.queries:
        print(f"index: {index_size(options.queries) / 1e6:.1f} MB")
        run_queries(options.queries)
        return
    folder = options.keep or Path(tempfile.mkdtemp(prefix="search-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        made = articles(options.articles)
        print(f"made {len(made)} articles in {time.perf_counter() - started:.1f} s")
        total, indexing, text_bytes = build(folder, made)
        warc_bytes = sum(path.stat().st_size for path in folder.glob("*.warc.gz"))
        print(
            f"wrote {warc_bytes / 1e6:.0f} MB of WARC files and indexed them in {total:.1f} s, "
            f"{indexing:.1f} s of it indexing ({len(made) / indexing:.0f} articles/s)"
        )
        as_left = index_size(folder)
        optimize(folder)
        optimized = index_size(folder)
        print(
            f"text indexed: {text_bytes / 1e6:.1f} MB; index: {as_left / 1e6:.1f} MB "
            f"({as_left / text_bytes:.0%} of the text) as the run leaves it, "
            f"{optimized / 1e6:.1f} MB ({optimized / text_bytes:.0%}) after optimize"
        )
        if options.rebuild:
            index = TextIndex(folder)
            started = time.perf_counter()
            count = index.rebuild()
            index.close()
            print(
                f"rebuilt from the WARC files: {count} versions in "
                f"{time.perf_counter() - started:.1f} s, {index_size(folder) / 1e6:.1f} MB"
            )
        run_queries(folder)
    finally:
        if options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
