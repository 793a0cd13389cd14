"""The work units of a re-extraction: a saved page, or a page stored in a WARC file.

:func:`process_file` (a path) and :func:`process_capture` (a stored page) read, decode
and extract one page: plain functions from plain data, so that a caller can hand them
to a process pool or a cluster unchanged.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..article import Article, InputKind
from ..capture import DEFAULT_MAX_BYTES, load
from ..document import Document
from ..errors import ArchiverError, InputError, InputTooLargeError
from ..extraction import Registry, extract_document
from ..files import printable_path
from ..warc import Capture
from .inputs import error_cause

__all__ = ["process_capture", "process_file"]

_KIND_BY_SUFFIX: dict[str, InputKind] = {
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".text": "text",
}

#: The media types of a capture that say which kind of input it is.
_KIND_BY_MIME: dict[str, InputKind] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
}


def process_file(
    path: Path,
    *,
    url: str | None = None,
    registry: Registry | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[Document, Article]:
    """Read, decode and extract one saved page: the unit of work of :func:`archiver.reprocess`.

    The input kind comes from the file name (``.html``/``.htm`` is HTML, ``.txt``/``.text``
    a text dump), else it is sniffed from the content. ``url``, when known, selects the
    site plugin.

    Raises :class:`~archiver.errors.ArchiverError` naming the file and the cause: an
    :class:`~archiver.errors.InputError` when it cannot be read or is not a page.
    """
    name = printable_path(path)
    data = _read(path, max_bytes)
    kind = _KIND_BY_SUFFIX.get(path.suffix.lower())
    document = load(data, name=name, url=url, kind=kind, max_bytes=max_bytes)
    return document, extract_document(document, registry=registry)


def _read(path: Path, max_bytes: int) -> bytes:
    name = printable_path(path)
    try:
        mode = path.stat().st_mode
        # Opening a FIFO would wait for a writer for ever, and a device never ends.
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise InputError("cannot read the file: not a regular file", source=name)
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            # Refuse a large file before reading it, so that it fails fast and costs
            # no memory; the bounded read covers a file that grows meanwhile.
            if size > max_bytes:
                raise InputTooLargeError(_too_large(size, max_bytes), source=name)
            data = file.read(max_bytes + 1)
    except ArchiverError:
        raise
    except OSError as exc:
        if exc.errno == errno.ENOENT and path.is_symlink():
            cause = f"broken symbolic link to {os.readlink(path)}"
        else:
            cause = error_cause(exc)
        raise InputError(f"cannot read the file: {cause}", source=name) from exc
    if len(data) > max_bytes:
        raise InputTooLargeError(_too_large(None, max_bytes), source=name)
    return data


def process_capture(
    capture: Capture,
    *,
    registry: Registry | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[Document, Article]:
    """Extract one page stored in a WARC file: the unit of work of a re-extraction.

    The input kind comes from the capture's media type (else it is sniffed), its
    encoding from the ``charset`` there (else it is detected), and an ``http(s)``
    Target-URI is the page's URL, which selects the site plugin. The Document is
    named ``<warc>#<target-uri>`` in errors and in the new metadata record.

    Raises :class:`~archiver.errors.ArchiverError` naming the capture and the cause;
    a capture read with an ``error`` (its body over the size limit, or undecodable)
    raises that error.
    """
    if capture.error is not None:
        raise capture.error
    mime = (capture.content_type or "").split(";")[0].strip().lower()
    url = capture.target_uri if capture.target_uri.lower().startswith(("http:", "https:")) else None
    document = load(
        capture.payload,
        name=f"{printable_path(capture.warc)}#{capture.target_uri}",
        url=url,
        kind=_KIND_BY_MIME.get(mime),
        content_type=capture.content_type,
        max_bytes=max_bytes,
    )
    return document, extract_document(document, registry=registry)


def _too_large(size: int | None, max_bytes: int) -> str:
    # Same wording as archiver.capture.load(), so both paths read alike.
    limit = f"the {max_bytes / 1e6:.1f} MB limit"
    if size is None:
        return f"input is over {limit}"
    return f"input is {size / 1e6:.1f} MB, over {limit}"
