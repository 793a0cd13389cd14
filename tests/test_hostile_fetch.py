"""Hostile input and faults at the capture layer (issue 13): charsets that are not text
encodings, decompression bombs and corrupt bodies in robots.txt, brotli, a response
head sent a byte at a time, lone surrogates, UTF-16 meta tags, private addresses.

Every fault must end in a result or an ArchiverError, never another exception. The
network cases run on the local servers of tests/local_server.py and pytest-httpserver.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import brotli
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_server import LOCAL, RawServer, respond, trickle_head
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import archiver
import archiver.capture.client as client_module
from archiver.capture import FetchConfig, Fetcher, afetch, fetch, load
from archiver.capture.config import ROBOTS_MAX_BYTES
from archiver.capture.decoders import MAX_CODINGS, DecodeError, Decoder, Overflow
from archiver.capture.plan import Send
from archiver.capture.receiver import Head, Receiver, RetryableStatus
from archiver.cli import main
from archiver.errors import (
    ArchiverError,
    BlockedAddressError,
    DecompressionBombError,
    FetchError,
    RobotsDisallowedError,
)

TITLE = "Harbour plan approved"
TEXT = (
    "the city council voted on Tuesday to approve the long debated plan for the old"
    " harbour, after months of public hearings."
)


def page_text(meta: str = "", *, extra: str = "") -> str:
    """An article page with ``meta`` in its head and ``extra`` ending each paragraph."""
    paragraphs = "".join(f"<p>Paragraph {n}: {TEXT}{extra}</p>" for n in range(10))
    return (
        f"<!doctype html><html><head>{meta}<title>{TITLE}</title></head>"
        f"<body><article><h1>{TITLE}</h1>{paragraphs}</article></body></html>"
    )


def page(meta: str = "") -> bytes:
    """The page in ASCII."""
    return page_text(meta).encode("ascii")


HTML = [("Content-Type", "text/html")]


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


# --- 1. a charset that is not a text encoding ---------------------------------------------

NOT_TEXT_ENCODINGS = [
    "rot13",
    "hex",
    "base64",
    "zlib",
    "bz2",
    "uu",
    "quopri",
    "punycode",
    "idna",
    "unicode_escape",
    "utf-7",
    "no-such-charset",
    "replacement",
    "iso-2022-kr",
]


@pytest.mark.parametrize("label", NOT_TEXT_ENCODINGS)
@pytest.mark.parametrize("where", ["content-type", "meta charset", "meta http-equiv"])
def test_a_charset_that_is_not_a_text_encoding_is_ignored(label: str, where: str) -> None:
    content_type = f"text/html; charset={label}" if where == "content-type" else None
    meta = {
        "content-type": "",
        "meta charset": f'<meta charset="{label}">',
        "meta http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={label}">',
    }[where]
    article = archiver.extract(page(meta), content_type=content_type)
    assert article.title == TITLE
    assert TEXT in article.text


def test_an_unknown_meta_charset_gives_way_to_the_next_one() -> None:
    # The prescan goes on past a <meta> whose label names no encoding.
    meta = '<meta charset="rot13"><meta charset="windows-1253">'
    document = load(page_text(meta, extra=" \u03b1\u03b2").encode("windows-1253"))
    assert document.encoding == "windows-1253"
    assert "\u03b1\u03b2" in document.text


def test_a_fetched_page_with_a_codec_charset_is_archived(
    server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/rot").respond_with_data(
        page('<meta charset="base64">'), content_type="text/html; charset=rot13"
    )
    article = archiver.archive(server.url_for("/rot"), warc=tmp_path / "a.warc.gz", config=LOCAL)
    assert article.title == TITLE


# --- 2. a robots.txt that is a bomb, too large, or undecodable ----------------------------

RULES = b"User-agent: *\nDisallow: /private/\n"


def robots_site(server: HTTPServer, body: bytes, headers: dict[str, str]) -> None:
    server.expect_request("/robots.txt").respond_with_data(
        body, headers=headers, content_type="text/plain"
    )
    for path in ("/page", "/private/x", "/late/x"):
        server.expect_request(path).respond_with_data(page(), content_type="text/html")


def test_a_gzip_bomb_robots_txt_is_read_up_to_its_limit(httpserver: HTTPServer) -> None:
    bomb = gzip.compress(RULES + b"#" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    robots_site(httpserver, bomb, {"Content-Encoding": "gzip"})
    with Fetcher(LOCAL) as fetcher:
        assert fetcher.fetch(httpserver.url_for("/page")).status == 200
        with pytest.raises(RobotsDisallowedError):
            fetcher.fetch(httpserver.url_for("/private/x"))
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 1


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate"])
def test_rules_past_the_first_500_kib_of_robots_txt_are_ignored(
    httpserver: HTTPServer, coding: str
) -> None:
    text = RULES + b"#" * ROBOTS_MAX_BYTES + b"\nUser-agent: *\nDisallow: /late/\n"
    encode: dict[str, Callable[[bytes], bytes]] = {
        "gzip": gzip.compress,
        "br": brotli.compress,
        "deflate": zlib.compress,
    }
    robots_site(httpserver, encode[coding](text), {"Content-Encoding": coding})
    with Fetcher(LOCAL) as fetcher:
        assert fetcher.fetch(httpserver.url_for("/late/x")).status == 200
        with pytest.raises(RobotsDisallowedError):
            fetcher.fetch(httpserver.url_for("/private/x"))


@pytest.mark.parametrize(
    ("body", "coding"),
    [
        (b"\x1f\x8b\x08\x00 not gzip at all " * 50, "gzip"),
        (gzip.compress(RULES * 1000)[:-10], "gzip"),  # cut short
        (b"\xff" * 300, "br"),
        (RULES, "zstd"),
        (RULES, ", ".join(["gzip"] * (MAX_CODINGS + 1))),
    ],
    ids=["corrupt-gzip", "truncated-gzip", "corrupt-br", "unknown-coding", "too-many-codings"],
)
def test_an_undecodable_robots_txt_counts_as_unavailable(
    httpserver: HTTPServer, body: bytes, coding: str
) -> None:
    # RFC 9309: no rules can be parsed from it, so none apply (as for a 4xx).
    robots_site(httpserver, body, {"Content-Encoding": coding})
    assert fetch(httpserver.url_for("/private/x"), LOCAL).status == 200


def test_a_gzip_bomb_robots_txt_does_not_stop_get(httpserver: HTTPServer, tmp_path: Path) -> None:
    bomb = gzip.compress(RULES + b"#" * (64 * 1024 * 1024), compresslevel=9)
    robots_site(httpserver, bomb, {"Content-Encoding": "gzip"})
    out = str(tmp_path / "a.warc.gz")
    result = run("get", httpserver.url_for("/page"), "-o", out, "--allow-private")
    assert result.exit_code == 0, result.output
    refused = run("get", httpserver.url_for("/private/x"), "-o", out, "--allow-private")
    assert refused.exit_code == 1 and "robots.txt" in refused.output


def test_async_gzip_bomb_robots_txt(httpserver: HTTPServer) -> None:
    bomb = gzip.compress(RULES + b"#" * (64 * 1024 * 1024), compresslevel=9)
    robots_site(httpserver, bomb, {"Content-Encoding": "gzip"})
    assert asyncio.run(afetch(httpserver.url_for("/page"), LOCAL)).status == 200


def test_the_decoder_cuts_or_overflows_at_its_limit_and_no_further() -> None:
    data = gzip.compress(b"x" * 1_000_000)
    cut = Decoder("gzip", 1000, cut=True)
    cut.feed(data)
    assert cut.full and cut.finish(truncated=True) == b"x" * 1000
    strict = Decoder("gzip", 1000)
    with pytest.raises(Overflow):
        strict.feed(data)
    with pytest.raises(DecodeError, match="too many"):
        Decoder(", ".join(["gzip"] * (MAX_CODINGS + 1)), 1000)


def test_a_page_bomb_still_fails_as_a_bomb(server: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * (4 * 1024 * 1024))
    server.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="text/html"
    )
    config = FetchConfig(allow_private=True, max_decompressed_bytes=100_000, retries=0)
    with pytest.raises(DecompressionBombError):
        fetch(server.url_for("/bomb"), config)


class _Fields(dict[str, str]):
    """Response headers looked up in any case, as httpx's are."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__({name.lower(): value for name, value in fields.items()})

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


