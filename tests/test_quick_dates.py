"""quick_date reads the common formats as dateparser (full_date) does, and nothing else."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.extraction import dates
from archiver.extraction.dates import DateReader, full_date, parse_date, quick_date

FIXTURES = Path(__file__).parent.parent / "fixtures"
LANGUAGES = (["en"], ["el", "en"])
MONTHS = {
    "en": [
        ("jan", "january"),
        ("feb", "february"),
        ("mar", "march"),
        ("apr", "april"),
        ("may",),
        ("jun", "june"),
        ("jul", "july"),
        ("aug", "august"),
        ("sep", "sept", "september"),
        ("oct", "october"),
        ("nov", "november"),
        ("dec", "december"),
    ],
    "el": [
        ("Ιανουαρίου",),
        ("Φεβρουαρίου",),
        ("Μαρτίου",),
        ("Απριλίου",),
        ("Μαΐου",),
        ("Ιουνίου",),
        ("Ιουλίου",),
        ("Αυγούστου",),
        ("Σεπτεμβρίου",),
        ("Οκτωβρίου",),
        ("Νοεμβρίου",),
        ("Δεκεμβρίου",),
    ],
}


@st.composite
def written_dates(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A date in one of the formats quick_date reads, and the languages to read it in."""
    when = draw(st.datetimes(datetime(1990, 1, 1), datetime(2035, 12, 31)))
    language = draw(st.sampled_from(["en", "el"]))
    day, month, year = when.day, when.month, when.year
    name = draw(st.sampled_from(MONTHS[language][month - 1]))
    if name.isascii():  # upper-case Greek spells accents apart: dateparser's to read
        name = draw(st.sampled_from([name, name.upper(), name.capitalize()]))
    sep = draw(st.sampled_from("./-"))
    dd = draw(st.sampled_from([f"{day}", f"{day:02}"]))
    mm = draw(st.sampled_from([f"{month}", f"{month:02}"]))
    text = draw(
        st.sampled_from(
            [
                f"{year}-{month:02}-{day:02}",
                f"{dd}{sep}{mm}{sep}{year}",
                f"{dd} {name} {year}",
                f"{name} {dd}, {year}",
            ]
        )
    )
    clock = draw(
        st.sampled_from(
            [
                "",
                f" {when.hour:02}:{when.minute:02}",
                f" {when.hour}:{when.minute:02}:{when.second:02}",
                f" {when.hour % 12 or 12}:{when.minute:02} {'pm' if when.hour >= 12 else 'am'}",
                f" {when.hour % 12 or 12}:{when.minute:02}{'PM' if when.hour >= 12 else 'AM'}",
            ]
        )
    )
    if text[0].isdigit() and text[4] == "-" and clock:
        clock = draw(st.sampled_from([clock, "T" + clock[1:]]))
    return text + clock, ["el", "en"] if language == "el" else ["en"]


@settings(max_examples=300, deadline=None)
@given(written_dates())
def test_quick_date_reads_what_dateparser_reads(case: tuple[str, list[str]]) -> None:
    text, languages = case
    quick = quick_date(text, languages)
    assert quick is not None, text
    assert quick == full_date(text, languages), text


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(1000, 2999),
    st.sampled_from("./-"),
    st.sampled_from(["", " 25:10", " 13:00 pm", " 0:30 am", " 12:00 xx", " 9:60"]),
)
def test_quick_date_leaves_other_numbers_to_dateparser(
    day: int, month: int, year: int, sep: str, clock: str
) -> None:
    for text in (f"{day}{sep}{month}{sep}{year}{clock}", f"{year}-{month:02}-{day:02}{clock}"):
        quick = quick_date(text, ["en"])
        assert quick is None or quick == full_date(text, ["en"]), text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 ./-:,aAmMpPyJnuΜαΐου"), max_size=24))
def test_quick_date_agrees_on_any_text(text: str) -> None:
    for languages in LANGUAGES:
        quick = quick_date(text, languages)
        assert quick is None or quick == full_date(text, languages), text


