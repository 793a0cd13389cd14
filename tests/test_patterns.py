"""The fast forms of the rules' regular expressions find what the plain forms find."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from archiver.errors import PluginError
from archiver.extraction.dates import _TIME, _YEAR
from archiver.extraction.lines import WORD, ends_sentence, folded_words, lower_share
from archiver.extraction.paragraphs import _more_words_than, headline_words
from archiver.extraction.rules import _compile_folded, _needle, any_match, any_of, fold, read_rules

#: The rule sets that are tested as a whole (whether any pattern matches), as written.
RULE_SETS = {
    **{
        f"html.toml {name}": read_rules("html.toml")["postclean"][name]
        for name in ("trailer", "leader", "teaser", "dateline")
    },
    **{
        f"generic.toml {name}": read_rules("generic.toml")[name]
        for name in ("boilerplate", "end", "summary_labels", "credit")
    },
}

#: Pieces of text that the rules look for, and characters that case-insensitive matching
#: treats specially (the long s, the dotless i, the final sigma).
PIECES = [
    "click here", "Copyright", "©", "sign up now", "Follow us on", "share this", "tags:",
    "12.3.2019", "March 12, 2019", "12 de marzo de 2019", "2019-03-12", "kb", "2 MB", "pdf",
    "Werbung", "Related articles", "Read more", "Photo: AP", "(credit: Reuters)",
    "ſ", "ı", "ς", "σ", "İ", "K", ":", ".", " ", "\u00a0", "-", "'",
]  # fmt: skip
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=12).map("".join)


@pytest.mark.parametrize("name", sorted(RULE_SETS))
@pytest.mark.parametrize("flags", [0, re.IGNORECASE], ids=["case", "ignorecase"])
@settings(max_examples=300, deadline=None)
@given(text=texts)
@example(text="sign up here")
@example(text="Download our apps")
def test_any_of_matches_where_one_of_the_patterns_does(name: str, flags: int, text: str) -> None:
    patterns = [fold(pattern) for pattern in RULE_SETS[name]]
    fast = any_of(patterns, flags)
    for subject in (text, fold(text)):
        expected = any(re.search(pattern, subject, flags) for pattern in patterns)
        assert (fast.search(subject) is not None) == expected, subject


@pytest.mark.parametrize(
    ("patterns", "starts_guarded"),
    [
        ([r"\b(ab|cd)e", r"\bx\d"], "[acx]"),  # groups and literals: one guard for both
        ([r"\b\d+ kb"], r"[\d]"),  # a class escape starts the guard's class as it is
        ([r"\b\.net"], r"[\.]"),  # an escaped mark is a literal
        ([r"\b-x"], r"[\-]"),  # a hyphen is escaped in the class
    ],
)
def test_any_of_guards_the_word_boundary_alternatives(
    patterns: list[str], starts_guarded: str
) -> None:
    assert f"\\b(?={starts_guarded})" in any_of(patterns).pattern


@pytest.mark.parametrize(
    "pattern",
    [
        r"\b(ab)?c",  # an optional start
        r"\ba*b",
        r"\ba{0,2}b",
        r"\b[ab]c",  # a class
        r"\b.c",  # a wildcard
        r"\b\bc",  # an assertion
        r"\b(?=a)a",  # a look-ahead
        r"\b(a|)b",  # an empty alternative
    ],
)
def test_any_of_leaves_unguarded_what_may_start_otherwise(pattern: str) -> None:
    fast = any_of([pattern])
    assert "(?=[" not in fast.pattern
    for text in ("c", "b", "ac", "abc", "zc", "aab"):
        assert (fast.search(text) is None) == (re.search(pattern, text) is None)


def test_any_of_keeps_the_start_anchor_to_the_start() -> None:
    fast = any_of(["^follow us", r"\bclick here", "©"])
    assert fast.search("follow us on X") and not fast.search("please follow us")
    assert fast.search("or click here") and fast.search("© 2024") and not fast.search("clicks")


_SENTENCE_END = re.compile(r"[.!?…:;]['\"”’»)\]]*$")


@given(st.text().map(lambda text: text.replace("\n", " ")))
@example("He said “yes.”")
@example("(See below.)")
@example(".")
@example("”")
def test_ends_sentence_is_the_sentence_end_pattern(line: str) -> None:
    assert ends_sentence(line) == (_SENTENCE_END.search(line) is not None)


_INITIAL = re.compile(r"([^\W\d_])[\w'’-]*")


#: ASCII characters that the ASCII readings tell apart, the marks of typography they
#: take for ASCII ones, and a letter that makes the text not ASCII.
_ASCII_LIKE = "aZq3_'-., \t(\x00’‘“”–—…\xa0é"


# Text of every kind, and text of the characters the ASCII reading tells apart
@given(st.text() | st.text(st.sampled_from(_ASCII_LIKE)))
@example("The 3rd-party's 'em -Based _x 20-year-old U.S.")
@example("The 3rd-party’s 'em -Based _x 20-year-old U.S.")
@example("2024 - 5")
@example("")
def test_lower_share_counts_the_initials_of_the_letter_words(text: str) -> None:
    initials = _INITIAL.findall(text)
    share = sum(map(str.islower, initials)) / len(initials) if initials else 0.0
    assert lower_share(text) == share


@given(
    st.text() | st.text(st.sampled_from(_ASCII_LIKE)) | st.text(st.characters(max_codepoint=127))
)
@example("Russia's 3rd-party_x\x1cU.S.\x0bok")
@example("a\u0345b")  # no word character, until case folding makes it one
def test_folded_words_are_the_words_case_folded(text: str) -> None:
    assert folded_words(text) == [word.casefold() for word in WORD.findall(text)]


@given(st.text(st.sampled_from(_ASCII_LIKE)) | st.text())
@example("Russia’s “NATO” — …\xa0É")
@example("a\u0591b")  # a combining mark, but no accent
def test_fold_is_lower_case_without_accents(text: str) -> None:
    decomposed = unicodedata.normalize("NFD", text.lower())
    # the accents: the combining diacritical marks, U+0300-U+036F
    assert fold(text) == "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")


_DIGIT_LED = {
    _YEAR: re.compile(r"(?<!\d)(19|20)\d\d(?!\d)|\b\d{1,2}[./-]\d{1,2}[./-]\d{2}\b"),
    _TIME: re.compile(r"(?<!\d)\d{1,2}[:.]\d{2}(?!\d)(?![./-]\d)"),
}


@given(st.text(st.sampled_from("0129:./- a\u0663")) | st.text())
@example("12.3.19 a 2019 at 10:30")
def test_a_digit_look_ahead_changes_no_match(text: str) -> None:
    for fast, plain in _DIGIT_LED.items():
        found, expected = fast.search(text), plain.search(text)
        assert (found and (found.span(), found.groups())) == (
            expected and (expected.span(), expected.groups())
        )


@given(st.text(), st.integers(min_value=0, max_value=12))
@example("İstanbul’s 3rd-largest", 2)
def test_more_words_than_counts_as_the_headline_words(text: str, count: int) -> None:
    assert (_more_words_than(count).match(text) is not None) == (len(headline_words(text)) > count)


# -- the review's cases: patterns whose alternatives cannot be tried apart ----------


@pytest.mark.parametrize(
    ("pattern", "lines"),
    [
        (r"(\w)\1|(\d)\2", ["x11", "ab", "aa"]),  # back-references into each alternative
        (r"(?a)x|\w+y", ["αy", "ay", "x"]),  # a flag set for the whole pattern
        ("^a|b", ["xb", "ab", "x"]),  # only the first alternative is anchored
        ("a{(}b)?c", ["a{c", "a{}b)c", "ac"]),  # a brace that is no count
        ("x{2}y|a{,}b", ["xxy", "xy", "b", "aab"]),  # counts
    ],
)
def test_a_folded_set_matches_where_its_pattern_does(pattern: str, lines: list[str]) -> None:
    folded = _compile_folded([pattern], "test")
    for line in lines:
        assert any_match(folded, line) == (re.search(pattern, line) is not None), line


def test_a_folded_set_refuses_what_python_refuses_as_written() -> None:
    # Apart, each alternative would compile; together Python refuses the late flag.
    with pytest.raises(PluginError):
        _compile_folded(["a|(?i)b"], "test")


@pytest.mark.parametrize(
    ("pattern", "match"),
    [("a{(}b)?c", "a{c"), ("{(?!}a)", "{"), ("ab{0,1}c", "ac"), ("a{2}bc", "aabc")],
)
def test_a_needle_is_in_every_match(pattern: str, match: str) -> None:
    compiled = re.compile(pattern)
    assert compiled.search(match)
    assert _needle(compiled) in match


@pytest.mark.parametrize(
    ("patterns", "flags"),
    [([r"(a)\1"], 0), (["(?i)foo"], 0), ([r"(?P<x>a)(?P=x)"], 0), (["a b"], re.VERBOSE)],
)
def test_any_of_refuses_what_it_cannot_read_apart(patterns: list[str], flags: int) -> None:
    with pytest.raises(ValueError):
        any_of(patterns, flags)


def test_any_of_no_pattern_matches_nothing() -> None:
    assert any_of([]).search("anything") is None
    assert any_of([]).search("") is None
