"""What the records of a bulk archive take: metadata records against conversion records.

    python benchmarks/warc_sizes.py [--set NAME ...] [--workers N]

Archives every page of each set once with ``archive_many`` (the server, page sets and
URLs of benchmarks/bulk.py: ``fixtures`` is fixtures/html/*.html, ``aeb-dev`` the 93
real pages of ../shared/eval/aeb-dev read from there at run time) and, with ``farm``,
40 URLs of the bulk tests' site farm (tests/site_farm.py: the five fixture pages and
the 404s, PDFs and 500s of ``outcome``, as ``test_bulk.py`` archives them). Then, per
record type, it sums the blocks (their Content-Length) and the records as stored (the
gzip member of each, WARC headers included), and prints the metadata and conversion
sums and their ratio, then what each key of the metadata JSON takes (its
``"key":value`` bytes) against the conversion blocks. It asserts nothing on the figures.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bulk import Server, load_set, set_names, urls
from warcio.archiveiterator import ArchiveIterator

from archiver.capture import FetchConfig
from archiver.runs import BulkConfig, archive_many

TESTS = Path(__file__).resolve().parent.parent / "tests"
FARM_URLS = 40
KB = 1024


def sizes(folder: Path) -> tuple[collections.Counter[str], ...]:
    """Per record type, the bytes of the blocks and of the records as stored; per key of
    the metadata JSON, the bytes of its members (``"key":value``)."""
    blocks: collections.Counter[str] = collections.Counter()
    stored: collections.Counter[str] = collections.Counter()
    members: collections.Counter[str] = collections.Counter()
    for warc in sorted(folder.glob("*.warc.gz")):
        with open(warc, "rb") as file:
            records = ArchiveIterator(file)
            for record in records:
                blocks[record.rec_type] += int(record.rec_headers.get_header("Content-Length"))
                if record.rec_type == "metadata":
                    for key, value in json.loads(record.content_stream().read()).items():
                        member = json.dumps({key: value}, ensure_ascii=False, separators=(",", ":"))
                        members[key] += len(member.encode("utf-8")) - 2
                records.read_to_end(record)
                stored[record.rec_type] += records.get_record_length()
    return blocks, stored, members


def archive(url_list: list[str], out: Path, workers: int) -> str:
    config = BulkConfig(per_host_delay=0, workers=workers, fetch=FetchConfig(allow_private=True))
    report = archive_many(url_list, out, config=config)
    return f"{report.done} pages archived, {report.failed} failed"


def show(name: str, outcome: str, folder: Path) -> None:
    blocks, stored, members = sizes(folder)
    print(f"{name}: {outcome}")
    for what, counts in (("blocks", blocks), ("stored records", stored)):
        metadata, conversion = counts["metadata"], counts["conversion"]
        print(
            f"  {what:<15} metadata {metadata / KB:8.1f} KB   conversion"
            f" {conversion / KB:8.1f} KB   ratio {metadata / conversion:6.1%}"
        )
    shares = ", ".join(
        f"{key} {size / blocks['conversion']:.1%}" for key, size in members.most_common()
    )
    print(f"  metadata keys, against the conversion blocks: {shares}")


def farm_urls() -> tuple[list[str], Any]:
    """The URLs of the tests' site farm, and the farm (to close)."""
    sys.path.insert(0, str(TESTS))
    from site_farm import SiteFarm

    farm = SiteFarm(hosts=4)
    return farm.urls(FARM_URLS), farm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [*set_names(), "farm"]
    parser.add_argument(
        "--set", action="append", choices=names, help=f"a set (default: {', '.join(names)})"
    )
    parser.add_argument("--workers", type=int, default=1, help="extraction processes (default 1)")
    args = parser.parse_args()
    server = Server.start(1)
    try:
        for name in args.set or names:
            with tempfile.TemporaryDirectory(prefix="warc-sizes-") as folder:
                out = Path(folder)
                if name == "farm":
                    url_list, farm = farm_urls()
                    try:
                        outcome = archive(url_list, out, args.workers)
                    finally:
                        farm.close()
                else:
                    count = len(load_set(name))
                    outcome = archive(list(urls(name, count, server.port)), out, args.workers)
                show(name, outcome, out)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
