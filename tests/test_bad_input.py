"""Bad inputs: each one fails alone, with an error naming the file and the cause.

The other inputs of the same run are still archived, and no half-written WARC is left.
"""

from __future__ import annotations

import codecs
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from warc_check import warcio_check

from archiver import warc
from archiver.capture import load
from archiver.cli import main
from archiver.errors import (
    ArchiverError,
    BinaryInputError,
    EmptyInputError,
    InputError,
    InputTooLargeError,
    NotHtmlError,
)
from archiver.extraction.dispatch import extract
from archiver.runs import process_file, reprocess

GREEK_TITLE = "Νέα μέτρα στήριξης για την οικονομία"
GREEK_PARAGRAPHS = [
    (
        "Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα για την οικονομία της χώρας, "
        "με στόχο τη στήριξη των επιχειρήσεων και των εργαζομένων."
    ),
    (
        "Σύμφωνα με τον υπουργό Οικονομικών, τα μέτρα θα εφαρμοστούν μέσα στο επόμενο "
        "εξάμηνο και θα χρηματοδοτηθούν από τον κρατικό προϋπολογισμό."
    ),
    (
        "Οι εκπρόσωποι των εμπόρων χαιρέτισαν τις ανακοινώσεις, ζητώντας όμως "
        "περισσότερη ενίσχυση για τις μικρές επιχειρήσεις της περιφέρειας."
    ),
]
# Words whose letters differ between windows-1253 and a wrong guess (accents, final sigma).
GREEK_WORDS = ["κυβέρνηση", "Οικονομικών", "προϋπολογισμό", "επιχειρήσεις", "περιφέρειας"]

ENGLISH_PAGE = "Council approves the new harbour plan\n\n" + "\n\n".join(
    f"Paragraph {i}: the city council voted on Tuesday to approve the long debated plan "
    "for the old harbour, after months of public hearings and objections from residents."
    for i in range(1, 6)
)

LARGE = 50 * 1024 * 1024


def greek_page(meta: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in GREEK_PARAGRAPHS)
    return (
        f'<!DOCTYPE html><html lang="el"><head>{meta}<title>{GREEK_TITLE}</title></head>'
        f"<body><article><h1>{GREEK_TITLE}</h1>{body}</article></body></html>"
    )


def greek_html(*, declare: bool) -> bytes:
    return greek_page('<meta charset="windows-1253">' if declare else "").encode("windows-1253")


GREEK_TEXT = "\n\n".join([GREEK_TITLE, *GREEK_PARAGRAPHS])


def greek_text() -> bytes:
    return GREEK_TEXT.encode("windows-1253")


def random_bytes_with_nuls() -> bytes:
    data = bytearray(random.Random(1253).randbytes(4096))
    data[10] = data[100] = data[1000] = 0
    return bytes(data)


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


#: A feed: its titles make it look like HTML to the sniffing of kinds.
RSS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- generated -->\n<rss version="2.0"><channel>'
    b"<title>News</title><item><title>Council approves the new harbour plan</title>"
    b"<description>The city council voted on Tuesday to approve the plan.</description>"
    b"</item><item><title>Ferry fares to double</title></item></channel></rss>\n"
)


#: name, content, expected error, words the message must hold
BAD_INPUTS = [
    ("empty.txt", b"", EmptyInputError, "empty"),
    ("blank.txt", b"  \n\t \r\n   \n", EmptyInputError, "empty"),
    ("picture.html", png(), BinaryInputError, "PNG image"),
    ("noise.txt", random_bytes_with_nuls(), BinaryInputError, "binary"),
    ("feed.html", RSS, NotHtmlError, "an RSS feed"),
    (
        "logo.html",
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>Share</text></svg>',
        NotHtmlError,
        "an SVG image",
    ),
    (
        "article.txt",
        b'{"headline": "Council approves the plan", "body": "..."}',
        NotHtmlError,
        "JSON",
    ),
]


