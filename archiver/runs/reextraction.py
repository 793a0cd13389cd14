"""Reprocessing: many saved pages in, one WARC file and a report out.

The work unit is :func:`process_file`, a plain function from a path to plain data, so
that a caller can later hand it to a process pool or a cluster unchanged.
:func:`reprocess` runs it over every input, one after the other, and keeps going when
an input fails: each failure becomes a :class:`Failure` in the :class:`Report`.

A WARC file given as input (a name ending in ``.warc`` or ``.warc.gz``) is re-extracted:
every page stored in it goes through the current extractors (:func:`process_capture`),
and the new records refer to the original ones, which are left untouched.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..article import Article, InputKind
from ..document import DEFAULT_MAX_BYTES, Document, load
from ..errors import ArchiverError, InputError, InputTooLargeError, WarcError
from ..extraction import extract_document
from ..extraction import Registry

if TYPE_CHECKING:
    from ..warc import Capture, Originals, WarcWriter

__all__ = [
    "INPUT_SUFFIXES",
    "Failure",
    "Report",
    "is_warc",
    "iter_inputs",
    "process_capture",
    "process_file",
    "reprocess",
]

log = logging.getLogger(__name__)

#: File name endings taken when a folder is expanded (compared case-insensitively).
#: A file named explicitly is taken whatever its name.
INPUT_SUFFIXES = frozenset({".txt", ".text", ".htm", ".html"})

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

PathArg = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Failure:
    """One input that could not be archived.

    ``error`` is the exception's class name (``"BinaryInputError"``), ``message`` its
    cause without the source, so ``f"{source}: {message}"`` reads as a full sentence.
    """

    source: str
    error: str
    message: str

    @classmethod
    def from_exception(cls, source: str, exc: BaseException) -> Failure:
        """The Failure for ``exc`` raised while processing ``source``."""
        if isinstance(exc, ArchiverError):
            return cls(source=exc.source or source, error=type(exc).__name__, message=exc.message)
        # Not an ArchiverError: a bug somewhere, named as such so it is not mistaken
        # for a problem with the input.
        return cls(
            source=source,
            error=type(exc).__name__,
            message=f"internal error: {type(exc).__name__}: {exc}",
        )

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True, slots=True)
class Report:
    """What a :func:`reprocess` run did: iterate it for the Articles archived."""

    articles: tuple[Article, ...]
    failures: tuple[Failure, ...]
    #: The WARC file written, or None when none was asked for or on a cluster.
    warc: Path | None = None
    #: Every WARC file written: ``warc``, or one per task on a cluster.
    warcs: tuple[Path, ...] = ()

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def ok(self) -> bool:
        """True when every input was archived."""
        return not self.failures


def iter_inputs(paths: Iterable[PathArg]) -> Iterator[Path | Failure]:
    """Expand ``paths`` into the input files to process, each once.

    A folder is walked recursively in sorted order, taking the files whose names end in
    one of :data:`INPUT_SUFFIXES`; a file named explicitly is taken whatever its name.
    A path that does not exist, or a folder that cannot be listed, is yielded as a
    :class:`Failure` rather than raised, so that one bad argument does not stop a run.
    """
    seen: set[Path] = set()
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            yield from _walk(path, seen, set())
        elif path.exists() or path.is_symlink():
            # A broken symbolic link is taken too: process_file() names the cause.
            if _first_visit(path, seen):
                yield path
        else:
            yield Failure(str(path), InputError.__name__, "no such file or folder")


def _walk(folder: Path, seen: set[Path], ancestors: set[Path]) -> Iterator[Path | Failure]:
    real = folder.resolve()
    if real in ancestors:  # a symbolic link back up the tree would loop for ever
        log.warning("%s: skipped, it links back to %s", folder, real)
        return
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        yield Failure(str(folder), InputError.__name__, f"cannot list the folder: {_cause(exc)}")
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path, seen, ancestors | {real})
        elif path.suffix.lower() in INPUT_SUFFIXES and _first_visit(path, seen):
            yield path


def _first_visit(path: Path, seen: set[Path]) -> bool:
    # The same file named twice (or named and also inside a named folder) is archived once.
    try:
        key = path.resolve()
    except OSError:
        key = path.absolute()
    if key in seen:
        return False
    seen.add(key)
    return True


def process_file(
    path: Path,
    *,
    url: str | None = None,
    registry: Registry | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[Document, Article]:
    """Read, decode and extract one saved page: the unit of work of :func:`reprocess`.

    The input kind comes from the file name (``.html``/``.htm`` is HTML, ``.txt``/``.text``
    a text dump), else it is sniffed from the content. ``url``, when known, selects the
    site plugin.

    Raises :class:`~archiver.errors.ArchiverError` naming the file and the cause: an
    :class:`~archiver.errors.InputError` when it cannot be read or is not a page.
    """
    name = str(path)
    data = _read(path, max_bytes)
    kind = _KIND_BY_SUFFIX.get(path.suffix.lower())
    document = load(data, name=name, url=url, kind=kind, max_bytes=max_bytes)
    return document, extract_document(document, registry=registry)


def _read(path: Path, max_bytes: int) -> bytes:
    name = str(path)
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
        if path.is_symlink() and not path.exists():
            cause = f"broken symbolic link to {os.readlink(path)}"
        else:
            cause = _cause(exc)
        raise InputError(f"cannot read the file: {cause}", source=name) from exc
    if len(data) > max_bytes:
        raise InputTooLargeError(_too_large(None, max_bytes), source=name)
    return data


def is_warc(path: PathArg) -> bool:
    """True for a name ending in ``.warc`` or ``.warc.gz`` (in any case): a WARC input."""
    return str(path).lower().endswith((".warc", ".warc.gz"))


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

    Raises :class:`~archiver.errors.ArchiverError` naming the capture and the cause.
    """
    mime = (capture.content_type or "").split(";")[0].strip().lower()
    url = capture.target_uri if capture.target_uri.lower().startswith(("http:", "https:")) else None
    document = load(
        capture.payload,
        name=f"{capture.warc}#{capture.target_uri}",
        url=url,
        kind=_KIND_BY_MIME.get(mime),
        content_type=capture.content_type,
        max_bytes=max_bytes,
    )
    return document, extract_document(document, registry=registry)


