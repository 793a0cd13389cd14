"""Lines of page text: what each one is, and the cleaning of an isolated article body.

A line is classified from what it looks like (prose, short line, credit, furniture
named by the lexicon or the site's rules, wire-source line, the end of an article).
:mod:`archiver.extraction.textdump` classifies whole dumps with these tests;
:func:`clean_body` applies them to a body that markup has already isolated.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from . import asciitext
from .budget import MAX_LINES
from .language import detect_language
from .render import normalize_space
from .result import Extraction
from .rules import Lexicon, SiteRules, any_match, fold, lexicon

__all__ = [
    "HEADING_WORDS",
    "LETTER_WORD",
    "LONG_WORDS",
    "WORD",
    "Kind",
    "Line",
    "clean_body",
    "ends_sentence",
    "folded_words",
    "identify_language",
    "in_drop_blocks",
    "lexicon_kind",
    "lower_share",
    "normalise",
    "single_caption",
    "site_kind",
    "source_agency",
    "trigrams",
]

WORD = re.compile(r"\w+")
LETTER_WORD = re.compile(r"[^\W\d_][\w'’-]*")
#: LETTER_WORD, capturing the initial: lower_share needs no more of a word.
_INITIAL = re.compile(r"([^\W\d_])[\w'’-]*")
DIGIT = re.compile(r"\d")
#: The dashes that part a source line's place from its agency.
_SOURCE_DASHES = "-–—"
SOURCE_LINE = re.compile(
    rf"^(?P<place>[^\W\d][\w .'-]{{1,30}}?)\s+[{_SOURCE_DASHES}]\s+(?P<agency>[\w .-]{{2,30}})$"
)


#: For :func:`lower_share`: an ASCII character as ``l`` (a lower-case letter), ``u``
#: (upper-case) or ``d`` (a character of a run, ``\w``, "'" or "-", that is no letter,
#: as in "3rd" or "'em"); a space ends a run.
_ASCII_CLASSES = asciitext.table(
    dict.fromkeys(string.ascii_lowercase, "l")
    | dict.fromkeys(string.ascii_uppercase, "u")
    | dict.fromkeys(string.digits + "_'-", "d")
)
_MARKS_THEN_LETTER = re.compile(rb" d+([lu])")


#: The marks that end a sentence, and the closing quotes and brackets that may follow.
_SENTENCE_MARKS = ".!?…:;"
_CLOSERS = "'\"”’»)]"

#: A line of at least this many words is prose even when it does not end like a sentence.
LONG_WORDS = 20
#: A subheading has at most this many words.
HEADING_WORDS = 14


class Kind(Enum):
    """What a line of a page is."""

    BLANK = "blank"
    PROSE = "prose"  # a paragraph of running text
    SHORT = "short"  # a short line: headline, subheading, menu entry, label
    FURNITURE = "furniture"  # named by the lexicon or the site's rules
    CREDIT = "credit"  # a caption with its photo credit, or a bare credit
    CAPTION = "caption"  # a caption named by the site's rules
    REPEAT = "repeat"  # repeats an earlier line
    DATE = "date"
    BYLINE = "byline"
    SOURCE = "source"  # dateline naming a wire agency: "Tel Aviv - TASS"
    END = "end"  # the article does not go on past this line
    SUMMARY = "summary"  # a summary box label: the next paragraph is not body


@dataclass(slots=True)
class Line:
    """One line of a dump, with what it was found to be."""

    index: int
    text: str
    kind: Kind
    words: int
    folded: str = ""
    value: object = None  # what a DATE, BYLINE or SOURCE line says
    #: its words, case-folded (:func:`folded_words`): the tests of a line share them
    #: (None until the line is classified: most of a page's lines never are)
    tokens: list[str] | None = None


def clean_body(
    lines: list[str], rules: SiteRules | None = None, *, language: str | None = None
) -> Extraction:
    """Clean the lines of an article body that markup has already isolated (as
    :func:`~archiver.extraction.render.render_lines` gives them: stripped, white space folded).

    The same furniture rules as :func:`extract_text` apply (the lexicon, the site's drop,
    end and drop-block rules, wire-source lines), but nothing is searched for: the lines
    are the body, less its furniture, up to the first line that ends an article.
    """
    # No Line records and no _Dump: this runs on every page a site plugin reads.
    lines = lines[:MAX_LINES]
    lex = lexicon()
    body: list[str] = []
    source: str | None = None
    skip_next = False
    for text, in_block in zip(lines, in_drop_blocks(lines, rules)):
        if not text or in_block:
            continue
        folded = fold(text)
        words = text.count(" ") + 1  # white space is folded: one per gap
        kind = site_kind(rules, folded)
        if kind is None and words <= 6 and (agency := source_agency(lex, text)) is not None:
            kind, source = Kind.SOURCE, source or agency
        # Markup puts captions in figures, dropped before: in a body, only a short line
        # can still be a bare credit.
        kind = kind or lexicon_kind(lex, text, folded, words, caption_words=HEADING_WORDS)
        if kind is Kind.END and body:
            break
        skip_next, skipped = kind is Kind.SUMMARY, skip_next
        if kind is None and not skipped:
            body.append(text)
    if language is None:
        language = identify_language(lines)
    return Extraction(text="\n\n".join(body), language=language, source=source)


def identify_language(lines: list[str]) -> str | None:
    """The language the lines are written in.

    Long lines are mostly the article's: they tell its language better than menus.
    """
    sample = " ".join(text for text in lines if len(text) > 60) or " ".join(lines)
    return detect_language(sample)


def in_drop_blocks(lines: Iterable[str], rules: SiteRules | None) -> Iterator[bool]:
    """For each line, whether it lies in one of the site's drop blocks (pop-ups): as each
    is asked for, so that a dump's lines after its article cost nothing."""
    blocks = rules.drop_blocks if rules else ()
    drop_until: re.Pattern[str] | None = None
    for text in lines:
        if blocks and text and drop_until is None:
            drop_until = next((stop for start, stop in blocks if start.search(text)), None)
        yield bool(text) and drop_until is not None
        if text and drop_until is not None and drop_until.search(text):
            drop_until = None


