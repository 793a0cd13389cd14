"""news-archiver: archive news articles as clean text and metadata in standard WARC files.

The public API::

    import archiver
    article = archiver.extract(page_bytes_or_text, url=None)
    report = archiver.reprocess(["seeds/"], warc="seeds.warc.gz")
    for article in archiver.read("seeds.warc.gz"):
        ...
    archiver.export(["seeds.warc.gz"], "articles.jsonl")   # or format="csv", "markdown"
    print(archiver.to_markdown(article))                    # front matter, title, text
    archiver.write_wacz(["seeds.warc.gz"], "seeds.wacz")
    article = archiver.archive("https://example.com/news/1", warc="news.warc.gz")
    article = await archiver.aarchive("https://example.com/news/1", warc="news.warc.gz")
    report = archiver.archive_many("urls.txt", "archive/")   # resumable, polite, in bulk
    report = archiver.revisit("archive/", "3d")   # fetch the last 3 days' articles again
    versions = archiver.history("https://example.com/news/1", "archive/")  # with diffs
    hits = archiver.search('"central bank"', "archive/", site="egypttoday.com")
    urls = archiver.discover("jpost.com", since="2d")       # or await archiver.adiscover()
    update = archiver.archive_sites(["jpost.com"], "archive/", since="1d")
    update = archiver.update_archive("archive/")              # later: only what is new
"""

from .article import Article, ExtractorInfo, InputKind
from .capture import AsyncFetcher, Exchange, FetchConfig, Fetcher, FetchResult, afetch, fetch, load
from .discovery import DiscoveredURL, adiscover, discover
from .document import Document
from .errors import (
    ArchiverError,
    BinaryInputError,
    BlockedAddressError,
    DecodingError,
    DecompressionBombError,
    EmptyInputError,
    ExtractionError,
    FetchError,
    HttpStatusError,
    InputError,
    InputTooLargeError,
    NotHtmlError,
    PluginError,
    ResponseTooLargeError,
    RobotsDisallowedError,
    StateError,
    WarcError,
)
from .extraction import (
    Extractor,
    Registry,
    default_registry,
    extract,
    extract_document,
    to_markdown,
)
from .outputs import ArticleChange, TextVersion, diff, export, history, write_index, write_wacz
from .runs import (
    BulkConfig,
    BulkProgress,
    BulkReport,
    Failure,
    FailureCause,
    Hit,
    Report,
    RevisitReport,
    UpdateReport,
    aarchive,
    archive,
    archive_many,
    archive_sites,
    reprocess,
    revisit,
    search,
    update_archive,
)
from .version import __version__
from .warc import (
    ArchivedArticle,
    Capture,
    Payloads,
    WarcWriter,
    read,
    read_captures,
    read_latest,
)

__all__ = [
    "ArchivedArticle",
    "ArchiverError",
    "Article",
    "ArticleChange",
    "AsyncFetcher",
    "BinaryInputError",
    "BlockedAddressError",
    "BulkConfig",
    "BulkProgress",
    "BulkReport",
    "Capture",
    "DecodingError",
    "DecompressionBombError",
    "DiscoveredURL",
    "Document",
    "EmptyInputError",
    "Exchange",
    "ExtractionError",
    "Extractor",
    "ExtractorInfo",
    "Failure",
    "FailureCause",
    "FetchConfig",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "Hit",
    "HttpStatusError",
    "InputError",
    "InputKind",
    "InputTooLargeError",
    "NotHtmlError",
    "Payloads",
    "PluginError",
    "Registry",
    "Report",
    "ResponseTooLargeError",
    "RevisitReport",
    "RobotsDisallowedError",
    "StateError",
    "TextVersion",
    "UpdateReport",
    "WarcError",
    "WarcWriter",
    "__version__",
    "aarchive",
    "adiscover",
    "afetch",
    "archive",
    "archive_many",
    "archive_sites",
    "default_registry",
    "diff",
    "discover",
    "export",
    "extract",
    "extract_document",
    "fetch",
    "history",
    "load",
    "read",
    "read_captures",
    "read_latest",
    "reprocess",
    "revisit",
    "search",
    "to_markdown",
    "update_archive",
    "write_index",
    "write_wacz",
]
