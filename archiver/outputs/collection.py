"""Packaging WARC files as one WACZ 1.1.1 collection, made by the ``wacz`` package.

A WACZ is a zip holding the WARC files (``archive/``), their CDXJ index
(``indexes/``), a page list (``pages/pages.jsonl``) and a ``datapackage.json`` with
every file's hash. ReplayWeb.page opens it as it is. The page list is ours, not one the
wacz package guesses: one page per capture, with its URL, capture time, the Article's
title and its clean text, and a header that declares ``hasText`` so that
ReplayWeb.page's search covers the articles' text.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import WarcError
from ..files import PathArg, check_not_input, check_not_special, path_list, safe_name
from ..warc import ArchivedArticle, read_latest, verify
from .progress import FileTally, Progress

__all__ = ["pages", "write_wacz"]

_PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Pages", "hasText": True}


def pages(entries: Iterable[ArchivedArticle]) -> Iterator[dict[str, Any]]:
    """The lines of ``pages/pages.jsonl``: the header, then one page per Article.

    A page has ``id`` (from the capture's record ID), ``url`` (the WARC-Target-URI),
    ``ts`` (the capture's date, RFC 3339 in UTC, to the millisecond), ``title`` (the
    Article's, else the URL) and ``text`` (the Article's clean text).
    """
    yield dict(_PAGES_HEADER)
    for entry in entries:
        yield {
            "id": _page_id(entry.capture_id),
            "url": entry.target_uri,
            "ts": entry.captured.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "title": entry.article.title or entry.target_uri,
            "text": entry.article.text,
        }


def _page_id(record_id: str) -> str:
    # "<urn:uuid:...>" -> the bare hex of the UUID; anything else is hashed to one.
    value = record_id.strip("<>").removeprefix("urn:uuid:")
    try:
        return uuid.UUID(value).hex
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, record_id).hex


def write_wacz(
    warcs: PathArg | Iterable[PathArg],
    output: str | os.PathLike[str],
    *,
    title: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Package the WARC files ``warcs`` as the WACZ file ``output``; returns the page count.

    The pages are the newest Article of each capture (see
    :func:`~archiver.warc.read_latest`). The WACZ is written as ``<output>.open`` and
    renamed when complete. ``title`` becomes the collection's title. Raises
    :class:`~archiver.errors.WarcError` naming the file when a WARC cannot be read, two
    WARCs share a file name (the WACZ keeps base names only), ``output`` is a device
    or a named pipe, or the WACZ cannot be made.

    Each WARC is first read through and checked as :func:`~archiver.warc.verify` does,
    refusing, by its record ID, a record that the wacz package (through warcio) would
    fail on: a body with ``Content-Encoding: br``, with brotli 1.2. A WARC whose name a
    WACZ may not hold (``My Crawl.warc.gz``) is packaged under a safe one
    (``my-crawl.warc.gz``).

    ``progress`` is called with the bytes of the files read so far and of all (each
    file three times): as each WARC file is checked, then as its pages are read, and
    for every file at once when the wacz package, which reports nothing, has copied
    and indexed them.
    """
    sources = [Path(warc) for warc in path_list(warcs)]
    if not sources:
        raise WarcError("no WARC file to package", source=str(output))
    check_not_input(output, sources, what="WACZ")
    check_not_special(Path(output), "a WACZ file")
    names: dict[str, Path] = {}
    for source in sources:
        if source.name in names and names[source.name].resolve() != source.resolve():
            raise WarcError(
                f"has the same file name as {names[source.name]}: a WACZ keeps only the names",
                source=str(source),
            )
        names[source.name] = source
    sources = list(names.values())  # a file named twice is packaged once
    tally = FileTally(sources, passes=3, progress=progress)
    for source in sources:
        records = verify(source, decodable_by_warcio=True)
        tally.file_done(source, f"checked, {records} records")
    packaged = _packaged_names(sources)
    path = Path(output)
    partial = Path(f"{path}.open")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarcError(
            f"cannot create the folder: {exc.strerror or exc}", source=str(path)
        ) from exc
    with tempfile.TemporaryDirectory(prefix="archiver-wacz-") as folder:
        page_file = Path(folder) / "pages.jsonl"  # the wacz package wants this ending
        count = -1  # the header line
        with open(page_file, "w", encoding="utf-8") as stream:
            for page in pages(tally.through(read_latest(sources), sources, "read {} pages")):
                stream.write(json.dumps(page, ensure_ascii=False) + "\n")
                count += 1
        # Every path absolute and every value joined to its option, so that no file
        # name or title (say "-ovictim.warc.gz") can pass for an option of wacz create.
        command = [sys.executable, "-m", "wacz", "create", f"--output={_absolute(partial)}"]
        command += [f"--pages={_absolute(page_file)}", "--copy-pages"]  # ours, as they are
        if title:
            command += [f"--title={title}"]
        command += [_packaged(source, packaged[source], Path(folder)) for source in sources]
        try:
            # A subprocess: the wacz package prints its progress to stdout, and changes
            # module-level state of cdxj-indexer when imported. It runs in the temporary
            # folder, so that nothing it might write by a relative name lands elsewhere.
            result = subprocess.run(
                command, capture_output=True, text=True, check=False, cwd=folder
            )
        except OSError as exc:
            raise WarcError(f"cannot run the wacz package: {exc}", source=str(path)) from exc
    if result.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        output_lines = (result.stderr or result.stdout).strip().splitlines()
        cause = output_lines[-1] if output_lines else f"exit status {result.returncode}"
        cause = cause if len(cause) <= 200 else cause[:200] + "…"  # it may echo a file
        raise WarcError(f"cannot make the WACZ file: {cause}", source=str(path))
    for source in sources:
        tally.file_done(source, f"packaged as archive/{packaged[source]}")
    try:
        if title:
            _add_metadata_title(partial, title)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise WarcError(f"cannot write the file: {exc.strerror or exc}", source=str(path)) from exc
    return count


def _packaged_names(sources: list[Path]) -> dict[Path, str]:
    """The name each WARC file gets in the WACZ: its own, made safe (see
    :func:`~archiver.files.safe_name`), with ``-2``, ``-3``... when two become one."""
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for source in sources:
        name = safe_name(source.name)
        stem, dot, extension = name.partition(".")
        number = 1
        while name in taken:
            number += 1
            name = f"{stem}-{number}{dot}{extension}"
        taken.add(name)
        names[source] = name
    return names


def _packaged(source: Path, name: str, folder: Path) -> str:
    """The path to give the wacz package for ``source``: a link named ``name`` when
    ``source`` has another name (the package keeps the names it is given)."""
    if source.name == name:
        return _absolute(source)
    link = folder / "warcs" / name
    link.parent.mkdir(exist_ok=True)
    try:
        link.symlink_to(_absolute(source))
    except OSError as exc:
        message = f"cannot link it as {name}: {exc.strerror or exc}"
        raise WarcError(message, source=str(source)) from exc
    return str(link)


def _absolute(path: Path) -> str:
    """``path`` made absolute (not resolved: a symbolic link is kept as named)."""
    return os.path.abspath(path)


def _add_metadata_title(wacz: Path, title: str) -> None:
    """Add ``metadata.title`` to the WACZ's datapackage.json, and its digest.

    The wacz package writes the title where WACZ 1.1.1 puts it (``title``);
    ReplayWeb.page shows ``metadata.title``. So both are written, and
    ``datapackage-digest.json`` is updated to the new datapackage.json.
    """
    rewritten = wacz.with_name(wacz.name + ".title")
    with zipfile.ZipFile(wacz) as source, zipfile.ZipFile(rewritten, "w") as target:
        package = json.loads(source.read("datapackage.json"))
        package.setdefault("metadata", {})["title"] = title
        package_bytes = json.dumps(package, indent=2).encode("utf-8")
        digest = json.loads(source.read("datapackage-digest.json"))
        digest["hash"] = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        for info in source.infolist():
            if info.filename == "datapackage.json":
                target.writestr(info, package_bytes)
            elif info.filename == "datapackage-digest.json":
                target.writestr(info, json.dumps(digest, indent=2).encode("utf-8"))
            else:
                # Copied as stored: a WARC stays uncompressed, so readers can seek in it.
                with source.open(info) as data, target.open(info, "w") as out:
                    shutil.copyfileobj(data, out, 1 << 20)
    os.replace(rewritten, wacz)
