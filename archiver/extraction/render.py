"""Rendering an HTML element as the lines a browser would show, one block per line."""

from __future__ import annotations

from collections.abc import Iterable

from selectolax.lexbor import LexborNode as Node

__all__ = ["BLOCK_TAGS", "UNSEEN_TAGS", "normalize_space", "render_lines"]

#: The elements that start and end a line of text.
BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
)
#: The elements whose text a reader does not see as the page's text.
UNSEEN_TAGS = frozenset(
    "script style noscript template iframe svg button input select textarea".split()
)


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
    skipped = UNSEEN_TAGS | skip_tags
    skipped_ids = {element.mem_id for element in skip}
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = normalize_space("".join(current))
        if text:
            lines.append(text)
        current.clear()

    # Depth-first, with a stack rather than recursion: a page may nest deep. Each frame
    # holds the next child to read and whether its element is a block (which ends a line).
    stack: list[tuple[Node | None, bool]] = [(node.child, False)]
    while stack:
        child, block = stack.pop()
        if child is None:
            if block and current:
                flush()
            continue
        stack.append((child.next, block))
        tag = child.tag
        if tag == "-text":
            # White space that would open a line is stripped from it: the markup's
            # indentation between blocks need not even be read.
            if current or not child.is_empty_text_node:
                current.append(child.text_content or "")
        elif tag not in skipped and not (skipped_ids and child.mem_id in skipped_ids):
            opens_block = tag in BLOCK_TAGS
            if opens_block and current:
                flush()
            stack.append((child.child, opens_block))
    if current:
        flush()
    return lines
