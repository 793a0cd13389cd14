"""``extract()``: one input in, one Article out."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import lru_cache

from ..article import Article, InputKind
from ..capture import DEFAULT_MAX_BYTES, load
from ..document import Document
from ..errors import ArchiverError, ExtractionError
from .budget import bounded_document
from .generic import GenericExtractor
from .registry import Extractor, Registry, entry_point_plugins
from .sites import builtin_plugins

__all__ = ["default_registry", "extract", "extract_document"]

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of built-in site plugins, then installed third-party plugins, and
    the generic extractor; loaded once per process."""
    plugins = [*builtin_plugins(), *entry_point_plugins()]
    return Registry(plugins, GenericExtractor())


def extract(
    data: bytes | str,
    *,
    url: str | None = None,
    kind: InputKind | None = None,
    name: str = "<input>",
    content_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    registry: Registry | None = None,
) -> Article:
    """Extract the article from an HTML page or a text dump of a rendered page.

    ``data`` is the page as bytes (decoded as described in :func:`archiver.capture.load`)
    or as text. ``url``, when known, selects the site plugin and becomes the Article's
    URL; without it the site is recognised from what the page says of itself. ``name``
    names the input in error messages.

    Raises :class:`~archiver.errors.ArchiverError` when the input is not a page or
    extraction fails (an :class:`~archiver.errors.InputError` subclass, see
    :func:`archiver.capture.load`, or :class:`~archiver.errors.ExtractionError`), and
    ValueError for a ``kind`` other than ``"html"`` or ``"text"``.
    """
    document = load(
        data, name=name, url=url, kind=kind, content_type=content_type, max_bytes=max_bytes
    )
    return extract_document(document, registry=registry)


def extract_document(document: Document, *, registry: Registry | None = None) -> Article:
    """Extract the article from an already loaded :class:`~archiver.document.Document`.

    The extractor is given the document within the budget of
    :mod:`~archiver.extraction.budget` (an HTML page nested too deep, or with an element
    of too many attributes, rewritten where it goes over), so that no page takes long.
    """
    registry = registry or default_registry()
    document = bounded_document(document)
    extractor = registry.for_document(document)
    article = _extracted(extractor, document)
    if extractor is registry.generic and not document.url and article.url:
        # No URL given and no fingerprint of a site found (its template changed): the
        # page's own URL (canonical, og:url) may name a site whose plugin knows more (a
        # date's time and zone, its text rules), as it would with the URL given.
        named = replace(document, url=article.url)
        if (plugin := registry.for_document(named)) is not registry.generic:
            return _extracted(plugin, named)
    return article


def _extracted(extractor: Extractor, document: Document) -> Article:
    log.debug("%s: extracting with %s", document.name, extractor.name)
    try:
        return extractor.extract(document)
    except ArchiverError:
        raise
    except Exception as exc:  # a bug in an extractor must not escape as a bare traceback
        raise ExtractionError(
            f"extractor {extractor.name} failed: {type(exc).__name__}: {exc}", source=document.name
        ) from exc
