"""Many news "hosts" on this machine, for the bulk tests: one server per loopback address.

All of 127/8 is loopback on Linux, so servers on 127.0.0.2, 127.0.0.3, ... are distinct
hosts to the politeness rules of a bulk run. Page ``/p/<n>`` of any host is decided
by ``n`` alone (see :func:`outcome`), so a test knows what every URL must end as.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
from local_server import RawServer, trickle_head
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "html"
PAGES = [path.read_bytes() for path in sorted(FIXTURES.glob("*[0-9a-f].html"))]
#: The same bytes at many URLs: stored once, then as revisit records.
SHARED_PAGE = PAGES[0]
_PATH = re.compile(r"/p/(\d+)")


def outcome(n: int) -> tuple[str, bool]:
    """What page ``n`` must end as (``done`` or the error's type), and whether it is stored."""
    kind = n % 50
    if kind == 3:
        return "HttpStatusError", True  # a 404, stored and reported
    if kind == 13:
        return "NotHtmlError", True  # a PDF, stored and reported
    if kind == 23:
        return "HttpStatusError", False  # a 500 every time, so retried: nothing stored
    return "done", True


def _respond(request: Request) -> Response:
    match = _PATH.fullmatch(request.path)
    if match is None:
        return Response("no such page", status=404)
    n = int(match.group(1))
    kind = n % 50
    if kind == 3:
        return Response("gone", status=404)
    if kind == 13:
        return Response(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")
    if kind == 23:
        return Response("overloaded", status=500)
    if kind == 33:
        return Response(SHARED_PAGE, content_type="text/html; charset=utf-8")
    # Each page its own bytes, as in a real crawl: no two payloads alike.
    body = PAGES[n % len(PAGES)] + f"<!-- page {n} -->".encode()
    return Response(body, content_type="text/html; charset=utf-8")


class SiteFarm:
    """``hosts`` servers on 127.0.0.2, 127.0.0.3, ..., serving :func:`_respond`."""

    def __init__(self, hosts: int) -> None:
        self.servers: list[HTTPServer] = []
        for number in range(hosts):
            server = HTTPServer(host=f"127.0.0.{number + 2}", port=0, threaded=True)
            server.expect_request("/robots.txt").respond_with_data("", status=404)
            server.expect_request(_PATH).respond_with_handler(_respond)
            server.start()
            self.servers.append(server)

    def urls(self, count: int) -> list[str]:
        """``count`` URLs, page n on host n mod hosts."""
        return [self.servers[n % len(self.servers)].url_for(f"/p/{n}") for n in range(count)]

    def close(self) -> None:
        for server in self.servers:
            server.clear()
            if server.is_running():
                server.stop()


# --- hostile pages and hosts (issue 13) ----------------------------------------------------

HOSTILE_TITLE = "Harbour plan approved"
_HOSTILE_TEXT = (
    "The city council voted on Tuesday to approve the long debated plan for the old"
    " harbour, after months of public hearings."
)
#: The labels of <meta charset> that name no text encoding, however Python reads them.
CODEC_CHARSETS = ("rot13", "hex", "base64", "zlib", "punycode", "x-no-such-charset")
#: What robots.txt of the bomb host forbids, before 64 MB of comment, gzipped.
_BOMB_RULES = b"User-agent: *\nDisallow: /private/\n"


def article_page(meta: str = "", *, extra: str = "") -> bytes:
    """An ASCII (or, with ``extra``, UTF-8) article page with ``meta`` in its head."""
    paragraphs = "".join(f"<p>Paragraph {n}: {_HOSTILE_TEXT}{extra}</p>" for n in range(10))
    return (
        f"<!doctype html><html><head>{meta}<title>{HOSTILE_TITLE}</title></head>"
        f"<body><article><h1>{HOSTILE_TITLE}</h1>{paragraphs}</article></body></html>"
    ).encode()


def nested_divs(depth: int) -> bytes:
    """A page of ``depth`` nested divs, a few words at the bottom."""
    return (
        b"<!doctype html><html><head><title>Deep</title></head><body>"
        + b"<div>" * depth
        + b"deep down"
        + b"</div>" * depth
        + b"</body></html>"
    )


def many_attributes(count: int) -> bytes:
    """A page with one element of ``count`` attributes."""
    attributes = b" ".join(b'data-a%d="%d"' % (n, n) for n in range(count))
    return (
        b"<!doctype html><html><head><title>Attributes</title></head><body><div "
        + attributes
        + b"><p>a few words</p></div></body></html>"
    )


class HostileSites:
    """The hostile pages and hosts of issue 13, each URL with what it must end as.

    - ``pages`` (127.0.0.40): pages whose <meta charset> is a codec that is no text
      encoding, or no encoding at all (archived: the label is ignored, as browsers do);
      a <meta charset="utf-16"> on an ASCII page (archived: it reads as UTF-8); a
      br-encoded page (archived, decoded); a million nested divs and 200,000 attributes
      on one element (archived: the extraction's budget of depth and attributes rewrites
      them as browsers do, in linear time; see archiver/extraction/budget.py).
    - ``bomb`` (127.0.0.41): a robots.txt that is a gzip bomb (64 MB in 64 KB), read up
      to its limit: its pages are archived, the one it disallows is refused.
    - ``drip`` (127.0.0.1): a host sending its response head one byte a second, failed
      by the run's ``total_timeout``.

    :attr:`expected` maps each URL to ``done`` or the type of its error.
    """

    def __init__(self) -> None:
        self.pages = HTTPServer(host="127.0.0.40", port=0, threaded=True)
        self.bomb = HTTPServer(host="127.0.0.41", port=0, threaded=True)
        self.drip = RawServer()
        self.expected: dict[str, str] = {}
        self.pages.start()  # started first: a URL names the port
        self.bomb.start()
        html = "text/html"
        self.pages.expect_request("/robots.txt").respond_with_data("", status=404)
        for label in CODEC_CHARSETS:
            self._page(f"/charset/{label}", article_page(f'<meta charset="{label}">'), "done")
        self._page("/utf-16", article_page('<meta charset="utf-16">', extra=" caf\u00e9"), "done")
        self.pages.expect_request("/br").respond_with_data(
            brotli.compress(article_page()), content_type=html, headers={"Content-Encoding": "br"}
        )
        self.expected[self.pages.url_for("/br")] = "done"
        self._page("/nested", nested_divs(1_000_000), "done")
        self._page("/attributes", many_attributes(200_000), "done")
        bomb = gzip.compress(_BOMB_RULES + b"#" * (64 * 1024 * 1024), compresslevel=9)
        self.bomb.expect_request("/robots.txt").respond_with_data(
            bomb, content_type="text/plain", headers={"Content-Encoding": "gzip"}
        )
        for path in ("/news/1", "/news/2", "/private/secret"):
            self.bomb.expect_request(path).respond_with_data(article_page(), content_type=html)
            outcome = "RobotsDisallowedError" if path.startswith("/private/") else "done"
            self.expected[self.bomb.url_for(path)] = outcome
        self.drip.routes["/slow-head"] = trickle_head(
            [("Content-Type", html)], article_page(), interval=1.0
        )
        self.expected[self.drip.url("/slow-head")] = "FetchError"

    def _page(self, path: str, body: bytes, outcome: str) -> None:
        self.pages.expect_request(path).respond_with_data(body, content_type="text/html")
        self.expected[self.pages.url_for(path)] = outcome

    def close(self) -> None:
        for server in (self.pages, self.bomb):
            server.clear()
            if server.is_running():
                server.stop()
        self.drip.close()
