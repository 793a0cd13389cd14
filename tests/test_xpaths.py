"""trafilatura's byline XPath expressions rewritten without regular expressions
(archiver.extraction.xpaths) match what trafilatura's own match."""

from __future__ import annotations

import lxml.html
import pytest
from trafilatura.xpaths import AUTHOR_XPATHS

from archiver.extraction.xpaths import author_xpaths, literal_spellings


@pytest.mark.parametrize(
    ("pattern", "spellings"),
    [
        ("author", ["author"]),
        ("author-?name|AuthorName", ["author-name", "authorname", "AuthorName"]),
        ("[Aa]uthor|writer", ["Author", "author", "writer"]),
        ("[a-z]uthor", None),  # a range is not a literal
        ("auth.r", None),
        ("(au)?thor", None),
        ("author|", None),
    ],
)
def test_literal_spellings(pattern: str, spellings: list[str] | None) -> None:
    assert literal_spellings(pattern) == spellings


PAGE = """<html><head><link rel="author" href="/me"></head><body>
<div class="post-Author">Ann Lee</div><span id="xiaobian-1">Bo Chen</span>
<p class="AuthorName">Cy Dunn</p><h3 class="submitted-by">Di Evans</h3>
<section class="page-writer">Ed Fox</section><div data-component="MainByline">Flo Gray</div>
<div class="authors">Gus Hall</div><div class="AUTHOR">not matched in upper case</div>
<author>Hal Ives</author><p class="journalist-name">Ida Jones</p>
</body></html>"""


def test_author_xpaths_match_as_trafilatura_s() -> None:
    tree = lxml.html.fromstring(PAGE)
    ours = author_xpaths()
    assert len(ours) == len(AUTHOR_XPATHS)
    assert all("re:test" not in expression.path for expression in ours)
    # every search of all elements is asked of the attributes it tests
    assert all("//*" not in expression.path for expression in ours)
    for theirs, rewritten in zip(AUTHOR_XPATHS, ours, strict=True):
        assert rewritten(tree) == theirs(tree)
    assert any(expression(tree) for expression in ours)
