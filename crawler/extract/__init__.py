"""Extraction engine: bytes of one stored version -> an :class:`Extraction`.

Pure functions: no database, no crawler, no clock. The format is sniffed from the content
type and the bytes (``%PDF`` magic, a JSON object), never from a file name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .model import Block, Clause, DrugSummary, Extraction

if TYPE_CHECKING:
    from .engine import EXTRACTOR_VERSION, extract, sniff_format

__all__ = [
    "EXTRACTOR_VERSION",
    "Block",
    "Clause",
    "DrugSummary",
    "Extraction",
    "extract",
    "sniff_format",
]


_LAZY = ("EXTRACTOR_VERSION", "extract", "sniff_format")


def __getattr__(name: str) -> Any:
    # The parsers (lxml, pypdfium2, the rule tables) load on first use, so code
    # that only needs the data model (the crawler's recrawl of unchanged pages) stays light.
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.engine")
    # Bind all three at once, so the next lookups skip this hook.
    for lazy in _LAZY:
        globals()[lazy] = getattr(module, lazy)
    return globals()[name]
