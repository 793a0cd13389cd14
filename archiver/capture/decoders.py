"""Undoing a Content-Encoding (gzip, deflate, br) as a body arrives, within a size limit."""

from __future__ import annotations

import zlib

import brotli

__all__ = ["DecodeError", "Decoder", "Overflow"]


class DecodeError(Exception):
    """The Content-Encoding cannot be undone (unknown, or the data is corrupt)."""


class Overflow(Exception):
    """The decoded body is over its limit."""


class _Zlib:
    """gzip or deflate, fed in pieces, never producing more than asked for."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        # 32 + MAX_WBITS takes a gzip or a zlib header; deflate may also come raw.
        self._wbits = zlib.MAX_WBITS | 32
        self._obj = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        out = bytearray()
        while data:
            try:
                out += self._obj.decompress(data, room - len(out) + 1)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._started:
                    # Servers sending "deflate" without its zlib header: try raw.
                    self._obj, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise DecodeError(f"the {self.coding} data is corrupt ({exc})") from exc
            self._started = True
            if len(out) > room:
                raise Overflow
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
        out = self._obj.flush(room + 1) if room >= 0 else b""
        if len(out) > room:
            raise Overflow
        if self._started and not self._obj.eof:
            raise DecodeError(f"the {self.coding} data is truncated")
        return out


class _Brotli:
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
        if len(out) > room:
            raise Overflow
        return bytes(out)

    def finish(self, room: int) -> bytes:
        if not self._obj.is_finished():
            raise DecodeError("the br data is truncated")
        return b""


class Decoder:
    """Undoes a Content-Encoding as the body arrives; the result may not exceed ``limit``."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        self.limit = limit
        self._layers: list[_Zlib | _Brotli] = []
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        # Codings are listed in the order applied: undo them from the last.
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip", "deflate"):
                self._layers.append(_Zlib("deflate" if coding == "deflate" else "gzip"))
            elif coding == "br":
                self._layers.append(_Brotli())
            elif coding != "identity":
                raise DecodeError(f"unsupported Content-Encoding {coding!r}")
        self._out: list[bytes] = []
        self._size = 0

    def feed(self, data: bytes) -> None:
        for layer in self._layers:
            data = layer.feed(data, self.limit - self._size)
        self._add(data)

    def finish(self, *, truncated: bool = False) -> bytes:
        """The decoded body; ``truncated`` accepts a stream cut short on purpose."""
        for index, layer in enumerate(self._layers):
            try:
                data = layer.finish(self.limit - self._size)
            except DecodeError:
                if truncated:
                    break
                raise
            for later in self._layers[index + 1 :]:
                data = later.feed(data, self.limit - self._size)
            self._add(data)
        return b"".join(self._out)

    def _add(self, data: bytes) -> None:
        self._size += len(data)
        # Without a coding the body is as sent, and max_body_bytes is its limit.
        if self._size > self.limit and self._layers:
            raise Overflow
        self._out.append(data)
