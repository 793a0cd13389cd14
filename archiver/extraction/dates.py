"""Publication dates from the date lines of a page, through dateparser.

dateparser costs milliseconds a string, most of it in finding the language and
translating: the common unambiguous formats (ISO 8601, numeric day/month/year, day and
month name and year) are read first by :func:`quick_date`, which gives what dateparser
gives for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.date import DateDataParser
from dateparser.languages.loader import LocaleDataLoader

__all__ = [
    "MAX_TRIES",
    "DateReader",
    "date_share",
    "dates_in",
    "full_date",
    "parse_date",
    "quick_date",
]

# Each begins with a look-ahead for its first character, a digit: the regex engine then
# skips to the digits of a line instead of trying the look-behind at every character:
# a line without one costs a third as much.
_YEAR = re.compile(r"(?=\d)(?:(?<!\d)(19|20)\d\d(?!\d)|\b\d{1,2}[./-]\d{1,2}[./-]\d{2}\b)")
_TIME = re.compile(r"(?=\d)(?<!\d)\d{1,2}[:.]\d{2}(?!\d)(?![./-]\d)")
_SETTINGS = {
    # Dates as written only: a relative one ("3 days ago") would be read against the
    # clock of the extraction, not of the capture.
    "PARSERS": ["custom-formats", "absolute-time"],
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DAY_OF_MONTH": "first",
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
_TOKEN = re.compile(r"\w+")
_SHAPE_PART = re.compile(r"\d+|[^\W\d_]+")
_CALENDAR_KEYS = (
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday am pm"
).split()
_MONTH_FIRST = re.compile(r"^[^\d]*[A-Za-z]{3,}\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}")
_MONTHS = _CALENDAR_KEYS[:12]
# The formats quick_date reads: the whole text is the date, perhaps with a time.
_CLOCK = (
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?: ?(?P<half>\w{2}))?)?"
)
_ISO = re.compile(r"(?P<year>(?:19|20)\d\d)-(?P<month>\d{2})-(?P<day>\d{2})" + _CLOCK)
_NUMERIC = re.compile(
    r"(?P<day>\d{1,2})(?P<sep>[./-])(?P<month>\d{1,2})(?P=sep)(?P<year>(?:19|20)\d\d)" + _CLOCK
)
_DAY_FIRST = re.compile(r"(?P<day>\d{1,2}) (?P<name>[^\W\d_]+) (?P<year>(?:19|20)\d\d)" + _CLOCK)
_NAME_FIRST = re.compile(r"(?P<name>[^\W\d_]+) (?P<day>\d{1,2}), (?P<year>(?:19|20)\d\d)" + _CLOCK)
# The dates dates_in finds in running text: ISO, day.month.year (dots: no order doubt),
# day/month/year or month/day/year, day month-name year, month-name day year.
_IN_TEXT = re.compile(
    r"(?<![\d.])(?:(?P<iso_year>(?:19|20)\d\d)-(?P<iso_month>\d\d)-(?P<iso_day>\d\d)"
    r"|(?P<num_day>\d{1,2})\.\s?(?P<num_month>\d{1,2})\.\s?(?P<num_year>(?:19|20)\d\d)"
    r"|(?P<first>\d{1,2})/(?P<second>\d{1,2})/(?P<slash_year>(?:19|20)\d\d)"
    r"|(?P<day>\d{1,2})\.?\s+(?P<name>[^\W\d_]{3,})\.?,?\s+(?P<year>(?:19|20)\d\d)"
    r"|(?P<name_first>[^\W\d_]{3,})\.?\s+(?P<day_second>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<year_third>(?:19|20)\d\d))(?!\d)"
)


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
    return _in_zone(text, quick_date(text, languages) or full_date(text, languages), timezone)


#: Texts that dateparser fails to read, at most, on one page (real pages: 47 at most of
#: the visible texts of aeb-dev, trafilatura-dev, text-dumps-dev and the seeds).
MAX_TRIES = 100


class DateReader:
    """:func:`parse_date` for the lines of one page, which repeat their formats.

    A text that dateparser cannot read tells that texts of its shape (the same words,
    numbers of the same length, month and weekday names anywhere) are no dates either:
    a list's "GMT 13:34 2012 Monday ,19 November" comes once per item, and each try
    costs milliseconds. And after :data:`MAX_TRIES` texts it could not read, dateparser
    is not asked again: a page's own date comes near its top, and a hostile page of a
    million date-like lines, each of another shape, would take minutes.
    """

    def __init__(self, languages: list[str], timezone: str | None = None) -> None:
        self.languages = languages
        self.timezone = timezone
        self._calendar = _calendar_words(tuple(languages))
        self._unread: set[str] = set()
        self._tries = 0

    def parse(self, text: str) -> datetime | date | None:
        """The date (and time) ``text`` states, or None; see :func:`parse_date`."""
        if not _YEAR.search(text):
            return None
        parsed = quick_date(text, self.languages)
        if parsed is None:
            shape = _SHAPE_PART.sub(self._shape_of, text.casefold())
            if shape in self._unread or self._tries >= MAX_TRIES:
                return None
            parsed = full_date(text, self.languages)
            if parsed is None:
                self._unread.add(shape)
                self._tries += 1
        return _in_zone(text, parsed, self.timezone)

    def _shape_of(self, part: re.Match[str]) -> str:
        word = part.group()
        if word.isdigit():
            return "0" * len(word)
        return "~" if word in self._calendar else word


def _in_zone(text: str, parsed: datetime | None, timezone: str | None) -> datetime | date | None:
    """``parsed``, read from ``text``, in ``timezone`` if it gives a time (see parse_date)."""
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


def full_date(text: str, languages: list[str] | None = None) -> datetime | None:
    """The date (and time) dateparser reads in ``text``, day, month and year required."""
    month_first = bool(_MONTH_FIRST.match(text))
    try:
        return _parser(tuple(languages) if languages else None, month_first).get_date_data(text)[
            "date_obj"
        ]
    except (ValueError, OverflowError, TypeError):
        return None


@lru_cache(maxsize=32)
def _parser(languages: tuple[str, ...] | None, month_first: bool) -> DateDataParser:
    """One parser per language list and date order: making one costs as much as a parse.

    A parser that does not try previous locales keeps no state between strings.
    """
    settings = dict(_SETTINGS)
    if month_first:
        settings["DATE_ORDER"] = "MDY"
    return DateDataParser(languages=list(languages) if languages else None, settings=settings)


def quick_date(text: str, languages: list[str] | None) -> datetime | None:
    """The date (and time) of ``text`` when it is written in a common unambiguous format,
    as :func:`full_date` reads it; None for any other text.

    Read: ISO 8601 ("2018-12-19 15:01"), numeric day/month/year ("19.12.2018"), day,
    month name and year ("19 December 2018") and month name, day and year ("December
    19, 2018"), month names in ``languages``; each perhaps followed by a time.
    """
    months = _month_numbers(tuple(languages)) if languages else None
    if months is None:
        return None  # no languages (dateparser guesses them) or one dateparser refuses
    text = text.strip()
    if match := _ISO.fullmatch(text) or _NUMERIC.fullmatch(text):
        month: int | None = int(match["month"])
    elif match := _DAY_FIRST.fullmatch(text) or _NAME_FIRST.fullmatch(text):
        month = months.get(match["name"].casefold())
    else:
        return None
    hour, minute, second = (int(match[g] or 0) for g in ("hour", "minute", "second"))
    half = match["half"].casefold() if match["half"] else None
    if half is not None:
        if half not in ("am", "pm") or not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if month is None:
        return None
    try:
        return datetime(int(match["year"]), month, int(match["day"]), hour, minute, second)
    except ValueError:
        return None  # no such day: dateparser may read the numbers another way


@lru_cache(maxsize=32)
def _month_numbers(languages: tuple[str, ...]) -> dict[str, int] | None:
    """Month names of ``languages`` (dateparser's locale data), case-folded, to month
    numbers; a name that two languages give to different months is left out. None when
    dateparser does not know one of the languages: it then reads no date at all."""
    numbers: dict[str, int] = {}
    clashes: set[str] = set()
    loader = LocaleDataLoader()
    for language in languages:
        try:
            info = loader.get_locale(language).info
        except (ValueError, KeyError):
            return None
        for number, key in enumerate(_MONTHS, start=1):
            for name in info.get(key, ()):
                name = name.casefold()
                if numbers.setdefault(name, number) != number:
                    clashes.add(name)
    return {name: number for name, number in numbers.items() if name not in clashes}


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


def dates_in(text: str, languages: list[str]) -> Iterator[date]:
    """The dates written in running text ``text``, in order: ISO ("2019-03-12"), with
    dots ("12.3.2019") or slashes when the order is plain ("25/12/2019", not
    "3/12/2019"), and with a month name of ``languages`` ("12. März 2019", "March 12,
    2019"); languages that dateparser does not know are left out."""
    known = tuple(x for x in languages if _month_numbers((x,)) is not None)
    months = _month_numbers(known) or {}
    for match in _IN_TEXT.finditer(text):
        groups = match.groupdict()
        if groups["iso_year"]:
            numbers = (groups["iso_year"], groups["iso_month"], groups["iso_day"])
        elif groups["num_year"]:
            numbers = (groups["num_year"], groups["num_month"], groups["num_day"])
        elif groups["slash_year"]:
            first, second = int(groups["first"]), int(groups["second"])
            if (first > 12) == (second > 12):
                continue  # either order, or none
            day, month = (first, second) if first > 12 else (second, first)
            numbers = (groups["slash_year"], str(month), str(day))
        else:
            name = (groups["name"] or groups["name_first"]).casefold()
            if name not in months:
                continue
            day_text = groups["day"] or groups["day_second"]
            numbers = (groups["year"] or groups["year_third"], str(months[name]), day_text)
        try:
            yield date(*(int(n) for n in numbers))
        except ValueError:
            continue  # no such day
