"""``archive()``: one URL in, fetched, extracted and stored in a WARC file; one Article out.

The work unit is :func:`conclude`, a plain function from a fetched page (a
:class:`~archiver.capture.FetchResult`) to an Article, writing the page's records when
given a WARC: :func:`archive` and :func:`aarchive` differ only in how they fetch.
"""

from __future__ import annotations

import logging
from typing import Any

from ..article import Article
from ..capture import AsyncFetcher, FetchConfig, Fetcher, FetchResult
from ..errors import ArchiverError, HttpStatusError, InputError, NotHtmlError, shown_name
from ..extraction import Registry, extract
from ..files import PathArg
from ..warc import Payloads, WarcWriter

__all__ = [
    "aarchive",
    "archive",
    "capture_metadata",
    "conclude",
    "extract_page",
    "unextractable",
]

log = logging.getLogger(__name__)


def archive(
    url: str,
    warc: PathArg | WarcWriter | None = None,
    *,
    config: FetchConfig | None = None,
    fetcher: Fetcher | None = None,
    registry: Registry | None = None,
    payloads: Payloads | None = None,
) -> Article:
    """Fetch ``url``, extract its article and append the records to the WARC file ``warc``.

    ``warc`` is a path (the file is created, or appended to when it exists, and closed
    again before returning) or an open :class:`~archiver.warc.WarcWriter`; None stores
    nothing. ``fetcher`` reuses the connections and robots.txt rules of earlier calls;
    else a new one is made from ``config``. With ``payloads`` (those of ``warc``: see
    :meth:`Payloads.of <archiver.warc.Payloads.of>`), a page whose payload ``warc``
    holds already is stored as a ``revisit`` record.

    Once a response has come, its records are stored whatever happens next: a 404, a PDF
    or a page that yields no article is stored, then raised as an error. Raises
    :class:`~archiver.errors.FetchError` when the page cannot be fetched,
    :class:`~archiver.errors.HttpStatusError` for an error status (404, 410),
    :class:`~archiver.errors.NotHtmlError` for a response that is not HTML, another
    :class:`~archiver.errors.ArchiverError` when extraction fails; each names ``url``.
    """
    if fetcher is None:
        with Fetcher(config) as own:
            result = own.fetch(url)
    else:
        result = fetcher.fetch(url)
    return conclude(result, warc, registry=registry, payloads=payloads)


async def aarchive(
    url: str,
    warc: PathArg | WarcWriter | None = None,
    *,
    config: FetchConfig | None = None,
    fetcher: AsyncFetcher | None = None,
    registry: Registry | None = None,
    payloads: Payloads | None = None,
) -> Article:
    """The async form of :func:`archive`: fetching is async, extracting and writing are not.

    Extraction and the WARC write take milliseconds and run in the event loop's thread,
    so that many ``aarchive()`` calls at once append to one file in turn.
    """
    if fetcher is None:
        async with AsyncFetcher(config) as own:
            result = await own.fetch(url)
    else:
        result = await fetcher.fetch(url)
    return conclude(result, warc, registry=registry, payloads=payloads)


def conclude(
    result: FetchResult,
    warc: PathArg | WarcWriter | None = None,
    *,
    registry: Registry | None = None,
    payloads: Payloads | None = None,
) -> Article:
    """Extract the article of a fetched page and store the page's records in ``warc``.

    Errors are raised after the records are stored; see :func:`archive`.
    """
    article: Article | None = None
    error = unextractable(result)
    if error is None:
        assert result.content is not None  # unextractable() says so
        try:
            article = extract_page(
                result.content,
                url=result.url,
                final_url=result.final_url,
                content_type=result.content_type,
                registry=registry,
            )
        except ArchiverError as exc:
            error = exc
    if warc is not None:
        _store(warc, result, article, capture_metadata(result, error), payloads)
    if error is not None:
        raise error
    assert article is not None  # either an article or an error, by construction
    log.info("%s: archived (%d words)", result.url, article.word_count)
    return article


def unextractable(result: FetchResult) -> ArchiverError | None:
    """Why the page of ``result`` cannot be extracted (an error status, not HTML), or None."""
    url = result.url
    final = result.final
    where = "" if result.final_url == url else f" at {shown_name(result.final_url)}"
    if not 200 <= final.status < 300:
        return HttpStatusError(
            f"HTTP {final.status} {final.reason}".rstrip() + where,
            url=url,
            attempts=result.attempts,
            status=final.status,
        )
    if not result.is_html:
        return NotHtmlError(
            f"the response{where} is {result.media_type}, not HTML: stored, not extracted",
            source=url,
        )
    if result.content is None:
        return InputError(f"cannot decode the response{where}: {result.decode_error}", source=url)
    return None


def extract_page(
    content: bytes,
    *,
    url: str,
    final_url: str,
    content_type: str | None,
    registry: Registry | None = None,
) -> Article:
    """Extract the article of a fetched HTML page: the decoded body ``content``.

    ``url`` is the URL asked for, which names the page in errors; ``final_url`` the
    one the page came from, after redirects. A plain function of plain data, so that it
    can run in a process pool.
    """
    return extract(
        content,
        url=final_url,
        kind="html" if content_type else None,
        name=url,
        content_type=content_type,
        registry=registry,
    )


def capture_metadata(result: FetchResult, error: ArchiverError | None) -> dict[str, Any]:
    """The ``fetch`` part of the metadata record, and why nothing was extracted.

    ``fetch`` holds only what the response record it refers to does not: the final URL,
    the status and the Content-Type are there (:func:`~archiver.warc.salvage` puts them
    back), and the URL asked for and the redirects only when there are any; and the
    validators (ETag, Last-Modified), for a conditional request when the page is
    revisited, which a revisit record would not keep.
    """
    fetched: dict[str, Any] = {}
    if result.url != result.final_url:
        fetched["requested_url"] = result.url
    fetched["redirects"] = [exchange.url for exchange in result.exchanges[:-1]]
    fetched["attempts"] = result.attempts
    for key, name in (("etag", "ETag"), ("last_modified", "Last-Modified")):
        value = result.final.header(name)
        if value:
            fetched[key] = value
    data: dict[str, Any] = {"fetch": fetched}
    if error is not None:
        data["not_extracted"] = {"error": type(error).__name__, "reason": error.message}
    return data


def _store(
    warc: PathArg | WarcWriter,
    result: FetchResult,
    article: Article | None,
    metadata: dict[str, Any],
    payloads: Payloads | None,
) -> None:
    if isinstance(warc, WarcWriter):
        warc.write_capture(result, article=article, metadata=metadata, payloads=payloads)
        return
    with WarcWriter(warc, append=True) as writer:
        writer.write_capture(result, article=article, metadata=metadata, payloads=payloads)
