"""archiver.capture against local servers on 127.0.0.1: encodings, framing, redirects,
retries, timeouts, broken connections, robots.txt, size limits, address blocking.

Every test uses short timeouts and backoffs, so that a fault ends in seconds; none of
them touches any address but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import anyio
import brotli
import httpcore
import httpx
import pytest
from local_server import (
    RawServer,
    chunked,
    close_delimited,
    drip,
    reset,
    reset_mid_body,
    respond,
    sequence,
    slow,
    truncated,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import archiver.capture.client as client_module
import archiver.capture.plan as plan_module
import archiver.capture.receiver as receiver_module
from archiver.capture import (
    AsyncFetcher,
    Exchange,
    FetchConfig,
    Fetcher,
    FetchResult,
    afetch,
    fetch,
)
from archiver.errors import (
    ArchiverError,
    BlockedAddressError,
    DecompressionBombError,
    FetchError,
    HttpStatusError,
    ResponseTooLargeError,
    RobotsDisallowedError,
    RobotsUnreachableError,
)

PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Harbour plan</title></head>"
    b"<body><article><h1>Harbour plan approved</h1>"
    + b"".join(
        b"<p>Paragraph %d: the city council voted on Tuesday to approve the long debated "
        b"plan for the old harbour, after months of public hearings.</p>" % i
        for i in range(12)
    )
    + b"</article></body></html>"
)
HTML = [("Content-Type", "text/html; charset=utf-8")]

#: Fast enough that a test with retries takes milliseconds.
FAST = FetchConfig(
    allow_private=True, timeout=2, total_timeout=5, retries=2, backoff=0.01, backoff_max=0.02
)


def get(url: str, config: FetchConfig = FAST) -> FetchResult:
    return fetch(url, config)


def assert_names(error: ArchiverError, url: str, *causes: str) -> None:
    """The error reads "url: cause", the cause naming what went wrong."""
    text = str(error)
    assert text.startswith(f"{url}: "), text
    for cause in causes:
        assert cause in text, text


# --- encodings and framing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("br", brotli.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw deflate, as some send
    ],
    ids=["gzip", "br", "deflate", "raw-deflate"],
)
def test_content_encoding_is_kept_as_sent_and_decoded_for_extraction(
    server: HTTPServer, coding: str, encode: Any
) -> None:
    sent = encode(PAGE)
    server.expect_request("/page").respond_with_data(
        sent, headers={"Content-Encoding": coding}, content_type="text/html; charset=utf-8"
    )
    result = get(server.url_for("/page"))
    assert result.final.body == sent  # as it came off the wire
    assert result.final.header("Content-Encoding") == coding
    assert result.content == PAGE
    assert result.decode_error is None


def test_the_request_record_holds_the_headers_actually_sent(raw: RawServer) -> None:
    raw.routes["/page"] = respond(200, HTML, PAGE)
    result = get(raw.url("/page"))
    exchange = result.final
    sent = raw.requests[-1].decode("latin-1").split("\r\n")
    assert exchange.request_line == sent[0] == "GET /page HTTP/1.1"
    assert [f"{name}: {value}" for name, value in exchange.request_headers] == sent[1:]
    # Not br: warcio cannot read br records (docs/fetching.md), so it is not asked for.
    assert ("Accept-Encoding", "gzip, deflate") in exchange.request_headers
    assert exchange.ip_address == "127.0.0.1"
    assert exchange.date.tzinfo is not None


def test_a_chunked_body_is_stored_dechunked_with_headers_that_frame_it(raw: RawServer) -> None:
    sent = gzip.compress(PAGE)
    raw.routes["/chunked"] = chunked([*HTML, ("Content-Encoding", "gzip")], sent, size=64)
    result = get(raw.url("/chunked"))
    final = result.final
    assert final.body == sent
    assert result.content == PAGE
    assert final.header("Transfer-Encoding") is None
    assert final.header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert final.header("Content-Length") == str(len(sent))
    assert final.header("Content-Encoding") == "gzip"


def test_a_close_delimited_body_gets_a_content_length(raw: RawServer) -> None:
    raw.routes["/old"] = close_delimited(HTML, PAGE)
    result = get(raw.url("/old"))
    assert result.final.http_version == "HTTP/1.0"
    assert result.final.body == PAGE
    assert result.final.header("Content-Length") == str(len(PAGE))


def test_headers_keep_their_order_and_case(raw: RawServer) -> None:
    headers = [("X-First", "1"), ("content-type", "text/html"), ("X-Mixed-CASE", "Yes")]
    raw.routes["/page"] = respond(200, headers, PAGE)
    stored = get(raw.url("/page")).final.headers
    assert [name for name, _ in stored][:3] == ["X-First", "content-type", "X-Mixed-CASE"]


def test_an_unknown_content_encoding_is_stored_and_reported(server: HTTPServer) -> None:
    server.expect_request("/z").respond_with_data(
        b"\x28\xb5\x2f\xfd...", headers={"Content-Encoding": "zstd"}, content_type="text/html"
    )
    result = get(server.url_for("/z"))
    assert result.content is None
    assert result.decode_error is not None and "zstd" in result.decode_error


def test_a_non_html_response_is_not_decoded(server: HTTPServer) -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 10
    server.expect_request("/paper.pdf").respond_with_data(pdf, content_type="application/pdf")
    result = get(server.url_for("/paper.pdf"))
    assert result.final.body == pdf
    assert result.content is None and result.decode_error is None
    assert not result.is_html
    assert result.media_type == "application/pdf"


# --- redirects --------------------------------------------------------------------------


def test_each_redirect_hop_is_its_own_exchange(server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_data("", status=301, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data(
        "", status=302, headers={"Location": server.url_for("/c?x=1")}
    )
    server.expect_request("/c").respond_with_data(PAGE, content_type="text/html")
    result = get(server.url_for("/a"))
    assert [e.status for e in result.exchanges] == [301, 302, 200]
    assert [e.url for e in result.exchanges] == [
        server.url_for("/a"),
        server.url_for("/b"),
        server.url_for("/c?x=1"),
    ]
    assert result.final_url == server.url_for("/c?x=1")
    assert result.exchanges[1].request_line == "GET /b HTTP/1.1"
    assert result.content == PAGE


def test_too_many_redirects_is_an_error(server: HTTPServer) -> None:
    for n in range(5):
        server.expect_request(f"/r{n}").respond_with_data(
            "", status=302, headers={"Location": f"/r{n + 1}"}
        )
    url = server.url_for("/r0")
    with pytest.raises(FetchError) as caught:
        get(url, FetchConfig(allow_private=True, max_redirects=3, retries=0))
    assert_names(caught.value, url, "too many redirects (over 3)")


def test_a_redirect_loop_is_an_error(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("", status=302, headers={"Location": "/y"})
    server.expect_request("/y").respond_with_data("", status=302, headers={"Location": "/x"})
    url = server.url_for("/x")
    with pytest.raises(FetchError) as caught:
        get(url)
    assert_names(caught.value, url, "redirect loop")


def test_a_redirect_to_another_scheme_is_refused(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data(
        "", status=301, headers={"Location": "file:///etc/passwd"}
    )
    url = server.url_for("/x")
    with pytest.raises(FetchError) as caught:
        get(url)
    assert_names(caught.value, url, "not an http(s) URL (scheme 'file'), redirect to")


def test_a_redirect_to_a_path_in_utf8_is_followed_as_browsers_do(raw: RawServer) -> None:
    # The Location's bytes are UTF-8, unescaped (the raw server sends each character of
    # a header as one byte)
    location = "/good/ünïcode".encode().decode("latin-1")
    raw.routes["/x"] = respond(301, [("Location", location)], b"")
    raw.routes["/good/%C3%BCn%C3%AFcode"] = respond(200, HTML, PAGE)
    result = get(raw.url("/x"))
    assert result.status == 200
    assert result.final_url == raw.url("/good/%C3%BCn%C3%AFcode")


@pytest.mark.parametrize(
    ("location", "cause"),
    [
        ("javascript:alert(1)", "path must be empty or begin with '/'"),
        ("http://xn--zz/", "Invalid A-label"),
    ],
)
def test_a_redirect_to_a_url_httpx_cannot_read_is_an_error(
    server: HTTPServer, location: str, cause: str
) -> None:
    # httpx reads the Location of every redirect, followed or not, and raised its own
    # errors, which stopped a bulk run
    server.expect_request("/x").respond_with_data("", status=302, headers={"Location": location})
    url = server.url_for("/x")
    with pytest.raises(FetchError) as caught:
        get(url)
    assert_names(caught.value, url, "a redirect to a URL that cannot be read", cause)
    with pytest.raises(FetchError) as caught:
        asyncio.run(afetch(url, FetchConfig(allow_private=True, retries=0)))
    assert_names(caught.value, url, "a redirect to a URL that cannot be read", cause)


def test_a_port_out_of_range_is_an_invalid_url_not_another_port(raw: RawServer) -> None:
    # httpx takes any port number and the resolver keeps its low 16 bits: port
    # 65536 + p fetched port p's page, stored under a URL that cannot exist
    raw.routes["/a"] = respond(200, HTML, PAGE)
    wrapped = f"http://127.0.0.1:{raw.port + 65536}/a"
    for fetched in (lambda: get(wrapped), lambda: asyncio.run(afetch(wrapped, FAST))):
        with pytest.raises(FetchError) as caught:
            fetched()
        assert_names(caught.value, wrapped, "invalid URL", f"port {raw.port + 65536}")
        assert caught.value.attempts == 1
    # and as a redirect's target
    raw.routes["/x"] = respond(302, [("Location", wrapped)], b"")
    url = raw.url("/x")
    with pytest.raises(FetchError) as caught:
        get(url)
    assert_names(caught.value, url, "out of range", f"redirect to {wrapped}")
    assert raw.hits("/a") == 0


def test_a_negative_port_is_an_invalid_url_in_both_shells(raw: RawServer) -> None:
    # httpx reads "-1" as a port: the sync shell failed to connect after its retries,
    # the async one raised an OverflowError (in an ExceptionGroup) that ended a whole
    # bulk run when a redirect led there
    negative = "http://127.0.0.1:-1/a"
    raw.routes["/x"] = respond(302, [("Location", negative)], b"")
    url = raw.url("/x")
    for target, where in ((negative, ""), (url, f"redirect to {negative}")):
        for shell in ("sync", "async"):
            with pytest.raises(FetchError) as caught:
                get(target) if shell == "sync" else asyncio.run(afetch(target, FAST))
            assert_names(caught.value, target, "invalid URL", "port -1 is out of range", where)
            assert caught.value.attempts == 1


@pytest.mark.parametrize("url", ["ftp://example.com/a", "example.com/a", "http://"])
def test_only_http_and_https_urls_are_fetched(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        get(url)
    assert str(caught.value).startswith(url)


@pytest.mark.parametrize("url", [123, b"http://example.com/", None])
def test_a_url_that_is_no_str_is_a_type_error(url: object) -> None:
    # The FetchError made for it could not name it: AttributeError, from the error's own
    # constructor.
    with pytest.raises(TypeError, match="the URL must be a str"):
        get(url)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the URL must be a str"):
        asyncio.run(afetch(url))  # type: ignore[arg-type]


# --- statuses and retries ---------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 403])
def test_a_client_error_is_returned_not_retried(server: HTTPServer, status: int) -> None:
    server.expect_request("/gone").respond_with_data("gone", status=status)
    result = get(server.url_for("/gone"))
    assert result.status == status
    assert result.attempts == 1
    assert len([r for r, _ in server.log if r.path == "/gone"]) == 1


def test_503_then_200_is_retried(server: HTTPServer) -> None:
    server.expect_oneshot_request("/flaky").respond_with_data("busy", status=503)
    server.expect_request("/flaky").respond_with_data(PAGE, content_type="text/html")
    result = get(server.url_for("/flaky"))
    assert result.status == 200
    assert result.attempts == 2
    assert result.content == PAGE


def test_a_lasting_503_fails_after_every_attempt(server: HTTPServer) -> None:
    server.expect_request("/down").respond_with_data("busy", status=503)
    url = server.url_for("/down")
    with pytest.raises(HttpStatusError) as caught:
        get(url)
    error = caught.value
    assert (error.status, error.attempts) == (503, 3)
    assert_names(error, url, "HTTP 503 SERVICE UNAVAILABLE", "(after 3 attempts)")
    assert len([r for r, _ in server.log if r.path == "/down"]) == 3


def test_429_retry_after_is_honoured(server: HTTPServer) -> None:
    times: list[float] = []

    def too_many(request: Request) -> Response:
        times.append(time.monotonic())
        return Response("slow down", status=429, headers={"Retry-After": "1"})

    def page(request: Request) -> Response:
        times.append(time.monotonic())
        return Response(PAGE, content_type="text/html")

    server.expect_oneshot_request("/busy").respond_with_handler(too_many)
    server.expect_request("/busy").respond_with_handler(page)
    result = get(
        server.url_for("/busy"),
        FetchConfig(allow_private=True, retries=1, backoff=0.01, retry_after_cap=5),
    )
    assert result.status == 200 and result.attempts == 2
    # The server asked for a second; the backoff alone would have waited 10 ms.
    assert times[1] - times[0] >= 0.9


def test_a_retry_after_date_is_understood() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=30)
    seconds = receiver_module._retry_after(format_datetime(soon, usegmt=True))
    assert 25 < seconds <= 30
    assert receiver_module._retry_after("120") == 120.0
    assert receiver_module._retry_after("soon") is None
    assert receiver_module._retry_after(None) is None


def test_a_retry_after_over_the_cap_is_not_waited_for(server: HTTPServer) -> None:
    server.expect_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"}
    )
    url = server.url_for("/busy")
    started = time.monotonic()
    with pytest.raises(HttpStatusError) as caught:
        get(url, FetchConfig(allow_private=True, retries=3, backoff=0.01, retry_after_cap=2))
    assert time.monotonic() - started < 2
    assert caught.value.attempts == 1 and caught.value.status == 429
    assert_names(caught.value, url, "429", "retry after 3600 s", "over the 2 s cap")


def test_a_refused_connection_fails_after_every_attempt() -> None:
    url = "http://127.0.0.1:9/"  # the discard port: nothing listens there
    with pytest.raises(FetchError) as caught:
        get(url, FetchConfig(allow_private=True, retries=1, backoff=0.01, obey_robots=False))
    assert caught.value.attempts == 2
    assert_names(caught.value, url, "cannot connect", "(after 2 attempts)")


# --- broken and slow servers ------------------------------------------------------------


def test_a_response_slower_than_the_timeout_fails(raw: RawServer) -> None:
    raw.routes["/slow"] = slow(3, respond(200, HTML, PAGE))
    url = raw.url("/slow")
    with pytest.raises(FetchError) as caught:
        get(
            url,
            FetchConfig(
                allow_private=True, timeout=0.3, retries=1, backoff=0.01, obey_robots=False
            ),
        )
    assert_names(caught.value, url, "timed out waiting for the server", "(after 2 attempts)")


def test_a_dripping_server_is_cut_off_by_the_total_timeout(raw: RawServer) -> None:
    raw.routes["/drip"] = drip(HTML, PAGE[:200], interval=0.05)
    url = raw.url("/drip")
    config = FetchConfig(
        allow_private=True, timeout=1, total_timeout=0.4, retries=0, obey_robots=False
    )
    with pytest.raises(FetchError) as caught:
        get(url, config)
    assert_names(caught.value, url, "timed out", "0.4 s in all")


def test_a_connection_reset_fails_with_its_cause(raw: RawServer) -> None:
    raw.routes["/reset"] = reset()
    url = raw.url("/reset")
    with pytest.raises(FetchError) as caught:
        get(url, FetchConfig(allow_private=True, retries=1, backoff=0.01, obey_robots=False))
    assert caught.value.attempts == 2
    assert_names(caught.value, url)
    assert any(word in str(caught.value) for word in ("connection lost", "broken response"))


def test_a_connection_reset_names_its_cause_in_both_shells(raw: RawServer) -> None:
    # The async transport's errors have no message of their own (httpx's ReadError from
    # anyio's BrokenResourceError): a bulk run said "connection lost (ReadError)" where
    # archiver get said what happened
    raw.routes["/reset"] = reset()
    url = raw.url("/reset")
    config = FetchConfig(allow_private=True, retries=0, obey_robots=False)
    with pytest.raises(FetchError) as synced:
        get(url, config)
    with pytest.raises(FetchError) as awaited:
        asyncio.run(afetch(url, config))
    for caught in (synced, awaited):
        assert_names(caught.value, url, "connection lost", "Connection reset by peer")


def test_a_cause_is_not_taken_from_an_exception_its_chain_suppressed() -> None:
    # anyio raises ClosedResourceError "from None" in the except block of an IndexError
    # (its read queue empty); httpcore and httpx map it to ReadErrors, all three empty.
    # Python hides that IndexError ("pop from an empty deque"); the cause said it.
    def closed() -> None:
        try:
            [].pop()
        except IndexError:
            raise anyio.ClosedResourceError from None

    try:
        try:
            closed()
        except anyio.ClosedResourceError as exc:
            raise httpcore.ReadError("") from exc
    except httpcore.ReadError as exc:
        error = httpx.ReadError("")
        error.__cause__ = exc
    url = "https://example.com/a"
    final = client_module.final_error(url, error, 1, FAST, client_module._ERRORS)
    assert "pop" not in str(final)
    assert_names(final, url, "connection lost (ReadError)")


def test_a_connection_reset_then_success_is_archived(raw: RawServer) -> None:
    raw.routes["/page"] = sequence(reset(), respond(200, HTML, PAGE))
    result = get(raw.url("/page"))
    assert result.content == PAGE and result.attempts == 2


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shell", ["sync", "async", "client"])
def test_a_connection_reset_mid_body_fails_with_its_cause(raw: RawServer, shell: str) -> None:
    # The reset reaches the client as it reads the head: the address the connection
    # reached was asked of the socket then, and getpeername() failed (ENOTCONN), an
    # OSError that left the fetch as an internal error.
    raw.routes["/reset"] = reset_mid_body(HTML, PAGE * 20, sent=300)
    url = raw.url("/reset")
    config = FetchConfig(allow_private=True, retries=2, backoff=0.01, obey_robots=False)
    for _ in range(5):
        with pytest.raises(FetchError) as caught:
            if shell == "sync":
                get(url, config)
            elif shell == "async":
                asyncio.run(afetch(url, config))
            else:  # an httpx.Client of one's own: httpcore's streams, not ours
                with httpx.Client() as own, Fetcher(config, client=own) as fetcher:
                    fetcher.fetch(url)
        assert caught.value.attempts == 3
        assert_names(caught.value, url)
        assert any(word in str(caught.value) for word in ("connection lost", "broken response"))


def test_a_truncated_body_fails_naming_the_shortfall(raw: RawServer) -> None:
    raw.routes["/short"] = truncated(HTML, PAGE[:100], claimed=len(PAGE))
    url = raw.url("/short")
    with pytest.raises(FetchError) as caught:
        get(url, FetchConfig(allow_private=True, retries=0, obey_robots=False))
    assert_names(caught.value, url, "broken response", "received 100 bytes, expected")


# --- limits -----------------------------------------------------------------------------


def test_a_gzip_bomb_stops_with_a_clear_error(server: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 20_000
    server.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="text/html"
    )
    url = server.url_for("/bomb")
    config = FetchConfig(allow_private=True, max_decompressed_bytes=1024 * 1024, retries=2)
    with pytest.raises(DecompressionBombError) as caught:
        get(url, config)
    assert caught.value.attempts == 1  # not retried: it would only happen again
    assert_names(caught.value, url, "decodes to over 1.0 MB", "decompression bomb")


def test_a_brotli_bomb_stops_with_a_clear_error(server: HTTPServer) -> None:
    bomb = brotli.compress(b"\0" * (8 * 1024 * 1024), quality=4)
    server.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "br"}, content_type="text/html"
    )
    with pytest.raises(DecompressionBombError):
        get(
            server.url_for("/bomb"),
            FetchConfig(allow_private=True, max_decompressed_bytes=1024 * 1024),
        )


def test_a_body_over_the_limit_is_refused_by_its_content_length(server: HTTPServer) -> None:
    server.expect_request("/big").respond_with_data(b"x" * 5000, content_type="text/html")
    url = server.url_for("/big")
    with pytest.raises(ResponseTooLargeError) as caught:
        get(url, FetchConfig(allow_private=True, max_body_bytes=1000))
    assert_names(caught.value, url, "5000 bytes (Content-Length)", "over the 1000 bytes limit")


def test_a_chunked_body_over_the_limit_is_cut_off(raw: RawServer) -> None:
    raw.routes["/big"] = chunked(HTML, b"x" * 5000)
    url = raw.url("/big")
    with pytest.raises(ResponseTooLargeError) as caught:
        get(url, FetchConfig(allow_private=True, max_body_bytes=1000, obey_robots=False))
    # It said "is over 1000 bytes, over the 1000 bytes limit".
    assert_names(caught.value, url, "the response body goes on past the 1000 bytes limit")


# --- robots.txt -------------------------------------------------------------------------


def test_robots_txt_is_obeyed_and_read_once_per_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    httpserver.expect_request("/news/1").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/news/2").respond_with_data(PAGE, content_type="text/html")
    with Fetcher(FAST) as fetcher:
        fetcher.fetch(httpserver.url_for("/news/1"))
        fetcher.fetch(httpserver.url_for("/news/2"))
        url = httpserver.url_for("/private/x")
        with pytest.raises(RobotsDisallowedError) as caught:
            fetcher.fetch(url)
    assert_names(caught.value, url, "robots.txt", "disallows")
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 1
    assert "/private/x" not in [r.path for r, _ in httpserver.log]


def test_robots_txt_rules_for_our_user_agent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: news-archiver\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    )
    url = httpserver.url_for("/page")
    with pytest.raises(RobotsDisallowedError):
        get(url)
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    assert get(url, FetchConfig(allow_private=True, user_agent="OtherBot/1.0")).status == 200


def test_no_robots_switch_fetches_a_disallowed_page(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /\n")
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    result = get(httpserver.url_for("/page"), FetchConfig(allow_private=True, obey_robots=False))
    assert result.status == 200
    assert "/robots.txt" not in [r.path for r, _ in httpserver.log]


def test_a_redirect_into_a_disallowed_path_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /x/\n")
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": "/x/1"})
    url = httpserver.url_for("/go")
    with pytest.raises(RobotsDisallowedError) as caught:
        get(url)
    assert_names(caught.value, url, "redirected to", "/x/1")


def test_an_unreachable_robots_txt_allows_nothing(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=503)
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    url = httpserver.url_for("/page")
    with pytest.raises(HttpStatusError) as caught:
        get(url, FetchConfig(allow_private=True, retries=1, backoff=0.01))
    assert_names(caught.value, url, "HTTP 503", "/robots.txt")
    assert "/page" not in [r.path for r, _ in httpserver.log]


def test_an_unreachable_robots_txt_is_not_asked_for_by_each_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=503)
    config = FetchConfig(allow_private=True, retries=1, backoff=0.01, robots_retry_after=0.5)

    def asked() -> int:
        return [r.path for r, _ in httpserver.log].count("/robots.txt")

    with Fetcher(config) as fetcher:
        with pytest.raises(HttpStatusError):
            fetcher.fetch(httpserver.url_for("/a"))
        assert asked() == 2  # the first URL's own retries ask again
        second = httpserver.url_for("/b")
        with pytest.raises(RobotsUnreachableError) as caught:
            fetcher.fetch(second)
        assert_names(caught.value, second, "could not be reached", "/a", "HTTP 503")
        assert caught.value.attempts == 0 and asked() == 2
        # The same cause for each URL refused: it counted down the seconds left, so
        # that a bulk run printed a line of another text for each.
        assert caught.value.message.endswith("it is asked for again 0.5 s after that")
        time.sleep(0.5)
        httpserver.clear()
        httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
        httpserver.expect_request("/c").respond_with_data(PAGE, content_type="text/html")
        assert fetcher.fetch(httpserver.url_for("/c")).status == 200
        assert asked() == 1  # asked for again once the wait is over, and read


def test_async_fetches_of_a_site_whose_robots_txt_is_down_fail_at_once(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=503)
    config = FetchConfig(allow_private=True, retries=0)

    async def main() -> list[BaseException]:
        async with AsyncFetcher(config) as fetcher:
            failures = []
            for name in ("/a", "/b", "/c"):
                with pytest.raises(FetchError) as caught:
                    await fetcher.fetch(httpserver.url_for(name))
                failures.append(caught.value)
            return failures

    first, *others = asyncio.run(main())
    assert "HTTP 503" in str(first)
    assert all(isinstance(error, RobotsUnreachableError) for error in others)
    assert [r.path for r, _ in httpserver.log] == ["/robots.txt"]


def test_a_urls_own_retry_asks_for_robots_txt_though_another_url_gave_up_on_it(
    httpserver: HTTPServer,
) -> None:
    answers = iter([503, 503])  # /a's first try, then /b's only one; /a's retry reads it

    def robots(request: Request) -> Response:
        return Response("User-agent: *\nAllow: /\n", status=next(answers, 200))

    httpserver.expect_request("/robots.txt").respond_with_handler(robots)
    httpserver.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    cache = plan_module.RobotsCache()
    patient = FetchConfig(allow_private=True, retries=1, backoff=0.4, backoff_max=0.4)

    async def main() -> FetchResult:
        async with (
            AsyncFetcher(patient, robots=cache) as first,
            AsyncFetcher(FetchConfig(allow_private=True, retries=0), robots=cache) as second,
        ):
            retrying = asyncio.create_task(first.fetch(httpserver.url_for("/a")))
            await asyncio.sleep(0.1)  # /a has failed once and waits to retry
            with pytest.raises(HttpStatusError):
                await second.fetch(httpserver.url_for("/b"))
            return await retrying

    assert asyncio.run(main()).status == 200


def test_what_does_not_stop_a_sites_fetches(httpserver: HTTPServer) -> None:
    """Discovery's single try for the Sitemap: lines, a fetch cancelled while robots.txt
    is read, a refusal of ours and the attempt's deadline leave the site's other URLs to
    ask for it."""
    answers = iter([503])

    def robots(request: Request) -> Response:
        status = next(answers, 200)
        if status == 200:
            time.sleep(0.3)
        return Response("User-agent: *\nAllow: /\n", status=status)

    httpserver.expect_request("/robots.txt").respond_with_handler(robots)
    httpserver.expect_request("/b").respond_with_data(PAGE, content_type="text/html")
    config = FetchConfig(allow_private=True, retries=0)

    async def main() -> int:
        async with AsyncFetcher(config) as fetcher:
            with pytest.raises(HttpStatusError):
                await fetcher.robots_sitemaps(httpserver.url_for("/"))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(fetcher.fetch(httpserver.url_for("/a")), 0.1)
            return (await fetcher.fetch(httpserver.url_for("/b"))).status

    assert asyncio.run(main()) == 200
    cache = plan_module.RobotsCache()
    url = "http://192.168.1.1/a"
    after_a_redirect = plan_module.RobotsReading("http://192.168.1.1", first_hop=False)
    refused = BlockedAddressError("a private address, refused", url=url)
    cache.remember_outage(after_a_redirect, url, refused, refused.message, 300)
    late = plan_module.DeadlineExceeded(url)  # the attempt's time, perhaps spent elsewhere
    cache.remember_outage(after_a_redirect, url, late, "took over 1 s in all", 300)
    assert not cache.outages
    cache.remember_outage(plan_module.RobotsReading("http://192.168.1.1", True), url, late, "", 0)
    assert not cache.outages  # robots_retry_after 0: no outage kept


def test_a_host_that_cannot_be_resolved_is_not_looked_up_by_each_url() -> None:
    config = FetchConfig(retries=0)
    with Fetcher(config) as fetcher:
        with pytest.raises(FetchError) as first:
            fetcher.fetch("http://no-such-host.invalid/a")
        with pytest.raises(FetchError) as second:
            fetcher.fetch("http://no-such-host.invalid/b")
    assert "resolve" in str(first.value)
    assert_names(
        second.value, "http://no-such-host.invalid/b", "could not be reached", "resolve", "/a"
    )


def test_a_robots_txt_that_takes_the_whole_attempt_is_an_outage(httpserver: HTTPServer) -> None:
    def robots(request: Request) -> Response:
        time.sleep(0.8)  # past the attempt's total_timeout, spent on it alone
        return Response("User-agent: *\nAllow: /\n")

    httpserver.expect_request("/robots.txt").respond_with_handler(robots)
    config = FetchConfig(allow_private=True, retries=0, timeout=2, total_timeout=0.3)
    with Fetcher(config) as fetcher:
        with pytest.raises(FetchError):
            fetcher.fetch(httpserver.url_for("/a"))
        with pytest.raises(RobotsUnreachableError):
            fetcher.fetch(httpserver.url_for("/b"))
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's answer, left behind, must not land in the next test


def test_outages_are_let_go_oldest_first_once_past() -> None:
    cache = plan_module.RobotsCache()
    failure = OSError("connection refused")
    for origin in ("http://a.example", "http://b.example"):
        cache.remember_outage(plan_module.RobotsReading(origin), origin, failure, "refused", 0.05)
    time.sleep(0.1)
    cache.remember_outage(
        plan_module.RobotsReading("http://c.example"), "http://c.example", failure, "", 0.05
    )
    assert list(cache.outages) == ["http://c.example"]


def test_a_redirect_to_an_origin_whose_robots_txt_is_unreachable_asks_for_it_again(
    httpserver: HTTPServer,
) -> None:
    """The redirect has made a request: the URL is not refused as if it had made none."""
    port = httpserver.port
    down = f"http://127.0.0.1:{port}"  # another origin, served by the same server

    def robots(request: Request) -> Response:
        status = 503 if request.host.startswith("127.0.0.1") else 200
        return Response("User-agent: *\nAllow: /\n", status=status)

    httpserver.expect_request("/robots.txt").respond_with_handler(robots)
    httpserver.expect_request("/a").respond_with_data(
        "", status=302, headers={"Location": f"{down}/x"}
    )
    with Fetcher(FetchConfig(allow_private=True, retries=0)) as fetcher:
        with pytest.raises(HttpStatusError):
            fetcher.fetch(f"{down}/y")
        with pytest.raises(HttpStatusError) as caught:
            fetcher.fetch(f"http://localhost:{port}/a")
    assert not isinstance(caught.value, RobotsUnreachableError)
    assert caught.value.attempts == 1
    asked = [r.host.split(":")[0] for r, _ in httpserver.log if r.path == "/robots.txt"]
    assert asked == ["127.0.0.1", "localhost", "127.0.0.1"]


# --- private addresses ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_by_default_also_after_dns(raw: RawServer, host: str) -> None:
    raw.routes["/page"] = respond(200, HTML, PAGE)
    url = f"http://{host}:{raw.port}/page"
    with pytest.raises(BlockedAddressError) as caught:
        get(url, FetchConfig())
    assert_names(caught.value, url, "loopback address", "allow_private", "--allow-private")
    assert raw.requests == []  # refused before connecting


def test_the_address_connected_to_is_checked(
    raw: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS said "public" (rebinding, say), but the connection went to 127.0.0.1.
    monkeypatch.setattr(client_module, "resolve", lambda host, port: ["93.184.216.34"])
    raw.routes["/page"] = respond(200, HTML, PAGE)
    raw.routes["/robots.txt"] = respond(404, [], b"")
    url = f"http://localhost:{raw.port}/page"
    with pytest.raises(BlockedAddressError) as caught:
        get(url, FetchConfig(obey_robots=False))
    assert_names(caught.value, url, "connected to a loopback address")


def test_the_address_a_client_of_ones_own_connects_to_is_not_checked(
    raw: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Such a client may go through a proxy, whose address (often a private one) is the
    # one connected to: only the URL and what its host name resolves to are checked.
    monkeypatch.setattr(client_module, "resolve", lambda host, port: ["93.184.216.34"])
    raw.routes["/page"] = respond(200, HTML, PAGE)
    with httpx.Client() as client, Fetcher(FetchConfig(obey_robots=False), client=client) as f:
        result = f.fetch(f"http://localhost:{raw.port}/page")
    assert result.status == 200 and result.final.ip_address == "127.0.0.1"


#: How the fetchers read URLs, given to a plan run here without them.
URLS = client_module._URLS


def plan_for(url: str, config: FetchConfig) -> Any:
    """A first attempt's plan for ``url``, with nothing read of robots.txt yet."""
    return plan_module.page_plan(
        url, config, plan_module.RobotsCache(), 1, URLS, plan_module.RobotsReading()
    )


