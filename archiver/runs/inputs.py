"""The inputs of a re-extraction: files and folders expanded into the files to process.

:func:`iter_inputs` walks the folders, taking the files named as pages
(:data:`INPUT_SUFFIXES`), and takes a file named explicitly whatever its name; one named
as a WARC file (:func:`is_warc`) is re-extracted. A path that cannot be used becomes a
:class:`Failure`, as does an input that cannot be processed later.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiverError, InputError, shown_name
from ..files import PathArg, printable_path, real_path

__all__ = ["INPUT_SUFFIXES", "Failure", "error_cause", "is_warc", "iter_inputs"]

log = logging.getLogger(__name__)

#: File name endings taken when a folder is expanded (compared case-insensitively).
#: A file named explicitly is taken whatever its name.
INPUT_SUFFIXES = frozenset({".txt", ".text", ".htm", ".html"})


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
        return f"{shown_name(self.source)}: {self.message}"


def iter_inputs(paths: Iterable[PathArg]) -> Iterator[Path | Failure]:
    """Expand ``paths`` into the input files to process, each once.

    A folder is walked recursively in sorted order, taking the files whose names end in
    one of :data:`INPUT_SUFFIXES`; a file named explicitly is taken whatever its name.
    A path that does not exist, or a folder that cannot be listed, is yielded as a
    :class:`Failure` rather than raised, so that one bad argument does not stop a run.
    """
    seen: set[Path] = set()
    walked: set[Path] = set()
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            yield from _walk(path, seen, walked, set())
        elif path.exists() or path.is_symlink():
            # A broken symbolic link is taken too: process_file() names the cause.
            if _first_visit(path, seen):
                yield path
        else:
            yield Failure(printable_path(path), InputError.__name__, "no such file or folder")


def _walk(
    folder: Path, seen: set[Path], walked: set[Path], ancestors: set[Path]
) -> Iterator[Path | Failure]:
    real = real_path(folder)
    if real in ancestors:  # a symbolic link back up the tree would loop for ever
        log.warning("%s: skipped, it links back to %s", folder, real)
        return
    if real in walked:
        # Reached again through a symbolic link: its files are taken once anyway, and
        # walking it again for each way in would take time exponential in the links.
        log.debug("%s: skipped, %s was walked already", folder, real)
        return
    walked.add(real)
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        yield Failure(
            str(folder), InputError.__name__, f"cannot list the folder: {error_cause(exc)}"
        )
        return
    warcs = 0
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path, seen, walked, ancestors | {real})
        elif path.suffix.lower() in INPUT_SUFFIXES and _first_visit(path, seen):
            yield path
        elif is_warc(path):
            warcs += 1
    if warcs:
        # Not taken: the output may be among them, or a run's files being written. But
        # not passed over in silence either (a crawl's folder given as the input).
        log.warning(
            "%s: %d WARC file%s not read: folders are searched for saved pages only;"
            " name the WARC files themselves",
            folder,
            warcs,
            "" if warcs == 1 else "s",
        )


def _first_visit(path: Path, seen: set[Path]) -> bool:
    # The same file named twice (or named and also inside a named folder) is archived once.
    key = real_path(path)
    if key in seen:
        return False
    seen.add(key)
    return True


def is_warc(path: PathArg) -> bool:
    """True for a name ending in ``.warc`` or ``.warc.gz`` (in any case): a WARC input."""
    return str(path).lower().endswith((".warc", ".warc.gz"))


def error_cause(exc: OSError) -> str:
    """The cause of ``exc``, in lower case, for a message naming the file itself."""
    # "permission denied" rather than "[Errno 13] Permission denied: '/x'": the
    # message already names the file.
    return exc.strerror.lower() if exc.strerror else str(exc)
