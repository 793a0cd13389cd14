"""The extraction workers of a bulk run on this machine: processes that die with the run,
and a wall-clock budget per page.

:class:`ProcessWorkers` runs :func:`~archiver.runs.single.extract_page` in worker
processes, one page at a time each, each with its own pipe, so that one worker can be
stopped without the others:

- A page whose extraction runs past the budget (``BulkConfig.extract_timeout``) fails
  with an :class:`~archiver.errors.ExtractionError` saying so; its worker is killed and
  a new one started in its place, and the other pages go on in theirs. A worker that
  dies (a crash in a C library, the kernel's out-of-memory killer) fails its page the
  same way instead of breaking the whole pool, as it would a ``ProcessPoolExecutor``,
  which cannot stop one task either.
- A worker dies with the run, even one killed with SIGKILL: on Linux it asks the kernel
  for SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``), then checks that the
  parent is still the one that started it, in case it died before the request. The
  kernel's signal reaches a worker stuck in C code (lxml on a hostile page) that holds
  the GIL, which no thread of the worker could: hence this rather than a watchdog
  thread, which is the fallback elsewhere (it checks the parent every second and ends
  the process once the parent is gone). Besides, a worker waiting for a page ends when
  its pipe closes, as it does when the parent dies.

The first workers are forked (fast to start, modules shared) before the event loop
exists, so that no thread is alive at the fork; the replacements, started while the
run's threads are alive (name resolution), are spawned, since a fork then could copy a
lock another thread holds.

A Dask worker process cannot start processes: :class:`ThreadWorkers` extracts in
threads there, with the same budget; a thread cannot be killed, so a page past its
budget is failed and its thread left to end on its own (see :mod:`archiver.runs.partition`).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from ..article import Article
from ..errors import ArchiverError, ExtractionError
from . import single
from .config import BulkConfig

__all__ = ["ProcessWorkers", "ThreadWorkers", "Workers", "started_workers"]

log = logging.getLogger(__name__)

#: Seconds a new worker may take to be ready (spawned: to import the package).
_START_TIMEOUT = 120.0
#: prctl(2)'s option to be sent a signal when the parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
#: How often the portable fallback checks that the parent is alive, in seconds.
_WATCH_INTERVAL = 1.0

#: A page for a worker: its decoded body, requested URL, final URL and content type.
_Job = tuple[bytes, str, str, "str | None"]


class Workers(Protocol):
    """Where a run extracts its pages."""

    async def extract(
        self, content: bytes, url: str, final_url: str, content_type: str | None
    ) -> Article:
        """The Article of a fetched page (see :func:`~archiver.runs.single.extract_page`);
        raises :class:`~archiver.errors.ArchiverError` when there is none, or when it
        took longer than the budget."""
        ...


def _over_budget(url: str, budget: float) -> ExtractionError:
    return ExtractionError(
        f"extraction took longer than {budget:g} s (the per-page budget): stopped", source=url
    )


# --- processes --------------------------------------------------------------------------


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn

    def stop(self) -> None:
        """Kill the process (whatever it is doing) and reap it."""
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)

    def how_it_ended(self) -> str:
        self.process.join(1)
        code = self.process.exitcode
        if code is None:
            return "its pipe closed"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"


class ProcessWorkers:
    """``count`` worker processes, each page held to ``budget`` seconds (see the module
    docstring). :meth:`start` them before the event loop runs; :meth:`close` at the end."""

    def __init__(self, count: int, budget: float) -> None:
        if count < 1:
            raise ValueError(f"at least one worker, not {count}")
        self._count = count
        self._budget = budget
        #: Workers free for a page; None is a slot whose process is to be started.
        self._idle: list[_Worker | None] = []
        self._busy: set[_Worker] = set()
        self._slots: asyncio.Semaphore | None = None
        #: How many workers were started in place of others.
        self.replaced = 0

    def start(self) -> None:
        """Start every worker and wait until each is ready; raises OSError when it cannot."""
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        try:
            for _ in range(self._count):
                self._idle.append(self._launch(method))
            deadline = time.monotonic() + _START_TIMEOUT
            for worker in self._idle:
                assert worker is not None  # all launched just now
                if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise OSError("an extraction process did not start")
                worker.conn.recv()  # the "ready" message
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop every worker, busy or not."""
        for worker in [*self._idle, *self._busy]:
            if worker is not None:
                worker.stop()
        self._idle = [None] * self._count
        self._busy.clear()

    async def extract(
        self, content: bytes, url: str, final_url: str, content_type: str | None
    ) -> Article:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._count)
        async with self._slots:
            worker = self._idle.pop()
            if worker is None:
                try:
                    worker = await self._replacement()
                except OSError as exc:
                    self._idle.append(None)
                    raise ExtractionError(
                        f"cannot start an extraction process ({exc})", source=url
                    ) from exc
                except BaseException:
                    self._idle.append(None)
                    raise
            self._busy.add(worker)
            try:
                article = await self._call(worker, (content, url, final_url, content_type))
            except BaseException:
                # Past its budget, dead, or the run is stopping while it works: the
                # process is in an unknown state and is replaced.
                self._busy.discard(worker)
                worker.stop()
                self._idle.append(None)
                raise
            self._busy.discard(worker)
            self._idle.append(worker)
            return article

    async def _call(self, worker: _Worker, job: _Job) -> Article:
        url = job[1]
        try:
            worker.conn.send(job)
            if not await _readable(worker.conn, self._budget):
                log.warning("%s: extraction stopped after %g s", url, self._budget)
                raise _over_budget(url, self._budget)
            status, value = worker.conn.recv()
        except (EOFError, OSError) as exc:
            raise ExtractionError(
                f"the extraction process died ({worker.how_it_ended()})", source=url
            ) from exc
        if status == "error":
            assert isinstance(value, ArchiverError)
            raise value
        assert isinstance(value, Article)
        return value

    async def _replacement(self) -> _Worker:
        """A new worker in a slot whose process was stopped, once it is ready."""
        worker = self._launch("spawn")
        try:
            ready = await _readable(worker.conn, _START_TIMEOUT)
            if ready:
                worker.conn.recv()
        except (EOFError, OSError) as exc:
            worker.stop()
            raise OSError(f"it ended as it started: {worker.how_it_ended()}") from exc
        except BaseException:
            worker.stop()
            raise
        if not ready:
            worker.stop()
            raise OSError(f"not ready after {_START_TIMEOUT:g} s")
        self.replaced += 1
        log.info("a new extraction process started (%d so far)", self.replaced)
        return worker

    def _launch(self, method: str) -> _Worker:
        context = (
            multiprocessing.get_context("fork")
            if method == "fork"
            else multiprocessing.get_context("spawn")
        )
        ours, theirs = context.Pipe()
        # A forked worker holds a copy of the parent's end of its own pipe and of each
        # earlier worker's, which would hide the parent's death from it, and that
        # worker's death from the parent (no end of file): it closes them first.
        inherited = (
            [ours, *(w.conn for w in [*self._idle, *self._busy] if w is not None)]
            if method == "fork"
            else []
        )
        process = context.Process(
            target=_serve,
            args=(theirs, os.getpid(), inherited),
            name="archiver-extraction",
            daemon=True,
        )
        try:
            process.start()
        finally:
            theirs.close()
        return _Worker(process, ours)