def drive(plan: Any, answers: dict[type, Any]) -> Any:
    """Run a fetch plan with canned answers for its steps (no I/O at all); a hop's
    start (Enter) is answered None."""
    answers = {plan_module.Enter: None, **answers}
    try:
        step = next(plan)
        while True:
            answer = answers[type(step)]
            step = plan.send(answer(step) if callable(answer) else answer)
    except StopIteration as stop:
        return stop.value


def fake_exchange(step: Any, status: int, location: str | None = None) -> Any:
    headers = (("Location", location),) if location else (("Content-Type", "text/html"),)
    exchange = Exchange(
        url=step.url,
        request_line="GET / HTTP/1.1",
        request_headers=(),
        http_version="HTTP/1.1",
        status=status,
        reason="",
        headers=headers,
        body=b"",
        date=datetime.now(UTC),
    )
    return plan_module.Received(exchange, b"" if status == 200 else None, None)


def test_a_redirect_to_a_private_address_is_refused() -> None:
    # A public site redirecting to the internal network: the plan, run without I/O.
    config = FetchConfig(obey_robots=False)
    plan = plan_for("http://news.example/a", config)
    answers = {
        plan_module.Resolve: lambda step: ["93.184.216.34"],
        plan_module.Send: lambda step: fake_exchange(step, 302, "http://10.1.2.3/admin"),
    }
    with pytest.raises(BlockedAddressError) as caught:
        drive(plan, answers)
    assert "10.1.2.3 is a private address" in str(caught.value)


