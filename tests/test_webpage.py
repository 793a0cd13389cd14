"""The generic HTML extractor (archiver.extraction.html) on small hand-written pages,
and on aeb-dev."""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.extraction.html import extract_html
from archiver.extraction.prose import PROSE_WORDS, count_words, sentences

PARAGRAPHS = [
    (
        "The city council voted on Tuesday to rebuild the old harbour bridge, ending a "
        "debate that had divided residents for more than a decade."
    ),
    (
        "Engineers told the council that the bridge, opened in 1932, could no longer carry "
        "buses safely, and that repairs would cost almost as much as a new span."
    ),
    (
        "Work is due to start next spring and to last two years, during which a ferry will "
        "carry pedestrians and cyclists across the harbour free of charge."
    ),
    (
        "Shop owners on the waterfront said they welcomed the decision but asked the council "
        "to keep at least one lane open to delivery vans while the work goes on."
    ),
]
HEADLINE = "Council votes to rebuild the harbour bridge"

FURNITURE = {
    "nav": "Home World Business Sport Weather",
    "share": "Share on Facebook",
    "related": "Ten bridges you must see before you die",
    "newsletter": "Get our morning briefing in your inbox",
    "footer": "About us Contact Careers",
    "teaser": "Read more: Harbour ferry fares to double next year",
    "trailer": "Follow us on Twitter and Instagram.",
    "copyright": "© 2024 Example Media Group. All rights reserved.",
}


def page(body: str, head: str = "") -> str:
    title = f"<title>{HEADLINE} | The Example Times</title>"
    return f"<!DOCTYPE html><html lang='en'><head>{title}{head}</head><body>{body}</body></html>"


def article_page() -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    paragraphs += f"<p>{FURNITURE['teaser']}</p>"
    paragraphs += "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    paragraphs += f"<p>{FURNITURE['trailer']}</p><p>{FURNITURE['copyright']}</p>"
    head = (
        '<meta property="og:description" content="The vote ends a decade of debate.">'
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        f'"headline": "{HEADLINE}", "author": {{"@type": "Person", "name": "Jane Doe"}}, '
        '"datePublished": "2024-03-05T09:30:00+01:00", "keywords": "bridges, harbour"}</script>'
    )
    body = f"""
      <nav><ul><li><a href="/">Home</a></li><li><a href="/w">World</a></li>
        <li><a href="/b">Business</a></li><li><a href="/s">Sport</a></li>
        <li><a href="/x">Weather</a></li></ul></nav>
      <article>
        <header><h1>{HEADLINE}</h1>
          <p class="dek">A decade of debate ends at the council.</p></header>
        <div class="share-tools"><a href="#">{FURNITURE["share"]}</a></div>
        <div class="article-body">
          <figure><img src="b.jpg"><figcaption>The old bridge at dusk.</figcaption></figure>
          {paragraphs}
        </div>
        <div class="newsletter-signup"><h3>{FURNITURE["newsletter"]}</h3>
          <form><input type="email"><button>Sign up</button></form></div>
        <section class="relatedArticles"><h2>More on this</h2>
          <ul><li><a href="/1">{FURNITURE["related"]}</a></li>
              <li><a href="/2">Why our ferries are always late</a></li></ul></section>
      </article>
      <footer><a href="/about">About us</a> <a href="/contact">Contact</a>
        <a href="/jobs">Careers</a></footer>
    """
    return page(body, head)


def test_keeps_the_paragraphs_and_drops_the_furniture() -> None:
    result = extract_html(article_page(), url="https://example.com/news/bridge")
    assert result.text.split("\n\n") == PARAGRAPHS
    for kind, text in FURNITURE.items():
        assert text not in result.text, kind


def test_boxes_named_as_furniture_inside_the_body_are_dropped() -> None:
    # prose in boxes whose class names them: trafilatura alone keeps both
    newsletter = (
        '<div class="NewsletterBox"><p>Every morning our editors pick the five stories you '
        "need to read before work, straight to your inbox.</p></div>"
    )
    promo = (
        '<div class="promo-item"><p>Subscribers get unlimited access to every story on the '
        "site, the app and the daily digital edition.</p></div>"
    )
    paragraphs = [f"<p>{p}</p>" for p in PARAGRAPHS]
    body = "".join([paragraphs[0], newsletter, paragraphs[1], promo, *paragraphs[2:]])
    result = extract_html(page(f"<article><div class='article-body'>{body}</div></article>"))
    assert result.text.split("\n\n") == PARAGRAPHS


