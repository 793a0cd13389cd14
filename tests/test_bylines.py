"""The byline search (archiver.extraction.bylines) finds what trafilatura's own author
expressions find, on pages made to reach each of their tests."""

from __future__ import annotations

import lxml.html
import pytest
from selectolax.lexbor import LexborHTMLParser
from trafilatura.metadata import extract_metainfo
from trafilatura.xpaths import AUTHOR_XPATHS

from archiver.extraction.bylines import find_byline

PAGES = [
    # each tier, and a later tier's find after an earlier tier's
    '<div class="post-Author">Ann Lee</div><span id="xiaobian-1">Bo Chen</span>',
    '<p class="AuthorName">Cy Dunn</p><h3 class="submitted-by">Di Evans</h3>',
    '<section class="page-writer">Ed Fox</section><div data-component="MainByline">Flo</div>',
    '<div class="authors">Gus Hall</div><author>Hal Ives</author>',
    '<p class="journalist-name">Ida Jones</p><a rel="author" href="/j">Jo Kay</a>',
    '<link rel="author" href="/me"><span itemprop="author name">Lu Mo</span>',
    '<div data-testid="AuthorURL">Max Ng</div><h4 itemprop="author">Ned Oz</h4>',
    '<section id="Author-box">Pia Qu</section><p class="byl">Rex Sun</p>',
    # values tested whole, and in the case trafilatura writes
    '<div class="AUTHOR">upper case</div><div class="byline x">Sam Tay</div>',
    '<a rel="Author">Ugo Vale</a><div class="BBL">Vic Wu</div>',
    # a parent made a find by its child <rel>me</rel>
    "<span><rel>me</rel>Wen Xu</span><div class='writer'>Yan Zhu</div>",
    "<span><rel>you</rel>not this</span><section class='screenname'>Zoe Abe</section>",
    # too short, too long, then one of a byline's length
    '<span class="author">Al</span><div class="author">' + "word " * 40 + "</div>"
    '<p id="author-2">Bea Cole</p>',
    "<p>no byline here</p>",
]


@pytest.mark.parametrize("body", PAGES)
def test_finds_what_trafilatura_finds(body: str) -> None:
    page = f"<html><head><title>t</title></head><body>{body}</body></html>"
    theirs = extract_metainfo(lxml.html.fromstring(page), AUTHOR_XPATHS, len_limit=120)
    assert find_byline(LexborHTMLParser(page)) == theirs


@pytest.mark.parametrize(
    ("body", "byline"),
    [
        # an HTML5 tree: a comment parts two text nodes, a template's content is a
        # fragment apart from the page, text written into a table is moved before it
        ('<div class="author">Jane<!-- -->Doe</div>', "Jane Doe"),
        ('<template><span class="author">Tom Hanks</span></template>', None),
        ('<table class="author">Ann Lee<tr><td>x</td></tr></table>', None),
    ],
)
def test_the_tree_searched_is_an_html5_parsers(body: str, byline: str | None) -> None:
    assert find_byline(LexborHTMLParser(f"<html><body>{body}</body></html>")) == byline
