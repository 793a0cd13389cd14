"""The Article record: the clean text of one news article and its metadata."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal

from .errors import ArchiverError

__all__ = ["Article", "ExtractorInfo", "InputKind"]

InputKind = Literal["html", "text"]

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ExtractorInfo:
    """Which extractor produced an Article, so that results can be compared across versions."""

    name: str
    version: str
    #: True when a site plugin found no body in its own template and the generic
    #: extractor (plus the site's cleanup rules) produced the article instead.
    fallback: bool = False

    def __str__(self) -> str:
        suffix = " (fallback)" if self.fallback else ""
        return f"{self.name} {self.version}{suffix}"


@dataclass(frozen=True, slots=True)
class Article:
    """One extracted news article.

    ``text`` holds the body paragraphs and the article's own subheadings, separated by
    blank lines, and nothing else. ``published`` is a timezone-aware datetime when the
    page gives a time and the site's time zone is known, a :class:`~datetime.date` when
    only the day is known, else None.
    """

    text: str
    extractor: ExtractorInfo
    input_kind: InputKind
    url: str | None = None
    site: str | None = None
    title: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | date | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    section: str | None = None
    source: str | None = None
    captions: tuple[str, ...] = field(default=())

    @property
    def paragraphs(self) -> list[str]:
        """The body split into its paragraphs."""
        return [p for p in self.text.split("\n\n") if p.strip()]

    @property
    def word_count(self) -> int:
        """Number of words in the body."""
        return len(_WORD.findall(self.text))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: keys are the field names, dates are ISO 8601 strings."""
        # Field by field, not asdict(), which deep-copies every value: this runs for each
        # page of a bulk run, in the process that also fetches.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        data["extractor"] = asdict(self.extractor)
        if self.published is not None:
            data["published"] = self.published.isoformat()
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """The Article as JSON (UTF-8 text, non-ASCII kept as is)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Rebuild an Article from :meth:`to_dict` output; unknown keys are ignored."""
        try:
            known = {f.name for f in fields(cls)}
            values = {k: v for k, v in data.items() if k in known}
            values["extractor"] = ExtractorInfo(**values["extractor"])
            for key in ("authors", "tags", "captions"):
                if key in values:
                    values[key] = tuple(values[key] or ())
            values["published"] = _parse_published(values.get("published"))
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiverError(f"not a valid Article record ({exc})") from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> Article:
        """Rebuild an Article from :meth:`to_json` output."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ArchiverError(f"not valid Article JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ArchiverError("not valid Article JSON (expected an object)")
        return cls.from_dict(data)


def _parse_published(value: str | None) -> datetime | date | None:
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value)
