"""Extraction engine: bytes of one stored version -> an :class:`Extraction`.

Pure functions: no database, no crawler, no clock. The format is sniffed from the content
type and the bytes (``%PDF`` magic, a JSON object), never from a file name.
"""

from __future__ import annotations

from .extract import EXTRACTOR_VERSION, extract, sniff_format
from .model import Block, Clause, DrugSummary, Extraction

__all__ = [
    "EXTRACTOR_VERSION",
    "Block",
    "Clause",
    "DrugSummary",
    "Extraction",
    "extract",
    "sniff_format",
]
