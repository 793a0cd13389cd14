"""Where a site lists its articles, and what its article URLs look like.

The site plugins' rules files (``archiver/rules/sites/*.toml``) declare it in a
``[discovery]`` table: ``feeds`` and ``sitemaps`` (paths on the site, or URLs) and
``pages`` whose feed links (``<link rel="alternate">``) are followed, and ``articles``,
patterns of the URL path of an article. ``archiver/rules/discovery.toml``
holds what is never an article on any site (tag, author, category, video and gallery
pages). Other sites use a general test: courlan's, which leaves out navigation pages
and URLs that are not HTML.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from functools import cache
from typing import Any

import courlan

from ..errors import InputError, PluginError
from ..extraction import BUILTIN_SITES, domain_of, read_rules

__all__ = ["SiteSources", "home_url", "site_sources"]

Patterns = tuple[re.Pattern[str], ...]


def _compile(patterns: Any, source: str) -> Patterns:
    try:
        return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns or ())
    except (re.error, TypeError) as exc:
        raise PluginError(f"bad article pattern in [discovery] ({exc})", source=source) from exc


@dataclass(frozen=True, slots=True)
class SiteSources:
    """A site's sources of article URLs, and its test of what an article URL is."""

    #: The home page (``https://host/``): its origin is the site's.
    home: str
    #: The rules file that declared them (``jpost.toml``), or None for another site.
    rules: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    #: Home or section pages whose feed links are followed.
    pages: tuple[str, ...] = ()
    articles: Patterns = ()
    exclude: Patterns = ()

    def is_article(self, url: str) -> bool:
        """Whether ``url`` (clean) is an article of this site."""
        site = domain_of(self.home)
        host = domain_of(url)
        if host != site and not host.endswith("." + site):
            return False
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path in ("", "/") or any(pattern.search(path) for pattern in self.exclude):
            return False
        if self.articles:
            return any(pattern.search(path) for pattern in self.articles)
        return courlan.check_url(_checkable(parts), strict=True) is not None and not (
            courlan.is_navigation_page(url)
        )


def _checkable(parts: urllib.parse.SplitResult) -> str:
    """The URL of ``parts`` as courlan can check it: courlan refuses a host that is no
    domain name (``localhost``, ``127.0.0.1``, an intranet's ``news``), so that every
    URL of such a site, which ``--allow-private`` lets a user archive, was dropped
    without a word. Its host is the site's already; only the rest is checked, under a
    stand-in name."""
    host = parts.hostname or ""
    if "." in host and not host.replace(".", "").isdigit():
        return parts.geturl()
    return parts._replace(netloc="site.example.com").geturl()


def home_url(site: str) -> str:
    """The home page of ``site``: a host name (``jpost.com``) or a URL, https by default.

    Raises :class:`~archiver.errors.InputError` naming ``site`` when it is neither;
    TypeError when it is no ``str``.
    """
    if not isinstance(site, str):
        raise TypeError(f"the site must be a str, not {type(site).__name__}")
    text = site.strip()
    url = text if "://" in text else f"https://{text}"
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise InputError(f"not a site: {exc}", source=site) from None
    if parts.scheme not in ("http", "https") or not host or " " in text:
        raise InputError("not a site: give a host name (jpost.com) or an http(s) URL", source=site)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", "", ""))


@cache
def _declarations() -> tuple[Patterns, tuple[tuple[str, tuple[str, ...], dict[str, Any]], ...]]:
    """The patterns excluded everywhere, and each plugin's (file, domains, [discovery])."""
    general = read_rules("discovery.toml")
    exclude = _compile(general.get("exclude"), "archiver/rules/discovery.toml")
    sites = []
    for name in BUILTIN_SITES:
        data = read_rules(f"sites/{name}")
        sites.append((name, tuple(data.get("domains", ())), dict(data.get("discovery", {}))))
    return exclude, tuple(sites)


def _urls(home: str, paths: Any) -> tuple[str, ...]:
    return tuple(urllib.parse.urljoin(home, path) for path in paths or ())


def site_sources(site: str) -> SiteSources:
    """The sources of ``site`` (see :func:`home_url`): what its plugin declares, if any."""
    home = home_url(site)
    host = domain_of(home)
    exclude, sites = _declarations()
    for name, domains, declared in sites:
        if any(host == domain or host.endswith("." + domain) for domain in domains):
            source = f"archiver/rules/sites/{name}"
            return SiteSources(
                home=home,
                rules=name,
                feeds=_urls(home, declared.get("feeds")),
                sitemaps=_urls(home, declared.get("sitemaps")),
                pages=_urls(home, declared.get("pages")),
                articles=_compile(declared.get("articles"), source),
                exclude=exclude + _compile(declared.get("exclude"), source),
            )
    return SiteSources(home=home, exclude=exclude)
