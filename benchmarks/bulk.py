"""Bulk archiving: pages per second and peak memory of archive_many, against wget and trafilatura.

    python benchmarks/bulk.py [--urls N] [--rounds N] [--memory-urls N] [--memory-set SET]
                              [--workers N] [--quick]

Serves pages from a local HTTP server and runs six cases over them, each in a
fresh subprocess so that its peak RSS is its own:

(a) fetch and WARC only: ``archive_many(..., config=BulkConfig(extract=False,
    per_host_delay=0, fetch=FetchConfig(allow_private=True)))``;
(b) fetch, extraction and WARC: ``archive_many(..., config=BulkConfig(per_host_delay=0,
    workers=W, fetch=FetchConfig(allow_private=True)))``;
(c) extraction alone of the same pages: ``archiver.runs.single.extract_page`` in a process
    pool of the same size W as (b), on the bytes the server sends, made in memory;
(d) ``wget -q -i urls.txt --warc-file=... -O /dev/null`` over the same list;

and two peers a user who wants clean text would run instead (benchmarks/peers.py):

(e) trafilatura's own downloader (``buffered_downloads`` over a ``UrlStore``, as its
    command line does, with ``SSRF_PROTECTION`` off for loopback and no sleep between
    requests to a host), each page extracted by ``trafilatura.extract`` in a process pool
    of the same size W: text, no WARC;
(f) wget as in (d), then ``trafilatura.extract`` over the response records of its WARC
    file in a pool of W: a WARC and text, in two passes;

then prints the ratio of the rates (b)/(c) and of (b) against (e) and (f), and runs
(b) again over ``--memory-urls`` URLs for its peak memory. (Loopback addresses are
refused unless ``allow_private``.) Every other BulkConfig setting is the default: 64
fetches in flight, robots.txt obeyed (the server answers 404: one request per host), 1 GB WARC
files. With ``--rounds N`` the cases take turns N times and the fastest run of each is
reported, so that the other load of a shared machine weighs on all alike; the table's
"other" CPU column is what the rest of the machine used meanwhile (/proc/stat).

The page sets are ``fixtures`` (fixtures/html/*.html: 10 small news pages) and, when
the shared/ folder is beside the checkout, ``aeb-dev`` (../shared/eval/aeb-dev: 93 real
pages, 156 KB on average, read from there; the default set of the memory run). URL n
of a set is ``http://127.0.0.<2 + n % 200>:<port>/<set>/<n>.html``: page n mod k of
the set with ``<!-- bench page n -->`` inserted before its ``</html>``, so that every
URL and every payload is distinct and the WARC files hold full responses, as from a
real crawl, not revisit records (the script checks). There are 200 host addresses
because archive_many sends one request at a time to a host: all of 127.0.0.0/8 is
loopback on Linux, and with per_host_delay=0 the 200 hosts keep the 64 fetches in
flight busy. The pages go out uncompressed, with a Content-Length, as ``text/html``;
the URLs are loopback ones, so no site plugin applies and extraction is the generic
extractor's, in (b) and (c) alike.

The server is this script's own asyncio HTTP/1.1 server, with every page in memory, in
processes of its own (two by default, sharing the port with SO_REUSEPORT). Its rate
alone, to a minimal keep-alive client over 32 connections, is printed before each
table, and its CPU time in each case is in the table.

Rates are URLs over the wall-clock time of the whole call: for (a) and (b), reading the
list into the ledger, starting the pool and writing the failure report included; for
(c), starting the pool included. Peak RSS is ``getrusage().ru_maxrss`` of the case's
process (the main process) and of its children (the largest pool worker); wget's is
polled from /proc. With psutil installed (the ``bench`` extra), the sums of RSS and of
PSS over the process tree are sampled every 0.2 s: the forked workers share pages with
the main process, which a sum of RSS counts twice and PSS shares out. Linux only. The
script checks that every page was archived; it never asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import os
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from peers import run_wget, trafilatura_downloads, wget_then_trafilatura

from archiver.capture import FetchConfig
from archiver.errors import ArchiverError
from archiver.runs import BulkConfig, archive_many
from archiver.runs.single import extract_page

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "html"
AEB_DEV = ROOT.parent / "shared" / "eval" / "aeb-dev" / "html"

HOSTS = [f"127.0.0.{2 + i}" for i in range(200)]
#: Pages handed to the pool at once in case (c), as BulkConfig's default concurrency.
EXTRACT_WINDOW = 64
PROBE_CONNECTIONS = 32
SAMPLE_EVERY = 0.2
MB = 1024 * 1024
# The stamp goes before the first </html> (every page has one), in any case.
_END = re.compile(rb"</html\s*>", re.IGNORECASE)
_PATH = re.compile(rb"^/([\w-]+)/(\d+)\.html$")

CASES = {
    "fetch": "(a) fetch + WARC, extract=False",
    "bulk": "(b) fetch + extract + WARC",
    "extract": "(c) extraction alone",
    "wget": "(d) wget --warc-file",
    "trafilatura": "(e) trafilatura downloads + extract, no WARC",
    "wget-trafilatura": "(f) wget --warc-file, then trafilatura over it",
}
#: The cases that run wget, skipped when it is not installed.
WGET_CASES = ("wget", "wget-trafilatura")
#: The cases with a process pool, whose children's figures are shown.
POOL_CASES = ("bulk", "extract", "trafilatura", "wget-trafilatura")


def _psutil() -> ModuleType | None:
    """psutil when installed; imported only by the parent, which does the sampling."""
    try:
        import psutil
    except ImportError:
        return None
    module: ModuleType = psutil
    return module


# --- the pages and their URLs -------------------------------------------------------------


class PageSet:
    """The pages of a set, and the bytes served for URL number n."""

    def __init__(self, name: str, pages: list[bytes]) -> None:
        self.name = name
        self._pages = []
        for page in pages:
            end = _END.search(page)
            # Split once here, so that serving a page is a join.
            at = end.start() if end else len(page)
            self._pages.append((page[:at], page[at:]))

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def mean_size(self) -> float:
        return sum(len(head) + len(tail) for head, tail in self._pages) / len(self._pages)

    def body(self, n: int) -> bytes:
        head, tail = self._pages[n % len(self._pages)]
        return b"".join((head, b"<!-- bench page %d -->" % n, tail))


def set_names() -> list[str]:
    return ["fixtures", "aeb-dev"] if AEB_DEV.is_dir() else ["fixtures"]


def load_set(name: str) -> PageSet:
    """The pages of a set; aeb-dev's are gunzipped in memory from where they are."""
    if name == "fixtures":
        return PageSet(name, [path.read_bytes() for path in sorted(FIXTURES.glob("*.html"))])
    pages = [gzip.decompress(path.read_bytes()) for path in sorted(AEB_DEV.glob("*.html.gz"))]
    return PageSet(name, pages)


