"""A page's metadata from every source it offers.

:func:`page_metadata` reads what a page declares: JSON-LD (NewsArticle and kin, in any
``@graph`` shape, ``@id`` references resolved), microdata, OpenGraph, Dublin Core and
the other meta tags, ``rel=author`` links, the canonical URL. :func:`html_metadata`
adds what the generic extractor reads from the visible page: the headline (the
``<h1>`` the declared title names, else the declared title less the site's name), the
byline (trafilatura's author search) and the date (the one shown by the headline, else
the declared one, else htmldate's).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

from ..errors import PluginError
from .bylines import find_byline
from .datelines import lines_by, shown_byline, shown_dates
from .headlines import headline, host_name, key
from .rules import lexicon, read_rules

__all__ = [
    "PageMetadata",
    "headline_metadata",
    "html_metadata",
    "page_metadata",
    "parse_iso_date",
]

log = logging.getLogger(__name__)

#: The JSON-LD blocks, the canonical link, and the microdata and links naming authors.
_DECLARATIONS = (
    'script[type="application/ld+json"], link[rel="canonical"], [itemprop="author"], '
    'a[rel~="author"]'
)

#: One decoder for every page: json.loads with options builds a new one per call.
_JSON = json.JSONDecoder(strict=False)

_ARTICLE_TYPES = {
    "Article",
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "BlogPosting",
    "Report",
}
#: Objects that describe the page when it declares no article: their author and date
#: are the page's.
_PAGE_TYPES = {"WebPage", "ItemPage", "CreativeWork", "Recipe", "HowTo", "Blog", "QAPage"}


@dataclass(frozen=True, slots=True)
class _Rules:
    """``rules/metadata.toml``, compiled."""

    author_meta: tuple[str, ...]
    date_meta: tuple[str, ...]
    byline_lead: re.Pattern[str]
    byline_end: re.Pattern[str]
    byline_tail: re.Pattern[str]
    byline_joiner: re.Pattern[str]
    not_person: re.Pattern[str]


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = read_rules("metadata.toml")
    try:
        return _Rules(
            tuple(data["author_meta"]),
            tuple(data["date_meta"]),
            _any_of(data["byline_lead"]),
            _any_of(data["byline_end"]),
            _any_of(data["byline_tail"]),
            _any_of(data["byline_joiner"]),
            _any_of(data["not_person"]),
        )
    except (KeyError, TypeError, re.error) as exc:
        raise PluginError(
            f"invalid metadata rules ({type(exc).__name__}: {exc})",
            source="archiver/rules/metadata.toml",
        ) from exc


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What a page declares about itself, before any visible markup is read."""

    title: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | date | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    url: str | None = None
    language: str | None = None
    #: the site's own name (og:site_name, the JSON-LD publisher)
    site_name: str | None = None
    #: whether the page declares a JSON-LD article (NewsArticle and kin)
    structured: bool = False


def parse_iso_date(value: str | None) -> datetime | date | None:
    """An ISO 8601 date or datetime as pages declare it; None when it does not parse.

    A datetime without an offset is returned as a date: the instant is unknown.
    """
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.date()


def page_metadata(tree: HTMLParser) -> PageMetadata:
    """Merge JSON-LD first, then OpenGraph and article:* properties, then the other
    meta tags, microdata and ``rel=author`` links."""
    scripts: list[LexborNode] = []
    canonical: str | None = None
    marked_authors: list[str] = []
    # One search for all: each css() call parses its selector anew.
    for node in tree.css(_DECLARATIONS):
        if node.tag == "script":
            scripts.append(node)
        elif node.tag == "link":
            canonical = canonical or _absolute(node.attributes.get("href"))
        else:
            marked_authors.extend(_marked_names(node))
    objects = _json_ld_objects(scripts)
    article = next((o for o in objects if _types(o) & _ARTICLE_TYPES), {})
    page = article or next((o for o in objects if _types(o) & _PAGE_TYPES), {})
    ids: dict[str, dict[str, Any]] = {}
    for item in objects:
        if isinstance(item.get("@id"), str) and len(item) > 1:  # not a bare reference
            ids.setdefault(item["@id"], item)
    html = tree.root  # the <html> element
    language = _text(article.get("inLanguage")) or (html.attributes.get("lang") if html else None)
    declared = PageMetadata(
        title=_clean(_text(article.get("headline"))),
        description=_clean(_text(article.get("description"))),
        authors=_names(page.get("author"), ids),
        published=parse_iso_date(page.get("datePublished")),
        section=_text(_first(article.get("articleSection"))),
        tags=_tags(article.get("keywords")),
        url=canonical,
        language=language,
        site_name=_clean(next(iter(_names(page.get("publisher"), ids)), None)),
        structured=bool(article),
    )
    meta = _meta_tags(tree)
    rules = _rules()
    meta_authors = (_clean(meta.get(key)) for key in rules.author_meta)
    return PageMetadata(
        title=declared.title or _clean(meta.get("og:title") or meta.get("twitter:title")),
        description=declared.description
        or _clean(meta.get("og:description") or meta.get("description")),
        authors=declared.authors
        or next(((a,) for a in meta_authors if a and "://" not in a), ())
        # the first only: the others are most often those of the teasers around
        or tuple(marked_authors[:1]),
        published=declared.published
        or next(
            (d for d in (parse_iso_date(meta.get(k)) for k in rules.date_meta) if d is not None),
            None,
        ),
        section=declared.section or meta.get("article:section"),
        tags=declared.tags
        or _tags(meta.get("news_keywords") or meta.get("keywords"))
        or tuple(meta.get_all("article:tag")),
        url=canonical or _absolute(meta.get("og:url")),
        language=language,
        site_name=_clean(meta.get("og:site_name")) or declared.site_name,
        structured=declared.structured,
    )


