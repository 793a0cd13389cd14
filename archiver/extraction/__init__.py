"""Extraction: a Document becomes an Article.

The registry (:mod:`.registry`) picks the extractor for a page: a site plugin
(:mod:`.sites`, driven by the rules files in ``archiver/rules/sites/``) or the generic
extractor (:mod:`.generic`), which reads text dumps line by line (:mod:`.textdump`,
:mod:`.lines`) and HTML through trafilatura (:mod:`.html`). Metadata, dates and
languages have modules of their own; :mod:`.dispatch` is the entry point, and gives
every extractor its page within the budget of :mod:`.budget` (nesting depth, attributes
per element), which keeps the HTML parsers linear on any page.
"""

from .dispatch import default_registry, extract, extract_document
from .generic import GenericExtractor
from .metrics import Score, shingle_score
from .registry import ENTRY_POINT_GROUP, Extractor, Registry, domain_of
from .rules import read_rules
from .sites import BUILTIN_SITES

__all__ = [
    "BUILTIN_SITES",
    "ENTRY_POINT_GROUP",
    "Extractor",
    "GenericExtractor",
    "Registry",
    "Score",
    "default_registry",
    "domain_of",
    "extract",
    "extract_document",
    "read_rules",
    "shingle_score",
]
