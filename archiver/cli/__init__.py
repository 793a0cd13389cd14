"""The ``archiver`` command line: the only package that writes to the terminal.

Exit statuses: 0 success; 1 when an input or a WARC file could not be processed
(for ``reprocess``, when some inputs failed and the rest were archived); 2 for a usage
error, including an output file that cannot be written.
"""

# The command modules register their commands on main when imported.
from . import archives, discovery, fetching, pages, versions  # noqa: F401
from .app import main

__all__ = ["main"]
