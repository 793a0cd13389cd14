"""Outputs made from WARC files: exports, CDXJ indexes, diffs, WACZ packages."""

from .cdxj import write_index
from .changes import ArticleChange, diff
from .collection import write_wacz
from .tables import export

__all__ = ["ArticleChange", "diff", "export", "write_index", "write_wacz"]