_CODINGS = ["", "gzip", "br", "deflate", "gzip, br", "x-gzip", "zstd", "gzip, " * 5 + "gzip"]
_ENCODE: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}
_HEADER_VALUES = st.one_of(
    st.text(st.characters(max_codepoint=255), max_size=20),
    st.sampled_from(["\xb2", "-1", "0", "9" * 40, "1e9", " 12 "]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    status=st.sampled_from([200, 204, 301, 404, 429, 503]),
    coding=st.sampled_from(_CODINGS),
    length=st.one_of(st.none(), _HEADER_VALUES),
    retry_after=st.one_of(st.none(), _HEADER_VALUES),
    data=st.one_of(st.binary(max_size=2000), st.integers(0, 100_000).map(lambda n: b"a" * n)),
    damage=st.sampled_from(["none", "cut", "flip"]),
    robots=st.booleans(),
    limit=st.integers(1, 20_000),
    piece=st.integers(1, 4096),
)
def test_whatever_a_response_holds_only_archiver_errors_leave_the_receiver(
    status: int,
    coding: str,
    length: str | None,
    retry_after: str | None,
    data: bytes,
    damage: str,
    robots: bool,
    limit: int,
    piece: int,
) -> None:
    body = data
    for name in reversed([c.strip() for c in coding.split(",") if c.strip()]):
        body = _ENCODE[name](body) if name in _ENCODE else body
    body = {"none": body, "cut": body[: len(body) // 2], "flip": bytes(b ^ 85 for b in body)}[
        damage
    ]
    fields = {"Content-Type": "text/html", "Content-Encoding": coding}
    fields |= {"Content-Length": length} if length is not None else {}
    fields |= {"Retry-After": retry_after} if retry_after is not None else {}
    config = FetchConfig(max_body_bytes=limit, max_decompressed_bytes=limit)
    step = Send("http://news.example/", config, None, 1, "http://news.example/", robots)
    head = Head(
        url=step.url,
        request_line="GET / HTTP/1.1",
        request_headers=(),
        http_version="HTTP/1.1",
        status=status,
        reason="",
        headers=tuple(fields.items()),
        fields=_Fields(fields),
        ip_address="93.184.216.34",
    )
    try:
        receiver = Receiver(step, head)
        for start in range(0, len(body), piece):
            if not receiver.feed(body[start : start + piece]):
                break
        received = receiver.finish()
    except (ArchiverError, RetryableStatus):  # RetryableStatus: the retries' own
        return
    if received.content is not None:
        assert len(received.content) <= (ROBOTS_MAX_BYTES if robots else limit)


# --- 4. brotli: not asked for, still read ---------------------------------------------------


def test_br_is_not_asked_for_but_a_br_answer_is_decoded_and_kept(server: HTTPServer) -> None:
    sent = brotli.compress(page())

    def answer(request: Request) -> Response:
        assert request.headers["Accept-Encoding"] == "gzip, deflate"
        return Response(sent, headers={"Content-Encoding": "br"}, content_type="text/html")

    server.expect_request("/br").respond_with_handler(answer)
    result = fetch(server.url_for("/br"), LOCAL)
    assert ("Accept-Encoding", "gzip, deflate") in result.final.request_headers
    assert result.final.body == sent  # stored as received
    assert result.final.header("Content-Encoding") == "br"
    assert result.content == page()  # decoded for extraction


# --- 6. total_timeout while the response head arrives -------------------------------------

DRIPPING_HEAD = FetchConfig(allow_private=True, timeout=2, total_timeout=1, retries=0)


def test_total_timeout_applies_while_the_head_trickles_in(raw: RawServer) -> None:
    raw.routes["/slow-head"] = trickle_head(HTML, page(), interval=0.2)
    url = raw.url("/slow-head")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(url, DRIPPING_HEAD)
    assert time.monotonic() - started < 2.5
    assert "took over 1 s in all" in str(caught.value)


def test_total_timeout_applies_while_the_head_trickles_in_async(raw: RawServer) -> None:
    raw.routes["/slow-head"] = trickle_head(HTML, page(), interval=0.2)
    url = raw.url("/slow-head")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        asyncio.run(afetch(url, DRIPPING_HEAD))
    assert time.monotonic() - started < 2.5
    assert "took over 1 s in all" in str(caught.value)


def test_total_timeout_applies_to_a_kept_alive_connection(raw: RawServer) -> None:
    # The deadline is the attempt's, read at each operation: a connection opened by an
    # earlier fetch keeps the current one's.
    raw.routes["/robots.txt"] = respond(404, [], b"")
    raw.routes["/slow-head"] = trickle_head(HTML, page(), interval=0.2)
    with Fetcher(DRIPPING_HEAD) as fetcher:
        with pytest.raises(FetchError, match="took over 1 s in all"):
            fetcher.fetch(raw.url("/slow-head"))
        raw.routes["/fast"] = respond(200, HTML, page())
        assert fetcher.fetch(raw.url("/fast")).status == 200


# --- 12. a str holding lone surrogates ------------------------------------------------------


def test_a_lone_surrogate_in_a_str_becomes_a_replacement_character() -> None:
    html = page_text(extra=" \ud800 and \udfff, and a pair \ud83d\ude00")
    article = archiver.extract(html)
    assert TEXT in article.text
    assert "\ufffd and \ufffd, and a pair \U0001f600" in article.text
    document = load(html)
    assert document.raw.decode("utf-8") == document.text  # nothing UTF-8 cannot write


# --- 14. a UTF-16 <meta charset> on an ASCII page -----------------------------------------


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be", "unicode", "ucs-2"])
def test_a_utf16_meta_charset_means_utf8(label: str) -> None:
    document = load(page_text(f'<meta charset="{label}">', extra=" caf\u00e9").encode("utf-8"))
    assert document.encoding == "utf-8"
    assert "caf\u00e9" in document.text
    article = archiver.extract(document.raw)
    assert article.title == TITLE and TEXT in article.text


def test_an_x_user_defined_meta_charset_means_windows_1252() -> None:
    html = page_text('<meta charset="x-user-defined">', extra=" \u201cquoted\u201d")
    document = load(html.encode("cp1252"))
    assert document.encoding == "windows-1252"
    assert "\u201cquoted\u201d" in document.text


# --- 16. private addresses refused by default ---------------------------------------------


def test_private_addresses_are_refused_by_default(raw: RawServer) -> None:
    raw.routes["/page"] = respond(200, HTML, page())
    url = raw.url("/page")
    with pytest.raises(BlockedAddressError, match="--allow-private"):
        fetch(url)
    with pytest.raises(BlockedAddressError):
        asyncio.run(afetch(url))
    assert raw.requests == []
    assert fetch(url, FetchConfig(allow_private=True)).status == 200


def test_a_public_page_redirecting_to_loopback_is_refused_by_default(
    raw: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # localhost is made to look public: it resolves, and its connection reaches, a public
    # address as far as the fetcher can tell; it then redirects to 127.0.0.1.
    monkeypatch.setattr(client_module, "resolve", lambda host, port: ["93.184.216.34"])
    monkeypatch.setattr(client_module, "_peer_address", lambda response: "93.184.216.34")
    raw.routes["/robots.txt"] = respond(404, [], b"")
    raw.routes["/go"] = respond(301, [("Location", raw.url("/secret"))], b"")
    raw.routes["/secret"] = respond(200, HTML, page())
    url = f"http://localhost:{raw.port}/go"
    with pytest.raises(BlockedAddressError) as caught:
        fetch(url, FetchConfig(retries=0))
    assert "127.0.0.1 is a loopback address" in str(caught.value)
    assert raw.hits("/go") == 1 and raw.hits("/secret") == 0
    # The same with the opt-in reaches it.
    result = fetch(url, FetchConfig(retries=0, allow_private=True))
    assert [e.status for e in result.exchanges] == [301, 200]


def test_get_refuses_private_addresses_unless_allowed(raw: RawServer, tmp_path: Path) -> None:
    raw.routes["/page"] = respond(200, HTML, page())
    out = str(tmp_path / "a.warc.gz")
    refused = run("get", raw.url("/page"), "-o", out, "--retries", "0")
    assert refused.exit_code == 1
    assert "loopback address" in refused.output and "--allow-private" in refused.output
    allowed = run("get", raw.url("/page"), "-o", out, "--allow-private")
    assert allowed.exit_code == 0, allowed.output
