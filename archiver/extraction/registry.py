"""Extractor plugins: the contract, the registry, and dispatch.

The built-in site plugins are listed in :data:`~archiver.extraction.sites.BUILTIN_SITES`;
third-party plugins are found through the ``archiver.extractors`` entry-point group,
each entry point naming either an :class:`Extractor` object or a callable that returns
one. A plugin that cannot be loaded is skipped with a log line, never a crash.
:func:`~archiver.extraction.dispatch.default_registry` puts them together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from ..article import Article
from ..document import Document
from ..errors import PluginError

__all__ = ["ENTRY_POINT_GROUP", "Extractor", "Registry", "domain_of", "entry_point_plugins"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "archiver.extractors"


@runtime_checkable
class Extractor(Protocol):
    """What an extractor plugin provides.

    ``domains`` are the registrable domains it handles (subdomains included); a plugin
    for one site lists that site's domains, the generic extractor lists none.
    """

    name: str
    version: str
    domains: tuple[str, ...]

    def recognizes(self, document: Document) -> bool:
        """Whether the page says of itself that it comes from this plugin's site.

        Used only when the document has no URL (a text dump, a saved file).
        """
        ...

    def extract(self, document: Document) -> Article:
        """Extract the Article; raise :class:`~archiver.errors.ArchiverError` on failure."""
        ...


def domain_of(url: str) -> str:
    """The host of ``url`` without ``www.`` and port, lower-cased ("" when there is none)."""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:  # "http://[::1" and other malformed URLs have no usable host
        return ""
    return host.removeprefix("www.")


class Registry:
    """The extractors in use: site plugins, in order of precedence, and the generic one."""

    def __init__(self, plugins: Iterable[Extractor], generic: Extractor) -> None:
        self.plugins: tuple[Extractor, ...] = tuple(plugins)
        self.generic = generic

    def __iter__(self) -> Iterator[Extractor]:
        yield from self.plugins
        yield self.generic

    def without_sites(self) -> Registry:
        """The same registry with every site plugin switched off."""
        return Registry((), self.generic)

    def get(self, name: str) -> Extractor:
        """The extractor called ``name``."""
        for extractor in self:
            if extractor.name == name:
                return extractor
        known = ", ".join(e.name for e in self)
        raise PluginError(f"no extractor called {name!r} (known: {known})")

    def for_document(self, document: Document) -> Extractor:
        """Choose the extractor: by the URL's domain, else by the page's own fingerprints."""
        if document.url:
            host = domain_of(document.url)
            for plugin in self.plugins:
                if any(host == d or host.endswith("." + d) for d in plugin.domains):
                    return plugin
            return self.generic
        for plugin in self.plugins:
            try:
                if plugin.recognizes(document):
                    return plugin
            except Exception:  # a third-party plugin must not break dispatch
                log.exception(
                    "extractor %s failed to check %s; skipped", plugin.name, document.name
                )
        return self.generic


def entry_point_plugins() -> Iterator[Extractor]:
    """The installed third-party plugins; one that cannot work is skipped with a log line."""
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
            # An entry point names an Extractor object, a class, or a factory returning one.
            is_object = isinstance(loaded, Extractor) and not isinstance(loaded, type)
            plugin = loaded if is_object else loaded()
        except Exception as exc:  # any import-time failure of someone else's code
            log.warning("extractor plugin %s disabled: it failed to load (%s)", entry.name, exc)
            continue
        if not isinstance(plugin, Extractor) or isinstance(plugin, type):
            log.warning("extractor plugin %s disabled: it is not an Extractor", entry.name)
            continue
        yield plugin
