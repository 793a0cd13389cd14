"""WARC files: writing captures and articles, reading them back.

Each article becomes a capture (a ``resource`` record with the input bytes unchanged,
or the ``response`` record of a fetch) and two derived records that refer to it: a
``conversion`` record with the extracted text and a ``metadata`` record with the
rest of the Article as JSON. See docs/warc.md for the layout.

- :mod:`.writer`: :class:`WarcWriter`, which writes them, and :func:`target_uri`;
- :mod:`.records`: the records it makes, with warcio, and :class:`CaptureRef`;
- :mod:`.payloads`: :class:`Payloads`, the payloads written, for revisit records;
- :mod:`.files`: appending under a lock, cutting back, and :func:`salvage` of a
  ``.open`` file that a killed writer left;
- :mod:`.reader`: the Articles read back (:func:`read`, :func:`read_latest`,
  :func:`entries`, one at an offset :func:`article_at`) and :func:`verify`, every
  record checked, and :func:`written_by_archiver`;
- :mod:`.framing`: the one checked reading of records that every reader goes through,
  with its size and time budgets;
- :mod:`.captures`: the stored pages (:func:`read_captures`, :class:`Capture`), for
  re-extraction, with :class:`Originals` for the revisit records; :mod:`.bodies`
  decodes their HTTP bodies within the size limit.
"""

from .captures import Capture, Originals, SkippedRecord, read_captures
from .files import salvage
from .payloads import Payloads
from .reader import (
    ArchivedArticle,
    article_at,
    entries,
    read,
    read_latest,
    verify,
    written_by_archiver,
)
from .records import CaptureRef, Stored
from .writer import WarcWriter, target_uri

__all__ = [
    "ArchivedArticle",
    "Capture",
    "CaptureRef",
    "Originals",
    "Payloads",
    "SkippedRecord",
    "Stored",
    "WarcWriter",
    "article_at",
    "entries",
    "read",
    "read_captures",
    "read_latest",
    "salvage",
    "target_uri",
    "verify",
    "written_by_archiver",
]
