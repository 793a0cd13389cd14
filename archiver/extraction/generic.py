"""The generic extractor: every site without a plugin of its own."""

from __future__ import annotations

from ..article import Article, ExtractorInfo
from ..document import Document
from .registry import domain_of
from .result import article_from
from .textdump import extract_text

__all__ = ["GenericExtractor"]


class GenericExtractor:
    """Text dumps through the line classifier of :mod:`~archiver.extraction.textdump`; HTML through
    :mod:`~archiver.extraction.html` (trafilatura, improved by general methods)."""

    name = "generic"
    version = "1.0"
    domains: tuple[str, ...] = ()

    def recognizes(self, document: Document) -> bool:
        return True

    def extract(self, document: Document) -> Article:
        info = ExtractorInfo(self.name, self.version)
        if document.kind == "text":
            extraction = extract_text(document.text)
        else:
            from .html import extract_html  # trafilatura loads slowly: only when needed

            extraction = extract_html(document.text, url=document.url)
        # without a URL given, the page's own (canonical, og:url) names the site
        url = document.url or extraction.url
        return article_from(extraction, document, info, domain_of(url) if url else None)
