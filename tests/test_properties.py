"""Property tests: whatever it is given, ``extract()`` returns an Article or raises an
ArchiverError, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
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
