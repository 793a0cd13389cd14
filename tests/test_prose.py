"""The measures of prose: ``has_words`` (one regular expression, a byte translation first
for ASCII text) and ``is_prose`` say what counting the words says (``is_prose`` of a text
long enough for PROSE_WORDS words: a character each, a space between)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.extraction.prose import (
    PROSE_WORDS,
    count_words,
    has_words,
    is_prose,
    rendered_prose,
    sentences,
)

#: Letters, digits and marks of spaced scripts, an unspaced script (with "・", "゠" and a
#: kana sound mark, which are no word characters but start a word there), and separators.
_CHARACTERS = list("aZ1_é\u0301ßя- .,—'\n\t") + ["中", "文", "ひ", "\u3000", "・", "゠", "\u3099"]


@settings(max_examples=3000)
@given(
    st.lists(st.sampled_from(_CHARACTERS), max_size=80).map("".join)
    # ASCII text (or nearly), read by its head first: long runs of separators push the
    # words out of it
    | st.lists(
        st.sampled_from(["a", "Z1_", "-", " ", " " * 20, ".,'\n\t", "’“\xa0", "é"]), max_size=60
    ).map("".join)
)
def test_has_words_and_is_prose_count_as_count_words(text: str) -> None:
    words = count_words(text)
    for count in (1, 4, PROSE_WORDS, 26):
        assert has_words(text, count) == (words >= count)
    long_enough = len(text) >= 2 * PROSE_WORDS - 1
    assert is_prose(text) == (long_enough and words >= PROSE_WORDS)


def test_a_long_word_is_one_word() -> None:
    assert not is_prose("a" * 500 + " b c d e f g h")
    assert is_prose("one two three four five six seven eight nine ten")
    assert not is_prose("one two three four five six seven eight nine")
    assert is_prose("中文" * 10)
    assert not is_prose("中文" * 9 + "。")


@settings(max_examples=500)
@given(
    st.lists(
        st.lists(
            st.sampled_from(["word", "Word.", "end!", "中文。", " ", "…", "x"]), max_size=30
        ).map(" ".join),
        max_size=6,
    ),
    st.integers(min_value=1, max_value=5),
)
def test_sentences_up_to_counts_as_far_as_asked(paragraphs: list[str], up_to: int) -> None:
    assert sentences(paragraphs, up_to=up_to) == min(sentences(paragraphs), up_to)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("length", [40, 60, 100_000])
def test_a_line_of_middle_dots_is_read_at_once(length: int) -> None:
    # Each "・" is a word of its own, and no word character: a match that could take it
    # as a word or as a gap tried every split of 40 of them, for minutes.
    dots = "・" * length
    assert has_words(dots, 41) == (count_words(dots) >= 41)
    assert has_words(dots + "a", 31) == (count_words(dots + "a") >= 31)


def test_rendered_prose_reads_the_runs_of_text_between_blocks() -> None:
    from lxml import html

    linked = (
        "The <a href='/f'>harbour ferry</a> left at dawn, the <a href='/c'>council</a> said, "
        "with forty <b>passengers</b> aboard."
    )
    tree = html.fromstring(
        f"<div><div><p>{linked}</p><p>Too short to count.</p></div>{linked}"
        f"<script>var one, two, three, four, five, six, seven, eight, nine, ten;</script></div>"
    )
    # a run goes on across inline tags and links, whose own text is a run apart (too
    # short here); white space is folded
    run = len("The left at dawn, the said, with forty passengers aboard.")
    # the paragraph, and the same text right inside the outer block; not the script
    assert rendered_prose([tree]) == 2 * run
    assert rendered_prose([tree.find(".//p")]) == run
    assert rendered_prose([]) == 0
    menu = "".join(f"<a href='/{i}'>Section {i}</a> " for i in range(12))
    assert rendered_prose([html.fromstring(f"<div>{menu}</div>")]) == 0


def test_rendered_prose_reads_the_prose_of_a_link_and_after_a_comment() -> None:
    from lxml import etree, html

    story = "The harbour ferry left the pier at dawn with forty passengers aboard."
    card = html.fromstring(f"<div class='card'><a href='/story'><p>{story}</p></a></div>")
    assert rendered_prose([card]) == len(story)
    commented = etree.fromstring(f"<div>The harbour<!-- a note --> {story[12:]}</div>")
    assert rendered_prose([commented]) == len(story)
