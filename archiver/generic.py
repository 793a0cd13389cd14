"""The generic extractor: every site without a plugin of its own."""

from __future__ import annotations

from .article import Article, ExtractorInfo
from .document import Document
from .errors import ExtractionError
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
    """Text dumps through the line classifier of :mod:`archiver.textdump`; HTML through trafilatura."""

    name = "generic"
    version = "1.0"
    domains: tuple[str, ...] = ()

    def recognizes(self, document: Document) -> bool:
        return True

    def extract(self, document: Document) -> Article:
        from .plugins import domain_of

        site = domain_of(document.url) if document.url else None
        info = ExtractorInfo(self.name, self.version)
        if document.kind == "text":
            return article_from(extract_text(document.text), document, info, site)
        return article_from(_trafilatura(document), document, info, site)


def _trafilatura(document: Document) -> Extraction:
    import trafilatura

    from .language import detect_language

    result = trafilatura.bare_extraction(
        document.text, url=document.url, include_comments=False, with_metadata=True
    )
    if result is None:
        raise ExtractionError("no article text found in the page", source=document.name)
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = "\n\n".join(p for p in (data.get("text") or "").split("\n") if p.strip())
    authors = tuple(a.strip() for a in (data.get("author") or "").split(";") if a.strip())
    tags = tuple(t.strip() for t in (data.get("tags") or "").split(",") if t.strip())
    return Extraction(
        text=text,
        title=data.get("title"),
        description=data.get("description"),
        authors=authors,
        language=detect_language(text),
        tags=tags,
    )
