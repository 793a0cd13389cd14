"""A page's headline among its title and headings, and the keys that compare names.

Pages give their headline several times: declared (JSON-LD, OpenGraph), in the
``<title>`` (most often with the site's name), and as an ``<h1>`` (sometimes a logo or
a section's name). :func:`headline` picks the one readers see.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["headline", "host_name", "key"]

#: What separates a headline from the site's name in a title: "Headline | Site".
_TITLE_PARTS = re.compile(r"\s+[-|–—:/~»›•·]{1,2}\s+|\s*[|»›•·]\s*|::")
#: An <h1> shorter than this share of the title is a fragment of it, not the headline.
_MIN_HEADLINE_SHARE = 0.3
_NON_WORD = re.compile(r"\W+")


def key(text: str) -> str:
    """``text`` as names compare: case folded, without spaces or punctuation."""
    return _NON_WORD.sub("", text.casefold())


def headline(
    declared: str | None, page_title: str | None, headings: list[str], sites: list[str]
) -> str | None:
    """The headline: the <h1> of ``headings`` that the ``declared`` title (JSON-LD,
    OpenGraph) or the page's <title> names; else the declared title less the site's
    name; else the first <h1>; else the <title> less the site's name."""
    titles = [t for t in (declared, page_title) if t]
    for title in titles:
        whole = key(title)
        for heading in headings:
            part = key(heading)
            if part and (
                part == whole
                or (whole.startswith(part) or whole.endswith(part))
                and len(part) >= _MIN_HEADLINE_SHARE * len(whole)
            ):
                return heading
    site_keys = [key(s) for s in sites]
    if declared:
        return _without_site(declared, site_keys)
    if headings:
        return headings[0]
    return _without_site(page_title, site_keys) if page_title else None


def _without_site(title: str, sites: list[str]) -> str:
    """``title`` less the parts that name the site ("Headline - Site" -> "Headline")."""
    parts = [p for p in _TITLE_PARTS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    kept = [p for p in parts if not any(_names_site(key(p), s) for s in sites)]
    if not kept or len(kept) == len(parts):
        return title
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return title[start:end].strip(" -|–—:")


def _names_site(part: str, site: str) -> bool:
    return bool(part) and bool(site) and (part in site or site in part)


def host_name(url: str | None) -> str | None:
    """The name a host gives its site: "www.hausinfo.ch" -> "hausinfo"."""
    host = urlsplit(url).hostname if url else None
    if not host:
        return None
    labels = host.removeprefix("www.").split(".")
    return labels[-2] if len(labels) >= 2 else labels[0]
