"""Visible text of a labelled-corpus version file, by the corpus format's normative rules.

The corpus README defines where a label must occur: HTML parsed with lxml minus head, script,
style, noscript, template, svg, comments and hidden elements, text nodes joined by spaces; PDF
text as pdfminer.six extracts it (and as pypdf does); JSON string values under ``data``,
unescaped until stable and stripped of tags. Labels are compared after ``monitor.scoring.norm``.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "head")


def html_visible_text(raw: str) -> str:
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(raw, "lxml")
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for el in soup.find_all(True):
        if getattr(el, "decomposed", False) or el.attrs is None:
            continue
        style = (el.attrs.get("style") or "").replace(" ", "").lower()
        if "hidden" in el.attrs or el.attrs.get("aria-hidden") == "true" or "display:none" in style:
            el.decompose()
    return str(soup.get_text(" "))


def pdf_texts(path: Path) -> list[str]:
    """The text of a PDF as pdfminer.six and as pypdf extract it (labels must hold in both)."""
    from pdfminer.high_level import extract_text
    from pypdf import PdfReader

    pypdf_text = "\n".join((p.extract_text() or "") for p in PdfReader(path).pages)
    return [extract_text(path), pypdf_text]


def _unescape(value: str) -> str:
    for _ in range(4):
        unescaped = html.unescape(value)
        if unescaped == value:
            break
        value = unescaped
    return value


def json_visible_text(raw: str) -> str:
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(html_visible_text("<div>" + _unescape(value) + "</div>"))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(json.loads(raw).get("data", []))
    return "\n".join(parts)


def visible_texts(path: Path) -> list[str]:
    """Every reading of the file a label must be found in (one for HTML/JSON, two for PDF)."""
    if path.suffix == ".pdf":
        return pdf_texts(path)
    raw = path.read_bytes().decode("utf-8")  # the corpus stores UTF-8, declared or not
    if path.suffix == ".json":
        return [json_visible_text(raw)]
    return [html_visible_text(raw)]
