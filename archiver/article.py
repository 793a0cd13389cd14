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
        # Counted one match at a time: findall() would hold every word at once, some
        # 60 bytes each, which for a 40 MB body read back from a WARC is 500 MB.
        return sum(1 for _ in _WORD.finditer(self.text))

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
        """Rebuild an Article from :meth:`to_dict` output; unknown keys are ignored.

        Every value's type is checked (the dict may come from a file: a WARC's
        metadata record, an export): a missing key, a value of the wrong type or a
        date that does not parse raises :class:`~archiver.errors.ArchiverError`.
        """
        try:
            known = {f.name for f in fields(cls)}
            values = {k: v for k, v in data.items() if k in known}
            values["text"] = _string(values, "text")
            values["extractor"] = _extractor(values["extractor"])
            kind = values["input_kind"]
            if kind not in ("html", "text"):
                raise ValueError(f"input_kind is {_shown(kind)}, not 'html' or 'text'")
            for key in _OPTIONAL_STRINGS:
                if values.get(key) is not None:
                    values[key] = _string(values, key)
            for key in ("authors", "tags", "captions"):
                if key in values:
                    values[key] = _strings(values, key)
            values["published"] = _parse_published(values.get("published"))
            return cls(**values)
        except KeyError as exc:
            raise ArchiverError(f"not a valid Article record (no {exc})") from exc
        except (TypeError, ValueError) as exc:
            # Cut: a ValueError of fromisoformat() quotes the whole string it was given.
            cause = str(exc) if len(str(exc)) <= 200 else str(exc)[:200] + "…"
            raise ArchiverError(f"not a valid Article record ({cause})") from exc

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


#: The fields that hold a string or None.
_OPTIONAL_STRINGS = ("url", "site", "title", "description", "language", "section", "source")


def _shown(value: Any) -> str:
    """A value for a message: its type, and the value itself when it is short."""
    text = repr(value)
    return f"{type(value).__name__} {text}" if len(text) <= 40 else type(value).__name__


def _string(values: dict[str, Any], key: str) -> str:
    value = values[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {_shown(value)}, not a string")
    return value


def _strings(values: dict[str, Any], key: str) -> tuple[str, ...]:
    value = values[key]
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{key} is {_shown(value)}, not a list of strings")
    return tuple(value)


def _extractor(value: Any) -> ExtractorInfo:
    if not isinstance(value, dict):
        raise TypeError(f"extractor is {_shown(value)}, not an object")
    name, version = _string(value, "name"), _string(value, "version")
    fallback = value.get("fallback", False)
    if not isinstance(fallback, bool):
        raise TypeError(f"extractor.fallback is {_shown(fallback)}, not true or false")
    return ExtractorInfo(name=name, version=version, fallback=fallback)


def _parse_published(value: Any) -> datetime | date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"published is {_shown(value)}, not a string")
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value)