def url(name: str, n: int, port: int) -> str:
    """URL n of the page set ``name``."""
    return f"http://{HOSTS[n % len(HOSTS)]}:{port}/{name}/{n}.html"


def urls(name: str, count: int, port: int) -> Iterator[str]:
    # A generator: archive_many streams its list, and so does this.
    return (url(name, n, port) for n in range(count))


# --- the server (processes of their own) --------------------------------------------------


class _Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, answering every request as a GET: enough for the clients here."""

    def __init__(self, sets: dict[str, PageSet]) -> None:
        self._sets = sets
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
            line, _, fields = head.partition(b"\r\n")
            parts = line.split(b" ")
            fields = fields.lower()
            if len(parts) == 3 and parts[2] == b"HTTP/1.1":
                keep = b"connection: close" not in fields
            else:
                keep = b"connection: keep-alive" in fields
            status, body = self._route(parts[1] if len(parts) > 1 else b"")
            self._transport.writelines(
                (
                    b"HTTP/1.1 %s\r\nServer: bench\r\nContent-Type: text/html\r\n"
                    b"Content-Length: %d\r\nConnection: %s\r\n\r\n"
                    % (status, len(body), b"keep-alive" if keep else b"close"),
                    body,
                )
            )
            if not keep:
                self._transport.close()
                return

    def _route(self, target: bytes) -> tuple[bytes, bytes]:
        match = _PATH.match(target)
        pages = self._sets.get(match.group(1).decode()) if match else None
        if match is None or pages is None:
            return b"404 Not Found", b"<html><body>not found</body></html>"
        return b"200 OK", pages.body(int(match.group(2)))


def serve(port: int) -> None:
    """Serve every page set on every host address until stdin closes."""
    sets = {name: load_set(name) for name in set_names()}

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Http(sets), host=HOSTS, port=port, reuse_port=True, backlog=1024
        )
        print("ready", flush=True)
        await loop.run_in_executor(None, sys.stdin.read)  # the parent closes it to stop us
        server.close()

    asyncio.run(run())


@dataclass
class Server:
    """The server processes, as the parent starts and stops them."""

    port: int
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    @classmethod
    def start(cls, count: int) -> Server:
        with socket.socket() as probe:  # a free port (on every loopback address, in practice)
            probe.bind((HOSTS[0], 0))
            port = probe.getsockname()[1]
        server = cls(port)
        for _ in range(count):
            process = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(port)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            server.processes.append(process)
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                server.stop()
                raise SystemExit("the benchmark server did not start")
        return server

    def cpu_seconds(self) -> float:
        """The CPU time the server processes have used (/proc/<pid>/stat)."""
        total = 0
        for process in self.processes:
            stat = Path(f"/proc/{process.pid}/stat").read_text(encoding="ascii")
            fields = stat.rpartition(")")[2].split()  # after the command name
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.close()
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def probe(name: str, count: int, port: int) -> int:
    """Fetch URLs 0..count-1 of a set over keep-alive connections; returns the bytes read."""
    received = 0

    async def client(first: int) -> None:
        nonlocal received
        reader, writer = await asyncio.open_connection(HOSTS[first % len(HOSTS)], port)
        for n in range(first, count, PROBE_CONNECTIONS):
            writer.write(b"GET /%s/%d.html HTTP/1.1\r\nHost: x\r\n\r\n" % (name.encode(), n))
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"Content-Length: (\d+)", head)
            assert length is not None  # our own server's answer
            received += len(await reader.readexactly(int(length.group(1))))
        writer.close()

    await asyncio.gather(*(client(i) for i in range(PROBE_CONNECTIONS)))
    return received


# --- the cases (each in a process of its own) ---------------------------------------------


def run_case(
    case: str, name: str, count: int, port: int, out: Path, workers: int
) -> dict[str, Any]:
    """Run one case in this process; returns its figures."""
    figures: dict[str, Any]
    # What is not the case's work is done before the clock starts: the pages of (c)
    # loaded, the list of (d) written.
    pages = load_set(name) if case == "extract" else None
    listing = out / "urls.txt"
    url_list = list(urls(name, count, port)) if case == "trafilatura" else []
    if case in WGET_CASES:
        out.mkdir(parents=True)
        listing.write_text("".join(f"{line}\n" for line in urls(name, count, port)), "ascii")
    started = time.perf_counter()
    if case in ("fetch", "bulk"):
        # The sites are on loopback addresses, refused unless allowed.
        fetch = FetchConfig(allow_private=True)
        config = (
            BulkConfig(extract=False, per_host_delay=0, fetch=fetch)
            if case == "fetch"
            else BulkConfig(per_host_delay=0, workers=workers, fetch=fetch)
        )
        report = archive_many(urls(name, count, port), out, config=config)
        figures = {"done": report.done, "failed": report.failed, "bytes": report.bytes}
    elif pages is not None:
        figures = extract_only(pages, count, port, workers)
    elif case == "trafilatura":
        figures = trafilatura_downloads(url_list, workers)
    elif case == "wget-trafilatura":
        figures = wget_then_trafilatura(listing, out, workers)
    elif case == "probe":
        figures = {"done": count, "failed": 0, "bytes": asyncio.run(probe(name, count, port))}
    else:
        status, cpu, peak = run_wget(listing, out / "wget")
        warc = out / "wget.warc.gz"
        return {
            "done": count if status == 0 else 0,
            "failed": 0 if status == 0 else f"wget exit status {status}",
            "bytes": warc.stat().st_size if warc.exists() else 0,
            "seconds": time.perf_counter() - started,
            "main_rss": peak,
            "main_cpu": cpu,
            "child_rss": None,
            "child_cpu": None,
        }
    figures["seconds"] = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures.update(
        main_rss=own.ru_maxrss * 1024,  # ru_maxrss is in KiB on Linux
        main_cpu=own.ru_utime + own.ru_stime,
        child_rss=children.ru_maxrss * 1024,
        child_cpu=children.ru_utime + children.ru_stime,
    )
    return figures


def extract_only(pages: PageSet, count: int, port: int, workers: int) -> dict[str, Any]:
    """Case (c): extract_page over the pages in a pool made as archive_many makes its own."""
    done = failed = 0
    in_flight: set[Future[Any]] = set()

    def settle(finished: set[Future[Any]]) -> None:
        nonlocal done, failed
        for future in finished:
            try:
                future.result()
                done += 1
            except ArchiverError:
                failed += 1

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for n in range(count):
            page_url = url(pages.name, n, port)
            # Each page is made when it is handed over: holding them all would weigh on
            # this case's memory, which archive_many never does.
            in_flight.add(
                pool.submit(
                    extract_page,
                    pages.body(n),
                    url=page_url,
                    final_url=page_url,
                    content_type="text/html",
                )
            )
            if len(in_flight) >= EXTRACT_WINDOW:
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                settle(finished)
        settle(wait(in_flight).done)
    return {"done": done, "failed": failed, "bytes": 0}


class Sampler:
    """Samples the memory of a process tree every SAMPLE_EVERY seconds, in a thread."""

    def __init__(self, psutil: ModuleType, pid: int) -> None:
        self._psutil = psutil
        self._pid = pid
        #: (seconds since the start, main RSS, tree RSS sum, tree PSS sum)
        self.samples: list[tuple[float, int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        root = self._psutil.Process(self._pid)
        while not self._stop.wait(SAMPLE_EVERY):
            try:
                main = root.memory_info().rss
                rss = pss = 0
                for process in (root, *root.children(recursive=True)):
                    info = process.memory_full_info()
                    rss += info.rss
                    pss += info.pss
            except self._psutil.Error:  # a process ended between the listing and the reading
                continue
            self.samples.append((time.monotonic() - started, main, rss, pss))

    def stop(self) -> list[tuple[float, int, int, int]]:
        self._stop.set()
        self._thread.join()
        return self.samples


def measure(case: str, name: str, count: int, server: Server, workers: int) -> dict[str, Any]:
    """Run ``case`` in a fresh process and return its figures.

    Added to the case's own: the server's CPU time, the CPU time the rest of the machine
    took meanwhile (the other load of a shared machine), and the tree's sampled memory.
    """
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp:
        out = Path(tmp) / "out"
        command = [
            sys.executable, __file__, "--case", case, "--set", name, "--urls", str(count),
            "--port", str(server.port), "--out", str(out), "--workers", str(workers),
        ]  # fmt: skip
        server_before, busy_before = server.cpu_seconds(), _machine_busy()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        psutil = _psutil()
        sampler = Sampler(psutil, process.pid) if psutil and case in POOL_CASES else None
        stdout, _ = process.communicate()
        samples = sampler.stop() if sampler is not None else []
        busy = _machine_busy() - busy_before
        if process.returncode != 0:
            raise SystemExit(f"case {case} failed (exit status {process.returncode})")
        figures: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
        figures["samples"] = samples
        figures["server_cpu"] = server.cpu_seconds() - server_before
        ours = figures["main_cpu"] + (figures["child_cpu"] or 0) + figures["server_cpu"]
        figures["other_cpu"] = max(0.0, busy - ours)
        if case in ("fetch", "bulk"):
            figures["revisits"] = _revisits(out, figures["done"])
    return figures


def _machine_busy() -> float:
    """CPU seconds the machine has been busy, all cores together (/proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _revisits(out: Path, done: int) -> int:
    """How many revisit records a run wrote.

    The ledger keeps a row per distinct payload digest stored (archiver.runs.ledger), and
    every capture here is a 200 that is either stored in full or a revisit.
    """
    with sqlite3.connect(out / "state.sqlite") as db:
        (distinct,) = db.execute("SELECT COUNT(*) FROM payloads").fetchone()
    return int(done) - int(distinct)


# --- the report ---------------------------------------------------------------------------


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / MB:.0f} MB"


