"""A re-extraction on this machine: every input, one after the other, into one WARC file.

:func:`reprocess_locally` runs the work units (:mod:`archiver.runs.pages`) over every
input and keeps going when an input fails: each failure becomes a
:class:`~archiver.runs.inputs.Failure` in the :class:`~archiver.runs.report.Report`.

A WARC file given as input (a name ending in ``.warc`` or ``.warc.gz``) is re-extracted:
every page stored in it goes through the current extractors
(:func:`~archiver.runs.pages.process_capture`), and the new records refer to the
original ones, which are left untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..article import Article
from ..errors import ArchiverError, WarcError
from ..extraction import Registry
from ..files import PathArg, check_not_input, printable_path
from ..warc import Originals, SkippedRecord, WarcWriter, read_captures, target_uri
from .checks import check_writable
from .inputs import Failure, is_warc, iter_inputs
from .pages import process_capture, process_file
from .report import Report

__all__ = ["reprocess_locally"]

log = logging.getLogger(__name__)


def reprocess_locally(
    paths: Iterable[PathArg],
    warc: PathArg | None = None,
    *,
    registry: Registry | None = None,
    on_result: Callable[[Path, Article | Failure], None] | None = None,
    originals: Iterable[PathArg] = (),
) -> Report:
    """:func:`~archiver.runs.reextraction.reprocess` on this machine (without a client)."""
    paths = list(paths)
    output = Path(warc) if warc is not None else None
    skipped: list[SkippedRecord] = []
    if output is None:
        articles, failures = _run(
            paths, registry, on_result, writer=None, originals=originals, skipped=skipped
        )
        return Report(tuple(articles), tuple(failures), None, skipped=tuple(skipped))

    check_writable(output)
    # No input is ever written over: the original archive, or a page that a folder
    # given as input holds (an existing output is looked for among them).
    if output.exists():
        walked = [item for item in iter_inputs(paths) if isinstance(item, Path)]
        check_not_input(output, [*paths, *walked], what="re-extraction")
    writer = WarcWriter(output)  # creates the file now: WarcError before any work
    with writer:
        articles, failures = _run(
            paths, registry, on_result, writer=writer, originals=originals, skipped=skipped
        )
    return Report(
        tuple(articles), tuple(failures), writer.path, (writer.path,), skipped=tuple(skipped)
    )


def _run(
    paths: Iterable[PathArg],
    registry: Registry | None,
    on_result: Callable[[Path, Article | Failure], None] | None,
    *,
    writer: WarcWriter | None,
    originals: Iterable[PathArg],
    skipped: list[SkippedRecord],
) -> tuple[list[Article], list[Failure]]:
    articles: list[Article] = []
    failures: list[Failure] = []
    places: Originals | None = None

    def done(path: Path, result: Article | Failure, name: str | None = None) -> None:
        """``name`` is a page's in the log: ``<warc>#<target-uri>`` for a WARC input's."""
        if isinstance(result, Failure):
            # Not logged: the caller learns of it (Report.failures, on_result) and reports
            # it once, as archiver reprocess does (an info line said it a second time).
            failures.append(result)
        else:
            log.info("%s: archived (%d words)", name or path, result.word_count)
            articles.append(result)
        if on_result is not None:
            on_result(path, result)

    for item in iter_inputs(paths):
        if isinstance(item, Failure):
            done(Path(item.source), item)
        elif is_warc(item):
            places = places or _originals(paths, originals)
            for name, result in _reextract(item, registry, writer, places, skipped):
                done(item, result, name)
        else:
            done(item, _extract(item, registry, writer))
    return articles, failures


def _originals(paths: Iterable[PathArg], originals: Iterable[PathArg]) -> Originals:
    """Where the revisit records of a run's WARC inputs find their responses: in every
    WARC input, for a bulk run rotates its files and stores a payload already in an
    earlier file as a revisit; then in ``originals``."""
    warcs = [item for item in iter_inputs(paths) if isinstance(item, Path) and is_warc(item)]
    return Originals([*warcs, *originals])


def _extract(path: Path, registry: Registry | None, writer: WarcWriter | None) -> Article | Failure:
    try:
        document, article = process_file(path, registry=registry)
    except ArchiverError as exc:
        return Failure.from_exception(printable_path(path), exc)
    except Exception as exc:  # a bug; one bad file must not stop the run
        log.exception("%s: unexpected error while processing it", path)
        return Failure.from_exception(printable_path(path), exc)
    # Outside the try: a failure to write is the archive's, not this input's, and ends
    # the run (the writer then removes its partial file).
    if writer is not None:
        writer.write_article(document, article, target_uri=target_uri(document, article))
    return article


def _reextract(
    path: Path,
    registry: Registry | None,
    writer: WarcWriter | None,
    originals: Originals,
    skipped: list[SkippedRecord],
) -> Iterator[tuple[str, Article | Failure]]:
    """Extract every page stored in the WARC file ``path``, one result per page, with
    the page's name (``<warc>#<target-uri>``); the records that are not pages go to
    ``skipped``.

    A damaged WARC ends with a Failure naming it, after the pages read before the damage.
    """
    try:
        captures = read_captures(path, originals=originals, on_skipped=skipped.append)
    except WarcError as exc:
        yield printable_path(path), Failure.from_exception(printable_path(path), exc)
        return
    while True:
        # next() alone in the try: a WarcError from the writer below is the output's,
        # and must end the run rather than pass for a damaged input.
        try:
            capture = next(captures, None)
        except WarcError as exc:
            yield printable_path(path), Failure.from_exception(printable_path(path), exc)
            return
        except Exception as exc:  # a bug; one bad WARC input must not stop the run
            log.exception("%s: unexpected error while reading it", path)
            yield printable_path(path), Failure.from_exception(printable_path(path), exc)
            return
        if capture is None:
            return
        name = f"{printable_path(path)}#{capture.target_uri}"
        try:
            document, article = process_capture(capture, registry=registry)
        except ArchiverError as exc:
            yield name, Failure.from_exception(name, exc)
            continue
        except Exception as exc:  # a bug; one bad page must not stop the run
            log.exception("%s: unexpected error while processing it", name)
            yield name, Failure.from_exception(name, exc)
            continue
        if writer is not None:
            writer.write_derived(capture, document, article)
        yield name, article
