"""The full-text index of an archive folder: SQLite FTS5, a cache of the WARC files.

An archive folder (the output folder of :func:`archiver.archive_many`) gets
``search.sqlite`` beside its ledger. It holds one row per article version: the URL,
host, date, language and title, and where its metadata record is (WARC file and
offset), plus an FTS5 table of the title and text. The FTS5 table is *contentless*
(``content=''``): it keeps the index, not the text, which stays in the WARC files;
a snippet is cut from the record, read at its offset. So the index is smaller than
the text it indexes, and can always be rebuilt from the WARC files alone
(:meth:`TextIndex.rebuild`).

Text is folded before it is indexed, and queries alike (:mod:`.words`).

Which versions are indexed: the newest extraction of each capture (a re-extraction
replaces the row of the one before), and of the captures of one URL only the first
with a given title and text (a revisit with the same text adds nothing). Runs add
rows as they write (:meth:`TextIndex.add`) and mark each WARC file once it is closed
(:meth:`TextIndex.complete`); :meth:`TextIndex.sync` indexes anew every file not so
marked, or changed since, which is how an index catches up after a killed run.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..article import Article
from ..errors import InputError, StateError, WarcError
from ..files import PathArg
from ..warc import ArchivedArticle, Stored, article_at, entries
from .databases import is_damaged, sqlite_cause
from .folders import check_archive_folder, open_warc_files, warc_files
from .words import fold, match_expression, snippet, terms

__all__ = [
    "RANKED",
    "SEARCH_FILE",
    "Hit",
    "IndexCheck",
    "TextIndex",
    "asked_day",
    "search",
    "sync_index",
]

log = logging.getLogger(__name__)

#: The index's file in an archive folder.
SEARCH_FILE = "search.sqlite"
_FILES = "SELECT name, size, position FROM files"
#: A query's results are the best ranked of its newest matches, this many at most.
RANKED = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    warc TEXT NOT NULL,
    offset INTEGER NOT NULL,
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    day TEXT NOT NULL,
    language TEXT,
    title TEXT,
    capture TEXT NOT NULL,
    captured TEXT NOT NULL,
    extracted TEXT NOT NULL,
    digest TEXT NOT NULL,
    UNIQUE (warc, offset)
);
CREATE INDEX IF NOT EXISTS docs_by_capture ON docs (capture);
CREATE INDEX IF NOT EXISTS docs_by_text ON docs (url, digest);
CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, size INTEGER, position INTEGER);
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(
    title, body, content='', tokenize='unicode61 remove_diacritics 0'
);
"""


@dataclass(frozen=True, slots=True)
class Hit:
    """One article version found by :func:`search`."""

    url: str
    #: The URL's host without ``www.``, and the day of the article (published, else
    #: captured) as ``YYYY-MM-DD``.
    site: str
    day: str
    title: str | None
    language: str | None
    #: Words around the first match, the matching words in ``[brackets]``.
    snippet: str
    #: The WARC file (a name in the archive folder) and the offset of the Article's
    #: records, its conversion and metadata records (:func:`archiver.warc.article_at`).
    warc: str
    offset: int
    #: The capture's WARC-Date.
    captured: str


@dataclass(frozen=True, slots=True)
class IndexCheck:
    """How an index differs from the WARC files (:meth:`TextIndex.check`)."""

    #: Article versions in the WARC files and not in the index, and the reverse, as
    #: ``(warc, offset)`` pairs.
    missing: tuple[tuple[str, int], ...]
    extra: tuple[tuple[str, int], ...]
    indexed: int

    @property
    def ok(self) -> bool:
        return not self.missing and not self.extra


