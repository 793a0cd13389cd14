"""Site plugins on HTML: each page in fixtures/html/ against its seed's text dump.

``fixtures/html/<name>.html`` is a hand-written reconstruction of how a seed's site
serves that article; its sidecar ``<name>.json`` says ``{"url", "seed", "fallback"}``.
The page is extracted with its URL (which selects the site plugin), the seed's text
dump without one, and both must give the same article. Adding a case or a site means
adding files: no test code.

The last tests read a real jpost.com page from ../shared/fixtures-real (skipped when
it is absent; it is not copied into the repo).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import archiver
from archiver.extraction.metrics import shingle_score
from archiver.extraction.registry import domain_of
from archiver.extraction.sites import builtin_plugins

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "fixtures" / "html"
SIDECARS = sorted(HTML.glob("*.json"))
SIDECAR_KEYS = {"url", "seed", "fallback"}


@dataclass(frozen=True)
class Case:
    name: str
    spec: dict[str, Any]
    page: archiver.Article  # from the HTML page, with its URL
    dump: archiver.Article  # from the seed's text dump, without a URL


def _spec(sidecar: Path) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8"))
    return spec


@cache
def _dump_article(seed: str) -> archiver.Article:
    path = ROOT / "seeds" / f"{seed}.txt"
    return archiver.extract(path.read_bytes(), name=str(path))


@pytest.fixture(scope="module", params=SIDECARS, ids=[p.stem for p in SIDECARS])
def case(request: pytest.FixtureRequest) -> Case:
    sidecar: Path = request.param
    spec = _spec(sidecar)
    page = sidecar.with_suffix(".html")
    article = archiver.extract(page.read_bytes(), url=spec["url"], name=str(page))
    return Case(sidecar.stem, spec, article, _dump_article(spec["seed"]))


# -- the fixtures themselves ----------------------------------------------------------


def test_every_page_has_a_valid_sidecar() -> None:
    pages = sorted(HTML.glob("*.html"))
    assert pages, "fixtures/html/ holds no pages"
    for page in pages:
        sidecar = page.with_suffix(".json")
        assert sidecar.is_file(), f"{page.name} has no sidecar {sidecar.name}"
        spec = _spec(sidecar)
        assert set(spec) == SIDECAR_KEYS, f"{sidecar.name}: keys {sorted(spec)}"
        assert isinstance(spec["fallback"], bool), sidecar.name
        assert (ROOT / "seeds" / f"{spec['seed']}.txt").is_file(), (
            f"{sidecar.name}: no seed {spec['seed']}"
        )
        assert domain_of(spec["url"]), f"{sidecar.name}: no host in {spec['url']!r}"
    assert len(SIDECARS) == len(pages), "a sidecar has no page"


def test_every_site_plugin_has_a_page_and_a_variant() -> None:
    """Each built-in site has a page its selectors read and one that needs the fallback."""
    covered: dict[str, set[bool]] = {}
    for sidecar in SIDECARS:
        spec = _spec(sidecar)
        host = domain_of(spec["url"])
        for plugin in builtin_plugins():
            if any(host == d or host.endswith("." + d) for d in plugin.domains):
                covered.setdefault(plugin.name, set()).add(spec["fallback"])
    for plugin in builtin_plugins():
        assert covered.get(plugin.name) == {False, True}, plugin.name


# -- each page against its seed's dump ----------------------------------------------


def test_site_plugin_is_used(case: Case) -> None:
    # The URL chooses the plugin that the dump's own fingerprints chose.
    assert case.page.input_kind == "html"
    assert case.page.extractor.name == case.dump.extractor.name != "generic"


def test_without_its_url_a_page_gives_the_same_article(case: Case) -> None:
    """The URL a page declares (canonical, og:url) names its site when its template is
    not recognised: a changed Algemeiner page given without --url went to the generic
    extractor, and its date lost its time and zone."""
    page = HTML / f"{case.name}.html"
    unnamed = archiver.extract(page.read_bytes(), name=str(page)).to_dict()
    named = case.page.to_dict()
    if unnamed["url"] is None:  # a page that declares no URL of its own
        unnamed["url"] = named["url"]
    assert unnamed == named


def test_fallback_is_recorded(case: Case) -> None:
    assert case.page.extractor.fallback is case.spec["fallback"]


def test_text_is_not_empty(case: Case) -> None:
    assert case.page.text.strip()


def test_body_matches_dump(case: Case) -> None:
    score = shingle_score(case.dump.text, case.page.text)
    assert score.f1 >= 0.98, f"{case.name}: {score}"


@pytest.mark.parametrize("field", ["title", "published", "authors"])
def test_metadata_matches_dump(case: Case, field: str) -> None:
    # Through to_dict: a published datetime must have the same wall time and offset.
    assert case.page.to_dict()[field] == case.dump.to_dict()[field]


# -- a real page ----------------------------------------------------------------------

REAL_JPOST = "2019-son-of-former-german-president-stabbed"


@pytest.fixture(scope="module")
def real_jpost(shared: Path) -> tuple[dict[str, Any], archiver.Article]:
    """The 2019 jpost.com "Breaking News" page, as served, and its reference body."""
    folder = shared / "fixtures-real" / "jpost.com"
    page = folder / f"{REAL_JPOST}.html.gz"
    truth = folder / f"{REAL_JPOST}.groundtruth.json"
    if not (page.is_file() and truth.is_file()):
        pytest.skip(f"{page} or its ground truth is not available")
    gold: dict[str, Any] = json.loads(truth.read_text(encoding="utf-8"))
    article = archiver.extract(gzip.decompress(page.read_bytes()), url=gold["url"], name=str(page))
    return gold, article


def test_real_jpost_body(real_jpost: tuple[dict[str, Any], archiver.Article]) -> None:
    gold, article = real_jpost
    assert article.extractor.name == "jpost.com"
    assert not article.extractor.fallback  # its div[itemprop=articleBody] is a site selector
    assert shingle_score(gold["articleBody"], article.text).f1 >= 0.95


def test_real_jpost_metadata(real_jpost: tuple[dict[str, Any], archiver.Article]) -> None:
    _, article = real_jpost
    # The <h1> and the byline "By JERUSALEM POST STAFF".
    assert article.title == "Son of former German president stabbed to death in Berlin"
    assert article.authors == ("JERUSALEM POST STAFF",)
    # The byline prints "NOVEMBER 20, 2019 10:43", Israel time (IST, +02:00 in November).
    # The page's microdata says "2019-11-20T10:43Z": the same wall time wrongly marked UTC.
    assert article.published == datetime(2019, 11, 20, 10, 43, tzinfo=ZoneInfo("Asia/Jerusalem"))
    assert article.to_dict()["published"] == "2019-11-20T10:43:00+02:00"
