from .client import AsyncFetcher, Fetcher, afetch, fetch
from .config import DEFAULT_USER_AGENT, HTML_TYPES, FetchConfig
from .decoders import DecodeError, Decoder, Overflow
from .exchange import Exchange, FetchResult
from .plan import RobotsCache
from .saved import DEFAULT_MAX_BYTES, load, sniff_kind

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "HTML_TYPES",
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
    "sniff_kind",
]