class TextIndex:
    """The full-text index of the archive folder ``folder`` (see the module docstring).

    Not shared between threads: one TextIndex per thread or process. A damaged index
    file is made anew, unless ``renew_damaged`` is false (to check it, say): then it is a
    :class:`~archiver.errors.StateError`, as any index that cannot be opened.
    """

    def __init__(
        self, folder: PathArg, *, path: PathArg | None = None, renew_damaged: bool = True
    ) -> None:
        self.folder = Path(folder)
        self.path = Path(path) if path is not None else self.folder / SEARCH_FILE
        try:
            self._db = self._open()
        except sqlite3.Error as exc:
            if not (renew_damaged and is_damaged(exc)):
                raise self._error("open the search index", exc) from exc
            # A cache of the WARC files: made anew (and filled by sync() or rebuild())
            # rather than stop every run and search of the folder, `index --text` too.
            log.warning("%s: the search index is damaged (%s): it is built anew", self.path, exc)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            try:
                self._db = self._open()
            except sqlite3.Error as again:
                raise self._error("open the search index", again) from again

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.Error:
            db.close()
            raise
        return db

    # --- writing ----------------------------------------------------------------------

    def add(self, warc: str, stored: Stored, article: Article | None) -> None:
        """Index the article a run just wrote to the WARC file named ``warc``."""
        if article is None:
            return
        with self._transaction("index an article"):
            self._add(
                warc,
                stored.offset,
                stored.target_uri,
                stored.capture_id,
                datetime.fromisoformat(stored.date).isoformat(),
                datetime.fromisoformat(stored.metadata_date).isoformat(),
                article,
            )
            self._record_file(warc, None, stored.offset)

    def complete(self, warc: Path) -> None:
        """Record that every article of the closed WARC file ``warc`` is indexed."""
        with self._transaction("record an indexed file"):
            self._record_file(warc.name, warc.stat().st_size, None)

    def sync(self) -> int:
        """Index each WARC file of the folder that is not recorded complete at its present
        size, from the last article indexed in it (a file a killed run left, salvaged),
        else whole; returns how many files were. When a file indexed before is gone
        (removed or moved away), the index is built anew."""
        known = {name: (size, position) for name, size, position in self._rows(_FILES)}
        present = warc_files(self.folder)
        # A file a run is writing is there as <name>.open, indexed by that run as it
        # writes (or, killed, salvaged and indexed on from its position by the next):
        # not gone. Rebuilding for it dropped the run's rows of it for good, and held
        # the index long enough to stop the run with "database is locked".
        gone = {
            name
            for name in known.keys() - {warc.name for warc in present}
            if not (self.folder / f"{name}.open").is_file()
        }
        if gone:
            # Its rows go, and those of the captures it re-extracted must come back from
            # the files before it: only indexing anew restores both.
            log.info("%d indexed WARC files are gone (%s): indexing anew", len(gone), min(gone))
            self.rebuild()
            return len(present)
        count = 0
        for warc in present:
            size, position = known.get(warc.name, (None, None))
            if size != warc.stat().st_size:
                self.index_file(warc, after=position)
                count += 1
        return count

    def rebuild(self) -> int:
        """Index every WARC file of the folder from nothing; returns the versions indexed.

        A file a run is writing (``<name>.open``) is indexed too, under its final name,
        as far as its last whole article, and recorded not complete: the run's next
        articles go on from there, and its :meth:`complete` finishes it. Indexing only
        the closed files dropped the rows that run had indexed of its file for good."""
        with self._transaction("empty the search index"):
            self._db.execute("DELETE FROM docs")
            self._db.execute("DELETE FROM files")
            self._db.execute("DROP TABLE words")
        self._db.executescript(_SCHEMA)
        # Listed after emptying: a file a run starts later has all its rows added since.
        names = {warc.name for warc in warc_files(self.folder)}
        names |= {path.name.removesuffix(".open") for path in open_warc_files(self.folder)}
        for name in sorted(names):
            closed = self.folder / name
            if not closed.is_file() and self._index_open(name):
                continue
            if closed.is_file():  # else closed, then moved away, since it was listed
                self.index_file(closed)
        self._db.execute("VACUUM")
        return int(self._rows("SELECT COUNT(*) FROM docs")[0][0])

    def index_file(self, warc: Path, *, after: int | None = None) -> None:
        """Index the WARC file ``warc``, in one transaction: whole and anew, or its
        articles after the one at offset ``after`` (indexed already).

        When no record starts at ``after`` (the file is not the one indexed), the file
        is indexed whole."""
        log.info("%s: indexing its text%s", warc, "" if after is None else f" after {after}")
        with self._transaction("index a WARC file"):
            if after is not None:
                try:
                    for entry in entries(warc, start=after):
                        if entry.offset > after:
                            self._add_entry(warc.name, entry)
                except WarcError as exc:
                    log.info("%s: indexed whole (%s)", warc, exc.message)
                    after = None
            if after is None:
                self._db.execute("DELETE FROM docs WHERE warc = ?", (warc.name,))
                for entry in entries(warc):
                    self._add_entry(warc.name, entry)
            self._record_file(warc.name, warc.stat().st_size, None)

    def _index_open(self, name: str) -> bool:
        """Index the whole articles of ``<name>.open``, a file a run is writing, under
        ``name``, in one transaction, and record the last one's offset (the file not
        complete); False when the file is gone (closed, most likely) and nothing was.

        Its last record may be cut short (being written): what comes before it is read.
        The run's :meth:`add` of an article indexed here leaves it as it is, and one
        it writes later is indexed by that call, which waits for this transaction."""
        path = self.folder / f"{name}.open"
        log.info("%s: indexing its text (a run is writing it)", path)
        last = None
        with self._transaction("index a WARC file"):
            self._db.execute("DELETE FROM docs WHERE warc = ?", (name,))
            try:
                for entry in entries(path):
                    self._add_entry(name, entry)
                    last = entry.offset
            except WarcError as exc:
                if last is None and not path.exists():
                    return False
                log.info("%s: indexed as far as its last whole article (%s)", path, exc.message)
            if last is not None:
                self._record_file(name, None, last)
        return True

    def check(self) -> IndexCheck:
        """Compare the index with one built anew from the WARC files (in memory)."""
        fresh = TextIndex(self.folder, path=":memory:")
        try:
            for warc in warc_files(self.folder):
                fresh.index_file(warc)
            expected = set(fresh._rows("SELECT warc, offset FROM docs"))
        finally:
            fresh.close()
        found = set(self._rows("SELECT warc, offset FROM docs"))
        return IndexCheck(
            missing=tuple(sorted(expected - found)),
            extra=tuple(sorted(found - expected)),
            indexed=len(found),
        )

    def close(self) -> None:
        self._db.close()

    # --- reading ----------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        site: str | None = None,
        since: str | None = None,
        until: str | None = None,
        language: str | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        """The article versions matching ``query`` (see :func:`search`)."""
        expression = match_expression(query)
        # Ranked among the newest RANKED matches: bm25 over every match of a common word
        # (30,000 of 100,000 articles) takes longer than a query should; FTS5 walks the
        # matches newest first (by rowid) and stops there.
        sql = [
            "SELECT d.url, d.host, d.day, d.title, d.language, d.warc, d.offset, d.captured,"
            " words.rank AS score FROM words JOIN docs d ON d.id = words.rowid"
            " WHERE words MATCH ?"
        ]
        values: list[str | int] = [expression]
        if site:
            bare = _bare_host(site)
            sql.append("AND (d.host = ? OR d.host LIKE ?)")
            values += [bare, f"%.{bare}"]
        if since:
            sql.append("AND d.day >= ?")
            values.append(since)
        if until:
            sql.append("AND d.day <= ?")
            values.append(until)
        if language:
            sql.append("AND d.language = ?")
            values.append(language)
        sql.append("ORDER BY words.rowid DESC LIMIT ?")
        values.append(RANKED)
        ranked = f"SELECT * FROM ({' '.join(sql)}) ORDER BY score LIMIT ?"
        rows = [row[:-1] for row in self._rows(ranked, [*values, limit])]
        wanted = terms(expression)
        return [
            Hit(
                url=url,
                site=host,
                day=day,
                title=title,
                language=lang,
                snippet=self._snippet(warc, offset, wanted),
                warc=warc,
                offset=offset,
                captured=captured,
            )
            for url, host, day, title, lang, warc, offset, captured in rows
        ]

    def _snippet(self, warc: str, offset: int, wanted: list[tuple[str, bool]]) -> str:
        path = self.folder / warc
        if not path.exists() and Path(f"{path}.open").is_file():
            path = Path(f"{path}.open")  # a run is writing it: its records so far are whole
        entry = article_at(path, offset)
        if entry is None:
            return ""
        return snippet(entry.article.text, wanted)

    # --- inside -----------------------------------------------------------------------

    def _add_entry(self, warc: str, entry: ArchivedArticle) -> None:
        self._add(
            warc,
            entry.offset,
            entry.target_uri,
            entry.capture_id,
            entry.captured.isoformat(),
            entry.extracted.isoformat(),
            entry.article,
        )

    def _add(
        self,
        warc: str,
        offset: int,
        url: str,
        capture: str,
        captured: str,
        extracted: str,
        article: Article,
    ) -> None:
        title, body = fold(article.title or ""), fold(article.text)
        digest = hashlib.sha256(f"{title}\0{body}".encode()).hexdigest()
        earlier = self._db.execute(
            "SELECT id, extracted, warc, offset FROM docs WHERE capture = ?", (capture,)
        ).fetchone()
        if earlier is not None:
            if (earlier[2], earlier[3]) == (warc, offset):
                # These very records are indexed: a run's add() of an article that an
                # index built anew meanwhile read from the file the run is writing.
                return
            if earlier[1] > extracted:
                return  # a newer extraction of this capture is indexed
            self._db.execute("DELETE FROM docs WHERE id = ?", (earlier[0],))
        same = self._db.execute(
            "SELECT 1 FROM docs WHERE url = ? AND digest = ?", (url, digest)
        ).fetchone()
        if same is not None:
            return  # this URL's text and title are indexed already
        row = self._db.execute(
            "INSERT OR REPLACE INTO docs (warc, offset, url, host, day, language, title, capture,"
            " captured, extracted, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                warc,
                offset,
                url,
                _bare_host(urllib.parse.urlsplit(url).hostname or ""),
                _day(article.published, captured),
                article.language,
                article.title,
                capture,
                captured,
                extracted,
                digest,
            ),
        ).lastrowid
        # Rows of the FTS table whose docs row is gone stay (a contentless table cannot
        # delete without the text): the join drops them, and a rebuild removes them.
        self._db.execute(
            "INSERT INTO words (rowid, title, body) VALUES (?, ?, ?)", (row, title, body)
        )

    def _record_file(self, name: str, size: int | None, position: int | None) -> None:
        """Record the size of a file indexed whole, or the last article indexed in it."""
        self._db.execute(
            "INSERT INTO files (name, size, position) VALUES (?, ?, ?) ON CONFLICT (name)"
            " DO UPDATE SET size = excluded.size,"
            " position = coalesce(excluded.position, files.position)",
            (name, size, position),
        )

    def _rows(
        self, sql: str, values: list[str | int] | tuple[str, ...] = ()
    ) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, values).fetchall()
        except sqlite3.Error as exc:
            raise self._error("read the search index", exc) from exc

    def _error(self, doing: str, exc: sqlite3.Error) -> StateError:
        return StateError(f"cannot {doing} ({sqlite_cause(exc, self.path)})", source=str(self.path))

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[None]:
        try:
            # IMMEDIATE: the write lock is taken (waiting for another process's search
            # or run to let go of it) before the first read; a deferred transaction
            # that read first fails at once with "database is locked" if another
            # connection wrote in between, without waiting.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error(doing, exc) from exc


