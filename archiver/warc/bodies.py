"""The body of a stored HTTP response, decoded within a size limit: :func:`http_body`.

A ``response`` record holds the body as it came off the wire: maybe chunked, maybe
compressed (``Content-Encoding`` gzip, deflate, br). warcio's ``content_stream()``
would undo both with no limit on what comes out (a 1 MB gzip body may unfold to
gigabytes), and its brotli decoder fails with brotli 1.2. Here both are undone by our
own code: the chunking by :func:`dechunk`, which only shrinks the data, the
Content-Encoding by the bounded decoders that fetching uses
(:class:`archiver.capture.Decoder`), which stop at the limit.
"""

from __future__ import annotations

from functools import cache

from ..capture import DecodeError, Decoder, Overflow

__all__ = ["BodyError", "BodyTooLarge", "dechunk", "http_body", "warcio_decodes"]

#: Compressed bytes given to the decoder at a time.
_PIECE = 64 * 1024
#: The longest chunk-size line taken (hex digits and any chunk extension).
_CHUNK_LINE = 1024


class BodyError(Exception):
    """The body cannot be decoded: an unknown coding, corrupt data, broken chunking."""


class BodyTooLarge(BodyError):
    """The decoded body is over the limit."""


def http_body(
    stored: bytes,
    *,
    content_encoding: str | None,
    transfer_encoding: str | None,
    limit: int,
) -> bytes:
    """The body ``stored`` with its chunking and Content-Encoding undone.

    Raises :class:`BodyTooLarge` when the result would be over ``limit`` bytes (it
    stops there: no more than ``limit`` bytes are ever produced), :class:`BodyError`
    when it cannot be decoded. The message says which coding failed and why.
    """
    body = stored
    if transfer_encoding and "chunked" in transfer_encoding.lower():
        body = dechunk(body)
    codings = (content_encoding or "").strip()
    if not codings or codings.lower() == "identity":
        if len(body) > limit:
            raise BodyTooLarge(_over(limit))
        return body
    try:
        decoder = Decoder(codings, limit)
        for start in range(0, len(body), _PIECE):
            decoder.feed(body[start : start + _PIECE])
        return decoder.finish()
    except Overflow:
        raise BodyTooLarge(
            f"{_over(limit)} once its {codings} Content-Encoding is undone"
        ) from None
    except DecodeError as exc:
        raise BodyError(f"cannot undo its {codings} Content-Encoding: {exc}") from exc


def _over(limit: int) -> str:
    # The wording of archiver.capture.load(), so that both limits read alike.
    return f"input is over the {limit / 1e6:.1f} MB limit"


def dechunk(data: bytes) -> bytes:
    """``data`` with the chunked transfer coding undone.

    A body whose first line is not a chunk size was not chunked after all (as some
    servers say it is, and as warcio also allows): it is returned as it is. A chunk
    size that cannot be read further on is an error; a body cut short (no last,
    empty chunk) keeps what it has. The result is never longer than ``data``.
    """
    parts: list[bytes] = []
    position = 0
    first = True
    while position < len(data):
        end = data.find(b"\r\n", position, position + _CHUNK_LINE)
        size = _chunk_size(data[position:end]) if end >= 0 else None
        if size is None:
            if first:
                return data
            raise BodyError(f"the chunked body is broken at byte {position}")
        first = False
        if size == 0:
            break  # the last chunk; trailers, if any, are not part of the body
        start = end + 2
        parts.append(data[start : start + size])
        position = start + size + 2  # the chunk's own CRLF
    return b"".join(parts)


def _chunk_size(line: bytes) -> int | None:
    digits = line.split(b";", 1)[0].strip()
    if not digits or len(digits) > 16:
        return None
    try:
        return int(digits, 16)
    except ValueError:
        return None


@cache
def warcio_decodes(coding: str) -> bool:
    """Whether warcio's ``content_stream()`` can undo the Content-Encoding ``coding``.

    warcio 1.8.1's brotli decoder sets an attribute that brotli 1.2's Decompressor
    does not have (``unused_data``), so that any br body raises AttributeError there
    (and in the tools built on warcio: the wacz package, ``warcio check``). A coding
    warcio does not know at all is left undone by it, which is no failure.
    """
    from warcio.bufferedreaders import BufferedReader

    factory = BufferedReader.DECOMPRESSORS.get(coding.strip().lower())
    if factory is None:
        return True  # not undone by warcio: passed on as stored
    try:
        factory()
    except Exception:  # whatever the broken decoder raises
        return False
    return True
