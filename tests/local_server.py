"""A raw HTTP server on 127.0.0.1 for the fetch tests: each route writes bytes to the socket.

pytest-httpserver serves well-formed responses; the faults (chunked bodies written by
hand, resets, truncated bodies, slow or dripping servers, close-delimited bodies) need
control of every byte, which this gives. Every connection is closed after one response.

Fetching from 127.0.0.1 is refused by default (it is a loopback address): a test fetches
from these servers with :data:`LOCAL` or ``FetchConfig(allow_private=True, ...)``, or
``--allow-private`` on the command line.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterable

from archiver.capture import FetchConfig

Route = Callable[[socket.socket], None]

#: Fetching from the local servers: loopback allowed, short timeouts, fast retries.
LOCAL = FetchConfig(
    allow_private=True, timeout=2, total_timeout=5, retries=2, backoff=0.01, backoff_max=0.02
)


class RawServer:
    """A threaded server on 127.0.0.1; ``routes`` maps a path to what is written back."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        #: The head of every request received (request line and headers), in order.
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(10)
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(65536)
                    if not data:
                        return
                    head += data
                head = head.split(b"\r\n\r\n", 1)[0]
                with server._lock:
                    server.requests.append(head)
                path = head.split(b" ", 2)[1].decode("ascii")
                route = server.routes.get(path, respond(404, [], b"no such page"))
                try:
                    route(conn)
                except OSError:
                    pass  # the client went away (a timeout test): nothing to do

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> int:
        """How many requests asked for ``path``."""
        wanted = f" {path} ".encode()
        with self._lock:
            return sum(1 for head in self.requests if wanted in head.split(b"\r\n", 1)[0])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def head(status: int, headers: Iterable[tuple[str, str]], *, version: str = "HTTP/1.1") -> bytes:
    reasons = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 503: "Service Unavailable"}
    lines = [f"{version} {status} {reasons.get(status, 'Whatever')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Route:
    """A complete response with a Content-Length."""
    headers = [*headers, ("Content-Length", str(len(body))), ("Connection", "close")]

    def route(conn: socket.socket) -> None:
        conn.sendall(head(status, headers) + body)

    return route


def chunked(headers: Iterable[tuple[str, str]], body: bytes, size: int = 100) -> Route:
    """A 200 response whose body is sent in chunks of ``size`` bytes."""
    headers = [*headers, ("Transfer-Encoding", "chunked"), ("Connection", "close")]

    def route(conn: socket.socket) -> None:
        out = head(200, headers)
        for start in range(0, len(body), size):
            part = body[start : start + size]
            out += b"%x\r\n%s\r\n" % (len(part), part)
        conn.sendall(out + b"0\r\n\r\n")

    return route


def close_delimited(headers: Iterable[tuple[str, str]], body: bytes) -> Route:
    """An HTTP/1.0 response with no length: the body ends when the connection closes."""

    def route(conn: socket.socket) -> None:
        conn.sendall(head(200, headers, version="HTTP/1.0") + body)

    return route


def reset() -> Route:
    """Close the connection with a TCP reset, sending nothing."""

    def route(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    return route


def reset_mid_body(headers: Iterable[tuple[str, str]], body: bytes, sent: int) -> Route:
    """Send the head (with the whole body's Content-Length) and ``sent`` bytes of the
    body, then reset the connection: it is gone by the time the client reads the head.
    """
    headers = [*headers, ("Content-Length", str(len(body)))]

    def route(conn: socket.socket) -> None:
        conn.sendall(head(200, headers) + body[:sent])
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    return route


def truncated(headers: Iterable[tuple[str, str]], body: bytes, claimed: int) -> Route:
    """Claim a Content-Length of ``claimed`` bytes, send ``body`` (fewer), and close."""
    headers = [*headers, ("Content-Length", str(claimed)), ("Connection", "close")]

    def route(conn: socket.socket) -> None:
        conn.sendall(head(200, headers) + body)

    return route


def slow(delay: float, then: Route) -> Route:
    """Wait ``delay`` seconds before answering."""

    def route(conn: socket.socket) -> None:
        time.sleep(delay)
        then(conn)

    return route


def drip(headers: Iterable[tuple[str, str]], body: bytes, interval: float) -> Route:
    """Send the body one byte every ``interval`` seconds, each well within a read timeout."""
    headers = [*headers, ("Content-Length", str(len(body))), ("Connection", "close")]

    def route(conn: socket.socket) -> None:
        conn.sendall(head(200, headers))
        for byte in body:
            time.sleep(interval)
            conn.sendall(bytes([byte]))

    return route


def trickle_head(
    headers: Iterable[tuple[str, str]], body: bytes, interval: float, *, limit: float = 30
) -> Route:
    """Send the response head one byte every ``interval`` seconds, then the body.

    Each byte comes well within a read timeout, so only a deadline on the whole attempt
    stops it. It gives up after ``limit`` seconds, so that a test that fails ends.
    """
    headers = [*headers, ("Content-Length", str(len(body))), ("Connection", "close")]

    def route(conn: socket.socket) -> None:
        started = time.monotonic()
        for byte in head(200, headers):
            if time.monotonic() - started > limit:
                return
            conn.sendall(bytes([byte]))
            time.sleep(interval)
        conn.sendall(body)

    return route


def sequence(*routes: Route) -> Route:
    """The first request gets the first route, the next the second, ...; the last repeats."""
    remaining = list(routes)
    lock = threading.Lock()

    def route(conn: socket.socket) -> None:
        with lock:
            current = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        current(conn)

    return route
