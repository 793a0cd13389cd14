from .client import AsyncFetcher, Fetcher, afetch, fetch, sent_url
from .config import DEFAULT_USER_AGENT, HTML_TYPES, FetchConfig
from .decoders import DecodeError, Decoder, Overflow
from .exchange import Exchange, FetchResult
from .plan import RobotsCache
from .politeness import SLOW_DOWN, asks_to_slow_down, next_delay
from .saved import DEFAULT_MAX_BYTES, load, sniff_kind

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "HTML_TYPES",
    "SLOW_DOWN",
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
    "asks_to_slow_down",
    "fetch",
    "load",
    "next_delay",
    "sent_url",
    "sniff_kind",
]
