"""Extraction: a Document becomes an Article (site plugins, the generic extractor)."""

from .dispatch import default_registry, extract, extract_document
from .metrics import shingle_score
from .registry import Extractor, Registry

__all__ = ["Extractor", "Registry", "default_registry", "extract", "extract_document", "shingle_score"]
