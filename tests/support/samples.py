"""Realistic sample documents for crawl tests, taken from the bundled demo site."""

from __future__ import annotations

from monitor.sites.demo import document

SAMPLE_HTML = document("round1", "evergreen-ketamine.html").decode("utf-8")
SAMPLE_JSON = document("round1", "sample-mac-esketamine.json").decode("utf-8")


def sample_pdf() -> bytes:
    return document("round1", "bayside-spravato.pdf")
