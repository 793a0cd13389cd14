"""The state ledger of a bulk run: every URL of the list with its state, in SQLite.

A URL is ``pending`` until it is ``done`` (its records are in a WARC file) or ``failed``
(with the error's type and message, the attempts and the last HTTP status). The
ledger is one SQLite file in WAL mode, so that a run killed at any instant, ``kill -9``
included, leaves it consistent, and the next run resumes from it. It also holds the
payload digests already stored, for revisit records.

URLs are kept in the order of a per-host rank (a host's first URL, then every host's
second, ...), so that taking pending URLs in that order spreads the work over the
hosts. Nothing here holds the whole list in memory.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StateError
from ..warc import CaptureRef, Stored
from .databases import sqlite_cause
from .versions import NOT_MODIFIED, Version, version_kind

__all__ = [
    "DONE",
    "FAILED",
    "PENDING",
    "STATE_FILE",
    "Entry",
    "Ledger",
    "LedgerCounts",
]

log = logging.getLogger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"
#: The ledger's file in the output folder (or the state folder of a cluster run).
STATE_FILE = "state.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    rank INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    message TEXT,
    attempts INTEGER,
    status INTEGER,
    warc TEXT,
    updated REAL
);
CREATE INDEX IF NOT EXISTS urls_by_state ON urls (state, rank, id);
CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, urls INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS payloads (
    digest TEXT PRIMARY KEY, record_id TEXT NOT NULL, uri TEXT NOT NULL, date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    capture_id TEXT NOT NULL,
    target_uri TEXT NOT NULL,
    captured TEXT NOT NULL,
    digest TEXT,
    etag TEXT,
    last_modified TEXT,
    warc TEXT NOT NULL,
    metadata_id TEXT NOT NULL UNIQUE,
    recorded REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_url ON versions (url, id);
"""

_VERSION_COLUMNS = (
    "(url, kind, capture_id, target_uri, captured, digest, etag, last_modified, warc,"
    " metadata_id, recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_VERSIONS = (
    "SELECT url, kind, capture_id, target_uri, captured, digest, etag, last_modified, warc,"
    " metadata_id FROM versions"
)
#: Rows written per transaction while reading the URL list.
_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Entry:
    """One URL of the ledger, as the scheduler sees it."""

    id: int
    url: str
    host: str
    rank: int


@dataclass(frozen=True, slots=True)
class LedgerCounts:
    """How many URLs are in each state."""

    pending: int
    done: int
    failed: int

    @property
    def total(self) -> int:
        return self.pending + self.done + self.failed


