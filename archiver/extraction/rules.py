"""Extraction rules kept as data: the lexicons and each site's rules file.

Rules live in TOML files in ``archiver/rules/``: ``generic.toml`` holds the lexicon of
page furniture that every extraction uses, ``html.toml`` the furniture of HTML pages
for the generic HTML extractor, and each file in ``sites/`` describes one site plugin
(its domains, fingerprints, time zone and the text rules that add to the lexicon).
:func:`read_rules` reads any of them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, Literal

from ..errors import PluginError
from . import asciitext

__all__ = [
    "Lexicon",
    "SiteRules",
    "StandfirstRule",
    "any_match",
    "any_of",
    "fold",
    "lexicon",
    "load_site_rules",
    "read_rules",
]

_COMBINING = re.compile(r"[\u0300-\u036f]")

StandfirstRule = Literal["auto", "after_title", "none"]

Patterns = tuple[re.Pattern[str], ...]
#: A set of folded patterns, tested as a whole (:func:`any_match`): each with its needle.
FoldedPatterns = tuple[tuple[str, re.Pattern[str]], ...]


def fold(text: str) -> str:
    """``text`` in lower case without accents, so that "ΣΧΕΤΙΚΑ" and "σχετικά" match one
    pattern, and patterns need no IGNORECASE (which makes Python's regexes several times
    slower)."""
    if asciitext.view(text) is not None:
        # ASCII, or but for marks of typography, which have no accent to lose
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.lower())
    # The acute (Greek tonos; é, á, ó) is most of the accents: replacing it outright
    # leaves the regular expression, slow per match, little to remove.
    return _COMBINING.sub("", decomposed.replace("\u0301", ""))


def _fold_pattern(pattern: str) -> str:
    """:func:`fold` for a regular expression: escapes such as ``\\S`` keep their case."""
    parts = re.split(r"(\\.)", pattern)
    return "".join(part if part.startswith("\\") else fold(part) for part in parts)


def _compile(patterns: Iterable[str], source: str) -> Patterns:
    """Compile ``patterns``, ignoring case; an error names ``source``."""
    try:
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    except re.error as exc:
        raise PluginError(f"bad regular expression ({exc})", source=source) from exc


#: What ties a pattern's alternatives together, so that they cannot be tried apart: a
#: back-reference (its group may be in another alternative, and numbers change when
#: alternatives move) or flags set for the whole pattern. Read broadly: an escaped
#: backslash before a digit counts too, and keeps a pattern whole for nothing worse than
#: a slower test.
_WHOLE = re.compile(r"\\[1-9]|\(\?P=|\(\?[aiLmsux]+\)")


def _compile_folded(patterns: Iterable[str], source: str) -> FoldedPatterns:
    """Compile ``patterns`` folded (see :func:`fold`), as a set tested as a whole.

    As :func:`any_match` needs to know only whether one matches, each pattern's
    alternatives are apart: those anchored at the line's start make one alternation,
    ``^(?:a|b)``, which the regex engine tries at the first position only; each of the
    others goes with its needle, a piece of text that every match holds, looked for
    before the pattern is tried (the engine skips ahead to an alternative that starts
    with a literal, but not to one that starts with a group, a class or a word boundary).
    """
    try:
        anchored, others, whole = _apart(map(_fold_pattern, patterns), 0)
        compiled = [re.compile(pattern) for pattern in (*others, *whole)]
        if anchored:
            compiled.insert(0, re.compile(_anchored_group(anchored)))
    except re.error as exc:
        raise PluginError(f"bad regular expression ({exc})", source=source) from exc
    return tuple((_needle(pattern), pattern) for pattern in compiled)


def any_match(patterns: FoldedPatterns, folded_line: str) -> bool:
    """Whether any of ``patterns`` (see :func:`_compile_folded`) matches a line passed
    through :func:`fold`."""
    # A loop, not any() over a generator: this runs for every line of every page.
    for needle, pattern in patterns:
        if needle in folded_line and pattern.search(folded_line):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Words that pages in general use for their furniture (``rules/generic.toml``)."""

    #: the boolean patterns (boilerplate, end, summary_labels) are compiled folded
    boilerplate: FoldedPatterns
    end: FoldedPatterns
    summary_labels: FoldedPatterns
    credit: Patterns
    #: ``credit`` compiled folded, for testing a line at once
    credit_test: FoldedPatterns
    date_labels: Patterns
    byline: Patterns
    #: lower-cased form -> canonical agency name
    agencies: Mapping[str, str]

    def agency(self, name: str) -> str | None:
        """The canonical name of the wire agency ``name`` denotes, if it is one."""
        return self.agencies.get(" ".join(name.lower().strip(" .,()").split()))