class _Meta:
    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        self.values.setdefault(key.lower(), []).append(value.strip())

    def get(self, key: str) -> str | None:
        found = self.values.get(key)
        return found[0] if found and found[0] else None

    def get_all(self, key: str) -> list[str]:
        return [v for v in self.values.get(key, []) if v]


def _meta_tags(tree: HTMLParser) -> _Meta:
    meta = _Meta()
    for node in tree.css("meta[content]"):
        attributes = node.attributes  # built anew on each access
        key = attributes.get("property") or attributes.get("name")
        content = attributes.get("content")
        if key and content:
            meta.add(key, content)
    return meta


def _json_ld_objects(scripts: list[LexborNode]) -> list[dict[str, Any]]:
    """Every object of the page's JSON-LD blocks, in order."""
    objects: list[dict[str, Any]] = []
    for script in scripts:
        try:
            data = _JSON.decode(script.text(deep=True) or "null")
        except ValueError:
            log.debug("skipping JSON-LD block that is not valid JSON")
            continue
        except RecursionError:  # the decoder's depth limit: no article nests so deep
            log.debug("skipping JSON-LD block nested too deep")
            continue
        objects.extend(_walk(data))
    return objects


def _types(item: dict[str, Any]) -> set[str]:
    types = item.get("@type")
    return {t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-LD block in document order: the top ones, those of its
    ``@graph`` lists and those nested in them (``mainEntity``, ``author``...).

    Iterative: the block may nest as deep as the decoder allows."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            pending.extend(reversed([v for v in item.values() if isinstance(v, (dict, list))]))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _names(value: Any, ids: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    """The names of JSON-LD persons or organisations, ``@id`` references resolved."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = ids.get(item["@id"], item)
        name = item.get("name") if isinstance(item, dict) else item
        name = _first(name)
        if isinstance(name, str) and (name := _clean(name)) and "://" not in name:
            names.append(name)
    return tuple(dict.fromkeys(names))


def _marked_names(node: LexborNode) -> list[str]:
    """The names a microdata author or a ``rel=author`` link gives."""
    inner = node.css_first('[itemprop="name"]')
    source = inner if inner is not None else node
    value = source.attributes.get("content") or source.text(deep=True, separator=" ")
    name = _byline_names(_clean(value) or "")
    # a name is short; a long text is a bio or a whole author box
    return [name] if name and len(name.split()) <= 6 and "://" not in name else []


def _byline_names(text: str) -> str:
    """The names in a byline ("By Jane Doe" -> "Jane Doe"), by the generic lexicon."""
    for pattern in lexicon().byline:
        if match := pattern.search(text):
            return match.group("names").strip()
    return text


def _absolute(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL: a relative one cannot be placed."""
    url = (url or "").strip()
    return url if urlsplit(url).scheme in ("http", "https") and "//" in url else None


def _clean(value: str | None) -> str | None:
    """Text as a page declares it, its entities decoded (twice: some pages escape them
    twice) and its white space folded."""
    if not value:
        return None
    return " ".join(unescape(unescape(value)).split()) or None


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        return tuple(t.strip() for t in value if isinstance(t, str) and t.strip())
    return ()


# -- the generic extractor's view: the declared metadata and the visible page ----------


def html_metadata(html: str, tree: Any, url: str | None) -> PageMetadata:
    """The metadata of the HTML page ``html`` (``tree`` is its lxml tree) for the generic
    extractor: what it declares, completed from its visible markup.

    The headline is the ``<h1>`` that the declared title names (the title often adds
    the site's name); the authors, when undeclared, come from trafilatura's search of
    the visible page, else from the byline shown by the headline; the date is the one
    shown by the headline unless the declared one is among those shown there, and
    htmldate's when there is neither.
    """
    # A parse of its own, gone before htmldate and trafilatura copy the lxml tree (a
    # large page's trees weigh tens of MB)
    parsed = HTMLParser(html)
    declared, title, lines = _declared(parsed, url)
    site = key(declared.site_name or "")
    host = key(host_name(url or declared.url) or "")
    rules = _rules()
    authors = (
        _bylines(declared.authors, site, host)
        or _bylines(_visible_authors(parsed), site, host)
        or _bylines(shown_byline(lines, rules.byline_lead, rules.byline_end), site, host)
    )
    del parsed
    shown = shown_dates(lines, declared.language)
    published = _choose_date(shown, declared.published) or _found_date(tree, url or declared.url)
    return replace(declared, title=title, authors=authors, published=published)


def headline_metadata(
    parsed: HTMLParser, url: str | None, declared: PageMetadata | None = None
) -> PageMetadata:
    """What the page ``parsed`` declares (``declared``, when already read from it), with
    its headline for the title: the part of :func:`html_metadata` that searches the
    visible page for no byline and no date."""
    declared, title, _ = _declared(parsed, url, declared=declared, with_lines=False)
    return replace(declared, title=title)


def _choose_date(shown: list[date], declared: datetime | date | None) -> datetime | date | None:
    """The declared date if the page shows it by the headline or shows none there;
    else the first date shown there: the one readers see, where the declared one is
    most often a later edit's or another day in UTC."""
    if declared is None or not shown:
        return declared or (shown[0] if shown else None)
    day = declared.date() if isinstance(declared, datetime) else declared
    return declared if day in shown else shown[0]


def _declared(
    parsed: HTMLParser,
    url: str | None,
    *,
    declared: PageMetadata | None = None,
    with_lines: bool = True,
) -> tuple[PageMetadata, str | None, list[str]]:
    """What the page ``parsed`` declares (``declared``, when already read), its headline
    and the lines by the headline (none without ``with_lines``)."""
    declared = declared or page_metadata(parsed)
    title_node = parsed.css_first("title")
    page_title = _clean(title_node.text(deep=True)) if title_node is not None else None
    nodes: dict[str, LexborNode] = {}
    for node in parsed.css("h1"):
        if heading := _clean(node.text(deep=True, separator=" ")):
            nodes.setdefault(heading, node)
    sites = [n for n in (declared.site_name, host_name(url or declared.url)) if n]
    title = headline(declared.title, page_title, list(nodes), sites)
    shown = nodes.get(title or "")
    return declared, title, lines_by(shown) if with_lines and shown is not None else []


def _bylines(names: tuple[str, ...], site: str, host: str) -> tuple[str, ...]:
    """The people among ``names``: their lead-ins ("Von", "Author:") cut, and without
    the site itself, which pages name as the author of what has no byline: its declared
    name (``site``, as a key), or its ``host``'s name written as a domain."""
    people = []
    rules = _rules()
    for byline in names:
        byline = rules.byline_lead.sub("", byline).strip(" -–—→|:,")
        if rules.not_person.search(byline):
            continue  # an organisation's name may hold an "and"
        for name in _names_of(byline, site, host):
            name = rules.byline_tail.sub("", name).strip(" -–—→|:,")
            if not name or _is_site(name, site) or ("." in name and _is_site(name, host)):
                continue
            if rules.not_person.search(name):
                continue
            people.append(name)
    return tuple(dict.fromkeys(people))


def _names_of(byline: str, site: str, host: str) -> list[str]:
    """The names a byline of several people joins, when each is a full name or the
    site ("A B, C D and E F, Site"); else the byline ("Smith, John" is one name)."""
    parts = [part for part in _rules().byline_joiner.split(byline) if part]
    whole = all(" " in p or _is_site(p, site) or _is_site(p, host) for p in parts)
    return parts if len(parts) > 1 and whole else [byline]


def _is_site(name: str, site: str) -> bool:
    """Whether the author ``name`` is the site: a part of its name ("Lecker" for
    "lecker"), or, written as one word, holds it ("kath.net" for "kath"). A person's
    name holding the site's ("Marc Scheloske" on scheloske.de) is the owner's byline."""
    name_key = key(name)
    return bool(site) and (name_key in site or (" " not in name and site in name_key))


def _visible_authors(tree: HTMLParser) -> tuple[str, ...]:
    """The byline trafilatura's author expressions find in the visible page (its author
    classes and links): found as they find it (:mod:`~archiver.extraction.bylines`), not
    through trafilatura's ``extract_author``, which first copies the whole tree to prune
    comments and the like from it (that doubled the cost of a page's metadata and found
    no other author on trafilatura-dev)."""
    # trafilatura loads slowly: only when needed
    from trafilatura.json_metadata import normalize_authors

    found = find_byline(tree)
    found = normalize_authors(None, found) if found else None
    return tuple(a.strip() for a in found.split(";") if a.strip()) if found else ()


def _found_date(tree: Any, url: str | None) -> date | None:
    """htmldate's original publication date, from the markup and the URL.

    Not its extensive search of the page's text: on pages that give no date it finds
    one (a copyright year, a comment's) more often than not.
    """
    from htmldate import find_date  # loads slowly: only when needed

    found = find_date(tree, extensive_search=False, original_date=True, url=url)
    return date.fromisoformat(found) if found else None
