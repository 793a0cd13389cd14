"""The IP addresses of a host name, as a connection will look them up.

The fetchers check them against the private ranges before connecting (see
:mod:`.plan`); the async lookup runs on anyio, so that it blocks no event loop.
"""

from __future__ import annotations

import socket

import anyio

__all__ = ["aresolve", "resolve"]


def resolve(host: str, port: int) -> list[str]:
    """The IP addresses of ``host``, as the connection will look them up."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def aresolve(host: str, port: int) -> list[str]:
    """:func:`resolve` without blocking the event loop (asyncio or trio)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]
