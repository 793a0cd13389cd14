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

# Names load on first use (PEP 562), from the imports of __init__.pyi: an extraction
# worker then imports extraction alone, not the fetching, WARC and run layers it never uses.
import importlib
import importlib.util
import logging

import lazy_loader

_exported, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)

# A library writes nothing unless its user configures logging: without a handler,
# logging's last resort would print every warning (a failed URL of a run) to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    try:
        return _exported(name)
    except AttributeError:
        # A subpackage too (`archiver.warc.salvage` after `import archiver`), as when
        # this file imported them all.
        if importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise
        return importlib.import_module(f"{__name__}.{name}")
