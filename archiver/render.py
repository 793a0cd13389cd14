"""Rendering an HTML element as the lines a browser would show, one block per line."""

from __future__ import annotations

from selectolax.lexbor import LexborNode as Node

__all__ = ["render_lines"]

_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
)
_SKIP = frozenset("script style noscript template iframe svg button input select textarea".split())


def render_lines(node: Node) -> list[str]:
    """The visible text under ``node``: a line per block element, white space folded.

    Pages that separate paragraphs with empty ``<div>`` or ``<br>`` instead of ``<p>``
    come out with the same lines.
    """
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            lines.append(text)
        current.clear()

    def walk(element: Node) -> None:
        child = element.child
        while child is not None:
            tag = child.tag
            if tag == "-text":
                current.append(child.text_content or "")
            elif tag not in _SKIP and tag != "_comment":
                block = tag in _BLOCKS
                if block:
                    flush()
                walk(child)
                if block:
                    flush()
            child = child.next

    walk(node)
    flush()
    return lines