def site_kind(rules: SiteRules | None, folded: str) -> Kind | None:
    """What the site's own rules say the line is."""
    if rules is None or not any_match(rules.line_rules, folded):
        return None
    if any_match(rules.end, folded):
        return Kind.END
    if any_match(rules.drop, folded):
        return Kind.FURNITURE
    if any_match(rules.captions, folded):
        return Kind.CAPTION
    return None


def source_agency(lex: Lexicon, text: str) -> str | None:
    """The wire agency of a "Place - AGENCY" source line."""
    if not any(dash in text for dash in _SOURCE_DASHES):
        return None  # most lines: no need to try every length of a place's name
    match = SOURCE_LINE.match(text)
    return lex.agency(match.group("agency")) if match else None


def lexicon_kind(
    lex: Lexicon, text: str, folded: str, words: int, *, caption_words: int
) -> Kind | None:
    """What the lexicon says a line of ``words`` words is, when it is not text (source
    lines apart). Lines over ``caption_words`` words are not tested for photo credits."""
    if words > 40 and words > caption_words:
        return None  # no rule of the lexicon tests lines this long
    short = words <= LONG_WORDS
    if words <= 40 and any_match(lex.end, folded):
        return Kind.END
    if short and any_match(lex.summary_labels, folded):
        return Kind.SUMMARY
    # Captions are short, and a credit closes its line: test the tail of short lines.
    if words <= caption_words and any_match(lex.credit_test, folded[-200:]):
        return Kind.CREDIT
    if short and any_match(lex.boilerplate, folded):
        return Kind.FURNITURE
    if short and digit_share(text) >= 0.4:
        return Kind.FURNITURE  # tickers, scores, timetables
    return None


def normalise(line: str) -> str:
    """The line with its white space folded, a caption printed twice printed once."""
    return single_caption(normalize_space(line))


def single_caption(line: str) -> str:
    """The line, a caption printed twice on it ("X X", as pages often do) printed once."""
    half, rest = divmod(len(line), 2)
    if len(line) > 20 and rest == 1 and line[half] == " " and line[:half] == line[half + 1 :]:
        return line[:half]
    return line


def ends_sentence(line: str) -> bool:
    """Whether the ``line`` (no line break in it) ends like a sentence: with a mark of
    :data:`_SENTENCE_MARKS`, then perhaps closing quotes or brackets. String methods, not
    a regular expression ending in ``$``, which is tried at every character of the line."""
    stripped = line.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _SENTENCE_MARKS


def folded_words(text: str) -> list[str]:
    """The words of ``text`` (:data:`WORD`), each case-folded."""
    if (plain := asciitext.view(text)) is not None:
        return asciitext.words(plain)
    words = WORD.findall(text)
    # One casefold() for the line, not one per word: case folding is per character and
    # never yields a space, so the joined words split back into the same ones.
    return " ".join(words).casefold().split(" ") if words else []


def trigrams(words: list[str]) -> set[tuple[str, ...]]:
    """The 3-grams of a line's :func:`folded_words` (how repeats of a line are found)."""
    if len(words) < 3:
        return {tuple(words)}
    return set(zip(words, words[1:], words[2:]))


def lower_share(text: str) -> float:
    """The share of words that start lower-case: high in prose, low in headlines.

    A word is a :data:`LETTER_WORD`, found as :data:`_INITIAL` finds it: the first letter
    of each run of word characters (``\\w``, ``'``, ``’``, ``-``) that holds one.
    """
    if (plain := asciitext.view(text)) is not None:
        # The same count without a regular expression tried at every character (the
        # dearest part of reading a long paragraph): each character becomes its class,
        # and a run's initial is the class after a space, or after its leading marks.
        classes = b" " + plain.encode("ascii").translate(_ASCII_CLASSES)
        lower, upper = classes.count(b" l"), classes.count(b" u")
        if b" d" in classes:
            marked = b"".join(_MARKS_THEN_LETTER.findall(classes))
            lower, upper = lower + marked.count(b"l"), upper + marked.count(b"u")
        words = lower + upper
        return lower / words if words else 0.0
    initials = _INITIAL.findall(text)
    if not initials:
        return 0.0
    return float(sum(map(str.islower, initials))) / len(initials)


def digit_share(text: str) -> float:
    """The share of tokens holding digits: high in tickers, scores and timetables."""
    if not DIGIT.search(text):
        return 0.0  # most lines: no need to split them
    tokens = text.split()
    return sum(1 for t in tokens if not t.isalpha() and DIGIT.search(t)) / len(tokens)
