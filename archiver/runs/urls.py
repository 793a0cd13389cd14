"""The URL list of a bulk run: list files read line by line, URLs normalised."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import IO

from ..errors import InputError
from ..files import PathArg
from .inputs import error_cause

__all__ = ["normalize_url", "open_url_list", "url_lines"]


def normalize_url(text: str) -> str:
    """``text`` as a normal http(s) URL, or ValueError saying why it is not one.

    Normalised as RFC 3986 says (section 6.2.2): scheme and host in lower case, the
    host in IDNA form, no default port, an empty path as ``/``; and without the
    fragment, which is never sent.
    """
    try:
        parts = urllib.parse.urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL (scheme {scheme or 'missing'!r})")
    host = parts.hostname
    if not host:
        raise ValueError("the URL has no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise ValueError(f"the host is not a valid name ({exc})") from None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urllib.parse.urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def open_url_list(path: PathArg) -> IO[str]:
    """A list file opened for :func:`url_lines` (bytes that are not UTF-8 replaced);
    :class:`~archiver.errors.InputError` naming it when it cannot be opened."""
    try:
        return open(path, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(
            f"cannot read the URL list: {error_cause(exc)}", source=os.fspath(path)
        ) from exc


def url_lines(lines: Iterable[str]) -> Iterator[str]:
    """The URLs of a list's lines (a file, standard input): stripped, blank lines and
    ``#`` comments skipped."""
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            yield line
