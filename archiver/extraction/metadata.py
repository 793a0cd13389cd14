"""A page's standard metadata: JSON-LD (NewsArticle and kin), OpenGraph and meta tags."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

__all__ = ["PageMetadata", "page_metadata", "parse_iso_date"]

log = logging.getLogger(__name__)

#: The JSON-LD blocks and the canonical link.
_DECLARATIONS = 'script[type="application/ld+json"], link[rel="canonical"]'

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
    """Merge JSON-LD first, then OpenGraph and article:* properties, then plain meta tags."""
    scripts: list[LexborNode] = []
    canonical: LexborNode | None = None
    # One search for both: each css() call parses its selector anew.
    for node in tree.css(_DECLARATIONS):
        if node.tag == "script":
            scripts.append(node)
        elif canonical is None:
            canonical = node
    article = next(_json_ld_articles(scripts), {})
    html = tree.root  # the <html> element
    language = _text(article.get("inLanguage")) or (html.attributes.get("lang") if html else None)
    url = canonical.attributes.get("href") if canonical else None
    declared = PageMetadata(
        title=_text(article.get("headline")),
        description=_text(article.get("description")),
        authors=_names(article.get("author")),
        published=parse_iso_date(article.get("datePublished")),
        section=_text(_first(article.get("articleSection"))),
        tags=_tags(article.get("keywords")),
        url=url,
        language=language,
        structured=bool(article),
    )
    if declared.title and declared.published and declared.description and url:
        return declared  # the meta tags would only repeat it
    meta = _meta_tags(tree)
    return PageMetadata(
        title=declared.title or meta.get("og:title") or meta.get("twitter:title"),
        description=declared.description or meta.get("og:description") or meta.get("description"),
        authors=declared.authors
        or tuple(
            a for a in (meta.get("author"), meta.get("article:author")) if a and "://" not in a
        ),
        published=declared.published
        or parse_iso_date(meta.get("article:published_time"))
        or parse_iso_date(meta.get("date") or meta.get("pubdate")),
        section=declared.section or meta.get("article:section"),
        tags=declared.tags
        or _tags(meta.get("news_keywords") or meta.get("keywords"))
        or tuple(meta.get_all("article:tag")),
        url=url or meta.get("og:url"),
        language=language,
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


def _json_ld_articles(scripts: list[LexborNode]) -> Iterator[dict[str, Any]]:
    for script in scripts:
        try:
            data = _JSON.decode(script.text(deep=True) or "null")
        except ValueError:
            log.debug("skipping JSON-LD block that is not valid JSON")
            continue
        except RecursionError:  # the decoder's depth limit: no article nests so deep
            log.debug("skipping JSON-LD block nested too deep")
            continue
        for item in _walk(data):
            types = item.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(t in _ARTICLE_TYPES for t in types):
                yield item


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-LD block, and of the ``@graph`` lists in them, in order.

    Iterative: the block may nest as deep as the decoder allows."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            if "@graph" in item:
                pending.append(item["@graph"])


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return tuple(names)


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        return tuple(t.strip() for t in value if isinstance(t, str) and t.strip())
    return ()