def test_scripts_styles_and_svg_in_the_body_leave_the_text_as_it_is() -> None:
    # dropped before trafilatura reads the page, which deletes them on each of its passes
    extras = (
        "<script>var ad = 'Buy a ferry ticket now';</script><style>p {color: red}</style>"
        "<svg><title>Share this</title><path d='M0 0'/></svg>"
    )
    paragraphs = [f"<p>{p}</p>" for p in PARAGRAPHS]
    body = "".join([paragraphs[0], extras, *paragraphs[1:]])
    result = extract_html(page(f"<article><div class='article-body'>{body}</div></article>"))
    assert result.text.split("\n\n") == PARAGRAPHS


def test_escaped_markup_in_the_text_stays_as_readers_see_it() -> None:
    """trafilatura unescapes the text its tree gives, which the parser unescaped already:
    a page's '&amp;lt;script&amp;gt;' (shown as '&lt;script&gt;') came out as '<script>',
    '&amp;not' as '¬'; and the lead paragraph, found as it is, was kept twice."""
    shown = (
        "The code sample shows the literal string &lt;script&gt;, the escape &amp; and "
        "&not; in HTML source, as printed on the page for the readers of this paragraph."
    )
    escaped = shown.replace("&", "&amp;")
    paragraphs = [f"<p>{p}</p>" for p in [escaped, *PARAGRAPHS[1:]]]
    result = extract_html(page(f"<article><h1>Headline</h1>{''.join(paragraphs)}</article>"))
    assert result.text.split("\n\n") == [shown, *PARAGRAPHS[1:]]


