"""News sites on this machine whose articles change: for revisits, history and search.

Page ``/a/<n>`` of a :class:`ChangingFarm` is article ``n`` at its current edition
(``farm.editions[n]``, 0 at first). :meth:`ChangingFarm.change` makes a new edition
of some articles: the text, the title or both; :meth:`ChangingFarm.restyle` changes
their markup alone; :meth:`ChangingFarm.break_down` makes some answer 503. Articles
with an even ``n`` give an
ETag and answer a matching If-None-Match with 304; those with ``n % 4 == 1`` give a
Last-Modified and answer If-Modified-Since alike; the others give no validator.
"""

from __future__ import annotations

import re
import threading

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

_PATH = re.compile(r"/a/(\d+)")
_WORDS = (
    "harbour council budget minister river school market railway hospital museum "
    "festival bridge election factory village garden library stadium theatre airport"
).split()


def title(n: int, edition: int, *, changed: bool) -> str:
    return f"Story {n} about the {_WORDS[n % len(_WORDS)]}" + (
        f" (updated {edition})" if changed and edition else ""
    )


def paragraphs(n: int, edition: int, *, changed: bool) -> list[str]:
    word = _WORDS[n % len(_WORDS)]
    other = _WORDS[(n * 7 + 3) % len(_WORDS)]
    first = (
        f"The {word} plan number {n} was discussed by the city council on Tuesday, "
        f"after months of hearings about the {other} and its future."
    )
    second = (
        f"Officials said the {other} would be rebuilt within {n % 9 + 2} years, "
        "and that the work would begin next spring if the funds arrive in time."
    )
    if changed and edition:
        second = (
            f"Officials now say the {other} will be rebuilt within {n % 9 + 2 + edition} "
            "years, and that the work may begin next autumn if the funds arrive in time."
        )
    third = (
        f"Residents of the {word} district welcomed the news, though some asked "
        "for more public meetings before any decision is final."
    )
    return [first, second, third]


class ChangingFarm:
    """``hosts`` servers on 127.0.0.2, ... serving changing articles (see the module)."""

    def __init__(self, hosts: int = 3, *, delay: float = 0.0) -> None:
        self.editions: dict[int, int] = {}
        #: How each changed article changed: "text", "title" or "both".
        self.kinds: dict[int, str] = {}
        #: How many times each article's markup changed, its text staying the same.
        self.styles: dict[int, int] = {}
        #: The articles that answer 503 Service Unavailable.
        self.broken: set[int] = set()
        self.delay = delay
        self._lock = threading.Lock()
        self.servers: list[HTTPServer] = []
        for number in range(hosts):
            server = HTTPServer(host=f"127.0.0.{number + 2}", port=0, threaded=True)
            server.expect_request("/robots.txt").respond_with_data("", status=404)
            server.expect_request(_PATH).respond_with_handler(self._respond)
            server.start()
            self.servers.append(server)

    def urls(self, count: int) -> list[str]:
        return [self.servers[n % len(self.servers)].url_for(f"/a/{n}") for n in range(count)]

    def change(self, numbers: list[int]) -> None:
        """A new edition of each article of ``numbers``: text, title and both in turn."""
        with self._lock:
            for position, n in enumerate(numbers):
                self.editions[n] = self.editions.get(n, 0) + 1
                self.kinds[n] = ("text", "title", "both")[position % 3]

    def restyle(self, numbers: list[int]) -> None:
        """New markup for each article of ``numbers``, the same title and text."""
        with self._lock:
            for n in numbers:
                self.styles[n] = self.styles.get(n, 0) + 1

    def break_down(self, numbers: list[int]) -> None:
        """Make each article of ``numbers`` answer 503 (none when ``numbers`` is empty)."""
        with self._lock:
            self.broken = set(numbers)

    def page(self, n: int) -> tuple[bytes, str]:
        """The page of article ``n`` and its version (for its validators)."""
        with self._lock:
            edition = self.editions.get(n, 0)
            kind = self.kinds.get(n, "")
            style = self.styles.get(n, 0)
        heading = title(n, edition, changed=kind in ("title", "both"))
        body = "".join(
            f"<p>{text}</p>" for text in paragraphs(n, edition, changed=kind in ("text", "both"))
        )
        html = (
            f'<!doctype html><html lang="en"><head><title>{heading}</title></head><body>'
            f"<nav><a href='/'>Home</a></nav><article class='style-{style}'><h1>{heading}</h1>"
            f"{body}</article><footer>Copyright the news</footer></body></html>"
        )
        return html.encode(), f"{edition}-{style}"

    def _respond(self, request: Request) -> Response:
        if self.delay:
            threading.Event().wait(self.delay)
        match = _PATH.fullmatch(request.path)
        assert match is not None
        n = int(match.group(1))
        if n in self.broken:
            return Response("down for maintenance", status=503, content_type="text/plain")
        body, version = self.page(n)
        headers: dict[str, str] = {}
        if n % 2 == 0:
            headers["ETag"] = f'"{n}-{version}"'
            if request.headers.get("If-None-Match") == headers["ETag"]:
                return Response(status=304, headers=headers)
        elif n % 4 == 1:
            day = sum(int(part) for part in version.split("-")) + 1
            headers["Last-Modified"] = f"Mon, {day:02d} Jan 2024 10:00:00 GMT"
            if request.headers.get("If-Modified-Since") == headers["Last-Modified"]:
                return Response(status=304, headers=headers)
        return Response(body, status=200, headers=headers, content_type="text/html; charset=utf-8")

    def close(self) -> None:
        for server in self.servers:
            server.clear()
            if server.is_running():
                server.stop()