class Ledger:
    """The SQLite state file of a bulk run (see the module docstring).

    Not shared between threads: one Ledger per thread or process.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        #: Why the ledger refuses writes, once one failed.
        self._failure: str | None = None
        self._in_transaction = False
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; only a power cut may lose
            # the last commits, which the next run then redoes.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            cause = sqlite_cause(exc, self.path)
            raise StateError(f"cannot open the state ledger ({cause})", source=str(path)) from exc
        self._db = db

    # --- the URL list -----------------------------------------------------------------

    def add(self, urls: Iterable[tuple[str, str]]) -> int:
        """Add ``(url, host)`` pairs as pending, skipping URLs already in; returns how many
        were new."""
        added = 0
        batch: list[tuple[str, str]] = []
        for pair in urls:
            batch.append(pair)
            if len(batch) >= _BATCH:
                added += self._add_batch(batch)
                batch = []
        if batch:
            added += self._add_batch(batch)
        return added

    def _add_batch(self, batch: list[tuple[str, str]]) -> int:
        with self._transaction("record the URL list"):
            hosts = {host for _, host in batch}
            ranks = dict(
                self._db.execute(
                    f"SELECT host, urls FROM hosts WHERE host IN ({','.join('?' * len(hosts))})",
                    list(hosts),
                ).fetchall()
            )
            added = 0
            for url, host in batch:
                rank = ranks.get(host, 0)
                inserted = self._db.execute(
                    "INSERT OR IGNORE INTO urls (url, host, rank) VALUES (?, ?, ?)",
                    (url, host, rank),
                ).rowcount
                if inserted:
                    ranks[host] = rank + 1
                    added += 1
            self._db.executemany(
                "INSERT INTO hosts (host, urls) VALUES (?, ?)"
                " ON CONFLICT (host) DO UPDATE SET urls = excluded.urls",
                ranks.items(),
            )
        return added

    def add_failed(self, url: str, error: str, message: str) -> None:
        """Add a line of the list that is not a URL to fetch, as failed."""
        with self._transaction("record the URL list"):
            self._db.execute(
                "INSERT OR IGNORE INTO urls (url, host, rank, state, error, message, attempts,"
                " updated) VALUES (?, '', 0, 'failed', ?, ?, 0, ?)",
                (url, error, message, time.time()),
            )

    def pending(self, batch: int = 1000, *, after: tuple[int, int] = (-1, -1)) -> Iterator[Entry]:
        """Stream the pending URLs in (rank, id) order, ``batch`` rows per query."""
        while True:
            with self._reading():
                rows = self._db.execute(
                    "SELECT id, url, host, rank FROM urls WHERE state = 'pending'"
                    " AND (rank, id) > (?, ?) ORDER BY rank, id LIMIT ?",
                    (*after, batch),
                ).fetchall()
            if not rows:
                return
            for row_id, url, host, rank in rows:
                yield Entry(row_id, url, host, rank)
            after = (rows[-1][3], rows[-1][0])

    def retry_failed(self) -> int:
        """Set every failed URL pending again (those that are URLs); returns how many."""
        with self._transaction("set the failed URLs pending"):
            return self._db.execute(
                "UPDATE urls SET state = 'pending' WHERE state = 'failed' AND host != ''"
            ).rowcount

    def retryable(self) -> int:
        """How many failed URLs :meth:`retry_failed` would set pending."""
        with self._reading():
            row = self._db.execute(
                "SELECT COUNT(*) FROM urls WHERE state = 'failed' AND host != ''"
            ).fetchone()
        return int(row[0])

    # --- outcomes ---------------------------------------------------------------------

    def finish(
        self,
        url: str,
        state: str,
        *,
        warc: str | None = None,
        error: str | None = None,
        message: str | None = None,
        attempts: int | None = None,
        status: int | None = None,
    ) -> str:
        """Record the outcome of ``url``; returns the state recorded. Committed with the
        next :meth:`commit`.

        A URL archived before (a revisit) whose fetch fails now stays ``done``, with the
        file of its latest capture, and the failure's cause: the archive still holds it,
        so it is no failure of the failure report, nor one that ``--retry-failed``
        fetches again; the next revisit tries it again.
        """
        with self._writing("record an outcome"):
            if state == FAILED:
                kept = self._db.execute(
                    "SELECT warc FROM urls WHERE url = ? AND EXISTS (SELECT 1 FROM versions"
                    " WHERE versions.url = urls.url AND versions.warc = urls.warc)",
                    (url,),
                ).fetchone()
                if kept is not None:
                    state, warc = DONE, kept[0]
            self._db.execute(
                "UPDATE urls SET state = ?, warc = ?, error = ?, message = ?, attempts = ?,"
                " status = ?, updated = ? WHERE url = ?",
                (state, warc, error, message, attempts, status, time.time(), url),
            )
        return state

    def requeue(self, warc: str) -> int:
        """Set pending again every URL recorded in the WARC file ``warc`` (which is lost);
        returns how many. Committed with the next :meth:`commit`."""
        with self._writing("set the pages of a lost file pending"):
            # Its captures are versions no more; a URL archived before keeps the file of
            # its earlier capture, which stays its latest should it fail now (:meth:`finish`).
            self._db.execute("DELETE FROM versions WHERE warc = ?", (warc,))
            return self._db.execute(
                "UPDATE urls SET state = 'pending', error = NULL, message = NULL, warc ="
                " (SELECT warc FROM versions WHERE versions.url = urls.url ORDER BY id DESC)"
                " WHERE warc = ?",
                (warc,),
            ).rowcount

    def commit(self) -> None:
        """Commit what was recorded since the last commit; raises StateError when it cannot.

        After a failed commit nothing recorded since the one before is in the ledger,
        and every later write raises (see the module docstring).
        """
        if self._in_transaction:
            with self._writing("commit"):
                self._db.execute("COMMIT")
                self._in_transaction = False

    @property
    def failure(self) -> str | None:
        """Why the ledger refuses writes (a write failed), or None."""
        return self._failure

    def counts(self) -> LedgerCounts:
        with self._reading():
            found = dict(self._db.execute("SELECT state, COUNT(*) FROM urls GROUP BY state"))
        return LedgerCounts(
            pending=found.get(PENDING, 0), done=found.get(DONE, 0), failed=found.get(FAILED, 0)
        )

    def failures(self) -> Iterator[dict[str, Any]]:
        """The failed URLs in list order, as rows of the failure report."""
        with self._reading():
            for url, error, message, attempts, status in self._db.execute(
                "SELECT url, error, message, attempts, status FROM urls"
                " WHERE state = 'failed' ORDER BY id"
            ):
                yield {
                    "url": url,
                    "error": error,
                    "message": message,
                    "attempts": attempts,
                    "last_status": status,
                }

    def failed_refetches(self, since: float) -> int:
        """How many URLs archived before failed to be fetched again at or after
        ``since`` (a time), their earlier captures kept (see :meth:`finish`)."""
        with self._reading():
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM urls WHERE state = 'done' AND error IS NOT NULL"
                    " AND updated >= ?",
                    (since,),
                ).fetchone()[0]
            )

    def failure_causes(self, limit: int) -> list[tuple[str | None, int | None, int]]:
        """The ``limit`` most frequent causes of failure: (error, HTTP status, count), most
        frequent first; the status only when it is not a success (a page that came with
        200 and yielded no article failed for what it held, not for its status)."""
        with self._reading():
            return list(
                self._db.execute(
                    "SELECT error, CASE WHEN status BETWEEN 200 AND 299 THEN NULL"
                    " ELSE status END AS code, COUNT(*) AS n FROM urls"
                    " WHERE state = 'failed' GROUP BY error, code"
                    " ORDER BY n DESC, error, code LIMIT ?",
                    (limit,),
                )
            )

    def outcomes(self) -> Iterator[dict[str, Any]]:
        """The finished (done or failed) URLs in list order, as plain rows.

        Each row has ``url``, ``state``, ``warc``, ``error``, ``message``, ``attempts``
        and ``status``: what :meth:`finish` takes, so that another ledger can record
        them (a cluster run merges its partitions' ledgers this way).
        """
        with self._reading():
            for url, state, warc, error, message, attempts, status in self._db.execute(
                "SELECT url, state, warc, error, message, attempts, status FROM urls"
                " WHERE state != 'pending' ORDER BY id"
            ):
                yield {
                    "url": url,
                    "state": state,
                    "warc": warc,
                    "error": error,
                    "message": message,
                    "attempts": attempts,
                    "status": status,
                }

    # --- payload digests, for revisit records -----------------------------------------

    def first_capture(self, digest: str, capture: CaptureRef) -> CaptureRef:
        """See :class:`archiver.warc.records.PayloadIndex`."""
        with self._writing("record a payload digest"):
            self._db.execute(
                "INSERT OR IGNORE INTO payloads (digest, record_id, uri, date) VALUES (?, ?, ?, ?)",
                (digest, capture.record_id, capture.target_uri, capture.date),
            )
            record_id, uri, date = self._db.execute(
                "SELECT record_id, uri, date FROM payloads WHERE digest = ?", (digest,)
            ).fetchone()
        return CaptureRef(record_id=record_id, target_uri=uri, date=date)

    # --- versions, for revisits -------------------------------------------------------

    def add_version(
        self,
        url: str,
        warc: str,
        stored: Stored,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        not_modified: bool = False,
    ) -> str:
        """Record a capture of ``url`` written to ``warc`` (once: a capture recorded
        already is skipped); returns its kind (:data:`FIRST`, ...). Committed with the
        next :meth:`commit`, so with the URL's outcome."""
        with self._writing("record a version"):
            kind = version_kind(self.latest_version(url), stored.digest, not_modified=not_modified)
            capture = CaptureRef(stored.capture_id, stored.target_uri, stored.date)
            self.record_version(
                Version(
                    url, kind, capture, stored.digest, etag, last_modified, warc, stored.metadata_id
                )
            )
        return kind

    def latest_version(self, url: str) -> Version | None:
        """The newest capture of ``url`` that holds a payload (not a 304), or None."""
        with self._reading():
            row = self._db.execute(
                f"{_SELECT_VERSIONS} WHERE url = ? AND kind != ? ORDER BY id DESC",
                (url, NOT_MODIFIED),
            ).fetchone()
        return None if row is None else _version(row)

    def versions(self, since: float = 0.0) -> Iterator[Version]:
        """The captures recorded at or after ``since`` (a time), in the order recorded:
        what :meth:`record_version` takes (a cluster run merges its partitions' this way)."""
        with self._reading():
            rows = self._db.execute(
                f"{_SELECT_VERSIONS} WHERE recorded >= ? ORDER BY id", (since,)
            ).fetchall()
            for row in rows:
                yield _version(row)

    def record_version(self, version: Version) -> None:
        """Record ``version`` as it is, its kind included (once: a capture recorded
        already is skipped); committed with the next :meth:`commit`."""
        with self._writing("record a version"):
            capture = version.capture
            values = (
                *(version.url, version.kind, capture.record_id, capture.target_uri, capture.date),
                *(version.digest, version.etag, version.last_modified, version.warc),
                *(version.metadata_id, time.time()),
            )
            self._db.execute(f"INSERT OR IGNORE INTO versions {_VERSION_COLUMNS}", values)

    def revisit(self, since: float) -> int:
        """Set pending again the archived URLs first archived at or after ``since`` (a
        time; the first version's, or the outcome's for a URL archived before versions
        were kept); returns how many. Committed with the next :meth:`commit`."""
        with self._writing("set the URLs to revisit pending"):
            return self._db.execute(
                "UPDATE urls SET state = 'pending' WHERE state = 'done' AND host != '' AND"
                " COALESCE((SELECT MIN(recorded) FROM versions WHERE versions.url = urls.url),"
                " updated) >= ?",
                (since,),
            ).rowcount

    # --- run settings -----------------------------------------------------------------

    def get(self, key: str) -> Any:
        """The run setting ``key``, or None."""
        with self._reading():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        """Set the run setting ``key``, committed with what was recorded before; None
        removes it."""
        with self._transaction(f"record the setting {key!r}"):
            if value is None:
                self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, json.dumps(value)),
                )

    def close(self) -> None:
        """Commit, then close; the file is closed even when the commit fails (StateError)."""
        try:
            self.commit()
        finally:
            self._db.close()

    def close_quietly(self) -> None:
        """Commit what can be, then close, while another error is being raised: a failure
        to commit is logged, not raised (the next run redoes what it held)."""
        try:
            self.close()
        except StateError as exc:
            log.warning("%s", exc)

    # --- errors -----------------------------------------------------------------------

    @contextmanager
    def _writing(self, doing: str) -> Iterator[None]:
        """Run statements of the current transaction (begun when none is); a failure
        rolls it back and is raised as a StateError, as is any write after one."""
        if self._failure is not None:
            raise StateError(f"cannot {doing}: {self._failure}", source=str(self.path))
        try:
            if not self._in_transaction:
                self._db.execute("BEGIN")
                self._in_transaction = True
            yield
        except sqlite3.Error as exc:
            raise self._failed(doing, exc) from exc
        except BaseException as exc:  # interrupted: whether the statement ran is unknown
            self._failed(doing, exc)
            raise

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            cause = sqlite_cause(exc, self.path)
            raise StateError(
                f"cannot read the state ledger ({cause})", source=str(self.path)
            ) from exc

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[None]:
        """A transaction of its own, committed with what was recorded before it."""
        with self._writing(doing):
            yield
        self.commit()

    def _failed(self, doing: str, exc: BaseException) -> StateError:
        # SQLite rolls the transaction back itself after some errors (SQLITE_FULL among
        # them) and not after others: either way, what it held is gone now.
        cause = sqlite_cause(exc, self.path)
        self._failure = f"a write failed ({cause})"
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the failure that matters is being reported
        self._in_transaction = False
        return StateError(f"cannot {doing} ({cause})", source=str(self.path))


def _version(row: tuple[Any, ...]) -> Version:
    return Version(row[0], row[1], CaptureRef(*row[2:5]), *row[5:])
