"""Undoing a Content-Encoding (gzip, deflate, br) as a body arrives, within a size limit.

Every decoder here has a budget: its output never passes the limit by more than a byte
before it stops (a decompression bomb costs no more memory than the limit), at most
:data:`MAX_CODINGS` codings are undone, and the work is proportional to the bytes taken
in and given out. Two exceptions leave it, both for the receiver to turn into what they
mean to a fetch: :class:`DecodeError` and :class:`Overflow`.
"""

from __future__ import annotations

import zlib

import brotli

__all__ = ["MAX_CODINGS", "DecodeError", "Decoder", "Overflow"]

#: The most codings a Content-Encoding may list (``gzip, br`` is two): more is refused.
MAX_CODINGS = 4


class DecodeError(Exception):
    """The Content-Encoding cannot be undone (unknown, or the data is corrupt)."""


class Overflow(Exception):
    """The decoded body is over its limit."""


class _Zlib:
    """gzip or deflate, fed in pieces, never giving more than ``room + 1`` bytes a call."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        # 32 + MAX_WBITS takes a gzip or a zlib header; deflate may also come raw.
        self._wbits = zlib.MAX_WBITS | 32
        self._obj = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        out = bytearray()
        while data and len(out) <= room:
            try:
                out += self._obj.decompress(data, room - len(out) + 1)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._started:
                    # Servers sending "deflate" without its zlib header: try raw.
                    self._obj, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise DecodeError(f"the {self.coding} data is corrupt ({exc})") from exc
            self._started = True
            if self._obj.eof:
                rest = self._obj.unused_data
                if self.coding == "gzip" and rest.startswith(b"\x1f\x8b"):
                    self._obj = zlib.decompressobj(self._wbits)  # a further gzip member
                    data = rest
                    continue
                break
            data = self._obj.unconsumed_tail
        return bytes(out)

    def finish(self, room: int) -> bytes:
        # Everything fed has been taken in (or feed gave room + 1 bytes, and the decoder
        # stopped): only what zlib holds back is left, less than its window.
        out = self._obj.flush() if not self._obj.eof else b""
        if self._started and not self._obj.eof:
            raise DecodeError(f"the {self.coding} data is truncated")
        return out[: room + 1]


class _Brotli:
    """br, fed in pieces, never giving more than ``room + 1`` bytes a call."""

    coding = "br"

    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = bytearray(self._obj.process(data, output_buffer_limit=room + 1))
            while len(out) <= room and not self._obj.can_accept_more_data():
                out += self._obj.process(b"", output_buffer_limit=room - len(out) + 1)
        except brotli.error as exc:
            raise DecodeError(f"the br data is corrupt ({exc})") from exc
        return bytes(out)

    def finish(self, room: int) -> bytes:
        if not self._obj.is_finished():
            raise DecodeError("the br data is truncated")
        return b""


class Decoder:
    """Undoes a Content-Encoding as the body arrives; the result may not exceed ``limit``.

    Past the limit, :class:`Overflow` is raised; with ``cut``, the first ``limit`` bytes
    are kept instead, :attr:`full` is set and the rest is ignored (as for robots.txt,
    of which only so much is read). An unknown coding, or more than
    :data:`MAX_CODINGS` of them, raise :class:`DecodeError` at once.
    """

    def __init__(self, content_encoding: str, limit: int, *, cut: bool = False) -> None:
        self.limit = limit
        self.cut = cut
        #: With ``cut``: the limit was reached, and what came after is dropped.
        self.full = False
        self._layers: list[_Zlib | _Brotli] = []
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > MAX_CODINGS:
            raise DecodeError(f"too many Content-Encodings ({len(codings)}, over {MAX_CODINGS})")
        # Codings are listed in the order applied: undo them from the last.
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip", "deflate"):
                self._layers.append(_Zlib("deflate" if coding == "deflate" else "gzip"))
            elif coding == "br":
                self._layers.append(_Brotli())
            else:
                raise DecodeError(f"unsupported Content-Encoding {coding[:40]!r}")
        self._out: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> None:
        """Take the next bytes as sent."""
        self._through(data, 0)

    def finish(self, *, truncated: bool = False) -> bytes:
        """The decoded body; ``truncated`` accepts a stream cut short on purpose."""
        for index, layer in enumerate(self._layers):
            if self.full:
                break
            try:
                data = layer.finish(self.limit - self._size)
            except DecodeError:
                if truncated:
                    break
                raise
            self._through(data, index + 1)
        return b"".join(self._out)

    def _through(self, data: bytes, first: int) -> None:
        """``data`` through the layers from ``first`` on, each bounded, then kept."""
        if self.full:
            return
        for layer in self._layers[first:]:
            data = self._bounded(layer.feed(data, self.limit - self._size))
        if self._layers:  # without a coding the body is as sent: max_body_bytes bounds it
            data = self._bounded(data)
        self._size += len(data)
        self._out.append(data)

    def _bounded(self, data: bytes) -> bytes:
        room = self.limit - self._size
        if len(data) <= room:
            return data
        if not self.cut:
            raise Overflow
        self.full = True
        return data[:room]
