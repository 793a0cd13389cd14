"""How a bulk run goes: :class:`BulkConfig`, the same for a local and a cluster run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..capture import FetchConfig
from ..files import SAFE_NAME

__all__ = ["BulkConfig"]

_GB = 1000**3


@dataclass(frozen=True, slots=True)
class BulkConfig:
    """How a bulk run goes. Times are in seconds, sizes in bytes.

    ``concurrency`` bounds the fetches in flight over all hosts. A host gets one
    request at a time, and at least ``per_host_delay`` between the end of one and the
    start of the next (more when its robots.txt asks for a Crawl-delay). A host that
    answers 429 or 503, or needed retries, has its delay doubled, up to
    ``max_host_delay``, and halved again after each clean answer. WARC files are closed
    and a new one started once one reaches ``warc_size``; they are named
    ``<warc_prefix>-<timestamp>-<serial>-<pid>-<hostname>.warc.gz``, every part made
    of ``[-a-z0-9._]`` (the host name lowercased, other characters made ``-``), so that
    a WACZ can hold them under their own names (files of earlier versions, named
    ``~<hostname>``, are read and resumed alike). ``extract`` turns
    extraction on; ``workers`` is the number of its processes (default: the number of
    cores). ``extract_timeout`` is the wall-clock budget of one page's extraction: a page
    past it is failed (its response stored all the same) and its worker process killed
    and replaced.
    """

    concurrency: int = 64
    per_host_delay: float = 1.0
    max_host_delay: float = 60.0
    warc_size: int = 1 * _GB
    warc_prefix: str = "archiver"
    extract: bool = True
    workers: int | None = None
    extract_timeout: float = 60.0
    fetch: FetchConfig = field(default_factory=FetchConfig)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"BulkConfig.concurrency must be at least 1, not {self.concurrency}")
        # Written so that a NaN fails too; a NaN or infinite delay stalled the run for ever.
        if not 0 <= self.per_host_delay <= self.max_host_delay or math.isinf(self.per_host_delay):
            raise ValueError(
                "BulkConfig needs 0 <= per_host_delay <= max_host_delay, not"
                f" {self.per_host_delay} and {self.max_host_delay}"
            )
        if not SAFE_NAME.fullmatch(self.warc_prefix):
            raise ValueError(
                f"BulkConfig.warc_prefix must be made of [-a-z0-9._/], not {self.warc_prefix!r}"
            )
        if self.warc_size < 1:
            raise ValueError(f"BulkConfig.warc_size must be positive, not {self.warc_size}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"BulkConfig.workers must be at least 1, not {self.workers}")
        if not self.extract_timeout > 0:
            raise ValueError(
                f"BulkConfig.extract_timeout must be positive, not {self.extract_timeout!r}"
            )
