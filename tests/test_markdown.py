"""Articles as Markdown: the front matter reads back, the text stays text."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from archiver.article import Article, ExtractorInfo
from archiver.extraction import front_matter, to_markdown

EXTRACTOR = ExtractorInfo("generic", "1.0")
#: Characters that are markup somewhere in Markdown, letters, spaces and line breaks
#: (no NUL, which CommonMark replaces, and no surrogates, which no page's text holds).
TEXT = st.text(
    alphabet=st.sampled_from("#->+*_=~|`[]()<>!&;\\:.1 9ab\t\n'\"é")
    | st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=60,
)


def split(markdown: str) -> tuple[dict[str, Any], str]:
    """The front matter (parsed) and the body of a rendered document."""
    assert markdown.startswith("---\n")
    header, _, body = markdown[4:].partition("\n---\n")
    return yaml.safe_load(header), body


def blocks(body: str) -> list[tuple[str, str]]:
    """The body's blocks as a CommonMark parser reads them: (kind, text), line breaks as \\n."""
    tokens = MarkdownIt("commonmark").parse(body)
    found = []
    for opening, inline in zip(tokens, tokens[1:]):
        if inline.type != "inline":
            continue
        text = "".join(
            "\n" if child.type in ("softbreak", "hardbreak") else child.content
            for child in inline.children or []
        )
        found.append((opening.tag, text))
    # Only headings and paragraphs: no list, quote, code block or HTML block.
    assert {token.type for token in tokens} <= {
        "heading_open", "heading_close", "paragraph_open", "paragraph_close", "inline",
    }  # fmt: skip
    return found


def expected_lines(paragraph: str) -> str:
    return "\n".join(line.strip() for line in paragraph.splitlines() if line.strip())


def test_an_article_as_markdown() -> None:
    article = Article(
        text="# not a heading\n\n- not a list\n\n1. not a list either\n\n> nor a quote",
        extractor=EXTRACTOR,
        input_kind="html",
        url="https://example.com/a?b=c",
        title="Harbour plan: approved",
        published=date(2024, 3, 1),
        authors=("Ann O'Neil",),
    )
    markdown = to_markdown(article)
    meta, body = split(markdown)
    assert meta["title"] == "Harbour plan: approved"
    assert meta["published"] == "2024-03-01"  # a string, as in the JSON
    assert meta["authors"] == ["Ann O'Neil"]
    assert meta["extractor"] == "generic 1.0"
    assert body.startswith("\n# Harbour plan: approved\n\n\\# not a heading\n\n\\- not a list")
    assert blocks(body) == [
        ("h1", "Harbour plan: approved"),
        ("p", "# not a heading"),
        ("p", "- not a list"),
        ("p", "1. not a list either"),
        ("p", "> nor a quote"),
    ]


@settings(max_examples=300, deadline=None)
@given(
    title=TEXT,
    text=st.lists(TEXT, max_size=5).map("\n\n".join),
    authors=st.lists(TEXT, max_size=3),
    extra=st.dictionaries(st.sampled_from(["target_uri", "captured"]), TEXT),
)
def test_markdown_round_trips(
    title: str, text: str, authors: list[str], extra: dict[str, str]
) -> None:
    article = Article(
        text=text,
        extractor=EXTRACTOR,
        input_kind="text",
        title=title,
        description=title,
        authors=tuple(authors),
    )
    meta, body = split(to_markdown(article, extra))
    # Every value reads back as it was: colons, quotes, newlines, "yes", "1.0", dates.
    assert meta == front_matter(article, extra)
    heading = " ".join(title.split())
    wanted = [("h1", heading)] if heading else []
    wanted += [("p", expected_lines(p)) for p in article.paragraphs]
    assert blocks(body) == wanted
