"""Property tests: whatever it is given, ``extract()`` returns an Article or raises an
ArchiverError, never another exception; and no page takes long (the slow set)."""

from __future__ import annotations

import codecs
import time

import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from archiver.article import Article
from archiver.errors import ArchiverError
from archiver.extraction.dispatch import extract

SETTINGS = settings(
    max_examples=200,
    deadline=None,  # the first call loads the plugins and parsers
    suppress_health_check=[HealthCheck.too_slow],
)

_TAGS = ["html", "head", "body", "title", "meta charset='utf-8'", "p", "div", "article", "h1"]

#: Text that looks somewhat like a page: lines, tags, blank lines, so that the HTML and
#: text-dump code paths are reached, not only the input checks.
page_like = st.lists(
    st.one_of(
        st.text(min_size=0, max_size=80),
        st.sampled_from(_TAGS).map(lambda tag: f"<{tag}>"),
        st.sampled_from(_TAGS).map(lambda tag: f"</{tag.split()[0]}>"),
        st.just(""),
        st.just("By REUTERS"),
        st.just("Published: AUGUST 17, 2022 15:01"),
    ),
    max_size=40,
).map("\n".join)


def check(data: str | bytes, **kwargs: object) -> None:
    try:
        article = extract(data, name="<hypothesis>", **kwargs)  # type: ignore[arg-type]
    except ArchiverError as error:
        assert str(error)  # every error has a message
        return
    assert isinstance(article, Article)
    assert isinstance(article.text, str)
    Article.from_json(article.to_json())  # and it serialises


@SETTINGS
@given(st.text(max_size=2000))
@example("")
@example(" \n\t")
@example("\x00")
@example("<html>")
@example("\ufeff")
def test_arbitrary_text(text: str) -> None:
    check(text)