@dataclass(frozen=True, slots=True)
class SiteRules:
    """One site plugin's data: identity, fingerprints and text rules.

    The text rules add to the generic lexicon; they never replace it.
    """

    name: str
    version: str
    domains: tuple[str, ...]
    timezone: str | None = None
    #: site domain -> patterns (multi-line mode) that identify a page of that site
    fingerprints: Mapping[str, Patterns] = field(default_factory=dict)
    #: drop, end and captions are compiled folded (see :func:`fold`)
    drop: FoldedPatterns = ()
    drop_blocks: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    end: FoldedPatterns = ()
    captions: FoldedPatterns = ()
    #: drop, end and captions as one set: a line it does not match needs no site test
    line_rules: FoldedPatterns = ()
    #: patterns with a named group "section"
    section: Patterns = ()
    #: patterns with a named group "date" (and optionally "section")
    date: Patterns = ()
    standfirst: StandfirstRule = "auto"
    #: the short line right above a "Place - AGENCY" source line is a photo caption
    caption_before_source: bool = False
    html: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str) -> SiteRules:
        """Build rules from a parsed TOML file; errors name ``source``."""
        try:
            text = data.get("text", {})
            fingerprints = {
                domain: tuple(re.compile(p, re.MULTILINE) for p in patterns)
                for domain, patterns in data.get("fingerprints", {}).items()
            }
            blocks = tuple(
                (re.compile(start, re.IGNORECASE), re.compile(stop, re.IGNORECASE))
                for start, stop in text.get("drop_blocks", [])
            )
            line_rules = [*text.get("drop", []), *text.get("end", []), *text.get("captions", [])]
            standfirst = text.get("standfirst", "auto")
            if standfirst not in ("auto", "after_title", "none"):
                raise ValueError(
                    f"standfirst must be auto, after_title or none, not {standfirst!r}"
                )
            return cls(
                name=data["name"],
                version=str(data["version"]),
                domains=tuple(data["domains"]),
                timezone=data.get("timezone"),
                fingerprints=fingerprints,
                drop=_compile_folded(text.get("drop", []), source),
                drop_blocks=blocks,
                end=_compile_folded(text.get("end", []), source),
                captions=_compile_folded(text.get("captions", []), source),
                line_rules=_compile_folded(line_rules, source),
                section=_compile(text.get("section", []), source),
                date=_compile(text.get("date", []), source),
                standfirst=standfirst,
                caption_before_source=bool(text.get("caption_before_source", False)),
                html=data.get("html", {}),
            )
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise PluginError(
                f"invalid site rules ({type(exc).__name__}: {exc})", source=source
            ) from exc

    def site_for(self, text: str) -> str | None:
        """The domain whose fingerprints the page text carries, if any."""
        for domain, patterns in self.fingerprints.items():
            for pattern in patterns:
                # A pattern that starts with \b or ^ is tried at every character of
                # the page (20 ns each): the words it needs are looked for first, at
                # the speed of memory.
                needle = _needle(pattern)
                if needle in text and pattern.search(text):
                    return domain
        return None


#: Characters that are themselves in a regular expression (outside a class).
_PLAIN = re.compile(r"[^\\.^$*+?{}()\[\]|]")
_QUANTIFIERS = "?*+{"
#: A count, as Python reads one ("{2}", "{1,3}", "{,}"...); any other brace is a brace.
_COUNT = re.compile(r"\{(?:\d+|\d*,\d*)\}")


