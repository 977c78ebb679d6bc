"""Pydantic errors of a TOML file as ``file:line: field: message`` lines, all of them at once.

tomllib (and pydantic) know values, not where they were written. ``key_lines`` scans the text for
table headers and keys, so an error located at ``("crawl", "concurrency")`` or
``("source", 3, "url")`` points at the line to edit; a key that is missing points at its table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

Loc = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(text: str, pos: int) -> tuple[list[str], int] | None:
    """A (dotted) TOML key starting at ``pos``: its parts and the position after it."""
    parts: list[str] = []
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] in "\"'":
            quote = text[pos]
            end = text.find(quote, pos + 1)
            if end < 0:
                return None
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if not match:
                return None
            parts.append(match.group())
            pos = match.end()
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


def _value_end(text: str, pos: int) -> int:
    """The position just after the value starting at ``pos`` (arrays and strings may span lines)."""
    depth = 0
    n = len(text)
    while pos < n:
        ch = text[pos]
        if text.startswith(('"""', "'''"), pos):
            end = text.find(text[pos : pos + 3], pos + 3)
            pos = n if end < 0 else end + 3
            continue
        if ch in "\"'":
            end = pos + 1
            while end < n and text[end] != ch and text[end] != "\n":
                end += 2 if ch == '"' and text[end] == "\\" else 1
            pos = end + 1
            continue
        if ch == "#":
            eol = text.find("\n", pos)
            pos = n if eol < 0 else eol
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "\n" and depth <= 0:
            return pos
        pos += 1
    return pos


def key_lines(text: str) -> dict[Loc, int]:
    """Line number (1-based) of every table header and key, by its location in the data."""
    lines: dict[Loc, int] = {}
    arrays: dict[Loc, int] = {}  # array-of-tables path → number of tables so far
    table: Loc = ()

    def resolve(parts: Sequence[str]) -> Loc:
        out: list[str | int] = []
        for part in parts:
            out.append(part)
            count = arrays.get(tuple(out))
            if count:
                out.append(count - 1)  # a sub-table belongs to the latest [[array]] element
        return tuple(out)

    pos, n = 0, len(text)
    line_no, counted = 1, 0
    while pos < n:
        line_no += text.count("\n", counted, pos)  # counted once: linear in the file's size
        counted = pos
        while pos < n and text[pos] in " \t\r":
            pos += 1
        if pos >= n:
            break
        if text[pos] == "[":
            double = text.startswith("[[", pos)
            parsed = _key(text, pos + (2 if double else 1))
            if parsed:
                parts = parsed[0]
                if double:
                    head = (*resolve(parts[:-1]), parts[-1])
                    arrays[head] = arrays.get(head, 0) + 1
                    table = (*head, arrays[head] - 1)
                    lines.setdefault(head, line_no)
                else:
                    table = resolve(parts)
                lines[table] = line_no
        elif text[pos] not in "#\n":
            parsed = _key(text, pos)
            if parsed and parsed[1] < n and text[parsed[1]] == "=":
                parts, after = parsed
                for i in range(1, len(parts) + 1):
                    lines.setdefault((*table, *parts[:i]), line_no)
                pos = _value_end(text, after + 1)
                continue
        eol = text.find("\n", pos)
        pos = n if eol < 0 else eol + 1
    return lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of ``loc``, else of its nearest enclosing table or key; 1 when none is written."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


# Pydantic's words for the mistakes a hand-written TOML file has, in the file's own terms.
_TYPE_WORDS = {
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "list_type": 'must be a list such as ["a", "b"]',
    "model_type": "must be a table",
    "dict_type": "must be a table",
}


def describe(error: Any, allowed: Sequence[str] = (), allowed_label: str = "allowed") -> str:
    """One pydantic error as an instruction: what is wrong and what would be right."""
    kind, loc, value = error["type"], error["loc"], error.get("input")
    key = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key {key!r}; {allowed_label}: {', '.join(allowed)}"
    if kind == "missing":
        return "required key is missing"
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]}, got {type(value).__name__} {value!r}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind.startswith(("date_", "datetime_")):
        return f"{value!r} is not a date; write YYYY-MM-DD"
    return f"{error['msg']} (got {value!r})"


def error_lines(
    path: Path,
    text: str,
    exc: ValidationError,
    *,
    prefix: Loc = (),
    field_name: Callable[[Loc], str],
    allowed: Callable[[Loc], Sequence[str]],
    allowed_label: str = "allowed",
    lines: dict[Loc, int] | None = None,
) -> list[str]:
    """``file:line: field: message`` for each error of ``exc``; ``prefix`` locates the data."""
    lines = key_lines(text) if lines is None else lines
    out = []
    for error in exc.errors():
        loc = (*prefix, *error["loc"])
        where = line_of(lines, loc)
        message = describe(error, allowed(loc), allowed_label)
        out.append(f"{path}:{where}: {field_name(loc)}: {message}")
    return out