def make_large(path: Path) -> Path:
    # Real text, not a sparse file, so that the size check is what stops it.
    line = b"All work and no play makes a very long page that nobody should archive.\n"
    with path.open("wb") as file:
        for _ in range(LARGE // len(line) + 1):
            file.write(line)
    return path


# --- one input at a time ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "error", "cause"), BAD_INPUTS)
def test_a_bad_file_raises_a_named_input_error(
    tmp_path: Path, name: str, content: bytes, error: type[InputError], cause: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as info:
        process_file(path)
    assert info.value.source == str(path)
    assert cause in info.value.message
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize(("name", "content", "error", "cause"), BAD_INPUTS)
def test_extract_raises_the_same_error_on_the_bytes(
    name: str, content: bytes, error: type[InputError], cause: str
) -> None:
    with pytest.raises(error) as info:
        extract(content, name=name)
    assert info.value.source == name


def test_a_dump_that_opens_with_a_bracket_and_an_xhtml_page_are_read() -> None:
    # Not JSON, not a feed: what only starts like them is still read.
    dump = "[Photo: the old harbour]\n\n" + ENGLISH_PAGE
    assert "Paragraph 1" in extract(dump.encode(), name="dump.txt").text
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Plan</title></head><body>'
        + "".join(f"<p>{p}</p>" for p in ENGLISH_PAGE.split("\n\n")[1:])
        + "</body></html>"
    )
    article = extract(xhtml.encode(), name="page.xhtml")
    assert article.input_kind == "html" and "old harbour" in article.text


@pytest.mark.timeout(60)
def test_what_only_opens_like_a_feed_or_an_svg_is_read_at_once() -> None:
    # comments with no root element after them, tried in every grouping, would take
    # 2**60 steps; a page that opens with an inline icon is still a page
    comments = b'<?xml version="1.0"?>' + b"<!---->" * 60 + b"The council voted on Tuesday."
    assert load(comments, name="notes.txt").kind == "text"
    icon = b"<svg><use href='#logo'/></svg><div><p>The council voted on Tuesday.</p></div>"
    assert load(icon, name="fragment.html", kind="html").kind == "html"


def test_a_kind_that_is_neither_html_nor_text_is_refused() -> None:
    # It was taken, and the page read as a text dump with input_kind "pdf".
    with pytest.raises(ValueError, match="kind must be 'html' or 'text', not 'pdf'"):
        extract(b"<p>The council voted on Tuesday.</p>", kind="pdf")  # type: ignore[arg-type]


def test_a_50_mb_file_fails_fast(tmp_path: Path) -> None:
    path = make_large(tmp_path / "huge.txt")
    assert path.stat().st_size > LARGE
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError) as info:
        process_file(path)
    assert time.perf_counter() - start < 1.0  # refused from its size, not read and parsed
    assert info.value.source == str(path)
    assert "52.4 MB" in info.value.message and "limit" in info.value.message


def test_50_mb_of_bytes_fail_fast_in_extract() -> None:
    data = b"x" * LARGE
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError):
        extract(data, name="big")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("declare", [True, False], ids=["meta-charset", "undeclared"])
def test_a_greek_windows_1253_page_decodes_and_extracts(tmp_path: Path, declare: bool) -> None:
    path = tmp_path / "greek.html"
    path.write_bytes(greek_html(declare=declare))
    document, article = process_file(path)
    assert document.encoding.replace("_", "-").lower() in {"cp1253", "windows-1253"}
    assert GREEK_PARAGRAPHS[0] in document.text
    for word in GREEK_WORDS:
        assert word in article.text


@pytest.mark.parametrize(
    ("sentence", "encoding", "domain"),
    [
        ("Le café était fermé à Paris, dit le maître.", "latin-1", "fr"),
        ("Der Bürgermeister sagte, die Sitzung finde morgen statt.", "latin-1", "de"),
        ("Burmistrz powiedział, że posiedzenie odbędzie się jutro.", "cp1250", "pl"),
        ("Мэр сказал, что заседание состоится завтра.", "cp1251", "ru"),
        ("市長は明日会議を開くと述べた。", "shift_jis", "jp"),
    ],
)
def test_a_short_text_that_does_not_say_its_encoding_is_decoded_as_firefox_would(
    sentence: str, encoding: str, domain: str
) -> None:
    # A detector of byte frequencies read the French as Mac Central European ("Le cafť
    # ťtait"), the German as cp775, the Polish as windows-1257.
    assert load(sentence.encode(encoding), name="short.txt").text == sentence
    # with its site's top-level domain, as browsers weigh it
    assert load(sentence.encode(encoding), url=f"https://news.example.{domain}/").text == sentence