async def _readable(conn: Connection, timeout: float) -> bool:
    """Wait until ``conn`` has something to read (or is closed); False after ``timeout``."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fd = conn.fileno()
    try:
        loop.add_reader(fd, wake)
    except NotImplementedError:  # Windows' proactor loop: wait in a thread instead
        return await loop.run_in_executor(None, conn.poll, timeout)
    try:
        await asyncio.wait_for(ready, timeout)
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
    return True


def _serve(conn: Connection, parent: int, inherited: list[Connection]) -> None:
    """A worker process: extract each page the pipe brings, until it closes."""
    _die_with(parent)
    # Ctrl-C reaches the whole process group: the parent handles it, and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in inherited:
        other.close()
    conn.send(("ready", None))
    while True:
        try:
            content, url, final_url, content_type = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed the pipe, or is gone
        reply: tuple[str, Any]
        try:
            reply = ("ok", _extract(content, url, final_url, content_type))
        except ArchiverError as exc:
            reply = ("error", exc)
        try:
            conn.send(reply)
        except OSError:
            return  # the parent is gone
        except Exception as exc:  # the Article would not pickle: report it, not hang
            error = ExtractionError(f"cannot send the article back ({exc})", source=url)
            conn.send(("error", error))


def _extract(content: bytes, url: str, final_url: str, content_type: str | None) -> Article:
    """:func:`~archiver.runs.single.extract_page`, raising ArchiverError only."""
    try:
        return single.extract_page(content, url=url, final_url=final_url, content_type=content_type)
    except ArchiverError:
        raise
    except Exception as exc:  # extract() raises ArchiverError only; a worker must not die
        raise ExtractionError(f"{type(exc).__name__}: {exc}", source=url) from exc


def _die_with(parent: int) -> None:
    """End this process when the process ``parent`` that started it dies."""
    if sys.platform.startswith("linux") and _ask_for_sigkill_at_parent_death():
        # The parent may have died before the request took effect: then the process
        # already has another parent, and no signal is coming.
        if os.getppid() != parent:
            os._exit(1)
        return
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="archiver-watch", daemon=True).start()


def _ask_for_sigkill_at_parent_death() -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    """The portable fallback: end the process once ``parent`` is no longer its parent."""
    while True:
        time.sleep(_WATCH_INTERVAL)
        if os.getppid() != parent:
            os._exit(1)


# --- threads ----------------------------------------------------------------------------


class ThreadWorkers:
    """Extraction in up to ``count`` threads, each page held to ``budget`` seconds.

    For a process that may not start processes (a Dask worker). A page past its budget
    is failed, and its slot given to the next page; its thread, which nothing can stop,
    runs on (a daemon: it does not keep the process alive) and ends on its own.
    """

    def __init__(self, count: int, budget: float) -> None:
        self._count = count
        self._budget = budget
        self._slots: asyncio.Semaphore | None = None

    async def extract(
        self, content: bytes, url: str, final_url: str, content_type: str | None
    ) -> Article:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._count)
        loop = asyncio.get_running_loop()
        async with self._slots:
            done: asyncio.Future[Article] = loop.create_future()

            def settle(outcome: Callable[[], None]) -> None:
                if not done.done():
                    outcome()

            def work() -> None:
                outcome: Callable[[], None]
                try:
                    article = _extract(content, url, final_url, content_type)
                except ArchiverError as exc:
                    error = exc
                    outcome = lambda: done.set_exception(error)  # noqa: E731
                else:
                    outcome = lambda: done.set_result(article)  # noqa: E731
                try:
                    loop.call_soon_threadsafe(settle, outcome)
                except RuntimeError:
                    pass  # abandoned past its budget, and the run is over

            threading.Thread(target=work, name="archiver-extraction", daemon=True).start()
            try:
                return await asyncio.wait_for(done, self._budget)
            except TimeoutError:
                log.warning("%s: extraction abandoned after %g s", url, self._budget)
                raise _over_budget(url, self._budget) from None


@contextmanager
def started_workers(config: BulkConfig) -> Iterator[Workers | None]:
    """The workers extraction runs in, started; None without extraction."""
    if not config.extract:
        yield None
        return
    count = config.workers or os.cpu_count() or 1
    if multiprocessing.current_process().daemon:
        # A daemonic process (a Dask worker, see archiver.runs.partition) may not start
        # processes: extraction runs in threads there, and the cluster's other workers
        # give the parallelism.
        yield ThreadWorkers(count, config.extract_timeout)
        return
    # Started before the event loop exists, so that no thread is alive at the fork.
    workers = ProcessWorkers(count, config.extract_timeout)
    try:
        workers.start()
    except OSError as exc:
        raise ExtractionError(f"cannot start the extraction processes ({exc})") from exc
    try:
        yield workers
    finally:
        workers.close()
