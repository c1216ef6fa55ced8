"""The plumbing every SQLite repository shares: a record kept whole as JSON in `data` plus
the scalar columns queries filter and sort on (`Columns`), and timestamps as fixed-width
UTC text so that string order is time order."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from .base import DuplicateError, field_adapter
from .records import Page, page_of
from .sqlite_connection import Connection, SqlValue

M = TypeVar("M", bound=BaseModel)


class Connected(Protocol):
    @property
    def db(self) -> Connection: ...


def ts(value: datetime | None) -> str | None:
    """Fixed-width UTC text; naive datetimes are taken as UTC. Truncates to milliseconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    return to_jsonable_python(value)


def encode(value: Any) -> str:
    """JSON for a python-mode dump; datetimes anywhere become `ts()` text."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


Params = tuple[SqlValue, ...]


# What each record field puts in the scalar columns: the name of the one column it is copied
# to, or, for a field that fills several, a function giving them by name. Values are stored
# as `scalar` makes them; fields not named here live only in `data`.
Columns = dict[str, str | Callable[[Any], dict[str, Any]]]


def scalar(value: Any) -> SqlValue:
    """A record's value as its column holds it: datetimes as `ts` text, enums as their
    value, booleans as 0 or 1."""
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return int(value)
    return cast(SqlValue, value)


class Table(Generic[M]):
    """Record <-> row plumbing shared by the repositories."""

    def __init__(self, store: Connected, name: str, model: type[M], columns: Columns):
        self.store = store
        self.name = name
        self.model = model
        self.columns = columns

    @property
    def db(self) -> Connection:
        return self.store.db

    def load(self, data: str) -> M:
        return self.model.model_validate_json(data)

    def _row(self, fields: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for field, value in fields.items():
            column = self.columns.get(field)
            if isinstance(column, str):
                row[column] = scalar(value)
            elif column is not None:
                row.update((name, scalar(v)) for name, v in column(value).items())
        return row

    async def insert(self, record: M) -> M:
        data = encode(record.model_dump())
        stored = self.load(data)  # exactly what a later read returns
        fields = dict(stored)
        row = {"id": fields["id"], **self._row(fields), "data": data}
        names = ", ".join(row)
        marks = ", ".join("?" * len(row))
        try:
            await self.db.short(
                f"INSERT INTO {self.name} ({names}) VALUES ({marks})", tuple(row.values())
            )
        except sqlite3.IntegrityError as exc:
            raise DuplicateError(str(exc)) from exc
        return stored

    async def get(self, record_id: str) -> M | None:
        rows = await self.db.short(f"SELECT data FROM {self.name} WHERE id = ?", (record_id,))
        return self.load(rows[0][0]) if rows else None

    async def update(
        self, record_id: str, changes: dict[str, Any], where: str = "", params: Params = ()
    ) -> M | None:
        """Set top-level fields in one statement; `where` adds conditions (compare-and-set)."""
        if not changes:
            rows = await self.db.short(
                f"SELECT data FROM {self.name} WHERE id = ? {where}", (record_id, *params)
            )
            return self.load(rows[0][0]) if rows else None
        paths: list[str] = []
        path_values: list[str] = []
        fields: dict[str, Any] = {}
        for field, value in changes.items():
            adapter = field_adapter(self.model, field)
            text = encode(adapter.dump_python(adapter.validate_python(value)))
            if field in self.columns:  # its columns hold the value as it will read back
                fields[field] = adapter.validate_json(text)
            paths.append(f"'$.{field}', json(?)")
            path_values.append(text)
        row = self._row(fields)
        assignments = ", ".join(
            [f"data = json_set(data, {', '.join(paths)})", *(f"{c} = ?" for c in row)]
        )
        try:  # one statement, with the rows it changed
            rows = await self.db.short(
                f"UPDATE {self.name} SET {assignments} WHERE id = ? {where} RETURNING data",
                (*path_values, *row.values(), record_id, *params),
            )
        except sqlite3.IntegrityError as exc:
            raise DuplicateError(str(exc)) from exc
        return self.load(rows[0][0]) if rows else None

    async def page(
        self, where: str, params: Params, order: str, offset: int, limit: int
    ) -> Page[M]:
        count_rows = await self.db.rows(f"SELECT COUNT(*) FROM {self.name} {where}", params)
        rows = await self.db.rows(
            f"SELECT data FROM {self.name} {where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return page_of(self.model, [self.load(r[0]) for r in rows], count_rows[0][0])

    async def select(self, where: str, params: Params, order: str, limit: int = -1) -> list[M]:
        rows = await self.db.rows(
            f"SELECT data FROM {self.name} {where} ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [self.load(r[0]) for r in rows]


def sql_in(column: str, values: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    values = tuple(str(v) for v in values)
    if not values:
        return "0", ()
    return f"{column} IN ({', '.join('?' * len(values))})", values