@pytest.mark.parametrize("host", ["news.x\u2488y", "news.example.x\u2488y.", "news.a\u2489b"])
def test_a_top_level_domain_that_nfkc_splits_is_no_hint(host: str) -> None:
    # IDNA's NFKC makes "\u2488" "1.": chardetng was given a label with a period, and
    # panicked (a BaseException): it ended a whole reprocess of a WARC, past every
    # "except Exception", and "archiver extract -u" with a bare Rust traceback.
    sentence = "Le caf\u00e9 \u00e9tait ferm\u00e9 \u00e0 Paris, dit le ma\u00eetre."
    document = load(sentence.encode("latin-1"), url=f"http://{host}/a")
    assert document.text == sentence


def test_a_stray_byte_in_a_utf8_page_is_replaced_not_taken_for_another_encoding() -> None:
    paragraph = "Zażółć gęślą jaźń: sprzeciw wobec ataków na fundację, mówi rzecznik. " * 3
    page = (
        '<html><head><meta charset="UTF-8"><title>Sprzeciw</title></head><body><article>'
        + "".join(f"<p>{paragraph}</p>" for _ in range(6))
        + "</article></body></html>"
    ).encode()
    broken = page.replace(b"rzecznik", b"rzecz\xa0nik", 1)
    document, article = load(broken, name="stray.html"), extract(broken, name="stray.html")
    assert document.encoding == "utf-8"
    assert "Zażółć gęślą jaźń" in article.text and "rzecz\ufffdnik" in document.text


@pytest.mark.parametrize("where", ["cut", "stray"])
def test_an_undeclared_utf8_text_with_a_bad_byte_stays_utf8(where: str) -> None:
    # Cut inside its last character, or with one Latin-1 byte: chardetng never names
    # UTF-8 with an error in it, and all the text was windows-1252 mojibake.
    text = (
        "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430.\n"
        * 40
    )
    raw = text.encode()[:-2] if where == "cut" else text.encode() + b"caf\xe9\n"
    document = load(raw, name="dump.txt")
    assert document.encoding == "utf-8" and document.text.startswith(text[:200])
    # but a Latin-1 text, which holds no UTF-8 sequence, is no UTF-8
    assert load("Le caf\u00e9 \u00e9tait ferm\u00e9.".encode("latin-1")).encoding == "windows-1252"


def test_a_utf8_page_with_a_pasted_latin1_paragraph_stays_utf8() -> None:
    # Ten stray bytes in 19 kB were over the one-in-10,000 allowance: the page was read
    # as Mac Roman, every curly quote and dash garbled.
    paragraph = (
        "<p>The council\u2019s vote \u2014 on Tuesday \u2014 was \u201ca decisive step\u201d.</p>"
    )
    pasted = "<p>Le maire a d\u00e9clar\u00e9: \u00ab une \u00e9tape d\u00e9cisive \u00bb.</p>"
    page = (
        b"<html><head><meta charset='utf-8'><title>Harbour</title></head><body><article>"
        + (paragraph * 200).encode()
        + pasted.encode("latin-1")
        + b"</article></body></html>"
    )
    assert len(page) > 10_000 and sum(byte > 127 for byte in pasted.encode("latin-1")) == 6
    document = load(page, name="pasted.html", content_type="text/html; charset=utf-8")
    assert document.encoding == "utf-8"
    assert "council\u2019s vote \u2014 on" in document.text
    assert "Le maire a d\ufffdclar\ufffd" in document.text


