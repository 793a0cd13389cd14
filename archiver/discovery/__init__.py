"""Discovery: a site's article URLs from its robots.txt, sitemaps and feeds.

:mod:`.sitemaps` and :mod:`.feeds` read the sources (pure functions over bytes);
:mod:`.sources` knows what each site declares and what its article URLs look like;
:mod:`.walker` fetches the sources through the capture layer's fetcher and gives
:class:`DiscoveredURL` records; :mod:`.period` reads ``--since`` periods.
"""

from .feeds import FeedItem, feed_links, parse_feed, robots_sitemaps
from .found import DiscoveredURL, SourceKind, clean_url
from .period import cutoff, parse_period
from .sitemaps import Sitemap, SitemapEntry, parse_date, parse_sitemap
from .sources import SiteSources, home_url, site_sources
from .walker import OnFetch, Walker, adiscover, discover, discovery_config

__all__ = [
    "DiscoveredURL",
    "FeedItem",
    "OnFetch",
    "SiteSources",
    "Sitemap",
    "SitemapEntry",
    "SourceKind",
    "Walker",
    "adiscover",
    "clean_url",
    "cutoff",
    "discover",
    "discovery_config",
    "feed_links",
    "home_url",
    "parse_date",
    "parse_feed",
    "parse_period",
    "parse_sitemap",
    "robots_sitemaps",
    "site_sources",
]