def _tree_peaks(figures: dict[str, Any]) -> tuple[int | None, int | None]:
    samples = figures["samples"]
    if not samples:
        return None, None
    return max(s[2] for s in samples), max(s[3] for s in samples)


def compare(name: str, count: int, server: Server, workers: int, rounds: int) -> None:
    """The cases on one page set, as a table: of each, its fastest of ``rounds`` runs."""
    pages = load_set(name)
    print(
        f"\n## {name}: {len(pages)} pages, mean {pages.mean_size / 1024:.0f} KB; {count} URLs"
        f" over {len(HOSTS)} hosts; a pool of {workers} processes in (b) and (c)"
    )
    alone = measure("probe", name, count, server, workers)
    print(
        f"server alone: {count / alone['seconds']:.0f} pages/s"
        f" ({alone['bytes'] / MB / alone['seconds']:.0f} MB/s) to one client process over"
        f" {PROBE_CONNECTIONS} keep-alive connections, using {alone['server_cpu']:.2f} s of"
        " server CPU"
    )
    cases = [case for case in CASES if case not in WGET_CASES or shutil.which("wget")]
    if len(cases) < len(CASES):
        print("wget not found: (d) and (f) skipped")
    results: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):  # the cases take turns, so that other load weighs on all alike
        for case in cases:
            figures = measure(case, name, count, server, workers)
            if case not in results or figures["seconds"] < results[case]["seconds"]:
                results[case] = figures
    print(f"\n{f'fastest of {rounds} runs each' if rounds > 1 else 'one run each'}:\n")
    print(
        "| case | pages/s | main peak RSS | largest child peak RSS | tree peak RSS sum"
        " | tree peak PSS sum | CPU s: main / children / server / other | wall s |"
    )
    print("|" + " --- |" * 8)
    for case, figures in results.items():
        rss, pss = _tree_peaks(figures)
        has_children = case in POOL_CASES
        child_rss = _mb(figures["child_rss"]) if has_children else "-"
        child_cpu = f"{figures['child_cpu']:.1f}" if has_children else "-"
        print(
            f"| {CASES[case]} | {count / figures['seconds']:.1f} | {_mb(figures['main_rss'])}"
            f" | {child_rss} | {_mb(rss)} | {_mb(pss)} | {figures['main_cpu']:.1f} / {child_cpu}"
            f" / {figures['server_cpu']:.1f} / {figures['other_cpu']:.1f}"
            f" | {figures['seconds']:.1f} |"
        )
    print()
    for case, figures in results.items():
        if figures["done"] != count or figures["failed"]:
            print(
                f"NOTE {CASES[case]}: {figures['done']} done, {figures['failed']} failed of {count}"
            )
        if figures.get("revisits"):
            print(f"NOTE {CASES[case]}: {figures['revisits']} revisit records")
    if "bulk" in results and "extract" in results:
        ratio = results["extract"]["seconds"] / results["bulk"]["seconds"]
        print(f"(b)/(c) = {ratio:.2f} (the issue asks for at least 0.8)")
    for peer in ("trafilatura", "wget-trafilatura"):
        if "bulk" in results and peer in results:
            ratio = results[peer]["seconds"] / results["bulk"]["seconds"]
            print(f"(b)/{CASES[peer][:3]} = {ratio:.2f} (pages/s of (b) over those of the peer)")
    sizes = [
        f"{CASES[case][:3]} {_mb(results[case]['bytes'])}"
        for case in ("fetch", "bulk", "wget")
        if case in results
    ]
    print("WARC written: " + ", ".join(sizes))


