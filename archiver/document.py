"""The Document: one input page, decoded, as extractors take it."""

from __future__ import annotations

from dataclasses import dataclass

from .article import InputKind

__all__ = ["Document"]


@dataclass(frozen=True, slots=True)
class Document:
    """One input page, decoded: the unit that extractors work on.

    ``raw`` keeps the input bytes unchanged, for the WARC resource record.
    """

    text: str
    kind: InputKind
    raw: bytes
    encoding: str
    name: str
    url: str | None = None
