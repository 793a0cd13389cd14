"""The generic extractor: every site without a plugin of its own."""

from __future__ import annotations

from ..article import Article, ExtractorInfo
from ..document import Document
from .textdump import Extraction, extract_text

__all__ = ["GenericExtractor", "article_from"]


def article_from(
    extraction: Extraction, document: Document, info: ExtractorInfo, site: str | None
) -> Article:
    """Wrap an extraction and its input into an Article."""
    return Article(
        text=extraction.text,
        extractor=info,
        input_kind=document.kind,
        url=document.url,
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


class GenericExtractor:
    """Text dumps through the line classifier of :mod:`archiver.textdump`; HTML through
    :mod:`archiver.webpage` (trafilatura, improved by general methods)."""

    name = "generic"
    version = "1.0"
    domains: tuple[str, ...] = ()

    def recognizes(self, document: Document) -> bool:
        return True

    def extract(self, document: Document) -> Article:
        from .registry import domain_of

        site = domain_of(document.url) if document.url else None
        info = ExtractorInfo(self.name, self.version)
        if document.kind == "text":
            return article_from(extract_text(document.text), document, info, site)
        from .html import extract_html  # trafilatura loads slowly: only when needed

        return article_from(extract_html(document.text, url=document.url), document, info, site)