def test_the_text_of_an_svg_stays_out_of_the_article() -> None:
    # trafilatura deletes SVG while walking the tree: after one nested in another it
    # loses its way, and the later ones' text reached its output
    icon = "<svg><text>Share this story</text><title>Facebook</title></svg>"
    body = (
        f"<svg><svg><path d='M0 0'/></svg></svg><p>{PARAGRAPHS[0]}</p>"
        f"<p>{PARAGRAPHS[1]} {icon} And the tail stays.</p>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    )
    result = extract_html(page(f"<article>{body}</article>"))
    assert "Share this story" not in result.text and "Facebook" not in result.text
    assert f"{PARAGRAPHS[1]} And the tail stays." in result.text


def test_the_text_of_the_head_stays_out_of_the_article() -> None:
    # A body that trafilatura's own rules drop (inside a <label>) sends it to its recall
    # pass, where jusText read the <head>'s <noscript> as the first paragraph.
    notice = (
        "You need to enable JavaScript in your browser to read all of the stories on this site."
    )
    intro = "".join(
        f"<p>Intro paragraph number {i}: the extractor keeps it, said the council on Monday, "
        "and more words follow here.</p>"
        for i in range(4)
    )
    sentence = (
        "The council said on Monday that the harbour ferry would resume its service after a "
        "week of repairs, and that the first crossing of the day would leave on time with "
        "forty passengers aboard it."
    )
    rest = "".join(f"<p>{sentence} {i}</p>" for i in range(14))
    html = (
        f"<html><head><title>Ferry back</title><noscript>{notice}</noscript></head>"
        f"<body><div>{intro}</div><label>{rest}</label></body></html>"
    )
    assert notice not in extract_html(html).text


def test_trafilatura_reads_the_page_without_what_it_deletes_but_with_its_json_ld(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # JSON-LD: trafilatura's last resort reads its articleBody, and its type tells a
    # forum's thread; the rest of the head, scripts, styles and SVG it deletes itself
    import trafilatura

    seen: list[list[str]] = []
    original = trafilatura.bare_extraction

    def recorded(tree: Any, **kwargs: Any) -> Any:
        seen.append([element.tag for element in tree.iter("head", "script", "style", "svg")])
        return original(tree, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", recorded)
    json_ld = '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'
    head = f"<script src='a.js'></script><style>p {{color: red}}</style>{json_ld}"
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "<svg><title>Share</title></svg>"
    result = extract_html(page(f"<article>{body}</article>", head))
    assert result.text.split("\n\n") == PARAGRAPHS
    assert seen[0] == ["head", "script"]  # the head, holding the JSON-LD alone


def test_layout_table_gives_paragraphs_and_data_table_stays() -> None:
    # a table laying out the page: trafilatura alone prints the article as one row
    cells = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    layout = (
        "<table class='content' width='100%'><tr><td class='left'><a href='/'>Home</a></td>"
        f"<td class='main-col'><div class='news-item'><h1>{HEADLINE}</h1>{cells}</div></td>"
        "</tr></table>"
    )
    assert extract_html(page(layout)).text.split("\n\n") == PARAGRAPHS
    data = (
        "<table><tr><th>Year</th><th>Buses a day</th></tr><tr><td>1932</td><td>40</td></tr></table>"
    )
    result = extract_html(page(f"<article>{cells}{data}</article>"))
    assert "| Year | Buses a day |" in result.text


def test_teaser_label_takes_the_listed_headlines() -> None:
    listed = (
        "<p>DON'T MISS</p><p>Ferry fares to double next year</p>"
        "<p>Ten bridges you must see [PICTURES]</p>"
    )
    paragraphs = [f"<p>{p}</p>" for p in PARAGRAPHS]
    body = "".join([*paragraphs[:2], listed, *paragraphs[2:]])
    result = extract_html(page(f"<article><div class='article-body'>{body}</div></article>"))
    assert result.text.split("\n\n") == PARAGRAPHS


def test_article_header_keeps_its_lead() -> None:
    # the header of an <article> holds the headline, the byline and the lead: the lead
    # is the start of the article, the rest is not body text
    lead = (
        "After ten years of argument, the council has chosen to replace the harbour bridge "
        "rather than repair it once again."
    )
    header = (
        f"<header><h1>{HEADLINE}</h1><p class='byline'>By Jane Doe</p>"
        f"<div class='meta'><time>5 March 2024</time></div><p class='lead'>{lead}</p></header>"
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    result = extract_html(page(f"<article>{header}{body}</article>"))
    assert result.text.split("\n\n") == [lead, *PARAGRAPHS]


def test_article_header_keeps_its_lead_in_any_element() -> None:
    # pages write the lead in a <div> of summary or a list of key points; a subtitle
    # and a byline of dates and numbers are not the lead
    summary = (
        "After ten years of argument, the council has chosen to replace the harbour bridge "
        "rather than repair it once again."
    )
    point = "The new bridge will carry buses again, which the old one has not done since 2019."
    header = (
        f"<header><h1>{HEADLINE}</h1><h2>A subtitle that sums up the story in more than ten"
        " words</h2><div class='info'>By Jane Doe, 5. March 2024, 12:50, City | 3</div>"
        f"<div class='summary'>{summary}</div><ul><li>{point}</li></ul></header>"
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    result = extract_html(page(f"<article>{header}{body}</article>"))
    assert result.text.split("\n\n") == [summary, point, *PARAGRAPHS]


def test_table_of_short_blocks_is_data() -> None:
    # a heading over the rows, and blocks of a few words in the cells: still a table
    rows = "".join(
        f"<tr><td><span>{amount}</span></td><td><div>{what}</div></td></tr>"
        for amount, what in (("125 g", "flour"), ("65 g", "sugar"), ("1", "egg"))
    )
    heading = "<thead><tr><th colspan='2'><h3>For the pastry:</h3></th></tr></thead>"
    table = f"<table>{heading}{rows}</table>"
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    result = extract_html(page(f"<article>{body}{table}</article>"))
    assert "| 125 g | flour |" in result.text


def test_body_taken_for_furniture_is_kept() -> None:
    # the items of the story are named like comments: the untouched page gives more
    intro = (
        "The harbour bridge has stood for ninety years, and before the builders arrive our "
        "reporter asked the people who cross it every day what the city will lose with it, "
        "and what they hope the new bridge will bring them."
    )
    items = "".join(f"<div class='story__item__comment'>{p} {p}</div>" for p in PARAGRAPHS)
    result = extract_html(page(f"<div class='story'><div>{intro}</div>{items}</div>"))
    for paragraph in PARAGRAPHS:
        assert paragraph in result.text


def test_body_taken_for_furniture_is_kept_when_links_break_up_its_prose() -> None:
    # The cleaning drops each item; links cut their prose into short text nodes, which
    # the measure of what it dropped must see all the same.
    items = "".join(
        f"<div class='promo-item'><p>On day {i} the <a href='/f'>harbour ferry</a> left the "
        "pier at dawn, the <a href='/c'>council</a> said, with forty passengers and their "
        "<a href='/b'>bicycles</a> aboard it, and the crossing went well.</p></div>"
        for i in range(8)
    )
    blurb = "<p>The Gazette is a weekly paper read around the bay since 1921, and online too.</p>"
    result = extract_html(page(f"<h1>Ferry days</h1><div class='gallery'>{items}</div>{blurb}"))
    for day in range(8):
        assert f"On day {day} the harbour ferry left the pier at dawn" in result.text


def test_datelines_labels_and_calls_to_act_are_dropped() -> None:
    first = [
        "Category: City",
        "5 March 2024 | 09:30 | City desk",
        "*Advertisement",
    ]
    last = [
        "For the latest stories download the Example Times apps for iOS and Android.",
        "Do you want to be informed of our work? Sign up here",
    ]
    dated = "The council first debated the bridge on 3 March 2014, ten years ago this week."
    paragraphs = [*first, *PARAGRAPHS[:2], dated, *PARAGRAPHS[2:], *last]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    result = extract_html(page(f"<article><div class='article-body'>{body}</div></article>"))
    assert result.text.split("\n\n") == [*PARAGRAPHS[:2], dated, *PARAGRAPHS[2:]]


def test_gallery_keeps_its_captions() -> None:
    # a gallery's captions are its article: they hold most of the page's prose (a
    # caption in a <figure> is trafilatura's to drop: it drops figures)
    intro = (
        "The harbour bridge has stood for ninety years, and before the builders arrive our "
        "photographer walked its length from dawn to dusk to record what the city will lose. "
        "These are the pictures she brought back, with what the people she met told her."
    )
    figures = "".join(
        f"<div class='slide'><img src='{n}.jpg'><figcaption>{p}</figcaption></div>"
        for n, p in enumerate(PARAGRAPHS)
    )
    result = extract_html(page(f"<article><h1>{HEADLINE}</h1><p>{intro}</p>{figures}</article>"))
    assert result.text.startswith(intro)
    for caption in PARAGRAPHS:
        assert caption in result.text


def test_short_story_keeps_its_caption_and_standfirst() -> None:
    # a story of one sentence (a photo story, a paywalled teaser): the photo's caption
    # and the standfirst under the headline are much of what the page tells
    standfirst = (
        "The council ends a decade of debate over the harbour bridge, and residents are "
        "divided over what the two years of work will mean for them"
    )
    story = f"""
      <div class="story-header"><h1>{HEADLINE}</h1><h2>{standfirst}</h2></div>
      <article>
        <figure><img src="b.jpg"><figcaption>{PARAGRAPHS[3]}</figcaption></figure>
        <div class="article-body"><p>{PARAGRAPHS[0]}</p></div>
      </article>"""
    text = extract_html(page(story)).text
    assert text.startswith(standfirst)
    assert PARAGRAPHS[0] in text
    assert PARAGRAPHS[3] in text


def test_longer_story_leaves_caption_and_standfirst() -> None:
    standfirst = (
        "The council ends a decade of debate over the harbour bridge, and residents are "
        "divided over what the two years of work will mean for them"
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3])
    story = f"""
      <div class="story-header"><h1>{HEADLINE}</h1><h2>{standfirst}</h2></div>
      <article>
        <figure><img src="b.jpg"><figcaption>{PARAGRAPHS[3]}</figcaption></figure>
        <div class="article-body">{body}</div>
      </article>"""
    assert extract_html(page(story)).text.split("\n\n") == PARAGRAPHS[:3]


def test_text_is_in_nfc() -> None:
    decomposed = (
        "Cafe\u0301s on the harbour front stay open while the bridge is rebuilt, " + (PARAGRAPHS[0])
    )
    result = extract_html(page(f"<article><p>{decomposed}</p><p>{PARAGRAPHS[1]}</p></article>"))
    assert result.text.startswith("Caf\u00e9s on the harbour front")


def test_furniture_lines_in_other_languages() -> None:
    # German teaser labels (one written with no-break spaces) and a closing line
    paragraphs = [f"<p>{p}</p>" for p in PARAGRAPHS]
    teaser = "<p>Lesen Sie auch: Die F\u00e4hre f\u00e4hrt bald nur noch st\u00fcndlich</p>"
    listed = "<p>Weitere\u00a0Artikel\u00a0zum\u00a0Thema</p><p>Zehn Br\u00fccken zum Sehen</p>"
    body = "".join([*paragraphs[:2], teaser, *paragraphs[2:], listed, "<p>Keine Kommentare</p>"])
    result = extract_html(page(f"<article><div class='article-body'>{body}</div></article>"))
    assert result.text.split("\n\n") == PARAGRAPHS


def test_metadata() -> None:
    result = extract_html(article_page())
    assert result.title == HEADLINE
    assert result.description == "The vote ends a decade of debate."
    assert result.authors == ("Jane Doe",)
    assert isinstance(result.published, datetime)
    assert result.published.replace(tzinfo=None) == datetime(2024, 3, 5, 9, 30)
    assert result.published.utcoffset() == timedelta(hours=1)
    assert result.tags == ("bridges", "harbour")
    assert result.language == "en"
    assert result.captions == ("The old bridge at dusk.",)


def test_date_without_offset_is_a_date() -> None:
    head = '<meta property="article:published_time" content="2024-03-05T09:30:00">'
    body = "<article>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article>"
    result = extract_html(page(body, head))
    assert result.published == date(2024, 3, 5)


def test_headline_echoed_at_the_start_is_dropped() -> None:
    body = (
        f"<div class='post'><p>{HEADLINE}</p>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</div>"
    )
    assert extract_html(page(body)).text.split("\n\n") == PARAGRAPHS


@pytest.mark.parametrize("repeat", [1, 3])
@pytest.mark.parametrize(
    "wrapper",
    ["<div class='layout has-sidebar with-comments'>", "<form id='aspnetForm'>"],
)
def test_wrapper_named_as_furniture_keeps_the_article(wrapper: str, repeat: int) -> None:
    # The wrapper holds the article itself: much text outside links (long article) or
    # most of the page's paragraphs (short one).
    closing = "</form>" if wrapper.startswith("<form") else "</div>"
    paragraphs = [f"{p} ({n})" for n in range(repeat) for p in PARAGRAPHS]
    body = (
        f"{wrapper}<div class='story'>{''.join(f'<p>{p}</p>' for p in paragraphs)}</div>{closing}"
    )
    assert extract_html(page(body)).text.split("\n\n") == paragraphs


@pytest.mark.parametrize("repeat", [1, 3])
def test_furniture_guard(repeat: int) -> None:
    # The page-level result above would also be saved by the second look at the untouched
    # page: check the cleaning step itself keeps the wrapper and drops the real box.
    from trafilatura.utils import load_html

    from archiver.extraction.html import _drop_furniture, _rules

    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS * repeat)
    box = "<div class='newsletter'><p>Sign up for our newsletter.</p></div>"
    tree = load_html(
        page(f"<form id='aspnetForm'><div class='with-sidebar'>{paragraphs}{box}</div></form>")
    )
    assert tree is not None
    _drop_furniture(tree, _rules())
    text = tree.text_content()
    assert all(p in text for p in PARAGRAPHS)
    assert "Sign up" not in text


@pytest.mark.parametrize(
    "html", ["", "   \n", "<html></html>", "<html><body></body></html>", page("")]
)
def test_empty_page_gives_empty_text(html: str) -> None:
    result = extract_html(html)
    assert result.text == ""


def test_page_of_furniture_only_gives_no_article() -> None:
    body = f"<nav>{FURNITURE['nav']}</nav><footer>{FURNITURE['footer']}</footer>"
    assert extract_html(page(body)).text == ""


def test_broken_html() -> None:
    # unclosed tags, stray closing tags, an unterminated comment at the end
    body = (
        "<div class=article><p>"
        + "<p>".join(PARAGRAPHS)
        + "</span></b><div><p>unclosed <b>bold <!-- never ends"
    )
    result = extract_html(f"<html><head><title>x</title><body>{body}")
    assert PARAGRAPHS[0] in result.text
    assert PARAGRAPHS[-1] in result.text


@pytest.mark.parametrize("seed", range(5))
def test_garbage_does_not_crash(seed: int) -> None:
    rng = random.Random(seed)
    raw = bytes(rng.randrange(256) for _ in range(4000))
    for text in (
        raw.decode("latin-1"),
        raw.decode("utf-8", errors="replace"),
        "<html><body>" + raw.decode("latin-1") + "</body></html>",
        "<" * 500 + "\x00" * 50 + "<p>" + "x" * 300,
    ):
        result = extract_html(text)
        assert isinstance(result.text, str)


@pytest.mark.slow
def test_aeb_dev_beats_plain_trafilatura(shared: Path) -> None:
    import trafilatura

    dev = shared / "eval" / "aeb-dev"
    metric_file = shared / "tools" / "shingle_f1.py"
    if not dev.is_dir() or not metric_file.is_file():
        pytest.skip("aeb-dev is not available")
    spec = importlib.util.spec_from_file_location("shingle_f1", metric_file)
    assert spec is not None and spec.loader is not None
    metric = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metric)
    truth = json.loads((dev / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    ours, plain = {}, {}
    for page_id in ids:
        html = gzip.decompress((dev / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
        ours[page_id] = {"articleBody": extract_html(html, url=truth[page_id]["url"]).text}
        plain[page_id] = {"articleBody": trafilatura.extract(html, include_comments=False) or ""}
    our_f1 = metric.score(truth, ours, ids)["f1"]
    plain_f1 = metric.score(truth, plain, ids)["f1"]
    assert our_f1 >= 0.968, (our_f1, plain_f1)
    assert our_f1 >= plain_f1, (our_f1, plain_f1)


@pytest.mark.parametrize(
    "paragraph",
    [
        "The bank said on Monday that it would cut its reserve ratio. It takes effect today.",
        "中国人民银行周一宣布，将下调金融机构存款准备金率。新的政策将于今天起正式生效。",
        "日本銀行は月曜日、金融政策決定会合で政策金利を据え置くと発表した。市場は安定している。",
    ],
)
def test_a_paragraph_of_prose_counts_as_prose_in_any_script(paragraph: str) -> None:
    """Chinese and Japanese put no spaces between words: a paragraph there is prose
    too, so it is not taken for a menu, nor its article for a short story."""
    assert count_words(paragraph) >= PROSE_WORDS
    assert sentences([paragraph]) == 2


def _passes(monkeypatch: pytest.MonkeyPatch, html: str) -> tuple[str, list[str]]:
    """The text of ``html``, and the passes of trafilatura it took, in order ("fast" or
    "full", its full cascade)."""
    import trafilatura

    passes = []
    extraction = trafilatura.bare_extraction

    def counted(tree: object, *, options: Any) -> Any:
        passes.append("fast" if options.fast else "full")
        return extraction(tree, options=options)

    monkeypatch.setattr(trafilatura, "bare_extraction", counted)
    return extract_html(html).text, passes


def test_a_short_story_that_the_cleaning_isolated_takes_no_full_cascade(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The linked summaries of other stories are most of the page's prose, and furniture:
    # the story is a small share of the page and the most of what the cleaned page has.
    related = "".join(f"<li><a href='/{i}'>{p}</a></li>" for i, p in enumerate(PARAGRAPHS[1:]))
    story = (
        f"<article><header><h1>{HEADLINE}</h1></header><div class='article-body'>"
        f"<p>{PARAGRAPHS[0]}</p></div></article>"
        f"<section class='related-stories'><ul>{related}</ul></section>"
    )
    text, passes = _passes(monkeypatch, page(story))
    assert text == PARAGRAPHS[0]
    assert "full" not in passes


def test_the_untouched_page_is_not_read_again_when_the_cleaning_dropped_little(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Teasers of other stories, whose links trafilatura drops, are most of the page's
    # prose; the cleaning keeps them (nothing names them), and drops a newsletter box
    # of less prose: the page as it came holds little more than trafilatura has read,
    # and is not read again.
    teasers = "".join(f"<li><a href='/{i}'>{p} {p}</a></li>" for i, p in enumerate(PARAGRAPHS * 2))
    box = f"<div class='newsletter'><p>{FURNITURE['newsletter']}, every morning at six.</p></div>"
    story = (
        f"<article><p>{PARAGRAPHS[0]}</p>{box}<p>{PARAGRAPHS[1]}</p></article><ul>{teasers}</ul>"
    )
    text, passes = _passes(monkeypatch, page(story))
    assert text.split("\n\n") == PARAGRAPHS[:2]
    assert passes.count("fast") == 1
