"""The built-in site plugins, each defined by a rules file in ``archiver/rules/``."""

from __future__ import annotations

import logging
from dataclasses import replace
from collections.abc import Iterator

from .article import Article, ExtractorInfo
from .document import Document
from .errors import PluginError
from .generic import article_from
from .rules import SiteRules, load_site_rules
from .textdump import extract_text

__all__ = ["BUILTIN_SITES", "SitePlugin", "builtin_plugins"]

log = logging.getLogger(__name__)

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

    def __repr__(self) -> str:
        return f"SitePlugin({self.name!r})"

    def recognizes(self, document: Document) -> bool:
        return self.rules.site_for(document.text) is not None

    def site(self, document: Document) -> str:
        """The site's domain: from the URL when known, else from the page's fingerprints."""
        from .plugins import domain_of

        if document.url:
            host = domain_of(document.url)
            for domain in self.domains:
                if host == domain or host.endswith("." + domain):
                    return domain
        return self.rules.site_for(document.text) or self.domains[0]

    def extract(self, document: Document) -> Article:
        info = ExtractorInfo(self.name, self.version)
        if document.kind == "text":
            extraction = extract_text(document.text, self.rules)
            return article_from(extraction, document, info, self.site(document))
        # HTML pages of the site go through the generic extractor until the site's
        # HTML rules land.
        from .generic import GenericExtractor

        article = GenericExtractor().extract(document)
        return replace(article, extractor=info, site=self.site(document))

def builtin_plugins() -> Iterator[SitePlugin]:
    """The built-in site plugins; one whose rules cannot be loaded is skipped with a log line."""
    for filename in BUILTIN_SITES:
        try:
            yield SitePlugin(load_site_rules(filename))
        except PluginError as exc:
            log.warning("site plugin disabled: %s", exc)
