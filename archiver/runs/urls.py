"""The URL list of a bulk run: list files read line by line, URLs normalised."""

from __future__ import annotations

import codecs
import io
import os
import re
import sys
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import IO

from rfc3986.normalizers import remove_dot_segments

from ..errors import InputError, not_http, shortened
from ..files import PathArg
from .inputs import error_cause

__all__ = ["normalize_url", "open_url_list", "printable", "stdin_url_lines", "url_lines"]


def normalize_url(text: str) -> str:
    """``text`` as a normal http(s) URL, or ValueError saying why it is not one.

    Normalised as RFC 3986 says (section 6.2.2): scheme and host in lower case, the
    host in IDNA form, no default port, an empty path as ``/``, no dot segments; and
    without the fragment, which is never sent.
    """
    if not isinstance(text, str):
        raise ValueError(f"not a URL (not text: {type(text).__name__})")
    if not _is_unicode(text):
        # Bytes of a list that are not UTF-8 (read with surrogateescape): any guess at
        # what they meant would archive another URL than the list's, or none.
        raise ValueError("not a URL (its bytes are not UTF-8 text)")
    if control := _CONTROL.search(text.strip()):
        # httpx refuses them at the first attempt, a FetchError after "1 attempt" for
        # a line that was never a URL (tabs and newlines urlsplit drops, as browsers do).
        raise ValueError(f"not a URL (it holds the control character {control.group()!r})")
    try:
        parts = urllib.parse.urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL ({shortened(str(exc))})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(not_http(scheme))
    host = parts.hostname
    if not host:
        raise ValueError("the URL has no host")
    host = f"[{host}]" if ":" in host else _host_name(host)
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    # httpx asks for /b when given /a/../b: two names of a page were fetched twice.
    path: str = remove_dot_segments(parts.path) or "/"
    return urllib.parse.urlunsplit((scheme, netloc, path, parts.query, ""))


#: The C0 control characters but tab, newline and carriage return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: What no host name holds: the WHATWG URL Standard's forbidden domain code points.
_NOT_IN_HOST_NAMES = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")


def _host_name(host: str) -> str:
    """The host name ``host`` (lower case, not an IP literal) in IDNA form; ValueError
    when no name server could know it: fetched, it failed as a dead host after its
    attempts, and "exa mple.com" was even asked of DNS."""
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise ValueError(f"the host is not a valid name ({exc})") from None
    if forbidden := _NOT_IN_HOST_NAMES.search(host):
        raise ValueError(f"the host is not a valid name (it holds {forbidden.group()!r})")
    if "" in host.removesuffix(".").split("."):  # a final dot is the root's, and valid
        raise ValueError("the host is not a valid name (it has an empty label)")
    return host


#: The byte-order marks a list file may start with (Notepad writes them), longest first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def open_url_list(path: PathArg) -> IO[str]:
    """A list file opened for :func:`url_lines`: UTF-8, or the encoding its byte-order
    mark names; :class:`~archiver.errors.InputError` naming it when it cannot be opened.

    Bytes that are not UTF-8 are kept as surrogates (``surrogateescape``), which
    :func:`printable` shows and :func:`normalize_url` refuses: replaced, they made
    another URL, which was fetched and marked done in place of the list's.
    """
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise InputError(
            f"cannot read the URL list: {error_cause(exc)}", source=os.fspath(path)
        ) from exc
    return _text(raw)


def stdin_url_lines() -> Iterator[str]:
    """:func:`url_lines` of standard input, read as :func:`open_url_list` reads a file:
    ``sys.stdin`` decodes strictly in the locale's encoding (a byte that is not UTF-8
    stopped the run with an internal error) and knows no byte-order mark but UTF-8's
    (a UTF-16 list was all NULs). Standard input is left open."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # replaced by a text stream (a caller's own program)
        yield from url_lines(sys.stdin)
        return
    # peek() wants a BufferedReader: a BytesIO (click's CliRunner) is put in one.
    buffered = binary if isinstance(binary, io.BufferedReader) else io.BufferedReader(binary)
    lines = _text(buffered)
    try:
        yield from url_lines(lines)
    finally:
        lines.detach()  # standard input is not closed with the wrapper
        if buffered is not binary:
            buffered.detach()


def _text(raw: io.BufferedReader) -> io.TextIOWrapper:
    """The lines of a list's bytes: UTF-8, or the encoding its byte-order mark names."""
    # peek() does not consume, so a pipe given as the list is read whole all the same.
    head = raw.peek(4)[:4]
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape")


def printable(line: str) -> str:
    """``line`` with the bytes that were not UTF-8 shown as ``\\xNN``, so that it can
    be stored (SQLite, JSON) and printed."""
    if _is_unicode(line):
        return line
    try:
        return line.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte
        return line.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_unicode(text: str) -> bool:
    """Whether ``text`` holds no lone surrogates (which UTF-8 cannot encode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def url_lines(lines: Iterable[str]) -> Iterator[str]:
    """The URLs of a list's lines (a file, standard input): stripped, blank lines and
    ``#`` comments skipped. A byte-order mark is dropped: standard input keeps one."""
    for line in lines:
        line = line.strip().removeprefix("\ufeff").strip()
        if line and not line.startswith("#"):
            yield line