def search(
    query: str,
    directory: PathArg,
    *,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    language: str | None = None,
    limit: int = 20,
) -> list[Hit]:
    """Search the articles archived in ``directory`` for ``query``, best matches first.

    All the words of ``query`` must be found; ``"two words"`` is a phrase and ``word*``
    a prefix; case and accents do not matter. ``site`` keeps a host and its subdomains
    (``egypttoday.com``), ``since`` and ``until`` a range of days (``YYYY-MM-DD``,
    both included), ``language`` a language code. The index is brought up to date
    with the WARC files first (:meth:`TextIndex.sync`). Raises
    :class:`~archiver.errors.InputError` when ``directory`` does not exist or holds no
    WARC file, or ``since`` or ``until`` is not a day, and
    :class:`~archiver.errors.WarcError` when a WARC file cannot be read; a ``site``
    that is no ``str`` is a TypeError.
    """
    if site is not None and not isinstance(site, str):
        raise TypeError(f"the site must be a str, not {type(site).__name__}")
    since, until = asked_day("since", since), asked_day("until", until)
    folder = Path(directory)
    if not (folder / SEARCH_FILE).exists():
        check_archive_folder(folder)
    index = TextIndex(folder)
    try:
        index.sync()
        return index.search(
            query, site=site, since=since, until=until, language=language, limit=limit
        )
    finally:
        index.close()