def _too_large(size: int | None, max_bytes: int) -> str:
    # Same wording as archiver.document.load(), so both paths read alike.
    limit = f"the {max_bytes / 1e6:.1f} MB limit"
    if size is None:
        return f"input is over {limit}"
    return f"input is {size / 1e6:.1f} MB, over {limit}"


def _cause(exc: OSError) -> str:
    # "permission denied" rather than "[Errno 13] Permission denied: '/x'": the
    # message already names the file.
    return exc.strerror.lower() if exc.strerror else str(exc)


def reprocess(
    paths: Iterable[PathArg],
    warc: PathArg | None = None,
    *,
    registry: Registry | None = None,
    on_result: Callable[[Path, Article | Failure], None] | None = None,
    client: Any = None,
    originals: Iterable[PathArg] = (),
) -> Report:
    """Extract every input and, when ``warc`` is given, archive them all in one WARC file.

    ``paths`` are files and folders, expanded by :func:`iter_inputs`. An input that
    fails is recorded as a :class:`Failure` and the run goes on; ``on_result`` is called
    after each input with its path and its Article or Failure.

    A WARC input (see :func:`is_warc`) is re-extracted: each page stored in it counts as
    one input, and ``on_result`` gets the WARC's path. Its new ``conversion`` and
    ``metadata`` records refer to the original records (see
    :meth:`~archiver.warc.WarcWriter.write_derived`); the input file is only read.
    The response that a ``revisit`` record refers to is looked for in its own file,
    then in the other WARC inputs, then in the WARC files ``originals`` (see
    :func:`~archiver.warc.read_captures`).

    The WARC file is written under a temporary name and renamed when complete, so no
    half-written file is left behind. Raises :class:`~archiver.errors.WarcError` before
    processing anything when ``warc`` cannot be written, or is one of the WARC inputs.

    ``client``, a ``distributed.Client``, runs the work on its Dask cluster instead,
    writing one WARC file per task beside ``warc`` (see
    :func:`archiver.cluster.reprocess_on_cluster`).
    """
    paths = list(paths)
    if client is not None:
        from .cluster import reprocess_on_cluster  # Dask is an optional dependency

        return reprocess_on_cluster(
            client, paths, warc, registry=registry, on_result=on_result, originals=originals
        )
    output = Path(warc) if warc is not None else None
    if output is None:
        articles, failures = _run(paths, registry, on_result, writer=None, originals=originals)
        return Report(tuple(articles), tuple(failures), None)

    from ..warc import WarcWriter  # imported here: only runs that write need it

    _check_writable(output)
    _check_not_input(output, paths)
    writer = WarcWriter(output)  # creates the file now: WarcError before any work
    with writer:
        articles, failures = _run(paths, registry, on_result, writer=writer, originals=originals)
    return Report(tuple(articles), tuple(failures), writer.path, (writer.path,))


