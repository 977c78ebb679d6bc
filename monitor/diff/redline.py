"""Word-level redline of one modified clause.

Two forms of the same diff: a list of ``(op, text)`` tokens for renderers (HTML ``<del>``/
``<ins>`` later) and a plain ``[-old-]{+new+}`` string for logs, the CLI and tests. Words are
compared in normalised form (case, quotes, dashes) but the original spelling is what is shown,
so a redline never reports a curly quote as a change.
"""

from __future__ import annotations

import difflib
from typing import Literal

from monitor.diff.normalize import clean

RedlineOp = Literal["equal", "delete", "insert"]
Token = tuple[RedlineOp, str]


def _cmp_word(word: str) -> str:
    # Trailing punctuation moves with sentence splits and list connectors; it is not a word change.
    return word.lower().strip(".,;:")


def redline_tokens(before: str, after: str) -> list[Token]:
    """Diff two texts word by word; consecutive words with the same op are merged into one token."""
    a = clean(before).split(" ") if before.strip() else []
    b = clean(after).split(" ") if after.strip() else []
    matcher = difflib.SequenceMatcher(
        None, [_cmp_word(w) for w in a], [_cmp_word(w) for w in b], autojunk=False
    )
    tokens: list[Token] = []

    def emit(op: RedlineOp, ws: list[str]) -> None:
        if not ws:
            return
        text = " ".join(ws)
        if tokens and tokens[-1][0] == op:
            tokens[-1] = (op, tokens[-1][1] + " " + text)
        else:
            tokens.append((op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            # Show the after spelling: it is the current document.
            emit("equal", b[j1:j2])
        else:
            emit("delete", a[i1:i2])
            emit("insert", b[j1:j2])
    return tokens


def redline_text(tokens: list[Token]) -> str:
    """Render tokens as ``[-deleted-]{+inserted+}`` with plain text between."""
    parts: list[str] = []
    for op, text in tokens:
        if op == "equal":
            parts.append(text)
        elif op == "delete":
            parts.append(f"[-{text}-]")
        else:
            parts.append(f"{{+{text}+}}")
    return " ".join(parts)


def redline(before: str, after: str) -> str:
    """Plain-string redline of two texts."""
    return redline_text(redline_tokens(before, after))
