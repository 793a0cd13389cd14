"""What else a user would run on a URL list, for benchmarks/bulk.py: wget, and trafilatura.

(d) ``wget -q -i urls.txt --warc-file=...``: a WARC file, no text.
(e) trafilatura's own downloader, as its command line drives it
    (``trafilatura.cli_utils.download_queue_processing``): a ``UrlStore`` of the list,
    drawn a buffer at a time by ``load_download_buffer`` and fetched by
    ``buffered_downloads`` (``fetch_url`` in a thread pool), each page extracted by
    ``trafilatura.extract`` in a process pool; text, no WARC.
(f) wget as in (d), then ``trafilatura.extract`` over the response records of its WARC
    file (read with warcio), in a process pool: a WARC file and text, in two passes.

Settings that differ from trafilatura's defaults, and why: ``SSRF_PROTECTION = off``
(the pages are on loopback addresses, which it refuses otherwise, as archive_many does
unless ``allow_private``), ``SLEEP_TIME`` 0 (archive_many's ``per_host_delay`` is 0
here too), 64 download threads (archive_many's 64 fetches in flight), and
``MAX_REDIRECTS`` as is. Extraction is ``trafilatura.extract(page, url=url)`` with its
defaults (text output).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

#: Pages handed to the pool at once, as in case (c) of bulk.py.
EXTRACT_WINDOW = 64
#: Download threads of (e): archive_many's default fetches in flight.
DOWNLOAD_THREADS = 64


def run_wget(listing: Path, warc: Path) -> tuple[int, float, int]:
    """Run wget over the list; its exit status, CPU seconds and peak RSS.

    The peak is polled from /proc (VmHWM) while wget runs: its ru_maxrss would be at
    least this Python process's RSS, which the child had until it exec'd wget.
    """
    command = ["wget", "-q", "-i", str(listing), f"--warc-file={warc}", "-O", "/dev/null"]
    pid = os.posix_spawnp("wget", command, os.environ)
    peak = 0
    while True:
        ended, status, usage = os.wait4(pid, os.WNOHANG)
        if ended:
            return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, peak
        peak = max(peak, _vm_hwm(pid))
        time.sleep(0.01)


def _vm_hwm(pid: int) -> int:
    """The peak RSS of a running process, in bytes (0 once it has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


def _extract(page: str | bytes, url: str) -> bool:
    """trafilatura's extraction of one page, in a pool worker: whether it gave text."""
    import trafilatura

    return trafilatura.extract(page, url=url) is not None


def _ready() -> None:
    """A pool worker's first task, so that every worker is forked before any thread starts."""
    import trafilatura  # noqa: F401  # imported once per worker, as extraction would


def _extract_all(pages: Iterable[tuple[str, str | bytes | None]], workers: int) -> dict[str, Any]:
    """Extract every (url, page) in a pool of ``workers`` forked processes; a page of None
    (a failed download) counts as failed."""
    done = failed = 0
    in_flight: set[Future[bool]] = set()

    def settle(finished: set[Future[bool]]) -> None:
        nonlocal done, failed
        for future in finished:
            if future.result():
                done += 1
            else:
                failed += 1

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        # The workers are forked now, before the download threads of (e) exist: forking a
        # process that runs threads can copy a lock held by one of them.
        wait([pool.submit(_ready) for _ in range(workers)])
        for page_url, page in pages:
            if page is None:
                failed += 1
                continue
            in_flight.add(pool.submit(_extract, page, page_url))
            if len(in_flight) >= EXTRACT_WINDOW:
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                settle(finished)
        settle(wait(in_flight).done)
    return {"done": done, "failed": failed, "bytes": 0}


def trafilatura_downloads(urls: list[str], workers: int) -> dict[str, Any]:
    """Case (e): trafilatura's downloader, and its extraction in a process pool."""
    return _extract_all(_downloaded(urls), workers)


def _downloaded(urls: list[str]) -> Iterator[tuple[str, str | None]]:
    from trafilatura.downloads import (
        add_to_compressed_dict,
        buffered_downloads,
        load_download_buffer,
    )
    from trafilatura.settings import Extractor, use_config

    config = use_config()
    config.set("DEFAULT", "SSRF_PROTECTION", "off")
    config.set("DEFAULT", "SLEEP_TIME", "0")
    options = Extractor(config=config)
    store = add_to_compressed_dict(urls)
    while not store.done:
        buffer, store = load_download_buffer(store, config.getfloat("DEFAULT", "SLEEP_TIME"))
        yield from buffered_downloads(buffer, DOWNLOAD_THREADS, options=options)


def wget_then_trafilatura(listing: Path, out: Path, workers: int) -> dict[str, Any]:
    """Case (f): wget's WARC file, then trafilatura over its responses in a process pool."""
    status, _, peak = run_wget(listing, out / "wget")
    warc = out / "wget.warc.gz"
    figures = _extract_all(_responses(warc), workers)
    if status != 0:
        figures["failed"] = f"wget exit status {status}"
    figures["bytes"] = warc.stat().st_size if warc.exists() else 0
    figures["wget_rss"] = peak
    return figures


def _responses(warc: Path) -> Iterator[tuple[str, bytes]]:
    """The URL and body of every response record of a WARC file."""
    from warcio.archiveiterator import ArchiveIterator

    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                url = record.rec_headers.get_header("WARC-Target-URI")
                yield url, record.content_stream().read()
