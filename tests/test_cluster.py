"""Bulk archiving and re-extraction on a Dask cluster (archiver.runs.cluster).

One two-worker LocalCluster of processes serves the whole module; the pages come from
the site farm (many hosts on 127.0.0.2, 127.0.0.3, ...) plus a raw server for connection
resets and a port where nothing listens.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")
fsspec = pytest.importorskip("fsspec")

from local_server import RawServer, reset
from site_farm import SiteFarm, outcome
from warc_check import requested_url, warcio_check
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

import archiver
from archiver.capture import FetchConfig
from archiver.runs import BulkConfig
from archiver.runs.bookkeeping import FAILURE_REPORT, STATE_FILE
from archiver.runs.cluster import archive_on_cluster, default_state_dir
from archiver.runs.folders import RUN_LOCK
from archiver.runs.ledger import Ledger
from archiver.runs.partition import archive_partition
from archiver.runs.parts import part_path
from archiver.runs.urls import normalize_url

pytestmark = [
    pytest.mark.slow,  # a cluster of processes: about half a minute in all
    # A run waiting for ever on a stuck partition fails, with every thread's stack.
    pytest.mark.timeout(300, method="thread"),
]

ROOT = Path(__file__).resolve().parent.parent
#: Fast and strict: no retries (a 500 fails at once), no wait between a host's requests.
FAST = BulkConfig(
    per_host_delay=0, workers=1, fetch=FetchConfig(retries=0, timeout=10, allow_private=True)
)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def farm() -> Iterator[SiteFarm]:
    farm = SiteFarm(hosts=6)
    yield farm
    farm.close()


@pytest.fixture(scope="module")
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


def pages(farm: SiteFarm, numbers: Iterable[int]) -> list[str]:
    """Farm URLs of the given page numbers (page n on host n mod hosts); tests use
    ranges of their own, so that the farm's request logs tell them apart."""
    hosts = farm.servers
    return [hosts[n % len(hosts)].url_for(f"/p/{n}") for n in numbers]


