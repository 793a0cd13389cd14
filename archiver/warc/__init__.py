"""WARC files: writing captures and articles, reading them back."""

from .records import ArchivedArticle, Capture, CaptureRef, Originals, WarcWriter, read, read_captures, read_latest, salvage, target_uri, verify

__all__ = ["ArchivedArticle", "Capture", "CaptureRef", "Originals", "WarcWriter", "read", "read_captures", "read_latest", "salvage", "target_uri", "verify"]