@cache
def _needle(pattern: re.Pattern[str]) -> str:
    """A piece of text that every match of ``pattern`` holds: the longest run of literal
    characters at its top level ("" when there is none to rely on, as in a pattern
    with flags or a top-level alternation)."""
    source = pattern.pattern
    if pattern.flags & (re.IGNORECASE | re.VERBOSE) or source.startswith("(?"):
        return ""
    runs: list[str] = []
    run: list[str] = []
    depth = index = 0

    def cut() -> None:
        runs.append("".join(run))
        run.clear()

    while index < len(source):
        char = source[index]
        literal = None
        if char == "\\" and index + 1 < len(source):
            escaped = source[index + 1]
            index += 2
            if escaped in "xuUN0123456789":
                return ""  # a character code or a back reference: not worth reading
            if not escaped.isalnum():
                literal = escaped  # "\." is a dot
        elif char == "[":  # a class: skip it whole
            index = _class_end(source, index)
        elif char == "{":  # a count, skipped whole; or a brace, which no needle holds
            count = _COUNT.match(source, index)
            index = count.end() if count else index + 1
        else:
            index += 1
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            elif char == "|" and depth == 0:
                return ""  # either side may match: nothing is certain
            elif _PLAIN.match(char):
                literal = char
        if literal is not None and depth == 0:
            if source[index : index + 1] and source[index] in _QUANTIFIERS:
                cut()  # this character may be missing or repeated
            else:
                run.append(literal)
        else:
            cut()
    cut()
    return max(runs, key=len)


