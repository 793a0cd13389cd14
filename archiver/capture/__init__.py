"""Capture: a URL becomes an exchange recorded as it went over the wire."""

from .client import AsyncFetcher, DEFAULT_USER_AGENT, Exchange, FetchConfig, FetchResult, Fetcher, afetch, fetch

__all__ = ["AsyncFetcher", "DEFAULT_USER_AGENT", "Exchange", "FetchConfig", "FetchResult", "Fetcher", "afetch", "fetch"]
