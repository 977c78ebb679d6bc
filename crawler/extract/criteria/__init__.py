"""Criteria values and the governing stance of a drug: one implementation for every reader.

The extractor fills ``Extraction.summaries`` with :func:`summarize`; the diff recomputes values
from clauses with :func:`drug_criteria` and :func:`governing_stance` (so an extractor change
cannot move a value without its text moving too); reports and the CLI show the summaries.
The wording rules live in :mod:`.rules`, the value keys are listed in :mod:`.values`.
"""

from __future__ import annotations

from .rules import CODING_KEYS, STANCE_RANK, fold_numbers
from .summary import governing_stance, indication_stances, summarize
from .values import drug_criteria, parse_clause, scope_text

__all__ = [
    "CODING_KEYS",
    "STANCE_RANK",
    "drug_criteria",
    "fold_numbers",
    "governing_stance",
    "indication_stances",
    "parse_clause",
    "scope_text",
    "summarize",
]