def _run(
    paths: Iterable[PathArg],
    registry: Registry | None,
    on_result: Callable[[Path, Article | Failure], None] | None,
    *,
    writer: WarcWriter | None,
    originals: Iterable[PathArg],
) -> tuple[list[Article], list[Failure]]:
    articles: list[Article] = []
    failures: list[Failure] = []
    places: Originals | None = None

    def done(path: Path, result: Article | Failure) -> None:
        if isinstance(result, Failure):
            log.info("%s: skipped: %s", path, result.message)
            failures.append(result)
        else:
            log.debug("%s: archived (%d words)", path, result.word_count)
            articles.append(result)
        if on_result is not None:
            on_result(path, result)

    for item in iter_inputs(paths):
        if isinstance(item, Failure):
            done(Path(item.source), item)
        elif is_warc(item):
            places = places or _originals(paths, originals)
            for result in _reextract(item, registry, writer, places):
                done(item, result)
        else:
            done(item, _extract(item, registry, writer))
    return articles, failures


def _originals(paths: Iterable[PathArg], originals: Iterable[PathArg]) -> Originals:
    """Where the revisit records of a run's WARC inputs find their responses: in every
    WARC input, for a bulk run rotates its files and stores a payload already in an
    earlier file as a revisit; then in ``originals``."""
    from ..warc import Originals

    warcs = [item for item in iter_inputs(paths) if isinstance(item, Path) and is_warc(item)]
    return Originals([*warcs, *originals])


def _extract(path: Path, registry: Registry | None, writer: WarcWriter | None) -> Article | Failure:
    try:
        document, article = process_file(path, registry=registry)
    except ArchiverError as exc:
        return Failure.from_exception(str(path), exc)
    except Exception as exc:  # a bug; one bad file must not stop the run
        log.exception("%s: unexpected error while processing it", path)
        return Failure.from_exception(str(path), exc)
    # Outside the try: a failure to write is the archive's, not this input's, and ends
    # the run (the writer then removes its partial file).
    if writer is not None:
        from ..warc import target_uri

        writer.write_article(document, article, target_uri=target_uri(document, article))
    return article


def _reextract(
    path: Path, registry: Registry | None, writer: WarcWriter | None, originals: Originals
) -> Iterator[Article | Failure]:
    """Extract every page stored in the WARC file ``path``, one result per page.

    A damaged WARC ends with a Failure naming it, after the pages read before the damage.
    """
    from ..warc import read_captures

    try:
        captures = read_captures(path, originals=originals)
    except WarcError as exc:
        yield Failure.from_exception(str(path), exc)
        return
    while True:
        # next() alone in the try: a WarcError from the writer below is the output's,
        # and must end the run rather than pass for a damaged input.
        try:
            capture = next(captures, None)
        except WarcError as exc:
            yield Failure.from_exception(str(path), exc)
            return
        if capture is None:
            return
        name = f"{path}#{capture.target_uri}"
        try:
            document, article = process_capture(capture, registry=registry)
        except ArchiverError as exc:
            yield Failure.from_exception(name, exc)
            continue
        except Exception as exc:  # a bug; one bad page must not stop the run
            log.exception("%s: unexpected error while processing it", name)
            yield Failure.from_exception(name, exc)
            continue
        if writer is not None:
            writer.write_derived(capture, document, article)
        yield article


def _check_not_input(output: Path, paths: Iterable[PathArg]) -> None:
    """Refuse to write over a WARC input: the original archive is never modified."""
    target = output.resolve()
    for path in paths:
        if is_warc(path) and Path(path).resolve() == target:
            raise WarcError(
                "is also an input: write the re-extraction to another file", source=str(output)
            )


def _check_writable(output: Path) -> None:
    """Raise WarcError now if ``output`` cannot be written, rather than after the work."""
    name = str(output)
    if output.is_dir():
        raise WarcError("cannot write the WARC file: it is a folder", source=name)
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarcError(f"cannot create the folder {parent}: {_cause(exc)}", source=name) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise WarcError(f"cannot write the WARC file: folder {parent} is not writable", source=name)
