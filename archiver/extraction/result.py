"""What an extractor finds in a page, before it becomes an Article."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..article import Article, ExtractorInfo
from ..document import Document

__all__ = ["Extraction", "article_from"]


@dataclass(frozen=True, slots=True)
class Extraction:
    """What a text dump yields, before it becomes an Article."""

    text: str
    title: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | date | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    section: str | None = None
    source: str | None = None
    captions: tuple[str, ...] = field(default=())
    #: the URL the page declares (canonical, og:url): the Article's when none is given
    url: str | None = None


def article_from(
    extraction: Extraction, document: Document, info: ExtractorInfo, site: str | None
) -> Article:
    """Wrap an extraction and its input into an Article."""
    return Article(
        text=extraction.text,
        extractor=info,
        input_kind=document.kind,
        url=document.url or extraction.url,
        site=site,
        title=extraction.title,
        description=extraction.description,
        authors=extraction.authors,
        published=extraction.published,
        language=extraction.language,
        tags=extraction.tags,
        section=extraction.section,
        source=extraction.source,
        captions=extraction.captions,
    )
