"""Publication dates from the date lines of a page, through dateparser."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser
from dateparser.languages.loader import LocaleDataLoader

__all__ = ["date_share", "parse_date"]

_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)|\b\d{1,2}[./-]\d{1,2}[./-]\d{2}\b")
_TIME = re.compile(r"(?<!\d)\d{1,2}[:.]\d{2}(?!\d)(?![./-]\d)")
_SETTINGS = {
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DAY_OF_MONTH": "first",
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
_TOKEN = re.compile(r"\w+")
_CALENDAR_KEYS = (
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday am pm"
).split()
_MONTH_FIRST = re.compile(r"^[^\d]*[A-Za-z]{3,}\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}")


def parse_date(
    text: str, *, languages: list[str] | None = None, timezone: str | None = None
) -> datetime | date | None:
    """The date (and time) ``text`` states, or None.

    A text without a year is not taken: pages print today's date in their headers, and
    a day without its year cannot be placed. When a time is given it is read in the
    site's ``timezone``; without a known time zone only the day is returned, since the
    instant is unknown.
    """
    if not _YEAR.search(text):
        return None
    settings = dict(_SETTINGS)
    if _MONTH_FIRST.match(text):
        settings["DATE_ORDER"] = "MDY"
    try:
        parsed = dateparser.parse(text, languages=languages, settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        return parsed
    if not _TIME.search(text) or timezone is None:
        return parsed.date()
    try:
        return parsed.replace(tzinfo=ZoneInfo(timezone))
    except ZoneInfoNotFoundError:
        return parsed.date()


@lru_cache(maxsize=32)
def _calendar_words(languages: tuple[str, ...]) -> frozenset[str]:
    """Month and weekday names (and am/pm) of ``languages``, from dateparser's locale data."""
    loader = LocaleDataLoader()
    words: set[str] = set()
    for language in languages:
        try:
            info = loader.get_locale(language).info
        except (ValueError, KeyError):
            continue
        for key in _CALENDAR_KEYS:
            words.update(w.casefold() for w in info.get(key, ()) if isinstance(w, str))
    return frozenset(words)


def date_share(text: str, languages: list[str]) -> float:
    """The share of the words of ``text`` that write a date: numbers, month and day names.

    0 when ``text`` has no year. A cheap test that comes before :func:`parse_date`.
    """
    if not _YEAR.search(text):
        return 0.0
    tokens = _TOKEN.findall(text.casefold())
    calendar = _calendar_words(tuple(languages))
    dated = sum(1 for t in tokens if t.isdigit() or t in calendar)
    return dated / len(tokens) if tokens else 0.0
