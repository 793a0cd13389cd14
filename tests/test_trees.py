"""The generic extractor's lxml trees (archiver.extraction.trees) are trafilatura's."""

from __future__ import annotations

import threading

import lxml.html
import pytest
from lxml import etree
from trafilatura.utils import load_html, repair_faulty_html

from archiver.extraction import trees as trees_module
from archiver.extraction.trees import parse_html, repaired

PAGES = [
    "<html><body><p>Plain text.</p></body></html>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x.dtd">\n<html><body><p>A</p>'
    "</body></html>",
    '<!doctype html>\n<html lang="en"/>\n<head><title>T</title></head><body><p>B</p></body>',
    "<html><body><p>Control\x0b and \x1f characters\ufffe.</p></body></html>",
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>Declared</p></body></html>',
    '<html><body><form action="/f"><input name="q" value="1"><label>L</label>'
    "<select><option>o</option></select><textarea>t</textarea></form></body></html>",
    "<p>a bare fragment</p>",
    "",
    "plain text, no markup at all",
    # each character XML forbids, alone in text beyond the Basic Multilingual Plane
    # (searched as UTF-8) or with a lone surrogate, and none
    *(f"<p>\U0001f600 {chr(c)} \ud800</p>" for c in (*range(0x20), 0xFFFE, 0xFFFF)),
    "<p>\U0001f600 \ud800 \ufffd \x7f \x85 tabs\t\r\n</p>",
]


@pytest.mark.parametrize("page", PAGES)
def test_repaired_is_trafilatura_s(page: str) -> None:
    beginning = page[:50].lower()
    assert repaired(page, beginning) == repair_faulty_html(page, beginning)


@pytest.mark.parametrize("page", PAGES)
def test_parse_html_gives_load_html_s_tree(page: str) -> None:
    ours, theirs = parse_html(page), load_html(page)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert etree.tostring(ours) == etree.tostring(theirs)
        # every element a plain HtmlElement, which trafilatura and htmldate accept as a tree
        assert {type(e) for e in ours.iter()} == {lxml.html.HtmlElement}


def test_each_thread_parses_with_a_parser_of_its_own() -> None:
    """lxml lets one parse at a time through a parser, behind a lock: a Dask worker's
    extraction thread once waited for ever on the lock of the parser every thread
    shared. Many threads parse at once, each through its own, to the same trees."""
    page = "<html><body>" + "<div><p>Some text.</p></div>" * 2000 + "</body></html>"
    expected = lxml.html.tostring(parse_html(page))
    parsers: list[object] = []
    trees: list[bytes] = []

    def parse() -> None:
        parsers.append(trees_module._parser())
        trees.append(lxml.html.tostring(parse_html(page)))

    threads = [threading.Thread(target=parse) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert trees == [expected] * 8
    assert len({id(parser) for parser in parsers}) == 8
