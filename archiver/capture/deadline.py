"""Network connections kept to the deadline of a fetch attempt (``total_timeout``).

httpx's timeouts bound each network operation; a server that sends its response head
a byte at a time never lets one run out. The sync shell of
:mod:`archiver.capture.client` sets :data:`ATTEMPT_DEADLINE` for each attempt and
makes its connections on a :class:`DeadlineBackend`, whose every connect, read and
write waits at most until that deadline. (The async shell needs none of this: a cancel
scope bounds its whole attempt.)
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import httpcore

__all__ = [
    "ATTEMPT_DEADLINE",
    "DeadlineBackend",
    "DeadlineStream",
    "deadline_after",
    "within_deadline",
]

#: The deadline of the attempt this thread (or context) is making, for DeadlineStream.
ATTEMPT_DEADLINE: ContextVar[float | None] = ContextVar("archiver_fetch_deadline", default=None)


def deadline_after(total_timeout: float | None) -> float | None:
    """When an attempt starting now must end (``time.monotonic()``), if ever."""
    return time.monotonic() + total_timeout if total_timeout is not None else None


def within_deadline(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the attempt; ``error`` when nothing is."""
    deadline = ATTEMPT_DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the attempt is past its total_timeout")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the deadline of the attempt.

    httpx's timeouts bound each network operation; a server that sends its response
    head a byte at a time never lets one run out. Each operation here waits at most
    until the deadline, so the head is bounded as well as the body.
    """

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        # The address connected to, asked for now: httpcore asks the socket when it is
        # wanted (getpeername()), which fails once the server has reset the connection,
        # as one that drops it mid-body does before the head is even looked at.
        self._server_addr = _server_addr(stream)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = within_deadline(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "server_addr":
            return self._server_addr
        return self._stream.get_extra_info(info)


def _server_addr(stream: httpcore.NetworkStream) -> Any:
    """The address ``stream`` is connected to; None when the socket no longer knows it."""
    try:
        return stream.get_extra_info("server_addr")
    except OSError:
        return None


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync network backend, its connections kept to the attempt's deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = within_deadline(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = within_deadline(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