def test_a_name_that_resolves_to_a_link_local_address_is_refused() -> None:
    config = FetchConfig(obey_robots=False)
    plan = plan_for("http://meta.example/", config)
    answers = {plan_module.Resolve: ["93.184.216.34", "169.254.169.254"]}
    with pytest.raises(BlockedAddressError) as caught:
        drive(plan, answers)
    assert "link-local address (169.254.169.254)" in str(caught.value)


def test_a_public_address_is_let_through() -> None:
    config = FetchConfig(obey_robots=False)
    plan = plan_for("http://news.example/", config)
    answers = {
        plan_module.Resolve: ["93.184.216.34", "2606:2800:220:1::"],
        plan_module.Send: lambda step: fake_exchange(step, 200),
    }
    exchanges, _ = drive(plan, answers)
    assert [e.status for e in exchanges] == [200]


def test_a_robots_txt_redirecting_to_a_private_address_is_refused() -> None:
    config = FetchConfig()
    plan = plan_for("http://news.example/", config)

    def send(step: Any) -> Any:
        assert step.robots, "the page must not be asked for"
        return fake_exchange(step, 301, "http://192.168.1.1/robots.txt")

    answers = {plan_module.Resolve: ["93.184.216.34"], plan_module.Send: send}
    with pytest.raises(BlockedAddressError) as caught:
        drive(plan, answers)
    assert "192.168.1.1 is a private address" in str(caught.value)