@SETTINGS
@given(st.binary(max_size=4000))
@example(b"")
@example(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark alone
@example(b"\xff\xfe\x00")  # a UTF-16 byte-order mark and an odd byte
@example(b"\x89PNG")
@example(b"<meta charset='no-such-charset'>\xff\xfe")
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@SETTINGS
@given(page_like, st.sampled_from(["html", "text", None]))
def test_page_like_text_of_either_kind(text: str, kind: str | None) -> None:
    check(text, kind=kind)


@SETTINGS
@given(page_like, st.sampled_from(["utf-8", "windows-1253", "latin-1", "utf-16"]))
def test_page_like_text_in_other_encodings(text: str, encoding: str) -> None:
    check(text.encode(encoding, errors="replace"))


@SETTINGS
@given(
    page_like,
    st.sampled_from(
        [
            "https://www.jpost.com/world-news/article-1",
            "https://businessdaily.gr/x",
            "https://example.com/a",
            "not a url",
            "",
        ]
    ),
)
def test_page_like_text_with_a_url(text: str, url: str) -> None:
    check(text, url=url)


def test_an_invalid_url_is_an_archiver_error() -> None:
    check("Some text of a page\n\nwith two paragraphs of words.", url="http://[::1")


# -- hostile pages (the slow set) ---------------------------------------------------------

#: The issue's budget: no page takes longer than this.
PAGE_SECONDS = 10.0

PROSE = (
    "The minister said on Tuesday that the talks would resume next week in the capital, "
    "officials confirmed, after a month of delays."
)


#: Elements nested in the "nesting" pieces: blocks, inline, formatting, table parts,
#: SVG and MathML (where "<x/>" closes itself), and the ones that change how a parser
#: reads what follows.
_NESTING = [
    "div",
    "span",
    "b",
    "p",
    "li",
    "td",
    "svg",
    "g/",
    "math",
    "object",
    "select",
    "template",
]


def _size(exponent: int) -> st.SearchStrategy[int]:
    """Sizes from 1 to 2**exponent, small ones as often as large ones."""
    return st.integers(0, exponent).map(lambda bits: 2**bits)


#: Pieces of hostile pages, each drawn with its size: what parsers, decoders and the
#: line classifier have been (or could be) slow on, or thrown by.
_PIECES: dict[str, st.SearchStrategy[str]] = {
    "nesting": st.tuples(
        st.lists(st.sampled_from(_NESTING), min_size=1, max_size=3), _size(15)
    ).map(lambda t: "".join(f"<{t[0][i % len(t[0])]}>" for i in range(t[1])) + PROSE),
    "formatting": _size(13).map(
        lambda n: "".join(f"<b class=c{i}>" for i in range(n)) + "<p>x" * n
    ),
    "attributes": _size(15).map(
        lambda n: "<div " + " ".join(f"a{i}=x" for i in range(n)) + ">x</div>"
    ),
    "huge attribute": _size(20).map(
        lambda n: f'<img src="data:,{"A" * n}" alt="{"&amp;" * (n // 64)}">'
    ),
    "meta charset": st.sampled_from(
        [
            "utf-8",
            "utf-16",
            "utf-7",
            "x-user-defined",
            "iso-2022-jp",
            "gb18030",
            "bogus",
            "",
            "cp1252",
        ]
    ).map(
        lambda c: (
            f'<meta charset="{c}"><meta http-equiv="Content-Type" content="text/html; charset={c}">'
        )
    ),
    "binary": st.binary(max_size=256).map(lambda b: b.decode("latin-1")),
    "lone surrogate": st.sampled_from(["\ud800", "\udfff", "\udc80x\ud83d"]),
    "nul": _size(12).map(lambda n: "\x00" * n),
    "giant line": _size(20).map(lambda n: ("word " * (n // 5)) or "w"),
    "many lines": _size(15).map(lambda n: "Short line\n" * n),
    "punctuation": _size(15).map(lambda n: ".,;:!?-\n" * n),
    "malformed tag": st.sampled_from(
        [
            "<",
            "</",
            "<a",
            '<a href="',
            "<a b='",
            "<!",
            "<!-",
            "<?x",
            "</ x>",
            "<div/x>",
            '<a ="x>',
            "<![CDATA[",
            "<table><td>",
            "<template><col><textarea>",
            "<frameset>",
            "<select><input>",
        ]
    ),
    "unterminated": st.sampled_from(
        [
            "<script>",
            "<style>",
            "<!--",
            "<textarea>",
            "<title>",
            "<xmp>",
            "<plaintext>",
            "<script><!--<script>",
            "<svg><![CDATA[",
        ]
    ),
    "entities": _size(13).map(lambda n: "&amp;&#x41;&#65;&notanentity;&" * n),
    "long entity": _size(17).map(lambda n: "&" + "a" * n + ";"),
    "json-ld": _size(14).map(
        lambda n: '<script type="application/ld+json">' + "[" * n + "]" * n + "</script>"
    ),
    "article": st.just("<article><h1>A headline</h1>" + f"<p>{PROSE}</p>" * 5 + "</article>"),
    "text": st.text(max_size=200),
}


@st.composite
def hostile_pages(draw: st.DrawFn) -> tuple[str | bytes, str | None, str | None]:
    """A page of hostile pieces, as text or bytes (with a BOM or an encoding), of either
    kind, with or without a URL."""
    names = draw(st.lists(st.sampled_from(sorted(_PIECES)), min_size=1, max_size=6))
    text = "".join(draw(_PIECES[name]) for name in names)
    form = draw(st.sampled_from(["str", "utf-8", "bom", "utf-16", "cp1252", "surrogates"]))
    data: str | bytes
    if form == "str":
        data = text
    elif form == "bom":
        data = codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass")
    elif form == "surrogates":
        data = text.encode("utf-8", "surrogatepass")  # invalid UTF-8
    else:
        data = text.encode(form, "replace")
    kind = draw(st.sampled_from([None, "html", "text"]))
    url = draw(st.sampled_from([None, "https://www.jpost.com/a/1", "https://example.com/x"]))
    return data, kind, url


@pytest.mark.slow
@seed(20240613)
@settings(
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(hostile_pages())
def test_no_hostile_page_takes_long_or_escapes_as_another_error(
    page: tuple[str | bytes, str | None, str | None],
) -> None:
    data, kind, url = page
    started = time.perf_counter()
    check(data, kind=kind, url=url)
    elapsed = time.perf_counter() - started
    assert elapsed <= PAGE_SECONDS, f"{elapsed:.1f} s for a page of {len(data):,} characters"