def broken_urls(raw: RawServer, start: int) -> list[str]:
    """Two URLs whose connection is reset, and one to a port where nothing listens."""
    urls = []
    for n in (start, start + 1):
        raw.routes[f"/reset/{n}"] = reset()
        urls.append(raw.url(f"/reset/{n}"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return [*urls, f"http://127.0.0.1:{port}/refused/{start}"]


def write_list(path: Path, lines: list[str]) -> Path:
    path.write_text("# a list\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_urls(warcs: Iterable[bytes]) -> list[str]:
    """The requested URL of every page stored in the WARC files (as bytes), one per page."""
    found = []
    for data in warcs:
        for record in ArchiveIterator(io.BytesIO(data)):
            if record.rec_type == "metadata":
                found.append(requested_url(record))
    return found


def warc_bytes(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(folder.glob("*.warc.gz"))]


def failure_rows(text: str) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in text.splitlines()]
    urls = [row["url"] for row in rows]
    assert len(urls) == len(set(urls)), "a URL reported twice"
    return {row["url"]: row for row in rows}


def check_accounted_for(
    stored: list[str], failures: dict[str, dict[str, Any]], farm_urls: list[str], others: list[str]
) -> None:
    """Each farm URL stored once or reported once, as its page number says; ``others``
    (resets, a refused port, invalid lines) reported, never stored."""
    duplicates = [url for url, count in collections.Counter(stored).items() if count > 1]
    assert not duplicates, f"stored twice: {duplicates[:5]}"
    for url in farm_urls:
        expected, kept = outcome(int(url.rsplit("/", 1)[1]))
        assert (url in stored) == kept, url
        assert (url in failures) == (expected != "done"), url
        if expected != "done":
            assert failures[url]["error"] == expected, failures[url]
    for line in others:
        assert line in failures or normalize_url(line) in failures, line
        assert line not in stored
    assert set(stored) <= set(farm_urls)


def wait_until_idle(client: Any, timeout: float = 60) -> None:
    """Until no worker runs a task: a cancelled partition runs on to its end."""
    deadline = time.monotonic() + timeout
    while any((held := client.run(_tasks_running)).values()):
        assert time.monotonic() < deadline, f"the cluster stayed busy: {held}"
        time.sleep(0.2)


def _tasks_running(dask_worker: Any) -> list[tuple[str, str]]:
    # Not those in memory: their results are only kept for a future still referenced.
    return [
        (str(key), task.state)
        for key, task in dask_worker.state.tasks.items()
        if task.state != "memory"
    ]


# --- names --------------------------------------------------------------------------------


def test_part_names() -> None:
    assert part_path(Path("out/new.warc.gz"), 3) == Path("out/new-00003.warc.gz")
    assert part_path(Path("NEW.WARC"), 0) == Path("NEW-00000.WARC")
    assert part_path(Path("plain"), 12) == Path("plain-00012")


@pytest.mark.parametrize(
    "url",
    [
        "HTTP://Example.COM:80",
        "http://bücher.de/a b?q=ü#x",
        "http://u:p@[::1]:8000/p?",
        "https://a.b/%7e",
    ],
)
def test_normal_urls_stay_as_they_are(url: str) -> None:
    # A partition reads its URLs in again: their normal form must be a fixed point.
    normal = normalize_url(url)
    assert normalize_url(normal) == normal


# --- bulk archiving -----------------------------------------------------------------------


def test_a_cluster_archives_the_same_urls_as_a_local_run(
    client: Any, farm: SiteFarm, raw_server: RawServer, tmp_path: Path
) -> None:
    farm_urls = pages(farm, range(150))
    broken = broken_urls(raw_server, 0)
    invalid = ["not a url"]
    listing = write_list(tmp_path / "urls.txt", [*farm_urls, *broken, *invalid, farm_urls[7]])
    seen: list[archiver.BulkProgress] = []

    local = archiver.archive_many(listing, tmp_path / "local", config=FAST)
    with watch_overlaps(farm) as overlaps:
        on_cluster = archive_on_cluster(
            client,
            listing,
            tmp_path / "cluster",
            config=FAST,
            progress=seen.append,
            partition_size=8,  # many partitions, so that a host's URLs span several
        )

    assert not overlaps, "a host had two requests at once, so was in two partitions at once"
    stored = stored_urls(warc_bytes(tmp_path / "cluster"))
    failures = failure_rows((tmp_path / "cluster" / FAILURE_REPORT).read_text())
    check_accounted_for(stored, failures, farm_urls, [*broken, *invalid])
    # The same as the local run, URL for URL.
    local_failures = failure_rows((tmp_path / "local" / FAILURE_REPORT).read_text())
    assert set(stored) == set(stored_urls(warc_bytes(tmp_path / "local")))
    assert {url: row["error"] for url, row in failures.items()} == {
        url: row["error"] for url, row in local_failures.items()
    }
    assert (on_cluster.total, on_cluster.done, on_cluster.failed) == (
        local.total,
        local.done,
        local.failed,
    )
    assert (on_cluster.done_now, on_cluster.failed_now) == (local.done_now, local.failed_now)
    assert on_cluster.state == tmp_path / "cluster" / STATE_FILE
    assert sorted(on_cluster.warcs) == sorted(tmp_path.joinpath("cluster").glob("*.warc.gz"))
    assert len(on_cluster.warcs) > 10  # one file per partition at least
    assert not list(tmp_path.joinpath("cluster").glob("*.part"))
    for warc in on_cluster.warcs:
        warcio_check(Path(warc))
    assert seen[-1].done + seen[-1].failed == on_cluster.total
    assert seen[-1].bytes == on_cluster.bytes > 0


@contextlib.contextmanager
def watch_overlaps(farm: SiteFarm) -> Iterator[list[str]]:
    """The requests that came while another to the same host was being served.

    Each request is held 20 ms, so that two partitions fetching from one host at once
    would be caught in the act (a page is otherwise served in about a millisecond).
    """
    overlaps: list[str] = []
    saved = [server.dispatch for server in farm.servers]
    for server, dispatch in zip(farm.servers, saved):
        busy = [0]
        lock = threading.Lock()

        def watched(
            request: Any, busy: list[int] = busy, lock: Any = lock, dispatch: Any = dispatch
        ) -> Any:
            with lock:
                busy[0] += 1
                if busy[0] > 1:
                    overlaps.append(request.url)
            try:
                time.sleep(0.02)
                return dispatch(request)
            finally:
                with lock:
                    busy[0] -= 1

        server.dispatch = watched  # type: ignore[method-assign]
    try:
        yield overlaps
    finally:
        for server, dispatch in zip(farm.servers, saved):
            server.dispatch = dispatch  # type: ignore[method-assign]


def test_a_second_run_fetches_nothing_again(client: Any, farm: SiteFarm, tmp_path: Path) -> None:
    farm_urls = pages(farm, range(200, 260))
    listing = write_list(tmp_path / "urls.txt", farm_urls)
    out = f"file://{tmp_path / 'out'}"  # a local folder as a URL is a local folder
    first = archiver.archive_many(listing, out, config=FAST, client=client)
    requests = sum(len(server.log) for server in farm.servers)

    again = archiver.archive_many(listing, out, config=FAST, client=client)

    assert sum(len(server.log) for server in farm.servers) == requests
    assert (again.done, again.failed, again.done_now, again.failed_now) == (
        first.done,
        first.failed,
        0,
        0,
    )
    assert first.out_dir == tmp_path / "out" and again.warcs == ()
    stored = stored_urls(warc_bytes(tmp_path / "out"))
    check_accounted_for(stored, failure_rows(Path(first.failure_report).read_text()), farm_urls, [])


def test_a_cluster_run_holds_its_local_output_as_well_as_its_state(
    client: Any, farm: SiteFarm, tmp_path: Path
) -> None:
    """With the ledger elsewhere (state_dir), a local run writing to the output folder
    was not kept out: the cluster run salvaged its open WARC file as a killed run's."""
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(out / RUN_LOCK)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(archiver.StateError, match="another run") as caught:
            archive_on_cluster(client, farm.urls(2), out, config=FAST, state_dir=tmp_path / "state")
        assert caught.value.source == str(out)
    finally:
        holder.kill()
        holder.wait()


#: A process that holds a lock file until it is killed.
_HOLD_LOCK = (
    "import sys; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire();"
    " print('held', flush=True); sys.stdin.read()"
)


def test_a_cluster_run_records_versions_as_a_local_run_does(
    client: Any, farm: SiteFarm, tmp_path: Path
) -> None:
    """Each capture of a partition goes into the driver's ledger with its kind, so that a
    revisit (here of every page, all unchanged) knows what came before."""
    listing = write_list(tmp_path / "urls.txt", pages(farm, range(700, 740)))
    first = archiver.archive_many(listing, tmp_path / "out", config=FAST, client=client)
    ledger = Ledger(tmp_path / "out" / STATE_FILE)
    try:
        assert collections.Counter(v.kind for v in ledger.versions()) == {"first": first.done}
        assert ledger.revisit(since=0) == first.done
    finally:
        ledger.close()

    again = archiver.archive_many(listing, tmp_path / "out", config=FAST, client=client)

    assert again.done_now == first.done
    ledger = Ledger(tmp_path / "out" / STATE_FILE)
    try:
        versions = list(ledger.versions())
    finally:
        ledger.close()
    kinds = collections.Counter(version.kind for version in versions)
    assert kinds == {"first": first.done, "unchanged": first.done}
    assert {version.warc for version in versions} <= {p.name for p in again.warcs + first.warcs}


def test_a_memory_fsspec_output(
    client: Any, farm: SiteFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    farm_urls = pages(farm, range(300, 340))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    try:
        report = archiver.archive_many(
            farm_urls, "memory://cluster-test/news", config=FAST, client=client
        )
        # Each worker process has its own memory file system: gather the files from them.
        files: dict[str, bytes] = {}
        for found in client.run(_memory_files, "/cluster-test/news").values():
            files.update(found)
    finally:
        client.run(_memory_clear, "/cluster-test")
    assert report.out_dir == "memory:///cluster-test/news"
    assert sorted(report.warcs) == sorted(f"memory://{path}" for path in files)
    # The ledger stays on this machine, in a folder named after the output.
    state = default_state_dir("memory:///cluster-test/news")
    assert state.parent == tmp_path / "xdg" / "news-archiver" / "bulk"
    assert report.state == state / STATE_FILE
    assert report.failure_report == state / FAILURE_REPORT
    stored = stored_urls(files.values())
    failures = failure_rows(report.failure_report.read_text())
    check_accounted_for(stored, failures, farm_urls, [])
    # The failure report is copied to the output too (here, the driver's memory).
    memory = fsspec.filesystem("memory")
    assert memory.cat("/cluster-test/news/failures.jsonl") == report.failure_report.read_bytes()
    memory.rm("/cluster-test", recursive=True)
    for number, data in enumerate(files.values()):
        copy = tmp_path / f"{number}.warc.gz"
        copy.write_bytes(data)
        warcio_check(copy)


def _memory_files(folder: str) -> dict[str, bytes]:
    import fsspec

    memory = fsspec.filesystem("memory")
    if not memory.exists(folder):
        return {}
    return {path: memory.cat(path) for path in memory.glob(f"{folder}/*.warc.gz")}


def _memory_clear(folder: str) -> None:
    import fsspec

    memory = fsspec.filesystem("memory")
    if memory.exists(folder):
        memory.rm(folder, recursive=True)


class Stop(Exception):
    """Raised by a progress callback: the driver stops as if killed."""


def test_a_stopped_driver_loses_nothing_and_doubles_nothing(
    client: Any, farm: SiteFarm, tmp_path: Path
) -> None:
    farm_urls = pages(farm, range(400, 520))
    out = tmp_path / "out"

    def stop_after_the_first_partition(state: archiver.BulkProgress) -> None:
        if state.done_now + state.failed_now:
            raise Stop

    with pytest.raises(Stop):
        archive_on_cluster(
            client,
            farm_urls,
            out,
            config=FAST,
            progress=stop_after_the_first_partition,
            partition_size=6,
            slots=4,
        )
    wait_until_idle(client)  # the partitions running when it stopped have ended
    ledger = Ledger(out / STATE_FILE)
    try:
        open_partitions = ledger.get("open_partitions")
        assert open_partitions, "nothing was running when the driver stopped"
        assert ledger.counts().pending > 0
    finally:
        ledger.close()
    before = {n: _hits(farm, n) for n in range(400, 520)}

    report = archive_on_cluster(client, farm_urls, out, config=FAST, partition_size=6, slots=4)

    stored = stored_urls(warc_bytes(out))
    check_accounted_for(stored, failure_rows(report.failure_report.read_text()), farm_urls, [])
    # What the stopped run's partitions stored was marked, not fetched again.
    for n, hits in before.items():
        if hits and outcome(n)[1]:
            assert _hits(farm, n) == hits, f"page {n} fetched again"
    reconciled = [
        warc for warc in report.warcs if any(name in str(warc) for name in open_partitions)
    ]
    assert reconciled, "no file of a stopped partition was marked"


def test_a_partition_leaves_no_thread_local_for_the_garbage_collector(
    farm: SiteFarm, tmp_path: Path, cyclic_garbage: list[object]
) -> None:
    """The whole unit of work of a worker (fetches, extraction in threads, WARC files,
    the run lock): a collection freeing a thread-local while Dask's profiler calls
    sys._current_frames() freezes the worker (CPython 3.11), its partition never ending."""
    farm_urls = [normalize_url(url) for url in pages(farm, range(700, 712))]
    result = archive_partition(farm_urls, "gc", str(tmp_path), FAST, [])
    assert len(result["outcomes"]) == len(farm_urls)
    gc.collect()
    assert not [thing for thing in cyclic_garbage if isinstance(thing, threading.local)]


def test_a_failed_partition_stops_the_run_with_its_error(
    client: Any, farm: SiteFarm, tmp_path: Path
) -> None:
    farm_urls = pages(farm, range(600, 630))
    # A prefix naming a folder that does not exist: no partition can create its file.
    config = BulkConfig(
        per_host_delay=0,
        workers=1,
        warc_prefix="missing/x",
        fetch=FetchConfig(retries=0, allow_private=True),
    )
    with pytest.raises(archiver.WarcError, match="cannot create the file"):
        archive_on_cluster(client, farm_urls, tmp_path / "out", config=config, partition_size=5)
    ledger = Ledger(tmp_path / "out" / STATE_FILE)
    try:
        # Nothing was stored, so every URL is still to do, and no partition is left open.
        assert ledger.counts().pending == len(farm_urls)
        assert ledger.get("open_partitions") == []
    finally:
        ledger.close()
    assert not list(tmp_path.joinpath("out").glob("*.warc.gz"))


def _hits(farm: SiteFarm, n: int) -> int:
    server = farm.servers[n % len(farm.servers)]
    return sum(1 for request, _ in server.log if request.path == f"/p/{n}")


# --- re-extraction ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Saved pages, a WARC file to re-extract, and inputs that fail."""
    folder = tmp_path_factory.mktemp("inputs")
    stored = folder / "stored.warc.gz"
    archiver.reprocess([ROOT / "fixtures" / "html"], stored)
    (folder / "empty.txt").write_bytes(b"")
    # A crawler's log beside the pages: not a page, skipped.
    crawl = folder / "crawl.warc.gz"
    with open(crawl, "wb") as file:
        writer = WARCWriter(file, gzip=True, warc_version="WARC/1.1")
        log = b"fetched 2 pages\n"
        writer.write_record(
            writer.create_warc_record(
                "metadata://crawler/crawl.log",
                "resource",
                payload=io.BytesIO(log),
                length=len(log),
                warc_content_type="text/plain",
            )
        )
    return [
        ROOT / "seeds",
        ROOT / "fixtures" / "html",
        stored,
        crawl,
        folder / "empty.txt",
        folder / "gone.html",
    ]


def test_reprocess_on_a_cluster_gives_what_a_local_run_gives(
    client: Any, inputs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("archiver.runs.parts._FILES_PER_TASK", 4)  # several groups of pages
    local = archiver.reprocess(inputs, tmp_path / "local.warc.gz")
    called: list[str] = []

    on_cluster = archiver.reprocess(
        inputs,
        tmp_path / "out" / "new.warc.gz",
        client=client,
        on_result=lambda path, result: called.append(str(path)),
    )

    assert [article.to_dict() for article in on_cluster] == [article.to_dict() for article in local]
    assert on_cluster.failures == local.failures and len(on_cluster.failures) == 2
    assert on_cluster.skipped == local.skipped
    assert [str(record) for record in local.skipped] == ["crawl.log (text/plain)"]
    assert len(called) == len(local) + 2
    assert on_cluster.warc is None and local.warcs == (tmp_path / "local.warc.gz",)
    names = [warc.name for warc in on_cluster.warcs]
    assert names == [f"new-{number:05d}.warc.gz" for number in range(len(names))]
    assert len(names) > 3
    assert sorted(tmp_path.joinpath("out").iterdir()) == sorted(on_cluster.warcs)
    read_back = [article for warc in on_cluster.warcs for article in archiver.read(warc)]
    assert len(read_back) == len(local)
    for warc in on_cluster.warcs:
        warcio_check(warc)


def test_reprocess_refuses_a_part_that_is_an_input(
    client: Any, inputs: list[Path], tmp_path: Path
) -> None:
    part = tmp_path / "new-00000.warc.gz"
    part.write_bytes(inputs[2].read_bytes())
    with pytest.raises(archiver.WarcError, match="is also an input"):
        archiver.reprocess([part], tmp_path / "new.warc.gz", client=client)


def test_the_reprocess_command_on_dask(client: Any, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "archiver", "reprocess", str(ROOT / "seeds")),
            *("-o", str(tmp_path / "seeds.warc.gz"), "--dask", client.scheduler.address),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1 + 5  # the header and a row per seed
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("archived 5 of 5 inputs")
    assert summary.endswith(f"in {tmp_path / 'seeds-00000.warc.gz'}")
