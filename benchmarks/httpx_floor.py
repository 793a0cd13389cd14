"""The CPU httpx alone takes to fetch the pages of benchmarks/bulk.py, as archive_many does.

    python benchmarks/httpx_floor.py [--urls N]

The same server, URLs and page sets as benchmarks/bulk.py; 64 fetches in flight, one
at a time per host, each host on an httpx.AsyncClient of its own (so that its
connection is kept alive) sharing one TLS context, as in archiver.capture.client, the
body read and dropped. No robots.txt, no checks, no WARC: the part of bulk archiving's
CPU that no WARC writing can save.
Prints pages per second and the CPU seconds per page of this process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections import defaultdict

import httpx
from bulk import Server, set_names, urls


async def fetch_all(targets: list[str]) -> None:
    slots = asyncio.Semaphore(64)
    hosts: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
    clients: dict[str, httpx.AsyncClient] = {}
    # One for all, as in archiver.capture.client: each context loads the CAs.
    tls = httpx.create_ssl_context()

    async def fetch(url: str) -> None:
        host = httpx.URL(url).netloc.decode()
        async with slots, hosts[host]:
            client = clients.get(host)
            if client is None:
                client = clients[host] = httpx.AsyncClient(trust_env=False, verify=tls)
            async with client.stream("GET", url) as response:
                async for _ in response.aiter_raw():
                    pass

    try:
        await asyncio.gather(*(fetch(url) for url in targets))
    finally:
        for client in clients.values():
            await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=3000, help="URLs per page set (default 3000)")
    args = parser.parse_args()
    server = Server.start(2)
    try:
        for name in set_names():
            targets = list(urls(name, args.urls, server.port))
            before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            asyncio.run(fetch_all(targets))
            seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            print(
                f"{name}: {len(targets) / seconds:.0f} pages/s,"
                f" {1000 * cpu / len(targets):.2f} ms of CPU per page"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
