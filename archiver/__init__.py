"""news-archiver: archive news articles as clean text and metadata in standard WARC files.

The public API::

    import archiver
    article = archiver.extract(page_bytes_or_text, url=None)
    report = archiver.reprocess(["seeds/"], warc="seeds.warc.gz")
    for article in archiver.read("seeds.warc.gz"):
        ...
"""

from .article import Article, ExtractorInfo, InputKind
from .document import Document, load
from .errors import (
    ArchiverError,
    BinaryInputError,
    DecodingError,
    EmptyInputError,
    ExtractionError,
    InputError,
    InputTooLargeError,
    PluginError,
    WarcError,
)
from .extract import default_registry, extract, extract_document
from .plugins import Extractor, Registry
from .reprocess import Failure, Report, reprocess
from .warc import WarcWriter, read

__all__ = [
    "ArchiverError",
    "Article",
    "BinaryInputError",
    "DecodingError",
    "Document",
    "EmptyInputError",
    "ExtractionError",
    "Extractor",
    "ExtractorInfo",
    "Failure",
    "InputError",
    "InputKind",
    "InputTooLargeError",
    "PluginError",
    "Registry",
    "Report",
    "WarcError",
    "WarcWriter",
    "default_registry",
    "extract",
    "extract_document",
    "load",
    "read",
    "reprocess",
]