def any_of(patterns: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    """One regular expression that finds a match in a text when one of ``patterns``
    (compiled with ``flags``) does, and only then: for tests of whether any does (the
    match it finds may be another one's).

    Python's regex engine tries an alternation at each character of a text, each of its
    alternatives in turn. Here the alternatives anchored at the start (``^``) are one
    group, which fails at once past the start; those that start at a word boundary
    (``\\b``) are another, behind one test of the boundary and of the characters they can
    start with. Against 38 alternatives, a paragraph of 200 characters took 100 µs,
    now 10.

    Raises ValueError for a pattern whose alternatives cannot stand apart (a
    back-reference, flags set for the whole pattern: see :data:`_WHOLE`) and for
    ``re.VERBOSE``, in which spaces are not read as written.
    """
    if flags & re.VERBOSE:
        raise ValueError("any_of: verbose patterns are not read")
    anchored, branches, whole = _apart(patterns, flags)
    if whole:
        raise ValueError(f"any_of: the alternatives of {whole[0]!r} cannot stand apart")
    bounded: list[str] = []
    starts: list[str] = []
    others: list[str] = []
    for branch in branches:
        if branch.startswith("\\b") and (start := _first_characters(branch[2:])) is not None:
            bounded.append(branch[2:])
            starts.append(start)
        else:
            others.append(branch)
    parts = [_anchored_group(anchored)] if anchored else []
    if bounded:
        group = "|".join(f"(?:{branch})" for branch in bounded)
        parts.append(f"\\b(?=[{''.join(starts)}])(?:{group})")
    parts += [f"(?:{branch})" for branch in others]
    return re.compile("|".join(parts) or "(?!)", flags)  # of no pattern, nothing matches


def _apart(patterns: Iterable[str], flags: int) -> tuple[list[str], list[str], list[str]]:
    """The alternatives of ``patterns``, each pattern first compiled as written (with
    ``flags``: an alternative alone may compile where the pattern does not): those
    anchored at the start, less their ``^``; the others; and the patterns whose
    alternatives cannot stand apart (see :data:`_WHOLE`), whole."""
    anchored: list[str] = []
    others: list[str] = []
    whole: list[str] = []
    for pattern in patterns:
        re.compile(pattern, flags)
        if _WHOLE.search(pattern):
            whole.append(pattern)
            continue
        for branch in _branches(pattern):
            if branch.startswith("^"):
                anchored.append(branch[1:])
            else:
                others.append(branch)
    return anchored, others, whole


def _anchored_group(alternatives: list[str]) -> str:
    """One pattern of ``alternatives`` anchored at the start, which the regex engine
    tries at the first position only."""
    return "^(?:" + "|".join(f"(?:{branch})" for branch in alternatives) + ")"


def _branches(source: str) -> list[str]:
    """The alternatives at the top level of the regular expression ``source``."""
    branches = []
    start = depth = 0
    for index, char in _syntax(source):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(source[start:index])
            start = index + 1
    branches.append(source[start:])
    return branches


def _first_characters(source: str) -> str | None:
    """The characters that a match of the regular expression ``source`` can start with,
    as the inside of a class; None when that is not plain to read (an optional start, an
    assertion, a class, a wildcard)."""
    if source.startswith("(?:") or source.startswith("(") and not source.startswith("(?"):
        end = _group_end(source)
        if end < 0 or _optional(source, end + 1):
            return None
        inner = source[3 if source.startswith("(?:") else 1 : end]
        starts = [_first_characters(branch) for branch in _branches(inner)]
        known = [start for start in starts if start is not None]
        return "".join(known) if len(known) == len(starts) else None
    if source.startswith("\\") and len(source) > 1:
        escaped = source[1]
        if escaped.isalnum() and escaped not in "dswDSW":
            return None  # an assertion (a word boundary), a back reference, a code
        start, after = source[:2], 2
    elif source and _PLAIN.match(source[0]):
        start = "\\" + source[0] if source[0] in "]\\^-" else source[0]
        after = 1
    else:
        return None
    return None if _optional(source, after) else start


def _optional(source: str, index: int) -> bool:
    """Whether what ends before ``index`` of ``source`` may be missing from a match."""
    return source[index : index + 1] in ("?", "*", "{")


def _class_end(source: str, index: int) -> int:
    """The end of the class that starts at ``index`` of the regular expression ``source``."""
    index += 1
    if source[index : index + 1] == "^":
        index += 1
    if source[index : index + 1] == "]":
        index += 1
    while index < len(source) and source[index] != "]":
        index += 2 if source[index] == "\\" else 1
    return index + 1


def _group_end(source: str) -> int:
    """Where the group that opens ``source`` closes; -1 if it does not."""
    depth = 0
    for index, char in _syntax(source):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _syntax(source: str) -> Iterator[tuple[int, str]]:
    """The characters of the regular expression ``source`` outside escapes and classes,
    with their positions: where its groups and alternatives are."""
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
        elif char == "[":
            index = _class_end(source, index)
        else:
            yield index, char
            index += 1


def read_rules(name: str) -> dict[str, Any]:
    """The TOML rules file ``archiver/rules/<name>`` (e.g. ``"sites/jpost.toml"``).

    Raises :class:`~archiver.errors.PluginError` naming the file when it cannot be read.
    """
    source = f"archiver/rules/{name}"
    try:
        data: dict[str, Any] = tomllib.loads(
            (files("archiver") / "rules" / name).read_text(encoding="utf-8")
        )
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PluginError(f"cannot read the rules: {exc}", source=source) from exc
    return data


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The generic lexicon, loaded once."""
    source = "archiver/rules/generic.toml"
    data = read_rules("generic.toml")
    agencies = {form: canonical for canonical, forms in data["agencies"].items() for form in forms}
    return Lexicon(
        boilerplate=_compile_folded(data["boilerplate"], source),
        end=_compile_folded(data["end"], source),
        summary_labels=_compile_folded(data["summary_labels"], source),
        credit=_compile(data["credit"], source),
        credit_test=_compile_folded(data["credit"], source),
        date_labels=_compile(data["date_labels"], source),
        byline=_compile(data["byline"], source),
        agencies=agencies,
    )


def load_site_rules(filename: str) -> SiteRules:
    """Load one built-in site rules file by name (e.g. ``"jpost.toml"``)."""
    return SiteRules.from_mapping(
        read_rules(f"sites/{filename}"), f"archiver/rules/sites/{filename}"
    )