def test_a_page_declared_utf8_in_another_encoding_is_still_decoded_by_its_bytes() -> None:
    page = greek_html(declare=False).replace(b"<head>", b'<head><meta charset="utf-8">', 1)
    assert b'charset="utf-8"' in page
    assert load(page, name="greek.html").encoding.replace("_", "-") in {"cp1253", "windows-1253"}


def test_a_page_that_begins_with_a_long_style_block_is_html() -> None:
    rule = "  .box { opacity: 1; transition: transform 0.4s; }\n"
    style = "<style>\n" + rule * 300 + "</style>\n"
    page = (style + "<div><h1>Plants as storytellers</h1><p>" + "Living archives. " * 20).encode()
    assert len(style) > 8192
    document = load(page, name="styled.html")
    assert document.kind == "html"
    assert ".box" not in extract(page, name="styled.html").text


#: A page in an encoding that does not write ASCII as ASCII: the bytes, a Content-Type.
WIDE_PAGES = [
    pytest.param(codecs.BOM_UTF16_LE + greek_page().encode("utf-16-le"), None, id="utf-16le-bom"),
    pytest.param(codecs.BOM_UTF16_BE + greek_page().encode("utf-16-be"), None, id="utf-16be-bom"),
    pytest.param(codecs.BOM_UTF32_LE + greek_page().encode("utf-32-le"), None, id="utf-32le-bom"),
    pytest.param(
        greek_page().encode("utf-16-le"), "text/html; charset=utf-16", id="utf-16le-declared"
    ),
    pytest.param(greek_page().encode("utf-16-le"), None, id="utf-16le-undeclared"),
    pytest.param(greek_page().encode("utf-16-be"), None, id="utf-16be-undeclared"),
]


@pytest.mark.parametrize(("data", "content_type"), WIDE_PAGES)
def test_a_utf16_or_utf32_page_is_html(data: bytes, content_type: str | None) -> None:
    # "<html" is written with NULs between its letters: it is HTML all the same.
    document = load(data, name="greek.html", content_type=content_type)
    assert document.kind == "html"
    assert document.text == greek_page()
    article = extract(data, name="greek.html", content_type=content_type)
    assert article.input_kind == "html"
    assert GREEK_PARAGRAPHS[0] in article.text and "<p>" not in article.text


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(codecs.BOM_UTF16_LE + GREEK_TEXT.encode("utf-16-le"), None, id="bom"),
        pytest.param(GREEK_TEXT.encode("utf-16-le"), "text/plain; charset=utf-16", id="declared"),
        # Without a mark or a charset, it was refused as binary data: its NULs, each on the
        # same side of a byte pair, are those of UTF-16 (its spaces, line ends, digits).
        pytest.param(GREEK_TEXT.encode("utf-16-le"), None, id="undeclared-le"),
        pytest.param(GREEK_TEXT.encode("utf-16-be"), None, id="undeclared-be"),
    ],
)
def test_a_utf16_text_dump_is_still_a_text_dump(data: bytes, content_type: str | None) -> None:
    document = load(data, name="greek.txt", content_type=content_type)
    assert document.kind == "text"
    assert document.text == GREEK_TEXT
    assert GREEK_PARAGRAPHS[0] in extract(data, name="greek.txt", content_type=content_type).text


@pytest.mark.parametrize("encoding", ["utf-16le", "utf-16be"])
def test_a_utf16_text_file_without_a_byte_order_mark_is_archived(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "council.txt"
    path.write_bytes(ENGLISH_PAGE.encode(encoding))
    document, article = process_file(path)
    assert (document.kind, document.encoding) == ("text", encoding)
    assert document.text == ENGLISH_PAGE
    assert article.title == "Council approves the new harbour plan"
    assert article.text == extract(ENGLISH_PAGE.encode(), name="council.txt").text


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x00\x01" * 100, id="short-integers"),  # all controls, read as UTF-16
        pytest.param(b"\x00" + GREEK_TEXT.encode("utf-16-le"), id="utf-16-one-byte-off"),
    ],
)
def test_nuls_on_one_side_of_pairs_that_are_no_utf16_text_are_binary(data: bytes) -> None:
    with pytest.raises(BinaryInputError, match="binary data"):
        load(data, name="data.txt")


