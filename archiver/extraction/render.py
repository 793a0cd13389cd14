"""Rendering an HTML element as the lines a browser would show, one block per line."""

from __future__ import annotations

from collections.abc import Iterable

from selectolax.lexbor import LexborNode as Node

__all__ = ["normalize_space", "render_lines"]

_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
)
_SKIP = frozenset("script style noscript template iframe svg button input select textarea".split())


def normalize_space(text: str) -> str:
    """``text`` with each run of white space made one space, and stripped."""
    # Every white space character but the space is unprintable: text that is printable
    # and has no double space is folded already, and splitting it into words would
    # only spend time (most paragraphs are such text).
    if text.isprintable() and "  " not in text:
        return text.strip()
    return " ".join(text.split())


def render_lines(
    node: Node, *, skip_tags: frozenset[str] = frozenset(), skip: Iterable[Node] = ()
) -> list[str]:
    """The visible text under ``node``: a line per block element, white space folded.

    Pages that separate paragraphs with empty ``<div>`` or ``<br>`` instead of ``<p>``
    come out with the same lines. Elements named in ``skip_tags``, and the ``skip``
    elements, are left out with all they contain (the tree is not changed).
    """
    skipped = _SKIP | skip_tags
    skipped_ids = {element.mem_id for element in skip}
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = normalize_space("".join(current))
        if text:
            lines.append(text)
        current.clear()

    def walk(element: Node) -> None:
        child = element.child
        while child is not None:
            tag = child.tag
            if tag == "-text":
                # White space that would open a line is stripped from it: the markup's
                # indentation between blocks need not even be read.
                if current or not child.is_empty_text_node:
                    current.append(child.text_content or "")
            elif tag not in skipped and child.mem_id not in skipped_ids:
                if tag in _BLOCKS:
                    if current:
                        flush()
                    walk(child)
                    if current:
                        flush()
                else:
                    walk(child)
            child = child.next

    walk(node)
    if current:
        flush()
    return lines