def fixture_date_strings(shared: Path) -> set[str]:
    """The short strings with a year in fixtures/ and the text-dumps-dev set, and their
    parts around the separators the text-dump extractor splits date lines at."""
    texts: list[str] = []
    for path in FIXTURES.rglob("*"):
        if path.suffix == ".html":
            texts += re.split(r"<[^>]*>|\n", path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix in (".json", ".txt"):
            texts += path.read_text(encoding="utf-8", errors="replace").splitlines()
    for path in (shared / "eval" / "text-dumps-dev").rglob("*"):
        if path.suffix in (".json", ".txt"):
            texts += path.read_text(encoding="utf-8").splitlines()
    strings: set[str] = set()
    for text in texts:
        text = " ".join(text.replace('"', " ").split())
        for part in [text, *re.split(r" \| |, | - ", text)]:
            if 6 <= len(part) <= 60 and re.search(r"(19|20)\d\d", part):
                strings.add(part.strip(" ,:"))
    return strings


def test_quick_date_agrees_on_the_fixtures_dates(shared: Path) -> None:
    strings = fixture_date_strings(shared)
    read = 0
    for text in sorted(strings):
        for languages in LANGUAGES:
            if (quick := quick_date(text, languages)) is not None:
                read += 1
                assert quick == full_date(text, languages), text
    assert read >= 10, read  # the fast path is taken on real pages


def test_a_date_reader_reads_the_fixtures_dates_as_parse_date(shared: Path) -> None:
    """One reader over every date string of the fixtures, as one page's lines: what it
    skips as the shape of an unreadable string is unreadable each time."""
    for languages in LANGUAGES:
        reader = DateReader(languages, "Europe/Athens")
        for text in sorted(fixture_date_strings(shared)):
            expected = parse_date(text, languages=languages, timezone="Europe/Athens")
            assert reader.parse(text) == expected, text


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts dateparser is asked to read (through dates.full_date), in order."""
    texts: list[str] = []

    def counted(text: str, languages: list[str] | None = None) -> datetime | None:
        texts.append(text)
        return full_date(text, languages)

    monkeypatch.setattr(dates, "full_date", counted)
    return texts


def test_a_date_reader_asks_dateparser_once_per_unreadable_shape(asked: list[str]) -> None:
    reader = DateReader(["en"])
    listed = ["GMT 13:34 2012 Monday ,19 November", "GMT 07:56 2011 Saturday ,27 August"]
    assert [reader.parse(text) for text in listed] == [None, None]
    assert asked == listed[:1]
    assert reader.parse("Monday, 19 November 2012 13:34") == date(2012, 11, 19)
    assert len(asked) == 2


def test_date_reader_stops_asking_dateparser_after_max_tries(asked: list[str]) -> None:
    reader = DateReader(["en"])
    # each of another shape: a word of its own
    unread = [f"Published 2020 {'x' * n}" for n in range(1, dates.MAX_TRIES + 11)]
    assert not any(reader.parse(text) for text in unread)
    assert len(asked) == dates.MAX_TRIES
    # A text of a format read without dateparser is still read.
    assert reader.parse("2018-12-19") == date(2018, 12, 19)


def test_parse_date_keeps_its_time_zone_rule() -> None:
    assert (
        parse_date("2018-12-19 15:01", languages=["en"], timezone=None)
        == datetime(2018, 12, 19).date()
    )
    when = parse_date("19.12.2018 15:01", languages=["en"], timezone="Europe/Athens")
    assert isinstance(when, datetime) and when.tzinfo is not None and when.hour == 15


def test_quick_date_reads_nothing_in_a_language_dateparser_refuses() -> None:
    assert full_date("19.12.2018", ["xx", "en"]) is None
    assert quick_date("19.12.2018", ["xx", "en"]) is None
    assert quick_date("19.12.2018", []) is None


def test_a_date_is_read_as_written_never_against_the_clock() -> None:
    # A relative date would be read against the time of the extraction (a WARC
    # reprocessed years later would get that year): dateparser's default reads both.
    assert parse_date("2 days ago, 2019", languages=["en"]) is None
    assert parse_date("yesterday 2019", languages=["en"]) is None
    assert parse_date("Tuesday 19 November 2019 10:43", languages=["en"]) == date(2019, 11, 19)