def test_a_page_after_a_utf8_byte_order_mark_is_html() -> None:
    # It opens like HTML once the mark is read, as browsers read it first.
    page = codecs.BOM_UTF8 + f"<!DOCTYPE html><p>{GREEK_PARAGRAPHS[0]}</p>".encode()
    assert load(page, name="greek.html").kind == "html"


def test_a_greek_windows_1253_text_dump_decodes_and_extracts(tmp_path: Path) -> None:
    path = tmp_path / "greek.txt"
    path.write_bytes(greek_text())
    document, article = process_file(path)
    assert document.text.split("\n\n") == [GREEK_TITLE, *GREEK_PARAGRAPHS]
    for word in GREEK_WORDS:
        assert word in article.text


def test_a_broken_symlink_is_named_with_its_cause(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(InputError) as info:
        process_file(link)
    assert info.value.source == str(link)
    assert "broken symbolic link" in info.value.message


def test_a_folder_named_like_a_file_is_named_with_its_cause(tmp_path: Path) -> None:
    folder = tmp_path / "x.txt"
    folder.mkdir()
    with pytest.raises(InputError) as info:
        process_file(folder)
    assert info.value.source == str(folder)
    assert "is a directory" in info.value.message


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as info:
        process_file(fifo)  # opening it would block until a writer came
    assert info.value.source == str(fifo)
    assert "not a regular file" in info.value.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_named_with_its_cause(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(ENGLISH_PAGE)
    path.chmod(0)
    try:
        with pytest.raises(InputError) as info:
            process_file(path)
    finally:
        path.chmod(0o644)
    assert info.value.source == str(path)
    assert "permission denied" in info.value.message


# --- a whole run ------------------------------------------------------------------------


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """A folder of good and bad inputs, as a user might point the archiver at."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "a_good.txt").write_text(ENGLISH_PAGE, encoding="utf-8")
    (folder / "greek.html").write_bytes(greek_html(declare=False))
    for name, content, _, _ in BAD_INPUTS:
        (folder / name).write_bytes(content)
    make_large(folder / "huge.txt")
    (folder / "broken.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "folder.txt").mkdir()  # a folder is walked, not read: nothing in it
    if os.geteuid() != 0:
        locked = folder / "locked.txt"
        locked.write_text(ENGLISH_PAGE)
        locked.chmod(0)
    return folder


def expected_failures(folder: Path) -> dict[str, str]:
    """Input path -> words its error message must hold."""
    failures = {str(folder / name): cause for name, _, _, cause in BAD_INPUTS}
    failures[str(folder / "huge.txt")] = "limit"
    failures[str(folder / "broken.txt")] = "broken symbolic link"
    failures[str(folder / "loop.txt")] = "too many levels of symbolic links"
    if os.geteuid() != 0:
        failures[str(folder / "locked.txt")] = "permission denied"
    return failures


def test_a_run_archives_the_good_inputs_and_names_each_bad_one(
    tmp_path: Path, mixed_folder: Path
) -> None:
    out = tmp_path / "out.warc.gz"
    report = reprocess([mixed_folder], out)
    failures = expected_failures(mixed_folder)
    assert {f.source for f in report.failures} == set(failures)
    for failure in report.failures:
        assert failures[failure.source] in failure.message
        assert failure.error in {
            "EmptyInputError",
            "BinaryInputError",
            "InputTooLargeError",
            "InputError",
            "NotHtmlError",
        }
    archived = list(warc.read(out))
    assert len(archived) == len(report) == 2
    assert any(all(word in a.text for word in GREEK_WORDS) for a in archived)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "out.warc.gz"]


def test_the_cli_prints_one_error_line_per_bad_input(tmp_path: Path, mixed_folder: Path) -> None:
    out = tmp_path / "out.warc.gz"
    result = CliRunner().invoke(main, ["reprocess", str(mixed_folder), "-o", str(out)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    failures = expected_failures(mixed_folder)
    assert len(errors) == len(failures)
    for source, cause in failures.items():
        assert any(line.startswith(f"error: {source}: ") and cause in line for line in errors)
    assert "Traceback" not in result.stderr
    rows = result.stdout.splitlines()[1:]  # after the header
    assert [row.split("\t")[0] for row in rows] == [
        str(mixed_folder / "a_good.txt"),
        str(mixed_folder / "greek.html"),
    ]
    assert len(list(warc.read(out))) == 2
    assert not list(tmp_path.glob("*.open"))


@pytest.mark.parametrize("how", ["parent-is-a-file", "output-is-a-folder", "read-only-folder"])
def test_an_output_that_cannot_be_written_is_a_usage_error(tmp_path: Path, how: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text(ENGLISH_PAGE, encoding="utf-8")
    if how == "parent-is-a-file":
        out = good / "out.warc.gz"
    elif how == "output-is-a-folder":
        out = tmp_path / "folder.warc.gz"
        out.mkdir()
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        out = locked / "out.warc.gz"
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["reprocess", str(good), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {out}: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing was processed
    assert sorted(tmp_path.rglob("*")) == before  # and nothing written


def test_every_bad_input_error_is_an_archiver_error() -> None:
    # What lets callers catch one class for every input problem.
    for _, _, error, _ in BAD_INPUTS:
        assert issubclass(error, ArchiverError)


def test_file_names_that_are_not_utf8_are_archived_and_named(tmp_path: Path) -> None:
    """A name with bytes that are not UTF-8 (Python holds them as lone surrogates) once
    ended the whole run with an internal error: the metadata record could not be written."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text(ENGLISH_PAGE, encoding="utf-8")
    (folder / os.fsdecode(b"bin\xff.html")).write_bytes(b"\x00\x01" * 100)
    out = tmp_path / "out.warc.gz"
    report = reprocess([folder], out)
    assert [a.title for a in report.articles] == ["Council approves the new harbour plan"]
    assert [f.source for f in report.failures] == [str(folder / "bin") + "\\xff.html"]
    warcio_check(out)
    # The output's own name goes in its warcinfo record.
    odd = tmp_path / os.fsdecode(b"out\xfe.warc.gz")
    assert len(reprocess([folder], odd)) == 1
    warcio_check(Path(shutil.copy(odd, tmp_path / "copy.warc.gz")))  # its report quotes the name
    # A WARC input's name goes in the metadata records of its re-extraction.
    again = tmp_path / "again.warc.gz"
    assert len(reprocess([odd], again)) == 1
    warcio_check(again)


def test_a_path_given_as_the_page_is_an_input_error(tmp_path: Path) -> None:
    """bytes() of a Path is its name: extract(Path(...)) once returned an Article of
    the file's name, without a word of warning. Any buffer is a page's bytes."""
    page = tmp_path / "page.txt"
    page.write_text(ENGLISH_PAGE, encoding="utf-8")
    with pytest.raises(InputError, match=r"^<input>: the page must be bytes or str, not Posix"):
        extract(page)  # type: ignore[arg-type]
    title = "Council approves the new harbour plan"
    assert extract(page.read_bytes()).title == title
    assert extract(bytearray(page.read_bytes())).title == title


def test_an_error_quotes_a_name_that_is_blank_or_not_printable(tmp_path: Path) -> None:
    """A newline in a file name once split its error line in two, and an empty URL
    read "error: : unsupported URL scheme"."""
    assert str(InputError("input is empty", source="")) == "'': input is empty"
    assert str(InputError("input is empty", source="a.txt")) == "a.txt: input is empty"
    binary = tmp_path / "two\nlines.html"
    binary.write_bytes(b"\x00" * 100)
    missing = tmp_path / "tab\there.html"
    out = str(tmp_path / "out.warc.gz")
    result = CliRunner().invoke(main, ["reprocess", str(binary), str(missing), "-o", out])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {str(binary)!r}: input is binary data (it holds NUL bytes), not a page",
        f"error: {str(missing)!r}: no such file or folder",
    ]
    result = CliRunner().invoke(main, ["get", "", "-o", out])
    assert "error: '': not an http(s) URL (no scheme)" in result.stderr