def memory_run(name: str, count: int, server: Server, workers: int) -> None:
    """Case (b) over ``count`` URLs, for its peak memory."""
    print(f"\n## memory: (b) over {count} URLs of {name}, a pool of {workers} processes")
    figures = measure("bulk", name, count, server, workers)
    rss, pss = _tree_peaks(figures)
    print(
        f"{count / figures['seconds']:.0f} pages/s over {figures['seconds']:.0f} s;"
        f" {figures['done']} done, {figures['failed']} failed, {figures['revisits']} revisit"
        f" records; {figures['bytes'] / 1024**3:.2f} GB of WARC"
    )
    print(f"main process peak RSS: {_mb(figures['main_rss'])} (the issue asks for at most 200 MB)")
    print(f"largest pool worker peak RSS: {_mb(figures['child_rss'])}")
    print(f"main + workers, sampled peaks: RSS sum {_mb(rss)}, PSS sum {_mb(pss)}")
    print(
        f"CPU s: main {figures['main_cpu']:.0f}, workers {figures['child_cpu']:.0f},"
        f" server {figures['server_cpu']:.0f}, other processes {figures['other_cpu']:.0f}"
    )
    samples = figures["samples"]
    if samples:
        end = samples[-1][0]
        # A short run may take no sample in its first quarter: that quarter shows "n/a".
        marks = [
            _mb(max((s[1] for s in samples if s[0] <= end * q / 4), default=None))
            for q in (1, 2, 3, 4)
        ]
        print("main process RSS, peak by the end of each quarter of the run: " + ", ".join(marks))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, help="URLs per page set (default 3000)")
    parser.add_argument("--memory-urls", type=int, help="URLs of the memory run (default 100000)")
    parser.add_argument(
        "--memory-set",
        default=set_names()[-1],
        help="the page set of the memory run (default: aeb-dev, the heavier, when it is there)",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="pool size (default: the cores)"
    )
    parser.add_argument(
        "--server-processes", type=int, default=2, help="server processes (default 2)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of each case; the fastest counts (default 1)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="defaults of 300 URLs per set, 3000 in the memory run"
    )
    # What the subprocesses are started with: a server, or one case.
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=[*CASES, "probe"], help=argparse.SUPPRESS)
    parser.add_argument("--set", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    if args.case is not None:
        figures = run_case(args.case, args.set, args.urls, args.port, args.out, args.workers)
        print(json.dumps(figures))
        return 0
    if args.memory_set not in set_names():
        parser.error(f"--memory-set: one of {', '.join(set_names())}")
    if args.urls is None:
        args.urls = 300 if args.quick else 3000
    if args.memory_urls is None:
        args.memory_urls = 3000 if args.quick else 100_000
    if _psutil() is None:
        print("psutil is not installed (pip install '.[bench]'): no sums over process trees")
    wget = shutil.which("wget")
    wget_version = "no wget"
    if wget:
        found = subprocess.run([wget, "--version"], capture_output=True, text=True, check=True)
        wget_version = found.stdout.splitlines()[0]
    print(
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}; {wget_version}; server:"
        f" {args.server_processes} processes of this script's asyncio server, on"
        f" {HOSTS[0]}..{HOSTS[-1]}"
    )
    server = Server.start(args.server_processes)
    try:
        for name in set_names():
            compare(name, args.urls, server, args.workers, max(1, args.rounds))
        memory_run(args.memory_set, args.memory_urls, server, args.workers)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