def asked_day(name: str, value: str | None) -> str | None:
    """``value`` as YYYY-MM-DD: days are compared as text, so that a value of another
    form (2025-13-45, 20250131, yesterday) would silently keep all or none. Raises
    :class:`~archiver.errors.InputError` naming ``value`` and the parameter ``name``."""
    if not value:
        return None
    # Not date.fromisoformat: it reads week dates too and, before Python 3.11, no YYYYMMDD.
    match = _DAY.fullmatch(value)
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"])) if match else None
    except ValueError:  # 2024-13-45
        day = None
    if day is None:
        raise InputError(f"{name}: not a day (YYYY-MM-DD)", source=repr(value))
    return day.isoformat()


_DAY = re.compile(r"(?P<year>\d{4})(-?)(?P<month>\d{2})\2(?P<day>\d{2})")


def sync_index(folder: PathArg) -> None:
    """Bring the search index of ``folder`` up to date with its WARC files, when the
    folder has one (what a run that did not index as it wrote calls at its end)."""
    if (Path(folder) / SEARCH_FILE).exists():
        index = TextIndex(folder)
        try:
            index.sync()
        finally:
            index.close()


def _bare_host(host: str) -> str:
    host = host.lower().strip(".")
    return host[4:] if host.startswith("www.") else host


def _day(published: datetime | date | None, captured: str) -> str:
    if published is not None:
        return published.isoformat()[:10]
    return captured[:10]
