"""Many news "hosts" on this machine, for the bulk tests: one server per loopback address.

All of 127/8 is loopback on Linux, so servers on 127.0.0.2, 127.0.0.3, ... are distinct
hosts to the politeness rules of a bulk run. Page ``/p/<n>`` of any host is decided
by ``n`` alone (see :func:`outcome`), so a test knows what every URL must end as.
"""

from __future__ import annotations

import re
from pathlib import Path

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