def test_allow_private_fetches_loopback(raw: RawServer) -> None:
    raw.routes["/page"] = respond(200, HTML, PAGE)
    assert get(f"http://localhost:{raw.port}/page").status == 200  # FAST allows it


# --- async ------------------------------------------------------------------------------


def test_async_fetch_follows_redirects_and_decodes(server: HTTPServer) -> None:
    sent = brotli.compress(PAGE)
    server.expect_request("/a").respond_with_data("", status=301, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data(
        sent, headers={"Content-Encoding": "br"}, content_type="text/html"
    )
    result = asyncio.run(afetch(server.url_for("/a"), FAST))
    assert [e.status for e in result.exchanges] == [301, 200]
    assert result.final.body == sent and result.content == PAGE


def test_async_fetches_share_one_client_and_robots_txt(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /no\n")
    for n in range(4):
        httpserver.expect_request(f"/p{n}").respond_with_data(PAGE, content_type="text/html")

    async def main() -> list[FetchResult]:
        async with AsyncFetcher(FAST) as fetcher:
            await fetcher.fetch(httpserver.url_for("/p0"))  # reads robots.txt
            return await asyncio.gather(
                *(fetcher.fetch(httpserver.url_for(f"/p{n}")) for n in range(4))
            )

    results = asyncio.run(main())
    assert [r.status for r in results] == [200] * 4
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 1


def test_async_fetch_counts_no_wait_for_a_hosts_turn_in_its_total_timeout(
    httpserver: HTTPServer,
) -> None:
    """``before_hop`` waits (a bulk run's turn of a host) ask nothing of a server: a fetch
    whose hops each wait longer than total_timeout is not timed out; a server slower
    than it still is."""
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data(PAGE, content_type="text/html")

    def slow(_request: Request) -> Response:
        time.sleep(0.6)
        return Response(PAGE, content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    config = FetchConfig(allow_private=True, retries=0, total_timeout=0.4)
    hops: list[str] = []

    async def turn(url: str, _retry: bool) -> None:
        hops.append(url)
        await asyncio.sleep(0.5)

    async def main() -> FetchResult:
        async with AsyncFetcher(config) as fetcher:
            result = await fetcher.fetch(httpserver.url_for("/a"), before_hop=turn)
            with pytest.raises(FetchError, match="timed out"):
                await fetcher.fetch(httpserver.url_for("/slow"), before_hop=turn)
            return result

    result = asyncio.run(main())
    assert [e.status for e in result.exchanges] == [302, 200]
    assert hops == [httpserver.url_for(path) for path in ("/a", "/b", "/slow")]


def test_async_fetch_tells_before_hop_where_a_retry_begins(httpserver: HTTPServer) -> None:
    """A bulk run slows down the host a failed attempt ended on when the retry leaves
    it: ``before_hop`` is told which hop begins a retry."""
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    answers = iter([Response("busy", status=503), Response(PAGE, content_type="text/html")])
    httpserver.expect_request("/b").respond_with_handler(lambda _request: next(answers))
    config = FetchConfig(allow_private=True, retries=1, backoff=0.01)
    hops: list[tuple[str, bool]] = []

    async def turn(url: str, retry: bool) -> None:
        hops.append((url.rsplit("/", 1)[-1], retry))

    async def main() -> FetchResult:
        async with AsyncFetcher(config) as fetcher:
            return await fetcher.fetch(httpserver.url_for("/a"), before_hop=turn)

    result = asyncio.run(main())
    assert result.status == 200 and result.attempts == 2
    assert hops == [("a", False), ("b", False), ("a", True), ("b", False)]


@pytest.mark.parametrize(("kept", "connections"), [(256, 2), (1, 6)])
def test_async_fetcher_keeps_each_origins_connection_alive(
    monkeypatch: pytest.MonkeyPatch, kept: int, connections: int
) -> None:
    # Two hosts taken in turn, as a bulk run takes them: each keeps its connection
    # alive, unless the idle origins kept are too few to hold both.
    monkeypatch.setattr(client_module, "_ORIGINS_KEPT", kept)
    accepted = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                status, body = (
                    (b"404 Not Found", b"") if b"/robots.txt" in head else (b"200 OK", PAGE)
                )
                writer.write(
                    b"HTTP/1.1 %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
                    % (status, len(body))
                    + body
                )
        except asyncio.IncompleteReadError:  # the client closed the connection
            writer.close()

    async def main() -> None:
        servers = [
            await asyncio.start_server(answer, host, 0) for host in ("127.0.0.1", "127.0.0.2")
        ]
        urls = [
            f"http://{s.sockets[0].getsockname()[0]}:{s.sockets[0].getsockname()[1]}/"
            for s in servers
        ]
        async with AsyncFetcher(FAST) as fetcher:
            for n in range(3):
                for url in urls:
                    assert (await fetcher.fetch(f"{url}p{n}")).status == 200
        for server in servers:
            server.close()

    asyncio.run(main())
    assert accepted == connections


def test_async_faults_end_in_clear_errors(raw: RawServer) -> None:
    raw.routes["/slow"] = slow(3, respond(200, HTML, PAGE))
    raw.routes["/short"] = truncated(HTML, PAGE[:10], claimed=len(PAGE))
    config = FetchConfig(allow_private=True, timeout=0.3, retries=0, obey_robots=False)
    for path, cause in [("/slow", "timed out"), ("/short", "broken response")]:
        url = raw.url(path)
        with pytest.raises(FetchError) as caught:
            asyncio.run(afetch(url, config))
        assert_names(caught.value, url, cause)


def test_async_private_check_resolves_without_blocking(raw: RawServer) -> None:
    url = f"http://localhost:{raw.port}/page"
    with pytest.raises(BlockedAddressError):
        asyncio.run(afetch(url, FetchConfig()))


# --- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"timeout": 0},
        {"retries": -1},
        {"max_body_bytes": 0},
        {"user_agent": "a\r\nX-Injected: 1"},
        {"robots_retry_after": -1},
        {"robots_retry_after": float("inf")},
    ],
)
def test_a_bad_config_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="FetchConfig"):
        FetchConfig(**bad)


