"""Filters on many ids that do not grow a statement with the number of ids.

PostgreSQL refuses a statement with more than 65,535 bound parameters and SQLite one with more
than 32,766, so a plain ``IN (...)`` over every source of a large registry fails. Two ways out:

- :func:`chunked` splits the ids into slices of at most :data:`CHUNK` for statements whose
  results can be merged (one query per slice);
- :func:`one_of` keeps one statement with ONE parameter holding all ids (a PostgreSQL array,
  a JSON list read by SQLite's ``json_each``), for statements that must stay whole (ordered
  listings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ARRAY, Boolean, ColumnElement, Select, any_, bindparam, false, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import literal_column
from sqlalchemy.sql.compiler import SQLCompiler

T = TypeVar("T")

Column = ColumnElement[Any] | QueryableAttribute[Any]

# Well below both backends' parameter limits, and small enough for an index lookup per slice.
CHUNK = 1000


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class _OneOf(ColumnElement[bool]):
    """``column`` equals one of ``values``, rendered per dialect with a single parameter."""

    # The values are not bound parameters SQLAlchemy can see: never reuse a cached compilation.
    inherit_cache = False
    type = Boolean()

    def __init__(self, column: Column, values: list[Any]) -> None:
        self.column = column
        self.values = values


def one_of(column: Column, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one parameter, however many values (an empty list matches none)."""
    unique = list(dict.fromkeys(values))
    if not unique:
        return false()
    return _OneOf(column, unique)


@compiles(_OneOf)
def _plain_in(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    # Other backends: a plain IN list (fine for the few ids a user types).
    return compiler.process(element.column.in_(element.values), **kw)


@compiles(_OneOf, "postgresql")
def _pg_any(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    param = bindparam(None, element.values, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(param), **kw)


@compiles(_OneOf, "sqlite")
def _sqlite_json_each(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(element.values)))
    )
    return compiler.process(element.column.in_(listed.scalar_subquery()), **kw)
