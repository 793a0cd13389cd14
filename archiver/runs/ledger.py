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
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StateError
from ..warc import CaptureRef

__all__ = ["DONE", "FAILED", "PENDING", "Entry", "Ledger", "LedgerCounts"]

PENDING, DONE, FAILED = "pending", "done", "failed"

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
"""

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
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; only a power cut may lose
            # the last commits, which the next run then redoes.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StateError(f"cannot open the state ledger ({exc})", source=str(path)) from exc
        self._in_transaction = False

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
        with self._transaction():
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
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO urls (url, host, rank, state, error, message, attempts,"
                " updated) VALUES (?, '', 0, 'failed', ?, ?, 0, ?)",
                (url, error, message, time.time()),
            )

    def pending(self, batch: int = 1000, *, after: tuple[int, int] = (-1, -1)) -> Iterator[Entry]:
        """Stream the pending URLs in (rank, id) order, ``batch`` rows per query."""
        while True:
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
        """Set every failed URL pending again; returns how many."""
        with self._transaction():
            return self._db.execute(
                "UPDATE urls SET state = 'pending' WHERE state = 'failed' AND host != ''"
            ).rowcount

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
    ) -> None:
        """Record the outcome of ``url``. Committed with the next :meth:`commit`."""
        self._begin()
        self._db.execute(
            "UPDATE urls SET state = ?, warc = ?, error = ?, message = ?, attempts = ?,"
            " status = ?, updated = ? WHERE url = ?",
            (state, warc, error, message, attempts, status, time.time(), url),
        )

    def commit(self) -> None:
        if self._in_transaction:
            self._db.execute("COMMIT")
            self._in_transaction = False

    def counts(self) -> LedgerCounts:
        found = dict(self._db.execute("SELECT state, COUNT(*) FROM urls GROUP BY state"))
        return LedgerCounts(
            pending=found.get(PENDING, 0), done=found.get(DONE, 0), failed=found.get(FAILED, 0)
        )

    def failures(self) -> Iterator[dict[str, Any]]:
        """The failed URLs in list order, as rows of the failure report."""
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

    def outcomes(self) -> Iterator[dict[str, Any]]:
        """The finished (done or failed) URLs in list order, as plain rows.

        Each row has ``url``, ``state``, ``warc``, ``error``, ``message``, ``attempts``
        and ``status``: what :meth:`finish` takes, so that another ledger can record
        them (a cluster run merges its partitions' ledgers this way).
        """
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
        self._begin()
        self._db.execute(
            "INSERT OR IGNORE INTO payloads (digest, record_id, uri, date) VALUES (?, ?, ?, ?)",
            (digest, capture.record_id, capture.target_uri, capture.date),
        )
        record_id, uri, date = self._db.execute(
            "SELECT record_id, uri, date FROM payloads WHERE digest = ?", (digest,)
        ).fetchone()
        return CaptureRef(record_id=record_id, target_uri=uri, date=date)

    # --- run settings -----------------------------------------------------------------

    def get(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, key: str, value: Any) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def close(self) -> None:
        self.commit()
        self._db.close()

    def _begin(self) -> None:
        if not self._in_transaction:
            self._db.execute("BEGIN")
            self._in_transaction = True

    def _transaction(self) -> _Transaction:
        return _Transaction(self)


class _Transaction:
    """A context that commits what was pending and what it did, together."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def __enter__(self) -> None:
        self._ledger._begin()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._ledger.commit()
        else:
            self._ledger._db.execute("ROLLBACK")
            self._ledger._in_transaction = False
