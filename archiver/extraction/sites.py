"""The built-in site plugins, each defined by a rules file in ``archiver/rules/sites/``."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator
from dataclasses import replace

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode

from ..article import Article, ExtractorInfo
from ..document import Document
from ..errors import PluginError
from .language import language_code
from .lines import clean_body
from .metadata import PageMetadata, headline_metadata, page_metadata
from .registry import domain_of
from .render import normalize_space, render_lines
from .result import Extraction, article_from
from .rules import SiteRules, lexicon, load_site_rules
from .textdump import extract_lines, extract_text

__all__ = ["BUILTIN_SITES", "SitePlugin", "builtin_plugins"]

log = logging.getLogger(__name__)

#: Elements inside an article body that never hold its text.
_NEVER_TEXT = frozenset({"figure", "figcaption", "aside", "form"})

#: The built-in site plugins, by rules file, in order of precedence.
BUILTIN_SITES = (
    "jpost.toml",
    "algemeiner.toml",
    "egypttoday.toml",
    "greek_business.toml",
    "eajc.toml",
)


class SitePlugin:
    """A site plugin driven by its rules: the generic method plus the site's data."""

    def __init__(self, rules: SiteRules) -> None:
        self.rules = rules
        self.name = rules.name
        self.version = rules.version
        self.domains = rules.domains
        self._body_selectors = tuple(rules.html.get("body", ()))
        #: one selector for everything the site's bodies hold that is not text
        self._remove = ", ".join(rules.html.get("remove", ()))

    def __repr__(self) -> str:
        return f"SitePlugin({self.name!r})"

    def recognizes(self, document: Document) -> bool:
        return self.rules.site_for(document.text) is not None

    def site(self, document: Document) -> str:
        """The site's domain: from the URL when known, else from the page's fingerprints."""
        if document.url:
            host = domain_of(document.url)
            for domain in self.domains:
                if host == domain or host.endswith("." + domain):
                    return domain
        return self.rules.site_for(document.text) or self.domains[0]

    def extract(self, document: Document) -> Article:
        if document.kind == "text":
            extraction = extract_text(document.text, self.rules)
            info = ExtractorInfo(self.name, self.version)
            return article_from(extraction, document, info, self.site(document))
        return self._extract_html(document)

    def _extract_html(self, document: Document) -> Article:
        tree = _parse(document)
        declared = page_metadata(tree)
        language = language_code(declared.language)
        captions = _captions(tree)
        body = _first_match(tree, self._body_selectors)
        if body is not None:
            removed = body.css(self._remove) if self._remove else []
            lines = render_lines(body, skip_tags=_NEVER_TEXT, skip=removed)
            found = clean_body(lines, self.rules, language=language)
        if body is None or not found.text:
            # The site changed its template: the generic extractor finds the body, and
            # the site's own text rules clean it (as a body: nothing is searched for).
            log.info("%s: %s template not recognised; generic fallback", document.name, self.name)
            from .html import extract_html  # trafilatura loads slowly: only when needed

            headline = headline_metadata(tree, document.url, declared)
            generic = extract_html(document.text, url=document.url, metadata=headline)
            found = clean_body(
                generic.text.splitlines(), self.rules, language=language or generic.language
            )
            fallback = True
        else:
            fallback = False
        language = language or found.language
        visible = self._visible_metadata(tree, declared, language)
        source = found.source or (visible.source if visible else None)
        authors = declared.authors or (visible.authors if visible else ())
        wires = [lexicon().agency(a) for a in authors]
        if authors and all(wires):
            source, authors = source or wires[0], ()
        text = found.text
        if visible and visible.description:
            # The generic extractor takes the standfirst for the first paragraph.
            first, _, rest = text.partition("\n\n")
            text = rest if first == visible.description and rest else text
        extraction = Extraction(
            text=text,
            title=declared.title or (visible.title if visible else None),
            description=declared.description or (visible.description if visible else None),
            authors=authors,
            published=declared.published or (visible.published if visible else None),
            language=language,
            tags=declared.tags or (visible.tags if visible else ()),
            section=declared.section or (visible.section if visible else None),
            source=source,
            captions=captions or (visible.captions if visible else ()),
        )
        info = ExtractorInfo(self.name, self.version, fallback=fallback)
        site = self.site(document)
        if not document.url and declared.url:
            document = replace(document, url=declared.url)
        return article_from(extraction, document, info, site)

    def _visible_metadata(
        self, tree: HTMLParser, declared: PageMetadata, language: str | None
    ) -> Extraction | None:
        """The page read as a text dump, when its declared metadata leaves gaps.

        A JSON-LD article is a full declaration: a date or an author it leaves out is one
        the page does not give, so the visible page is not read for it.
        """
        if declared.title and (declared.structured or (declared.published and declared.authors)):
            return None
        root = tree.body or tree.root
        if root is None:
            return None
        return extract_lines(render_lines(root), self.rules, language=language)


def _parse(document: Document) -> HTMLParser:
    """The page's tree. Lexbor reads UTF-8: UTF-8 input is parsed as it came, which
    saves encoding the text back (the text is those bytes decoded, less a BOM)."""
    if document.encoding == "utf-8" and not document.raw.startswith(codecs.BOM_UTF8):
        return HTMLParser(document.raw)
    return HTMLParser(document.text)


def _first_match(tree: HTMLParser, selectors: tuple[str, ...] | list[str]) -> LexborNode | None:
    for selector in selectors:
        if (node := tree.css_first(selector)) is not None:
            return node
    return None


def _captions(tree: HTMLParser) -> tuple[str, ...]:
    captions = []
    for node in tree.css("figure figcaption"):
        text = normalize_space(node.text(deep=True, separator=" "))
        for credit in node.css(".credit, [class*=credit]"):
            text = text.replace(normalize_space(credit.text(deep=True)), "").strip()
        if text and text not in captions:
            captions.append(text)
    return tuple(captions)


def builtin_plugins() -> Iterator[SitePlugin]:
    """The built-in site plugins; one whose rules cannot be loaded is skipped with a log line."""
    for filename in BUILTIN_SITES:
        try:
            yield SitePlugin(load_site_rules(filename))
        except PluginError as exc:
            log.warning("site plugin disabled: %s", exc)
