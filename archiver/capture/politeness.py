"""How long a host waits before its next request: one rule for a bulk run and discovery.

A host that answers 429 or 503, or needed retries, has its delay doubled (to at least a
second), up to a maximum; after a clean answer it is halved back towards the base
delay, which is the configured one or the host's robots.txt Crawl-delay if longer. The
base is a floor in both cases: a Crawl-delay over the maximum is kept after a 429 too.
"""

from __future__ import annotations

__all__ = ["SLOW_DOWN", "asks_to_slow_down", "next_delay"]

#: Statuses that tell a host to slow down.
SLOW_DOWN = frozenset({429, 503})


def asks_to_slow_down(status: int | None, attempts: int = 1) -> bool:
    """Whether an answer of ``status`` after ``attempts`` tries asks its host to slow down."""
    return attempts > 1 or status in SLOW_DOWN


def next_delay(delay: float, base: float, maximum: float, *, slow_down: bool) -> float:
    """The wait after a request that waited ``delay``; see the module docstring."""
    if slow_down:
        # The maximum bounds the doubling, not the Crawl-delay: capped at it, a host whose
        # robots.txt asks for more than the maximum was asked sooner after a 429.
        return max(base, min(maximum, max(2 * delay, 1.0)))
    return max(base, delay / 2)
