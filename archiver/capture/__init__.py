"""Capture: a URL becomes an exchange recorded as it went over the wire, and input
bytes (saved or fetched) become a :class:`~archiver.document.Document`.

:mod:`.client` holds the fetchers, the only I/O; :mod:`.plan` decides every step of a
fetch, :mod:`.receiver` takes in a response (with :mod:`.decoders` undoing its
Content-Encoding) and :mod:`.retry` decides on another attempt; :mod:`.config` and
:mod:`.exchange` hold the data that goes in and comes out. :mod:`.saved` loads inputs.
"""

from .client import AsyncFetcher, Fetcher, afetch, fetch
from .config import DEFAULT_USER_AGENT, FetchConfig
from .decoders import DecodeError, Decoder, Overflow
from .exchange import Exchange, FetchResult
from .plan import RobotsCache
from .saved import DEFAULT_MAX_BYTES, load

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "AsyncFetcher",
    "DecodeError",
    "Decoder",
    "Exchange",
    "FetchConfig",
    "FetchResult",
    "Fetcher",
    "Overflow",
    "RobotsCache",
    "afetch",
    "fetch",
    "load",
]
