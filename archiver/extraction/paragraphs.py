"""The cleaning of trafilatura's paragraphs, after the extraction: the headline echoed
at the start (with the datelines and labels about it), "Read more: ..." teasers and the
headlines listed under them, and the follow-us, newsletter and copyright lines that close
the text. The patterns are data: ``[postclean]`` in ``archiver/rules/html.toml``, and the
generic lexicon."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .lines import ends_sentence
from .prose import has_words, is_prose, letter_words
from .rules import any_match, any_of, fold, lexicon, read_rules

__all__ = ["clean_paragraphs", "headline_words"]

_WORD = re.compile(r"\w+")
#: The headline is looked for among this many paragraphs at the start.
_HEADER_LINES = 4
#: Teaser and furniture lines are short.
_TEASER_WORDS = 30
_LISTED_WORDS = 25
_TRAILER_WORDS = 40
_FRAGMENT_WORDS = 3
#: A dateline has a date and at most this many words besides.
_DATELINE_WORDS = 7


@dataclass(frozen=True, slots=True)
class _Rules:
    """``[postclean]`` of ``rules/html.toml``, compiled."""

    teaser: re.Pattern[str]
    trailer: re.Pattern[str]
    dateline: re.Pattern[str]
    leader: re.Pattern[str]


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    post = read_rules("html.toml")["postclean"]
    teaser = "|".join(fold(p) for p in post["teaser"])
    return _Rules(
        # Possessive: every teaser starts with a letter, and a paragraph of punctuation
        # alone must not be tried at each of its characters (3 s a megabyte)
        teaser=re.compile(rf"^\W*+(?:{teaser})\b\s*+(?::|\W*+$)", re.IGNORECASE),
        trailer=any_of((fold(p) for p in post["trailer"]), re.IGNORECASE),
        dateline=re.compile("|".join(fold(p) for p in post["dateline"]), re.IGNORECASE),
        leader=any_of((fold(p) for p in post["leader"]), re.IGNORECASE),
    )


def clean_paragraphs(paragraphs: list[str], headlines: list[list[str]]) -> list[str]:
    """The article's ``paragraphs`` without the headline (any of ``headlines``, as
    :func:`headline_words` gives them), teasers and furniture lines."""
    rules = _rules()
    paragraphs = _without_headline(paragraphs, headlines, rules)
    paragraphs = list(_without_teasers(paragraphs, rules))
    return _without_trailer(paragraphs, rules)


def _without_headline(
    paragraphs: list[str], headlines: list[list[str]], rules: _Rules
) -> list[str]:
    """Drop the headline echoed at the start, with the short header lines above it, and
    the datelines and labels (category, advertising notice) among them.

    Section labels, kickers and a second form of the headline come before the body
    when trafilatura takes the article's header along; so does the date, which the
    metadata holds.
    """
    start, datelines = 0, set()
    # A paragraph of more words than the longest headline is none of its forms: its
    # words need not be listed (most of the first paragraphs are the body's)
    longer = _more_words_than(max(map(len, headlines), default=0))
    for index, paragraph in enumerate(paragraphs[:_HEADER_LINES]):
        if not longer.match(paragraph) and _is_headline(paragraph, headlines):
            start = index + 1
        elif _is_dateline(paragraph, rules) or (
            not has_words(paragraph, _TEASER_WORDS + 1) and rules.leader.search(_fold(paragraph))
        ):
            datelines.add(index)
        elif is_prose(paragraph):
            break
    return [p for index, p in enumerate(paragraphs) if index >= start and index not in datelines]


def _is_dateline(paragraph: str, rules: _Rules) -> bool:
    """A date with a few words about it (time, place, author, category), no sentence."""
    if ends_sentence(paragraph):
        return False  # tested first: most paragraphs are sentences, the date search is dear
    folded = _fold(paragraph)
    date = rules.dateline.search(folded)
    if date is None:
        return False
    rest = folded[: date.start()] + " " + folded[date.end() :]
    return letter_words(rest) <= _DATELINE_WORDS


def _is_headline(paragraph: str, headlines: list[list[str]]) -> bool:
    words = headline_words(paragraph)
    if not words:
        return False
    for headline in headlines:
        if words == headline:
            return True
        # "Headline | Site" in <title>: the paragraph is one end of it
        if len(words) >= 3 and words in (headline[: len(words)], headline[-len(words) :]):
            return True
    return False


def _without_teasers(paragraphs: list[str], rules: _Rules) -> Iterable[str]:
    """Drop the lines that point to other articles, and the headlines listed under a label."""
    listing = labelled = False
    for paragraph in paragraphs:
        # counted, and folded, only as far as a teaser's or a listed line's length matters
        short = not has_words(paragraph, _TEASER_WORDS + 1)
        if short and (match := rules.teaser.match(folded := _fold(paragraph))):
            listing = True
            labelled = match.end() >= len(folded.rstrip(" :.-–—|"))  # a bare label
            continue
        if listing and short and not has_words(paragraph, _LISTED_WORDS + 1):
            if paragraph.startswith("- "):
                continue  # an item of the list under the teaser
            if labelled and not ends_sentence(paragraph):
                continue  # a headline under a bare label ("DON'T MISS")
        listing = False
        yield paragraph


def _without_trailer(paragraphs: list[str], rules: _Rules) -> list[str]:
    """Cut the furniture lines (follow us, newsletter, copyright) that close the text."""
    lex = lexicon()
    cut = index = len(paragraphs)
    while index > 1:
        paragraph = paragraphs[index - 1]
        if not has_words(paragraph, _TRAILER_WORDS + 1) and (
            rules.trailer.search(folded := _fold(paragraph))
            or any_match(lex.boilerplate, folded)
            or any_match(lex.end, folded)
        ):
            cut = index - 1
        elif has_words(paragraph, _FRAGMENT_WORDS + 1):
            break
        index -= 1
    return paragraphs[:cut]


@lru_cache(maxsize=64)
def _more_words_than(count: int) -> re.Pattern[str]:
    """A regex matching a text of more than ``count`` words (:data:`_WORD`), read up to
    there only; each word and each gap is taken whole (possessive), in linear time."""
    return re.compile(rf"(?:\W*+\w++){{{count + 1}}}")


def headline_words(text: str) -> list[str]:
    """The words of ``text``, case-folded: a headline's form, to compare paragraphs with."""
    return [w.casefold() for w in _WORD.findall(text)]


def _fold(text: str) -> str:
    # fold() is slow per character; an ASCII line only needs its lower case (the
    # lexicon's patterns are matched case-sensitively, folded). Other spaces (no-break,
    # thin) become plain ones, which the patterns write.
    return text.lower() if text.isascii() else fold(" ".join(text.split()))
