"""The page budget's tokenizer: its possessive quantifiers change how fast it matches,
never what (issue 17). Each pattern is compared with its plain form, the same pattern
with every quantifier free to give characters back, on random tag soup."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.extraction.htmltokens import ATTRIBUTE, TOKEN


def plain(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` with its possessive quantifiers made greedy ones."""
    source = re.sub(r"(?<!\\)([*+?])\+", r"\1", pattern.pattern)
    assert "*+" not in source and "?+" not in source
    return re.compile(source, pattern.flags)


#: Pieces of hostile and ordinary markup: unterminated and odd tags, quotes and "="
#: where parsers do not expect them, comments, CDATA, SVG, raw text elements.
_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "/",
        "=",
        '"',
        "'",
        " ",
        "\t",
        "\n",
        "x",
        "A",
        "-",
        "!",
        "?",
        "<div",
        "<a href=",
        '<img src="x" alt="a > b"',
        "<b class=c1>",
        "</",
        "</div",
        "</p foo='>'",
        "<!--",
        "-->",
        "--!>",
        "<![CDATA[",
        "]]>",
        "<?xml",
        "<svg",
        "<path d=M0/>",
        "<script>",
        "</script >",
        "<title>",
        '<a ="x>',
        "<div/x>",
        " a=1",
        ' b="2"',
        " c='3'",
        " d=4/",
        "\u017f",
    ]
)
tag_soup = st.lists(_PIECES, max_size=40).map("".join)


def matches(
    pattern: re.Pattern[str], text: str
) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(found.span(), found.groups()) for found in pattern.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(tag_soup)
def test_the_tokenizer_matches_what_its_plain_form_matches(text: str) -> None:
    assert matches(TOKEN, text) == matches(plain(TOKEN), text)
    assert ATTRIBUTE.findall(text) == plain(ATTRIBUTE).findall(text)


def test_the_plain_form_is_the_pattern_less_its_possessive_marks() -> None:
    assert "*+" in TOKEN.pattern and "?+" in TOKEN.pattern
    assert "*+" not in plain(TOKEN).pattern
    # The usual tag, and one that ends only at the end of the page.
    text = '<p class="lead">A</p><a href=/x title=\'t\' data-x="1>2">b</a><div id="x'
    assert matches(TOKEN, text) == matches(plain(TOKEN), text)
    assert [found.group("start") or found.group("end") for found in TOKEN.finditer(text)] == [
        "p",
        "p",
        "a",
        "a",
        "div",
    ]
