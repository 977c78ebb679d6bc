"""CMS Coverage API responses (``{"meta": ..., "data": [...]}``) to blocks and facts.

Narrative fields hold HTML that the API escapes, sometimes twice (``&amp;lt;p&amp;gt;``), so
each string is unescaped until stable before it is read as HTML.
"""

from __future__ import annotations

import html as htmlmod
import json
from dataclasses import dataclass, field
from typing import Any

from .html import blocks_from_fragment
from .model import Block

# Field names the article/LCD detail endpoints use, with the heading a reader would see.
_FIELD_HEADINGS = {
    "description": "Article Guidance",
    "cms_cov_policy": "CMS National Coverage Policy",
    "indication": "Coverage Indications, Limitations, and/or Medical Necessity",
    "coverage_indications": "Coverage Indications, Limitations, and/or Medical Necessity",
    "other_comments": "Other Comments",
    "doc_reqs": "Documentation Requirements",
    "util_guide": "Utilization Guidelines",
    "coding_guidelines": "Coding Guidelines",
    "bibliography": "Bibliography",
    "keywords": "Keywords",
    "history_exp": "Revision History Explanation",
}
_TITLE_KEYS = ("title", "document_title", "lcd_title", "article_title")
_NUMBER_KEYS = ("display_id", "document_display_id", "lcd_display_id", "article_display_id")
_EFFECTIVE_KEYS = ("article_eff_date", "rev_eff_date", "effective_date", "orig_det_eff_date")
_UPDATED_KEYS = ("last_updated", "updated_on", "article_pub_date", "date_updated")


class JsonError(Exception):
    """The bytes are not a CMS Coverage API response."""


@dataclass
class CmsDocument:
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    number: str | None = None
    effective: str | None = None
    updated: str | None = None
    records: int = 0
    status: str = ""


def unescape_full(value: str) -> str:
    """HTML-unescape until nothing changes (the API may escape twice)."""
    for _ in range(5):
        new = htmlmod.unescape(value)
        if new == value:
            break
        value = new
    return value


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, (str, int)) and str(value).strip() and str(value) != "N/A":
            return unescape_full(str(value)).strip()
    return None


def parse_envelope(body: bytes) -> dict[str, Any]:
    """The decoded ``{meta, data}`` envelope; raise JsonError when the body is not one."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonError(f"invalid JSON: {exc}") from exc
    except RecursionError:  # hostile nesting ([[[[...]]]]): no real envelope is that deep
        raise JsonError("invalid JSON: nested too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise JsonError('not a CMS Coverage API envelope (no "data" list)')
    return doc


def read_cms_json(body: bytes) -> CmsDocument:
    """Parse an API envelope; raise JsonError when it is not one."""
    doc = parse_envelope(body)
    out = CmsDocument()
    meta = doc.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("status"), dict):
        out.status = str(meta["status"].get("message", ""))
    records = [r for r in doc["data"] if isinstance(r, dict)]
    out.records = len(records)
    for record in records:
        out.title = out.title or _first(record, _TITLE_KEYS)
        out.number = out.number or _first(record, _NUMBER_KEYS)
        out.effective = out.effective or _first(record, _EFFECTIVE_KEYS)
        out.updated = out.updated or _first(record, _UPDATED_KEYS)
        title = _first(record, _TITLE_KEYS) or ""
        if title:
            out.blocks.append(Block(kind="heading", text=title, level=1))
        for key, value in record.items():
            if not isinstance(value, str) or key in _TITLE_KEYS:
                continue
            text = unescape_full(value)
            if "<" not in text:
                continue  # scalar fields (ids, dates, codes) are facts, not narrative
            heading = _FIELD_HEADINGS.get(key, key.replace("_", " ").title())
            path = [title, heading] if title else [heading]
            out.blocks.append(Block(kind="heading", text=heading, heading_path=path[:-1], level=2))
            out.blocks.extend(blocks_from_fragment(text, path))
    return out
