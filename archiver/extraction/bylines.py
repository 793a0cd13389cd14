"""The element of a page that holds its byline, found as trafilatura's author
expressions find it, by lexbor's CSS engine.

trafilatura's ``AUTHOR_XPATHS`` search three tiers of elements in turn: elements of some
tags whose ``class``, ``id``, ``rel``... has one of some values, or holds one of some
words; the first element of the first tier whose text is of a byline's length gives
the byline. Asked of lxml, even rewritten without their regular expressions, they took
1.7 ms of a page of trafilatura-dev, most of the generic extractor's metadata. Here the
tiers are data (:data:`TIERS`, their tests as trafilatura writes them, case-sensitive
as XPath's), asked of the lexbor tree that the page's metadata is read from: one CSS
search lists every element that may pass a tier, in document order (a few a page), and
each tier is tested on those in Python. The same bylines on the 616 pages of aeb-dev,
trafilatura-dev and the held-out set, in a third of the time.

The tree is lexbor's, an HTML5 parser's, where trafilatura's expressions read the lxml
tree of the generic extractor: on markup the two build differently the byline may
differ. Text on either side of a comment is two pieces ("Jane<!-- -->Doe" gives "Jane
Doe", lxml dropped the comment and gave "JaneDoe"), a ``<template>``'s content and text
written straight into a ``<table>`` (which HTML5 moves out of it) are not searched, a
block inside a heading stays inside it, and the characters XML forbids (which the lxml
tree had lost) stay, as they do in the title that lexbor gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

__all__ = ["TIERS", "Tier", "find_byline"]


@dataclass(frozen=True, slots=True)
class Tier:
    """One of trafilatura's author expressions: the elements it finds."""

    #: the elements tested (None: every element)
    tags: frozenset[str] | None
    #: attribute -> the values it may have, whole
    values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: attribute -> words, one of which it may hold
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: elements found by their name alone, whatever their attributes
    elements: frozenset[str] = frozenset()
    #: child element -> the text that makes its parent a find ("rel='me'")
    child_texts: Mapping[str, str] = field(default_factory=dict)

    def finds(self, node: LexborNode) -> bool:
        """Whether the expression finds ``node``."""
        tag = node.tag
        if tag in self.elements:
            return True
        if self.tags is not None and tag not in self.tags:
            return False
        attributes = node.attributes
        for name, values in self.values.items():
            if attributes.get(name) in values:
                return True
        for name, words in self.words.items():
            value = attributes.get(name)
            if value and any(word in value for word in words):
                return True
        return any(
            child.tag == name and child.text(deep=True) == text
            for name, text in self.child_texts.items()
            for child in node.iter()
        )


_IDS = ("zuozhe", "bianji", "xiaobian")
#: trafilatura 2's AUTHOR_XPATHS, in their order.
TIERS = (
    Tier(
        tags=frozenset({"a", "address", "div", "link", "p", "span", "strong"}),
        values={
            "rel": frozenset({"author"}),
            "id": frozenset({"author"}),
            "class": frozenset({"author"}),
            "itemprop": frozenset({"author name"}),
            "data-testid": frozenset({"AuthorCard", "AuthorURL"}),
        },
        words={"class": ("author-name", "authorname", "AuthorName", "authorName")},
        elements=frozenset({"author"}),
        child_texts={"rel": "me"},
    ),
    Tier(
        tags=frozenset({"a", "div", "h3", "h4", "p", "span"}),
        values={"class": frozenset({"byline", "username", "byl", "BBL"})},
        words={
            "itemprop": ("author",),
            "id": ("author", *_IDS),
            "class": (
                "author",
                "channel-name",
                *_IDS,
                "submitted-by",
                "posted-by",
                "journalist-name",
            ),
        },
    ),
    Tier(
        tags=None,
        words={
            "data-component": ("Byline",),
            "itemprop": ("author",),
            "id": ("Author", "author"),
            "class": ("Author", "author", "screenname", "writer", "Byline", "byline"),
        },
    ),
)


def find_byline(tree: HTMLParser, *, max_length: int = 120) -> str | None:
    """The byline trafilatura's author expressions find in the page ``tree``: the text
    of the first element they find whose text, its white space folded, is longer than 2
    characters and shorter than ``max_length``."""
    candidates = tree.css(_selector())
    for tier in TIERS:
        for node in candidates:
            if tier.finds(node):
                text = " ".join(node.text(deep=True, separator=" ").split())
                if 2 < len(text) < max_length:
                    return text
    return None


@lru_cache(maxsize=1)
def _words() -> tuple[tuple[str, str], ...]:
    """Every (attribute, word) that a tier tests, less those that hold another word
    of the same attribute: an element whose attribute holds "author-name" holds
    "author". A value tested whole is a word here."""
    tested: dict[str, set[str]] = {}
    for tier in TIERS:
        for name, values in tier.values.items():
            tested.setdefault(name, set()).update(values)
        for name, words in tier.words.items():
            tested.setdefault(name, set()).update(words)
    return tuple(
        (name, word)
        for name, words in sorted(tested.items())
        for word in sorted(words)
        if not any(other != word and other in word for other in words)
    )


@lru_cache(maxsize=1)
def _selector() -> str:
    """The CSS selector of every element that may pass a tier (lexbor's time grows with
    the selectors in it: one for each word that holds no other)."""
    selectors = [f'[{name}*="{word}" s]' for name, word in _words()]
    for tier in TIERS:
        selectors.extend(sorted(tier.elements))
        if tier.child_texts and tier.tags is not None:
            tags = ", ".join(sorted(tier.tags))
            selectors.extend(f":is({tags}):has(> {child})" for child in sorted(tier.child_texts))
    return ", ".join(selectors)
