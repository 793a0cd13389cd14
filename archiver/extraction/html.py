"""The generic HTML extractor: trafilatura, with general cleaning before and after.

:func:`extract_html` parses the page once with lxml and then

1. reads the page's metadata (:func:`~archiver.extraction.metadata.html_metadata`: what
   the page declares, completed from its visible headline, byline and dates);
2. turns the tables that lay out the page into plain blocks, and drops the elements
   that never hold article text: ``nav``, ``footer``, ``aside``, ``header``... and those
   whose class or id names furniture (share, related, newsletter, comments...), unless
   they hold much of the page's text; the ``header`` of an ``article`` is reduced to its
   lead, and the captions of a gallery (most of its prose) stay;
3. runs trafilatura in its fast mode on that tree, and its full mode (with its
   readability and jusText fallbacks) only when the fast result is mostly short lines
   or holds under a third of the page's prose (but not a short story that holds a third
   of what the cleaned page kept);
4. cleans the paragraphs (:mod:`~archiver.extraction.paragraphs`): the headline echoed
   at the start, "Read more: ..." teasers and the headlines listed under them, and the
   follow-us, newsletter and copyright lines that close the text.

Before trafilatura reads the cleaned page, its ``<head>``, scripts, styles and SVG are
dropped (JSON-LD apart): trafilatura would copy them on each pass, only to delete them.
When the result is very short or holds a fraction of the page's prose, and the cleaning
dropped more prose than it kept, trafilatura also reads the page as it came, in case the
cleaning took the body for furniture. A story of a sentence or two (a photo story, a
paywalled teaser) then keeps its photo's caption and its standfirst (the prose under its
headline): they are much of what the page tells of it.

The word lists are data, in ``archiver/rules/html.toml`` and the generic lexicon
(``archiver/rules/generic.toml``); the code holds no rule for any one site.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from copy import copy
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import trafilatura
from lxml.etree import XPath, iterwalk, tostring
from trafilatura.settings import Extractor
from trafilatura.utils import sanitize
from trafilatura.xml import process_element

from .language import detect_language, justext_stoplist, language_code
from .lead import keep_lead, standfirst
from .metadata import PageMetadata, html_metadata
from .paragraphs import clean_paragraphs, headline_words
from .prose import is_prose, page_prose, prose_length, prose_measure, rendered_prose, sentences
from .result import Extraction
from .rules import read_rules
from .trees import parse_html

__all__ = ["extract_html"]

log = logging.getLogger(__name__)

#: An lxml.html element (lxml ships no type stubs; the dev tools have none either).
HtmlElement = Any

#: Elements never dropped, whatever their class: the page and its main containers.
_KEEP = frozenset({"html", "body", "article", "main"})
#: A fast result with less than this share of its text in prose paragraphs is mostly
#: menus or lists: the full trafilatura cascade gets a try.
_MIN_PROSE_SHARE = 0.5
#: A fast result with less than this share of the page's prose (its runs of text of
#: PROSE_WORDS words or more, in any element) may have lost the article's body: the
#: full trafilatura cascade gets a try. (On trafilatura-dev a share from 0.25 to 0.5
#: gives the same F1 within two pages; the lower, the fewer cascades run.)
_MIN_KEPT = 1 / 3
#: A result with less prose than this (characters) is compared with trafilatura's on
#: the page as it came.
_SHORT = 300
#: A result of this many sentences or fewer is a short story (a photo story, a paywalled
#: teaser): its caption and standfirst are much of what the page tells of it.
_SHORT_STORY = 2
#: Language identification reads this many characters: plenty (on the 495 pages of
#: trafilatura-dev it names the language of every page as it does from 3,000), and it is
#: linear in them, at some 3 µs a character.
_LANGUAGE_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class _Rules:
    """``rules/html.toml``, compiled."""

    drop_tags: frozenset[str]
    furniture_attr: re.Pattern[str]
    max_text: int
    max_paragraph_share: float


def _attr_word(word: str) -> tuple[str, str]:
    """A regex for ``word`` as a whole word of a class or id, in any usual spelling: the
    class of its first letter, and the rest."""
    parts = [f"[{p[0].upper()}{p[0]}]{re.escape(p[1:])}" for p in word.split()]
    whole = "[-_]?".join(parts)
    return whole[:4], whole[4:]


def _furniture_names(words: list[str]) -> re.Pattern[str]:
    """A regex finding any of ``words`` in a class or id: a word starts after a
    non-letter or at a camelCase hump, and ends before a lower-case letter, so that
    "relatedArticles" and "share-bar" match, "shared" does not. A word holds no space,
    so that a match never spans two attributes' values joined by one.

    The words are grouped by their first letter, behind a look-ahead for those letters:
    the same matches in a third of the time, since most places in a class name start
    none of them (a plain alternation of the words tried each one at each word start).
    """
    groups: dict[str, list[str]] = {}
    for word in words:
        first, rest = _attr_word(word)
        groups.setdefault(first, []).append(rest)
    letters = "".join(sorted({c for first in groups for c in first[1:-1]}))
    alternatives = "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())
    return re.compile(
        rf"(?=[{re.escape(letters)}])(?:(?<![A-Za-z])|(?<=[a-z])(?=[A-Z]))"
        rf"(?:{alternatives})(?![a-z])"
    )


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    pre = read_rules("html.toml")["preclean"]
    return _Rules(
        drop_tags=frozenset(pre["tags"]),
        furniture_attr=_furniture_names(pre["words"]),
        max_text=int(pre["max_text"]),
        max_paragraph_share=float(pre["max_paragraph_share"]),
    )


def extract_html(
    html: str, *, url: str | None = None, metadata: PageMetadata | None = None
) -> Extraction:
    """Extract the article from the HTML page ``html`` (decoded text).

    Returns the body paragraphs joined by blank lines, with the page's metadata. A page
    with no article text (empty, not HTML, a bare fragment, only furniture) gives an
    Extraction whose ``text`` is empty: the caller decides whether that is an error.
    A caller that reads the metadata in its own way gives what it has read of the page
    as ``metadata`` (what it declares, with its headline for the title:
    :func:`~archiver.extraction.metadata.headline_metadata`): the page is then not read
    for it again, and its visible page not searched for a byline and date.
    """
    tree = _parse(html)
    if tree is None:
        return Extraction(text="")
    meta = metadata or html_metadata(html, tree, url)
    headlines = _headlines(tree, meta.title)
    figcaptions = list(tree.iter("figcaption"))
    captions = _captions(figcaptions)
    _unwrap_layout_tables(tree)
    visible_prose = page_prose(tree)
    rules = _rules()
    if 2 * prose_length(captions) > visible_prose:
        # A gallery: its captions are the article, not notes beside it
        rules = _with_captions(rules)
    dropped = _drop_furniture(tree, rules)
    _drop_unread(tree)
    paragraphs = _trafilatura(tree, url, fast=True, headlines=headlines)
    # Without a <figcaption>, a cleaning that keeps captions cleans the page as this
    # one did: a short story's captioned pass would give this result again.
    captioned = None if figcaptions else paragraphs
    length, share = prose_measure(paragraphs)
    if share < _MIN_PROSE_SHARE or (
        length < _MIN_KEPT * visible_prose and not _story_kept(paragraphs, length, tree)
    ):
        # Mostly menus or lists, or a fraction of the page's prose: trafilatura's
        # readability and jusText candidates may find the article where its own rules
        # did not. Costly, so only here.
        language = language_code(meta.language) or detect_language(" ".join(paragraphs))
        with justext_stoplist(language):  # the page's language only: see its doc
            fuller = _trafilatura(tree, url, fast=False, headlines=headlines)
        fuller_length, fuller_share = prose_measure(fuller)
        if fuller_share > share or fuller_length > length:
            log.debug("%s: fast result short or mostly short lines, full cascade taken", url)
            paragraphs, length = fuller, fuller_length
    untouched = None
    if length < max(_SHORT, _MIN_KEPT * visible_prose) and _dropped_more(dropped, tree):
        # A short result, or a fraction of the page's prose, may come from the cleaning
        # taking the body for furniture (a gallery's items named "comment"): when it
        # dropped more prose than it kept, the untouched page gets a try, and wins if
        # clearly longer. (When it kept more, what it dropped is seldom the article: a
        # page of readers' comments in prose paid a pass of trafilatura for nothing.)
        untouched = _parse(html)
        if untouched is not None:
            # trafilatura reads a copy: the page stays as it came, for a short story
            plain = _trafilatura(untouched, url, fast=True, headlines=headlines)
            if prose_length(plain) > 2 * length:
                log.debug("%s: cleaned page gave little, untouched page taken", url)
                paragraphs = plain
    if _is_short_story(paragraphs):
        page = untouched if untouched is not None else _parse(html)
        paragraphs = _short_story(page, url, paragraphs, rules, headlines, captioned)
    # NFC, as trafilatura.extract gives it: one spelling of each character, whatever the
    # page's was, so that searching the text finds it
    text = unicodedata.normalize("NFC", "\n\n".join(paragraphs))
    return Extraction(
        text=text,
        title=meta.title,
        description=meta.description,
        authors=meta.authors,
        published=meta.published,
        # The declared language first, as for every other field: identifying it costs
        # the model's loading on a process's first page.
        language=language_code(meta.language) or detect_language(text[:_LANGUAGE_SAMPLE]),
        tags=meta.tags,
        section=meta.section,
        captions=captions,
        url=meta.url,
    )


# -- parsing and metadata -------------------------------------------------------------


def _parse(html: str) -> HtmlElement | None:
    try:
        tree = parse_html(html)
    except (ValueError, TypeError) as exc:  # lxml refuses some inputs outright
        log.debug("page not parsed: %s", exc)
        return None
    return tree


def _headlines(tree: HtmlElement, title: str | None) -> list[list[str]]:
    """Forms of the headline, as word lists: the body must not start with one."""
    found = [title] if title else []
    found += [h.text_content() for h in tree.iter("h1")]
    found += _SOCIAL_TITLES(tree)
    found += _TITLE_TEXT(tree)
    return [words for words in (headline_words(str(t)) for t in found) if words]


_SOCIAL_TITLES = XPath('//meta[@property="og:title" or @name="twitter:title"]/@content')
_TITLE_TEXT = XPath("//title/text()")


def _captions(figcaptions: list[HtmlElement]) -> tuple[str, ...]:
    texts = (" ".join(c.text_content().split()) for c in figcaptions)
    return tuple(dict.fromkeys(t for t in texts if t))


# -- before trafilatura ---------------------------------------------------------------


def _unwrap_layout_tables(tree: HtmlElement) -> None:
    """Turn tables that lay out the page into plain blocks.

    A table whose cells hold paragraphs or blocks of prose is not data: trafilatura
    would print each of its rows, the whole article perhaps, as one line of cells. A
    table whose blocks are short (a heading over ingredients, a label beside a value)
    holds data, which trafilatura reads row by row.
    """
    for table in list(tree.iter("table")):
        cells = _OWN_CELLS(table)
        if not any(_holds_prose_block(cell) for cell in cells):
            continue
        for element in (table, *_OWN_ROW_PARTS(table), *cells):
            element.tag = "div"
            for name in ("width", "height", "cellpadding", "cellspacing", "border"):
                element.attrib.pop(name, None)


# Compiled once: element.xpath() compiles on every call, which costs more than these do.
_ROWS = "(./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr)"
_OWN_CELLS = XPath(f"{_ROWS}/td | {_ROWS}/th")
_OWN_ROW_PARTS = XPath(f"./thead | ./tbody | ./tfoot | {_ROWS}")
_IN_ARTICLE = XPath("boolean(ancestor::article | ancestor::main)")
_BLOCKS = XPath(".//p | .//div | .//h1 | .//h2 | .//h3 | .//ul | .//ol | .//table")


def _holds_prose_block(cell: HtmlElement) -> bool:
    # the outer blocks come first: a layout's wrapper answers at once
    return any(is_prose(block.text_content()) for block in _BLOCKS(cell))


def _drop_furniture(tree: HtmlElement, rules: _Rules) -> list[HtmlElement]:
    """Drop the elements that never hold article text (see ``rules/html.toml``); the
    elements dropped (each still holds what it held)."""
    # lxml makes the root of a page with an XML declaration its top element, no <body>
    body = tree.find("body")
    if body is None:
        body = tree
    page_text = sum(len(p.text_content()) for p in body.iter("p"))
    # Parents before children, and nothing inside a dropped element is looked at (a
    # dropped element stays in lxml's document, so it cannot be told apart afterwards).
    # The walk is lxml's, in C; the elements are dropped after it, in the same order: a
    # drop changes no other element that the walk tests (only its ancestors' text, and
    # they were tested before it).
    dropped = []
    walk = iterwalk(body, events=("start",))
    next(walk)  # the body itself stays
    for _, element in walk:
        tag = element.tag
        if isinstance(tag, str) and tag not in _KEEP and _is_furniture(element, tag, rules):
            if tag == "header" and _IN_ARTICLE(element):
                walk.skip_subtree()
                keep_lead(element, rules.drop_tags)
            elif not _holds_content(element, rules, page_text):
                walk.skip_subtree()
                dropped.append(element)
    for element in dropped:
        element.drop_tree()  # keeps the tail text, which belongs to the parent
    return dropped


def _drop_unread(tree: HtmlElement) -> None:
    """Drop the ``<head>``, scripts, styles and SVG, but JSON-LD (whose body trafilatura's
    last resort reads, and whose type tells it a forum's thread).

    trafilatura deletes them itself, on each pass and after copying them with the page;
    and the few of their words it lets through are noise: the text of an SVG after one
    nested in another (its deletion loses its way there), the head's ``<noscript>``
    that jusText reads on its recall pass. (Run after the cleaning, which weighs an
    element by its text, scripts' included.)"""
    head = tree.find("head")
    if head is not None:
        for element in list(head):
            if not _is_json_ld(element):
                element.drop_tree()
    for element in list(tree.iter("script", "style", "svg")):
        if not _is_json_ld(element):
            element.drop_tree()


def _is_json_ld(element: HtmlElement) -> bool:
    return element.tag == "script" and "ld+json" in (element.get("type") or "")


def _is_furniture(element: HtmlElement, tag: str, rules: _Rules) -> bool:
    """Whether the element's tag, class or id names page furniture."""
    if tag in rules.drop_tags:
        return True
    # Each attribute apart: no furniture word spans two of them (see _furniture_names)
    names = element.get("class")
    if names and _names_furniture(names):
        return True
    names = element.get("id")
    return bool(names) and _names_furniture(names)


@lru_cache(maxsize=8192)
def _names_furniture(names: str) -> bool:
    """Whether a class or id names furniture; cached, since pages repeat their classes."""
    return _rules().furniture_attr.search(names) is not None


def _holds_content(element: HtmlElement, rules: _Rules, page_text: int) -> bool:
    text = len(element.text_content().strip())
    if text >= rules.max_text:
        links = sum(len(a.text_content()) for a in element.iter("a"))
        if text - links >= rules.max_text:
            return True
    paragraphs = sum(len(p.text_content()) for p in element.iter("p"))
    return paragraphs > rules.max_paragraph_share * page_text


def _dropped_more(dropped: list[HtmlElement], tree: HtmlElement) -> bool:
    """Whether the cleaning dropped more prose (``dropped``) than it kept (``tree``)."""
    return rendered_prose(dropped) > rendered_prose([tree])


def _story_kept(paragraphs: list[str], length: int, tree: HtmlElement) -> bool:
    """Whether the fast result is a short story that holds a third of the prose the
    cleaned page has kept: the test that sends a result to the full cascade, asked of
    the page that the cascade reads. Of the whole page a short story is always a small
    share, next to the summaries of other stories that the cleaning dropped."""
    return _is_short_story(paragraphs) and length >= _MIN_KEPT * page_prose(tree)


def _is_short_story(paragraphs: list[str]) -> bool:
    return 0 < sentences(paragraphs, up_to=_SHORT_STORY + 1) <= _SHORT_STORY


def _short_story(
    tree: HtmlElement | None,
    url: str | None,
    paragraphs: list[str],
    rules: _Rules,
    headlines: list[list[str]],
    captioned: list[str] | None,
) -> list[str]:
    """A story of a sentence or two, with its photo's caption and its standfirst: there
    they are part of the story, not notes beside a longer text.

    ``tree`` is the page as it came (cleaned here if need be); ``captioned`` is the result
    of the page cleaned with its captions kept, when already known (else it is found
    here)."""
    if tree is None:
        return paragraphs
    lead = standfirst(tree)  # before the cleaning, which drops headers
    if "figcaption" in rules.drop_tags:
        if captioned is None:
            _unwrap_layout_tables(tree)
            _drop_furniture(tree, _with_captions(rules))
            _drop_unread(tree)
            captioned = _trafilatura(tree, url, fast=True, headlines=headlines)
        if prose_length(captioned) > prose_length(paragraphs):
            paragraphs = captioned
    # compared with its spaces made single, as the standfirst's are
    if lead and lead not in " ".join(" ".join(paragraphs).split()):
        paragraphs = [lead, *paragraphs]
    return paragraphs


def _with_captions(rules: _Rules) -> _Rules:
    return replace(rules, drop_tags=rules.drop_tags - {"figcaption"})


# -- trafilatura and after ------------------------------------------------------------


def _trafilatura(
    tree: HtmlElement, url: str | None, *, fast: bool, headlines: list[list[str]]
) -> list[str]:
    # bare_extraction works on a copy of the tree: ours stays intact for a second pass
    document: Any = trafilatura.bare_extraction(tree, options=_options(fast, url))
    if document is None or not document.text:
        return []
    text = document.text
    if "&" in tostring(document.body, method="text", encoding="unicode"):
        text = _text_as_parsed(document.body)
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    return clean_paragraphs(paragraphs, headlines)


def _text_as_parsed(body: HtmlElement) -> str:
    """trafilatura's text of ``body`` (its ``xmltotxt``) without the ``html.unescape``
    it ends with: the tree's text was unescaped by the parser, so that a page's
    ``&amp;lt;`` came out as ``<`` rather than the ``&lt;`` readers see, and ``&not``
    as ``¬``. Only a text with an ``&`` in it is changed by that, so only such a text is
    made again."""
    pieces: list[str] = []
    process_element(body, pieces, False)
    return sanitize("".join(pieces), True) or ""


def _options(fast: bool, url: str | None) -> Extractor:
    """trafilatura's options for one page: a copy of ones made once, since making them reads
    trafilatura's configuration (a fifth of a millisecond, as much as a small page's
    extraction takes elsewhere)."""
    options = copy(_base_options(fast))
    options.url = options.source = url
    return options


@lru_cache(maxsize=2)
def _base_options(fast: bool) -> Extractor:
    return Extractor(output_format="python", fast=fast, comments=False, with_metadata=False)