def test_the_user_agent_is_configurable(raw: RawServer) -> None:
    raw.routes["/page"] = respond(200, HTML, PAGE)
    get(
        raw.url("/page"),
        FetchConfig(allow_private=True, user_agent="TestBot/2.0", obey_robots=False),
    )
    assert b"\r\nUser-Agent: TestBot/2.0" in raw.requests[-1]


# --- garbage ------------------------------------------------------------------------------


def test_a_fetch_leaves_no_thread_local_for_the_garbage_collector(
    server: HTTPServer, cyclic_garbage: list[object]
) -> None:
    """A collection that frees a thread-local inside sys._current_frames() freezes the
    process (CPython 3.11), which a Dask worker's profiler calls every 10 ms: tenacity's
    retry state, left in a cycle by each fetch, froze a cluster run's worker."""
    server.expect_request("/flaky").respond_with_data("busy", status=503)
    server.expect_request("/page").respond_with_data(PAGE, content_type="text/html")

    async def fetch_async() -> None:
        async with AsyncFetcher(FAST) as fetcher:
            await fetcher.fetch(server.url_for("/page"))
            with pytest.raises(HttpStatusError):
                await fetcher.fetch(server.url_for("/flaky"))

    get(server.url_for("/page"))
    with pytest.raises(HttpStatusError):
        get(server.url_for("/flaky"))
    asyncio.run(fetch_async())
    gc.collect()
    assert not [thing for thing in cyclic_garbage if isinstance(thing, threading.local)]
