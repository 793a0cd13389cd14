"""The versions of a URL: each capture a run recorded, and what it is to the one before.

The ledger keeps them (:meth:`archiver.runs.ledger.Ledger.add_version`), for the
conditional requests of a revisit and for what a revisit round reports; a cluster run
merges its partitions' versions into its own ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..warc import CaptureRef

__all__ = ["CHANGED", "FIRST", "NOT_MODIFIED", "UNCHANGED", "Version", "version_kind"]

#: What a capture is to the URL's versions before it: its first, another payload, the
#: same payload (a revisit record), or a 304 answer to a conditional request.
FIRST, CHANGED, UNCHANGED, NOT_MODIFIED = "first", "changed", "unchanged", "not-modified"


@dataclass(frozen=True, slots=True)
class Version:
    """One capture of a URL, as the ledger keeps it (see :meth:`Ledger.add_version`)."""

    url: str
    kind: str
    capture: CaptureRef
    digest: str | None
    etag: str | None
    last_modified: str | None
    warc: str
    metadata_id: str


def version_kind(before: Version | None, digest: str | None, *, not_modified: bool) -> str:
    """What a capture with the payload ``digest`` is to ``before``, the URL's newest
    capture with a payload (None for none); ``not_modified``: a 304 answer."""
    if not_modified:
        return NOT_MODIFIED
    if before is None:
        return FIRST
    return UNCHANGED if digest and before.digest == digest else CHANGED
