"""The payloads a WARC file holds, for writing revisit records: :class:`Payloads`."""

from __future__ import annotations

import os

from .framing import records
from .reader import checked_source
from .records import CaptureRef

__all__ = ["Payloads"]


class Payloads:
    """The first capture of each payload digest among the 200 responses written, in
    memory: a :class:`~archiver.warc.records.PayloadIndex` for one output file.

    :meth:`of` starts from what a file holds already, so that appending to it stores a
    payload it has as a revisit record, as a bulk run does (whose ledger is its index).
    """

    def __init__(self) -> None:
        self._first: dict[str, CaptureRef] = {}

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> Payloads:
        """The payloads of the WARC file ``path``, read through and checked.

        Raises :class:`~archiver.errors.WarcError` naming the file when it cannot be read.
        """
        payloads = cls()
        for record, _ in records(checked_source(path), keep={}):
            headers = record.rec_headers
            digest = headers.get_header("WARC-Payload-Digest")
            if record.rec_type == "response" and digest and record.http_headers is not None:
                if record.http_headers.get_statuscode() == "200":
                    payloads.first_capture(
                        str(digest),
                        CaptureRef(
                            record_id=str(headers.get_header("WARC-Record-ID")),
                            target_uri=str(headers.get_header("WARC-Target-URI") or ""),
                            date=str(headers.get_header("WARC-Date")),
                        ),
                    )
        return payloads

    def first_capture(self, digest: str, capture: CaptureRef) -> CaptureRef:
        """See :class:`~archiver.warc.records.PayloadIndex`."""
        return self._first.setdefault(digest, capture)
