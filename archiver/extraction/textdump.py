"""Extraction from text dumps: the visible text of a whole rendered page.

A dump has no markup, so the method works on lines. Each line is classified from what
it looks like (prose, short line, date, byline, credit, furniture named by the lexicon,
repeat of an earlier line); the body is the run of lines with the most prose, cut at
the first line that ends an article (tags, related lists, comment forms); the headline,
standfirst, date, byline and wire source come from the lines around that run. Site
plugins pass their own :class:`~archiver.extraction.rules.SiteRules`, which add to the lexicon.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime

from .budget import MAX_LINES, bounded_lines
from .dates import DateReader, date_share, parse_date
from .lines import (
    HEADING_WORDS,
    LETTER_WORD,
    LONG_WORDS,
    Kind,
    Line,
    ends_sentence,
    folded_words,
    identify_language,
    in_drop_blocks,
    lexicon_kind,
    lower_share,
    single_caption,
    site_kind,
    source_agency,
    trigrams,
)
from .render import normalize_space
from .result import Extraction
from .rules import Lexicon, SiteRules, any_match, fold, lexicon

__all__ = ["extract_lines", "extract_text"]

_DATELINE = re.compile(r"^(?P<place>[A-Z][A-Za-z .'-]{1,30}?)\s*[-–—]+\s*(?P<date>[^:]{6,30}):\s")
_TAGS = re.compile(r"^(?:tags?|ετικέτες)\s*:?\s+(?P<tags>.+)$", re.IGNORECASE)
_NAME_SEPARATOR = re.compile(r"\s*(?:,|&|\band\b|\bκαι\b)\s*")

#: A prose line has at least this many words ...
_PROSE_WORDS = 8
#: ... and ends like a sentence, unless it has LONG_WORDS or more.
#: A repeat: a line whose word 3-grams stand this much in earlier lines.
_REPEAT_SHARE = 0.6
#: Up to this many headline candidates, the dump is scanned for each one's repeats
#: (see _Dump._repeated).
_FEW_CANDIDATES = 8


def extract_text(
    text: str, rules: SiteRules | None = None, *, language: str | None = None
) -> Extraction:
    """Extract the article from a text dump, with a site's ``rules`` when known.

    ``language`` (ISO 639-1), when known, saves identifying it. Only the first
    :data:`~archiver.extraction.budget.MAX_LINES` lines are read.
    """
    return extract_lines(
        [normalize_space(line) for line in bounded_lines(text)], rules, language=language
    )


def extract_lines(
    lines: list[str], rules: SiteRules | None = None, *, language: str | None = None
) -> Extraction:
    """:func:`extract_text` for a dump already in lines, each stripped and its white space
    folded (as :func:`~archiver.extraction.render.render_lines` gives a rendered page's).
    Only the first :data:`~archiver.extraction.budget.MAX_LINES` lines are read."""
    lines = [single_caption(line) for line in lines[:MAX_LINES]]
    return _Dump(lines, rules, lexicon(), language).extract()


class _Dump:
    """One extraction: the dump's lines and what they are."""

    def __init__(
        self, lines: list[str], rules: SiteRules | None, lex: Lexicon, language: str | None = None
    ) -> None:
        """``lines`` must be stripped, their white space folded (see :func:`normalise`)."""
        self.rules = rules
        self.lex = lex
        self.lines = [Line(i, text, Kind.BLANK, 0) for i, text in enumerate(lines)]
        # For each line, the index of the first line at or after it that is not blank:
        # what follows a line is looked up often, and must not cost a scan of the rest.
        self._filled = [len(lines)] * (len(lines) + 1)
        for index in range(len(lines) - 1, -1, -1):
            self._filled[index] = index if lines[index] else self._filled[index + 1]
        self.language = language if language is not None else identify_language(lines)
        self.date_languages = [self.language, "en"] if self.language not in (None, "en") else ["en"]
        self.dates = DateReader(self.date_languages, rules.timezone if rules else None)
        self.found_date = False
        #: whether each line lies in one of the site's drop blocks (pop-ups), read as the
        #: lines are classified
        self._in_block = in_drop_blocks(lines, rules)
        #: each line's text case-folded, made when first needed (see _casefolded_texts)
        self._casefolded: list[str] | None = None
        #: how often each line stands in the dump, case-folded (see _is_repeated)
        self._counts: Counter[str] | None = None
        #: the 3-grams of the lines classified so far, and of the credits among them
        self._seen: set[tuple[str, ...]] = set()
        self._credits: set[tuple[str, ...]] = set()
        self._classified = 0  # the lines before this one are classified

    # -- classification -------------------------------------------------------------

    def _classify_to(self, index: int) -> None:
        """Classify the lines up to ``index`` (included), in order: a line's kind depends
        on the lines before it (repeats, the first date), and the lines after an
        article's end, most of a page, are seldom asked about."""
        while self._classified <= index:
            line = self.lines[self._classified]
            if next(self._in_block):
                line.kind = Kind.FURNITURE
            else:
                self._classify(line)
            self._classified += 1

    def _classify(self, line: Line) -> None:
        text = line.text
        if not text:
            return
        line.folded = fold(text)
        tokens = _tokens(line)
        line.words = len(tokens)
        line.kind = self._kind(line)
        if line.words < 3:
            # Its one gram is shorter than any line tested below has: it matches none.
            return
        grams = trigrams(tokens)
        if line.kind in (Kind.PROSE, Kind.SHORT) and line.words >= _PROSE_WORDS:
            if len(grams & self._credits) >= _REPEAT_SHARE * len(grams):
                line.kind = Kind.CREDIT  # the caption again, without its credit
            elif len(grams & self._seen) >= _REPEAT_SHARE * len(grams):
                line.kind = Kind.REPEAT
        self._seen |= grams
        if line.kind is Kind.CREDIT:
            self._credits |= grams

    def _kind(self, line: Line) -> Kind:
        text = line.text
        if kind := site_kind(self.rules, line.folded):
            return kind
        if line.words <= 12 and (kind := self._date_kind(line)):
            return kind
        if line.words <= 8 and (names := self._byline(text)) is not None:
            line.value = names
            return Kind.BYLINE
        if kind := self._furniture_kind(line):
            return kind
        if (
            line.words >= _PROSE_WORDS
            and (ends_sentence(text) or line.words >= LONG_WORDS)
            and lower_share(text) >= 0.4  # prose-like; last, being the dearest test
        ):
            return Kind.PROSE
        if line.words <= HEADING_WORDS and self._is_repeated(line.text):
            return Kind.REPEAT
        return Kind.SHORT

    def _is_repeated(self, text: str) -> bool:
        """Whether the line ``text`` stands more than once in the dump (in any case).
        Counted when first asked: most lines are found to be something else first."""
        if self._counts is None:
            self._counts = Counter(text for text in self._casefolded_texts() if text)
        return self._counts[text.casefold()] > 1

    def _furniture_kind(self, line: Line) -> Kind | None:
        """What the lexicon says the line is, when it is not text."""
        if line.words <= 6 and (agency := source_agency(self.lex, line.text)) is not None:
            line.value = agency
            return Kind.SOURCE
        return lexicon_kind(self.lex, line.text, line.folded, line.words, caption_words=80)

    def _date_kind(self, line: Line) -> Kind | None:
        """DATE for a date line; only the first is parsed, since only the first is used."""
        share = date_share(line.text, self.date_languages)
        if share == 0.0:
            return None
        if any_match(self.lex.boilerplate, line.folded):
            # a copyright line's year is not the article's date, and dateparser spends
            # milliseconds finding that out
            return None
        if self.found_date:
            return Kind.DATE if share >= 0.5 else None
        if (when := self._date(line.text)) is None:
            return None
        line.value, self.found_date = when, True
        return Kind.DATE

    def _date(self, text: str) -> datetime | date | None:
        candidates = []
        if self.rules:
            for pattern in self.rules.date:
                if match := pattern.search(text):
                    candidates.append(match.group("date"))
        stripped = text
        for label in self.lex.date_labels:
            stripped = label.sub("", stripped, count=1)
        candidates.append(stripped)
        for sep in (" | ", ", ", " - "):
            if sep in stripped:
                candidates.append(stripped.split(sep)[0])
        return next(filter(None, map(self.dates.parse, candidates)), None)

    def _byline(self, text: str) -> tuple[str, ...] | None:
        for pattern in self.lex.byline:
            if match := pattern.search(text):
                names = _NAME_SEPARATOR.split(match.group("names"))
                names = [n.strip(" .") for n in names if n.strip(" .")]
                if names and all(_is_name(n) for n in names):
                    return tuple(names)
        return None

    # -- the body -------------------------------------------------------------------

    def _body_span(self) -> tuple[int, int] | None:
        """First and last line index of the body: the best-scoring run of lines."""
        best: tuple[float, int, int] | None = None
        run_score, run_start = 0.0, -1
        for line in self.lines:
            self._classify_to(line.index)
            if line.kind is Kind.END and best is not None:
                break  # the article does not go on past an end line
            score = self._score(line)
            if run_start < 0 or run_score + score <= 0:
                if score > 0:
                    run_score, run_start = score, line.index
                else:
                    run_score, run_start = 0.0, -1
                    continue
            else:
                run_score += score
            if best is None or run_score > best[0]:
                best = (run_score, run_start, line.index)
            if line.kind is Kind.END:
                run_score, run_start = 0.0, -1
        return (best[1], best[2]) if best else None

    def _score(self, line: Line) -> float:
        if line.kind is Kind.PROSE:
            return float(len(line.text))
        if line.kind is Kind.SHORT and ends_sentence(line.text):
            return len(line.text) / 2
        if line.kind in (Kind.BLANK,):
            return 0.0
        if line.kind is Kind.SHORT:
            return -15.0
        return -40.0

    def _body(self, start: int, stop: int) -> list[Line]:
        body: list[Line] = []
        lines = self.lines
        skip_next = False
        for line in lines[start : stop + 1]:
            if line.kind is Kind.SUMMARY:
                skip_next = True
                continue
            if line.kind is Kind.BLANK:
                continue
            if skip_next:
                skip_next = False
                if line.kind is Kind.PROSE:
                    continue
            if body and _DATELINE.match(line.text):
                continue  # a second dateline opens another story: a related-article card
            if (
                line.kind is Kind.PROSE
                or (line.kind is Kind.SHORT and ends_sentence(line.text))
                or line.kind is Kind.SHORT
                and body
                and self._is_subheading(line)
            ):
                body.append(line)
        # A dump cut in mid-paragraph ends in a fragment right after the body: keep it.
        tail = [ln for ln in lines[stop + 1 :] if ln.text]  # a line is blank when empty
        if len(tail) == 1 and body and self._classified_kind(tail[0]) in (Kind.SHORT, Kind.PROSE):
            body.append(tail[0])
        return body

    def _classified_kind(self, line: Line) -> Kind:
        self._classify_to(line.index)
        return line.kind

    def _after(self, line: Line) -> Line | None:
        """The first line after ``line`` that is not blank."""
        index = self._filled[line.index + 1]
        if index == len(self.lines):
            return None
        self._classify_to(index)
        return self.lines[index]

    def _is_subheading(self, line: Line) -> bool:
        if line.words > HEADING_WORDS or ends_sentence(line.text):
            return False
        after = self._after(line)
        return after is not None and after.kind is Kind.PROSE

    # -- metadata around the body -----------------------------------------------------

    def _title(self, body_start: int) -> Line | None:
        first = next((_tokens(ln) for ln in self.lines if ln.text), [])
        candidates = [
            line
            for line in self.lines[:body_start]
            if line.kind in (Kind.SHORT, Kind.REPEAT, Kind.PROSE) and _is_headline(line)
        ]
        repeats = self._repeated(candidates)
        best: tuple[int, Line] | None = None
        for line in candidates:
            words = _tokens(line)
            # The first line of a dump is usually the page's <title>: the headline,
            # perhaps followed by the site's name.
            echoed = line.index > 0 and first[: len(words)] == words
            repeated = line.index in repeats
            cased = line.text != line.text.lower()
            score = 4 * echoed + 2 * repeated + cased
            if best is None or score >= best[0]:
                best = (score, line)
        return best[1] if best else None

    def extract(self) -> Extraction:
        span = self._body_span()
        if span is None:
            return Extraction(text="", language=self.language)
        body = self._body(*span)
        header_end = body[0].index if body else span[0]
        title = self._title(header_end)
        description = self._standfirst(body, title)
        body_end = body[-1].index if body else span[1]
        meta = self.lines[: body_end + 1]
        published = next((ln.value for ln in meta if ln.kind is Kind.DATE and ln.value), None)
        if published is None and body and (match := _DATELINE.match(body[0].text)):
            published = parse_date(match.group("date"), languages=self.date_languages)
        authors: tuple[str, ...] = ()
        source = next((ln.value for ln in meta if ln.kind is Kind.SOURCE), None)
        for line in meta:
            if line.kind is Kind.BYLINE and not authors:
                names = line.value
                assert isinstance(names, tuple)
                agencies = [self.lex.agency(n) for n in names]
                if all(agencies):
                    source = source or agencies[0]
                else:
                    authors = names
        text = "\n\n".join(line.text for line in body)
        return Extraction(
            text=text,
            title=title.text if title else None,
            description=description,
            authors=authors,
            published=published if isinstance(published, (date, datetime)) else None,
            language=self.language,
            tags=self._tags(),
            section=self._section(),
            source=source if isinstance(source, str) else None,
            captions=self._captions(body_end),
        )

    def _repeated(self, candidates: list[Line]) -> set[int]:
        """The indexes of the headline ``candidates`` (classified lines of words) whose
        words another line of the dump has. A line's words, case-folded, stand in its
        text case-folded: for a few candidates, only the lines holding the longest word
        of one are split into words; for more (a scan of the dump each), every line is,
        once."""
        if len(candidates) > _FEW_CANDIDATES:
            counts = Counter(tuple(_tokens(line)) for line in self.lines if line.text)
            return {line.index for line in candidates if counts[tuple(_tokens(line))] > 1}
        texts = self._casefolded_texts()
        repeated = set()
        for line in candidates:
            words = _tokens(line)
            needle = max(words, key=len)
            if any(
                other is not line and needle in text and _tokens(other) == words
                for other, text in zip(self.lines, texts)
            ):
                repeated.add(line.index)
        return repeated

    def _casefolded_texts(self) -> list[str]:
        """Each line's text, case-folded."""
        if self._casefolded is None:
            self._casefolded = [line.text.casefold() for line in self.lines]
        return self._casefolded

    def _standfirst(self, body: list[Line], title: Line | None) -> str | None:
        """The paragraph right under the headline, when it is a standfirst (popped from body)."""
        rule = self.rules.standfirst if self.rules else "auto"
        if rule == "none" or title is None:
            return None
        under = self._after(title)
        if under is None or under.kind is not Kind.PROSE:
            return None
        if not body or under.index < body[0].index:
            return under.text  # furniture (byline, date, credits) kept it out of the body
        if under is not body[0] or len(body) < 2:
            return None
        # Without a site rule, a paragraph is the standfirst only when furniture (byline,
        # date, credits) separates it from the rest of the body.
        gap = self.lines[body[0].index + 1 : body[1].index]
        if rule == "after_title" or any(ln.kind not in (Kind.BLANK, Kind.SHORT) for ln in gap):
            return body.pop(0).text
        return None

    def _caption_before_source(self, line: Line) -> bool:
        if not (self.rules and self.rules.caption_before_source and line.kind is Kind.SHORT):
            return False
        after = self._after(line)
        return after is not None and after.kind is Kind.SOURCE

    def _tags(self) -> tuple[str, ...]:
        for line in self.lines:
            if (match := _TAGS.match(line.text)) and self._classified_kind(line) is Kind.END:
                raw = match.group("tags")
                parts = raw.split(",") if "," in raw else raw.split()
                return tuple(p.strip() for p in parts if p.strip())
        return ()

    def _section(self) -> str | None:
        patterns = (*self.rules.section, *self.rules.date) if self.rules else ()
        if not patterns:
            return None
        for line in self.lines:
            for pattern in patterns:
                match = pattern.search(line.text)
                if match and "section" in match.groupdict() and match.group("section"):
                    return match.group("section").strip()
        return None

    def _captions(self, body_end: int) -> tuple[str, ...]:
        captions: list[str] = []
        seen: set[str] = set()
        for line in self.lines[: body_end + 1]:
            if line.kind is Kind.CAPTION or self._caption_before_source(line):
                caption = line.text
            elif line.kind is Kind.CREDIT:
                caption = line.text
                for pattern in self.lex.credit:
                    caption = pattern.sub("", caption)
                caption = caption.strip(" ,;-–—")
            else:
                continue
            if LETTER_WORD.search(caption) and caption.casefold() not in seen:
                seen.add(caption.casefold())
                captions.append(caption)
        return tuple(captions)


def _tokens(line: Line) -> list[str]:
    """The words of ``line``, case-folded (:func:`folded_words`), split when first asked for."""
    if line.tokens is None:
        line.tokens = folded_words(line.text)
    return line.tokens


def _is_headline(line: Line) -> bool:
    return 2 <= line.words <= 30 and len(line.text) <= 250 and not line.text.endswith(".")


def _is_name(name: str) -> bool:
    parts = name.split()
    return 1 <= len(parts) <= 5 and all(p[0].isupper() for p in parts)
