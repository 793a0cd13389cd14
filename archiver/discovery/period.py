"""Periods such as ``2d`` or ``12h``, and the cut-off time they mean."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["cutoff", "parse_period"]

_PERIOD = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_period(text: str) -> timedelta:
    """``30m``, ``12h``, ``2d``, ``1w`` (or ``1d12h``) as a timedelta; ValueError otherwise."""
    period = _period(text)
    if period is None:
        raise ValueError(
            f"{text!r} is not a period: give a number and a unit, s, m, h, d or w (2d, 12h)"
        )
    return period


def _period(text: str) -> timedelta | None:
    """``text`` as a period; None when it is not written as one, ValueError when it is
    one past what a timedelta holds."""
    spec = text.strip().lower()
    pos = 0
    total = timedelta()
    for match in _PERIOD.finditer(spec):
        if match.start() != pos:
            break
        try:
            total += timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
        except OverflowError:
            raise ValueError(f"{text!r} is too long a period") from None
        pos = match.end()
    return total if spec and pos == len(spec) else None


def cutoff(since: str | timedelta | datetime, now: datetime | None = None) -> datetime:
    """The earliest time that ``since`` keeps: a period back from ``now``, or a date
    (ISO 8601; a date without a zone is UTC). ValueError for a period that reaches
    back before the year 1."""
    now = now or datetime.now(UTC)
    if isinstance(since, datetime):
        moment = since
    else:
        period = since if isinstance(since, timedelta) else _period(since)
        if period is not None:
            try:
                return now - period
            except OverflowError:
                raise ValueError(f"{since!r} reaches back before the year 1") from None
        assert isinstance(since, str)  # a timedelta is a period
        try:
            moment = datetime.fromisoformat(since.strip())
        except ValueError:
            raise ValueError(
                f"{since!r} is neither a period (2d, 12h) nor a date (2025-01-31)"
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
