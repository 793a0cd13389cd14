"""Retries: one tenacity policy for the sync and the async shell, and the error a fetch
ends with when the last attempt fails.

The transport's own exceptions are known through the :class:`TransportErrors` that the
shells pass in (httpx's, in :mod:`archiver.capture.client`, the one module importing it).
"""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import Callable
from typing import Any, Protocol

from tenacity import BaseRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ..errors import FetchError, HttpStatusError, shown_name
from .config import FetchConfig
from .plan import DeadlineExceeded
from .receiver import RetryableStatus

__all__ = [
    "TransportErrors",
    "final_error",
    "forget_attempts",
    "is_attempt_error",
    "retry_options",
]

log = logging.getLogger(__name__)


class TransportErrors(Protocol):
    """What the retries need to know of the exceptions of the transport."""

    def is_error(self, exc: BaseException) -> bool:
        """True for an exception of the transport (a request failed, not a bug)."""

    def is_transient(self, exc: BaseException) -> bool:
        """True for an exception of the transport worth another attempt."""

    def describe(self, exc: BaseException, config: FetchConfig, detail: str) -> str | None:
        """What went wrong, in words, for an exception of the transport; None for others."""

    def failed_url(self, exc: BaseException) -> str | None:
        """The URL of the request that failed, when an exception of the transport tells."""


def _retryable(config: FetchConfig, errors: TransportErrors) -> Any:
    def check(exc: BaseException) -> bool:
        if isinstance(exc, RetryableStatus):
            return exc.retry_after is None or exc.retry_after <= config.retry_after_cap
        return errors.is_transient(exc) or isinstance(exc, (DeadlineExceeded, socket.gaierror))

    return retry_if_exception(check)


def _wait(config: FetchConfig, least: Callable[[], float] | None) -> Any:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            chosen = exc.retry_after
        else:
            backoff = config.backoff * 2 ** (state.attempt_number - 1)
            chosen = min(backoff + random.uniform(0, config.backoff), config.backoff_max)
        return float(max(chosen, least() if least is not None else 0.0))

    return wait


def retry_options(
    url: str,
    config: FetchConfig,
    errors: TransportErrors,
    least_wait: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """The tenacity options, the same for the sync and the async shell.

    ``least_wait`` gives the least wait before a retry, asked for after each attempt
    (a host's Crawl-delay is known once its robots.txt has been read).
    """

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        cause = _cause(exc, config, errors) if exc is not None else "?"
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.info(
            "%s: %s; retrying in %.1f s (attempt %d of %d)",
            url,
            cause,
            wait,
            state.attempt_number + 1,
            config.retries + 1,
        )

    return {
        "stop": stop_after_attempt(config.retries + 1),
        "wait": _wait(config, least_wait),
        "retry": _retryable(config, errors),
        "before_sleep": before_sleep,
        "reraise": True,
    }


def forget_attempts(retrying: BaseRetrying) -> None:
    """Empty a used tenacity ``retrying``, so that it is freed at once, not by the
    garbage collector.

    tenacity leaves it in reference cycles (through the state of its attempts) that hold
    its ``threading.local``. A collection that frees a thread-local while
    ``sys._current_frames()`` runs freezes the whole process on CPython 3.11: both need
    the interpreter's lock on its threads. A Dask worker's profiler calls it every
    10 ms: a cluster run's worker froze so, its partition never ending. Call it in the
    thread that used ``retrying``, once it is done with.
    """
    vars(retrying).clear()


def _cause(exc: BaseException, config: FetchConfig, errors: TransportErrors) -> str:
    """What went wrong, in words, for an exception raised by an attempt."""
    if isinstance(exc, RetryableStatus):
        text = str(exc)
        if exc.retry_after is not None and exc.retry_after > config.retry_after_cap:
            text += (
                f", asking to retry after {exc.retry_after:.0f} s"
                f" (over the {config.retry_after_cap:g} s cap)"
            )
        return text
    if isinstance(exc, DeadlineExceeded):
        return f"timed out: took over {config.total_timeout:g} s in all"
    detail = _detail(exc)
    if (described := errors.describe(exc, config, detail)) is not None:
        return described
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror or detail})"
    return detail


def _detail(exc: BaseException) -> str:
    """The message of ``exc``, else of the first exception it came from that has one: the
    async transport's errors are empty (httpx's ReadError from anyio's
    BrokenResourceError), and only the OSError at the bottom says "Connection reset by
    peer"; the name of ``exc`` when none has a message."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if text := str(current).strip():
            return text
        current = _came_from(current)
    return type(exc).__name__


def _came_from(exc: BaseException) -> BaseException | None:
    """The exception ``exc`` was made of: its cause, else the one it wraps (httpcore's
    errors take the one they map as their argument, and its pool raises them again
    ``from None``), else its context unless raised ``from None``: anyio's
    ClosedResourceError is so, to hide the IndexError of its empty read queue, whose
    "pop from an empty deque" said nothing of the connection."""
    if exc.__cause__ is not None:
        return exc.__cause__
    if len(exc.args) == 1 and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return None if exc.__suppress_context__ else exc.__context__


def final_error(
    url: str, exc: BaseException, attempts: int, config: FetchConfig, errors: TransportErrors
) -> FetchError:
    """The error a fetch of ``url`` ends with, ``exc`` having ended its last attempt."""
    if isinstance(exc, FetchError):
        return exc
    where = ""
    failed_url = exc.url if isinstance(exc, RetryableStatus) else errors.failed_url(exc)
    if failed_url and failed_url != url:
        where = f" at {shown_name(failed_url)}"
    status = exc.status if isinstance(exc, RetryableStatus) else None
    kind = HttpStatusError if status is not None else FetchError
    return kind(
        _cause(exc, config, errors) + where, url=url, attempts=attempts, status=status, cause=exc
    )


def is_attempt_error(exc: BaseException, errors: TransportErrors) -> bool:
    """Errors an attempt ends with on purpose (the rest are bugs, left to propagate)."""
    return errors.is_error(exc) or isinstance(
        exc, (FetchError, RetryableStatus, DeadlineExceeded, socket.gaierror)
    )
