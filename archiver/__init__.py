"""news-archiver: archive news articles as clean text and metadata in standard WARC files.

The public API::

    import archiver
    article = archiver.extract(page_bytes_or_text, url=None)
    report = archiver.reprocess(["seeds/"], warc="seeds.warc.gz")
    for article in archiver.read("seeds.warc.gz"):
        ...
    archiver.export(["seeds.warc.gz"], "articles.jsonl")   # or format="csv"
    archiver.write_wacz(["seeds.warc.gz"], "seeds.wacz")
    article = archiver.archive("https://example.com/news/1", warc="news.warc.gz")
    article = await archiver.aarchive("https://example.com/news/1", warc="news.warc.gz")
    report = archiver.archive_many("urls.txt", "archive/")   # resumable, polite, in bulk
    report = archiver.revisit("archive/", "3d")   # fetch the last 3 days' articles again
    versions = archiver.history("https://example.com/news/1", "archive/")  # with diffs
    hits = archiver.search('"central bank"', "archive/", site="egypttoday.com")
"""

from .article import Article, ExtractorInfo, InputKind
from .capture import AsyncFetcher, Exchange, FetchConfig, Fetcher, FetchResult, afetch, fetch, load
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
from .extraction import Extractor, Registry, default_registry, extract, extract_document
from .outputs import ArticleChange, TextVersion, diff, export, history, write_index, write_wacz
from .runs import (
    BulkConfig,
    BulkProgress,
    BulkReport,
    Failure,
    Hit,
    Report,
    RevisitReport,
    aarchive,
    archive,
    archive_many,
    reprocess,
    revisit,
    search,
)
from .version import __version__
from .warc import ArchivedArticle, Capture, WarcWriter, read, read_captures, read_latest

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
    "Document",
    "EmptyInputError",
    "Exchange",
    "ExtractionError",
    "Extractor",
    "ExtractorInfo",
    "Failure",
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
    "PluginError",
    "Registry",
    "Report",
    "ResponseTooLargeError",
    "RevisitReport",
    "RobotsDisallowedError",
    "StateError",
    "TextVersion",
    "WarcError",
    "WarcWriter",
    "__version__",
    "aarchive",
    "afetch",
    "archive",
    "archive_many",
    "default_registry",
    "diff",
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
    "write_index",
    "write_wacz",
]
