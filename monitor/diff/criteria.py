"""Compatibility alias: criteria parsing lives in :mod:`monitor.extract.criteria`.

Kept only for callers outside the diff that still import from here: ``monitor/changes.py``
(``governing_stance``) and ``bench/diff.py`` (the clause-value cache ``_parse``, which it clears
before each timed run). New code imports from :mod:`monitor.extract.criteria`.
"""

from __future__ import annotations

from monitor.extract.criteria import governing_stance
from monitor.extract.criteria.values import _parse

__all__ = ["_parse", "governing_stance"]
