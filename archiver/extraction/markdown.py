"""An Article as Markdown: YAML front matter, the title as a heading, the paragraphs.

The one Markdown renderer of every command (``extract``, ``read``, ``export``). The
front matter is written by PyYAML's ``safe_dump``, so that any value (a colon, a quote,
a newline, a string that looks like a date or a number) reads back as the same string.
The text is escaped where Markdown would read it as markup: a paragraph starting with
``#``, ``-``, ``1.`` or ``>`` stays a paragraph, and ``*``, ``_``, ``[`` or ``<`` in
it stay characters (CommonMark lets any ASCII punctuation be escaped with ``\\``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from ..article import Article

__all__ = ["front_matter", "to_markdown"]

#: What YAML 1.1 reads as a line break (or a byte-order mark) beside \n and \r: PyYAML
#: writes them as they are with allow_unicode, and reads them back as spaces, unless the
#: string is double-quoted, where they are escaped.
_YAML_SPECIAL = re.compile("[\x85\u2028\u2029\ufeff]")
#: Characters that are markup anywhere in a line: emphasis, code, links, HTML, escapes.
_INLINE = re.compile(r"([\\`*_\[\]<])")
#: ``&`` starts a character reference only when it looks like one.
_ENTITY = re.compile(r"&(?=#?\w+;)")
#: What makes a line something other than a paragraph's text when it starts it: a
#: heading, a quote, a list item, a thematic break or setext underline, a fence, a table.
_LINE_START = re.compile(r"^([#>+\-=~|])|^(\d{1,9})([.)])")
#: A heading's closing sequence (``#`` after a space, at the end), which Markdown would
#: drop from the title: escaping its first ``#`` makes it text.
_CLOSING_HASHES = re.compile(r"(?<= )#(?=#*$)")


#: The Article's fields in the front matter, in order (not the text, nor the captions).
_FRONT_MATTER = (
    "title",
    "description",
    "url",
    "site",
    "published",
    "authors",
    "section",
    "tags",
    "language",
    "source",
)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, double-quoting the strings that hold a YAML line break."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _YAML_SPECIAL.search(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def front_matter(article: Article, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The metadata shown in the front matter, in the order a reader looks for it: the
    Article's fields that have a value (as in its JSON), the words, the extractor as one
    string, then ``extra``."""
    data = article.to_dict()
    shown = {key: data[key] for key in _FRONT_MATTER}
    shown["words"] = article.word_count
    shown["extractor"] = str(article.extractor)
    shown.update(extra or {})
    return {key: value for key, value in shown.items() if value not in (None, "", [])}


def to_markdown(article: Article, extra: Mapping[str, Any] | None = None) -> str:
    """``article`` as a Markdown document, ending with a newline.

    ``extra`` adds fields to the front matter (``export`` adds the capture's URI and
    date). The title is a ``# `` heading, the paragraphs are separated by blank lines,
    and a line break inside a paragraph is kept as a hard break.
    """
    header = yaml.dump(
        front_matter(article, extra),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=2**30,  # one line a value: YAML would fold long ones
    )
    parts = [f"---\n{header}---"]
    title = " ".join((article.title or "").split())
    if title:
        parts.append("# " + _CLOSING_HASHES.sub(r"\\#", _escape_line(title)))
    parts += [_paragraph(text) for text in article.paragraphs]
    return "\n\n".join(parts) + "\n"


def _paragraph(text: str) -> str:
    lines = [_escape_line(line.strip()) for line in text.splitlines() if line.strip()]
    return "\\\n".join(lines)


def _escape_line(line: str) -> str:
    line = _ENTITY.sub(r"\\&", _INLINE.sub(r"\\\1", line))
    return _LINE_START.sub(_escape_start, line, count=1)


def _escape_start(match: re.Match[str]) -> str:
    if match[1]:
        return "\\" + match[1]
    return f"{match[2]}\\{match[3]}"
