"""The SQLite store: one file in WAL mode (its connections: `sqlite_connection.py`).

Each table keeps the whole record as JSON in `data` (so records round-trip exactly) plus
the scalar columns that queries filter and sort on. Datetimes are written as fixed-width
ISO-8601 UTC strings with milliseconds (`2024-05-01T12:00:00.000Z`), so string order is time
order; milliseconds are also all MongoDB keeps, which makes both backends read back the same.
Every write is one statement in autocommit mode; `update` changes the JSON with `json_set` in
the same statement as its compare-and-set, so no read-modify-write window exists.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from pydantic import BaseModel

from . import sqlite_feedback, sqlite_models, sqlite_releases
from .base import field_adapter
from .records import (
    AuditEntry,
    ContactMessage,
    DeliveryState,
    InputFile,
    Job,
    JobQuery,
    JobSort,
    JobStatRow,
    JobStatus,
    ModelStorage,
    Page,
    Role,
    Session,
    Timings,
    User,
)
from .sqlite_connection import Connection, SqlValue
from .sqlite_table import Columns, Params, Table, sql_in, ts

M = TypeVar("M", bound=BaseModel)

# Migrations run in order; PRAGMA user_version counts how many have been applied.
# Append new ones, never edit old ones. Each is a list of single statements.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            role TEXT NOT NULL,
            created_at TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX users_email ON users (email)",
        "CREATE INDEX users_created ON users (created_at)",
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            user_id TEXT,
            user_email TEXT,
            status TEXT NOT NULL,
            created TEXT NOT NULL,
            finished TEXT,
            total_ms REAL,
            first_name TEXT,
            names TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL
        )""",
        "CREATE INDEX jobs_created ON jobs (created)",
        "CREATE INDEX jobs_user_created ON jobs (user_id, created)",
        "CREATE INDEX jobs_model_created ON jobs (model, created)",
        "CREATE INDEX jobs_status_created ON jobs (status, created)",
        """CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            delivery TEXT NOT NULL,
            next_attempt_at TEXT,
            created_at TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX messages_due ON messages (delivery, next_attempt_at)",
        "CREATE INDEX messages_created ON messages (created_at)",
        """CREATE TABLE audit (
            id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX audit_at ON audit (at)",
        """CREATE TABLE revoked_tokens (
            jti TEXT PRIMARY KEY,
            expires_at TEXT NOT NULL
        )""",
        "CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at)",
    ],
    [  # retention: pinned jobs keep their files; expired ones are not swept again
        "ALTER TABLE jobs ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE jobs ADD COLUMN files_expired_at TEXT",
        "CREATE INDEX jobs_model_finished ON jobs (model, finished)",
    ],
    [  # the outbox claims a message before sending it (several API replicas)
        "ALTER TABLE messages ADD COLUMN claimed_by TEXT",
        "ALTER TABLE messages ADD COLUMN claimed_until TEXT",
    ],
    [  # data migrations run by the program, once each
        "CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    ],
    sqlite_models.TABLES,  # models and their versions, managed at run time
    [  # an anonymous visitor's jobs, by the owner token their browser holds
        "ALTER TABLE jobs ADD COLUMN owner TEXT",
        "CREATE INDEX jobs_owner ON jobs (owner) WHERE owner IS NOT NULL",
    ],
    [  # signed-in sessions replace the list of logged-out tokens
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX sessions_user ON sessions (user_id, created_at)",
        "CREATE INDEX sessions_expires ON sessions (expires_at)",
        "DROP TABLE revoked_tokens",
    ],
    [  # releases: the lane a job runs in, the version, the release or replay that sent it
        "ALTER TABLE jobs ADD COLUMN lane TEXT NOT NULL DEFAULT 'live'",
        "ALTER TABLE jobs ADD COLUMN model_version TEXT",
        "ALTER TABLE jobs ADD COLUMN release TEXT",
        "UPDATE jobs SET model_version = json_extract(data, '$.model_version')",
        "CREATE INDEX jobs_lane_model_created ON jobs (lane, model, created)",
        "CREATE INDEX jobs_release ON jobs (release) WHERE release IS NOT NULL",
        *sqlite_releases.TABLES,
    ],
    sqlite_feedback.TABLES,  # users' flags on results they think are wrong
]
SCHEMA_VERSION = len(MIGRATIONS)


def _lower(value: str | None) -> str | None:
    # Python's lower() is Unicode-aware; SQLite's built-in lower() only folds ASCII.
    return None if value is None else value.lower()


USER_COLUMNS: Columns = {"email": "email", "role": "role", "created_at": "created_at"}
SESSION_COLUMNS: Columns = {name: name for name in ("user_id", "created_at", "expires_at")}


def _timings_columns(t: Timings) -> dict[str, Any]:
    return {"created": t.created, "finished": t.finished, "total_ms": t.total_ms}


def _inputs_columns(inputs: list[InputFile]) -> dict[str, Any]:
    return {
        "first_name": inputs[0].name if inputs else None,
        "names": "\n".join(i.name.lower() for i in inputs),
    }


JOB_COLUMNS: Columns = {
    "model": "model",
    "user_id": "user_id",
    "user_email": "user_email",
    "status": "status",
    "timings": _timings_columns,
    "inputs": _inputs_columns,
    "pinned": "pinned",
    "files_expired_at": "files_expired_at",
    "owner": "owner",
    "lane": "lane",
    "model_version": "model_version",
    "release": "release",
}

MESSAGE_COLUMNS: Columns = {
    name: name
    for name in ("delivery", "next_attempt_at", "created_at", "claimed_by", "claimed_until")
}

AUDIT_COLUMNS: Columns = {"at": "at", "action": "action"}


class SqliteUsers:
    def __init__(self, store: SqliteStore):
        self._t = Table(store, "users", User, USER_COLUMNS)

    async def create(self, user: User) -> User:
        return await self._t.insert(user.model_copy(update={"email": user.email.lower()}))

    async def get(self, user_id: str) -> User | None:
        return await self._t.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        rows = await self._t.db.rows("SELECT data FROM users WHERE email = ?", (email.lower(),))
        return self._t.load(rows[0][0]) if rows else None

    async def update(
        self, user_id: str, changes: dict[str, Any], only_if: dict[str, str] | None = None
    ) -> User | None:
        if isinstance(changes.get("email"), str):
            changes = {**changes, "email": changes["email"].lower()}
        where, params = "", Params()
        for field, value in (only_if or {}).items():
            field_adapter(User, field)  # a known field: its name may go into the SQL
            where += f" AND json_extract(data, '$.{field}') = ?"
            params = (*params, value)
        return await self._t.update(user_id, changes, where, params)

    async def delete(self, user_id: str) -> bool:
        return await self._t.db.changed("DELETE FROM users WHERE id = ?", (user_id,)) > 0

    async def page(self, offset: int = 0, limit: int = 50, email: str | None = None) -> Page[User]:
        where, params = ("WHERE instr(email, ?) > 0", (email.lower(),)) if email else ("", ())
        return await self._t.page(where, params, "created_at DESC, id DESC", offset, limit)

    async def count(self, role: Role | None = None) -> int:
        if role is None:
            rows = await self._t.db.rows("SELECT COUNT(*) FROM users")
        else:
            rows = await self._t.db.rows("SELECT COUNT(*) FROM users WHERE role = ?", (str(role),))
        return int(rows[0][0])


_JOB_SORT_COLUMNS = {
    JobSort.created: "created",
    JobSort.model: "model",
    JobSort.status: "status",
    JobSort.user: "user_email",
    JobSort.name: "first_name",
    JobSort.duration: "total_ms",
}


class SqliteJobs:
    def __init__(self, store: SqliteStore):
        self._t = Table(store, "jobs", Job, JOB_COLUMNS)

    async def create(self, job: Job) -> Job:
        return await self._t.insert(job)

    async def get(self, job_id: str) -> Job | None:
        return await self._t.get(job_id)

    async def update(
        self,
        job_id: str,
        changes: dict[str, Any],
        only_if_status: Collection[JobStatus] | None = None,
        only_if_attempts: int | None = None,
    ) -> Job | None:
        where = ""
        params: Params = ()
        if only_if_status is not None:
            condition, params = sql_in("status", only_if_status)
            where = f"AND {condition}"
        if only_if_attempts is not None:
            where += " AND COALESCE(json_extract(data, '$.attempts'), 0) = ?"
            params = (*params, only_if_attempts)
        return await self._t.update(job_id, changes, where, params)

    async def delete(self, job_id: str) -> bool:
        return await self._t.db.changed("DELETE FROM jobs WHERE id = ?", (job_id,)) > 0

    async def set_user_email(self, user_id: str, user_email: str) -> int:
        return await self._t.db.changed(
            "UPDATE jobs SET user_email = ?, data = json_set(data, '$.user_email', ?) "
            "WHERE user_id = ?",
            (user_email, user_email, user_id),
        )

    async def adopt(self, owner: str, user_id: str, user_email: str) -> int:
        return await self._t.db.changed(
            "UPDATE jobs SET user_id = ?, user_email = ?, owner = NULL, data = json_set(data, "
            "'$.user_id', ?, '$.user_email', ?, '$.owner', json('null')) "
            "WHERE owner = ? AND user_id IS NULL",
            (user_id, user_email, user_id, user_email, owner),
        )

    async def query(self, q: JobQuery) -> Page[Job]:
        conditions: list[str] = []
        params: list[SqlValue] = []
        for column, value in (
            ("model", q.model),
            ("user_id", q.user_id),
            ("status", q.status),
            ("model_version", q.version),
            ("lane", q.lane),
            ("release", q.release),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(str(value))
        if q.user:
            conditions.append("instr(unicode_lower(user_email), ?) > 0")
            params.append(q.user.lower())
        if q.name:
            conditions.append("instr(names, ?) > 0")
            params.append(q.name.lower())
        if q.since is not None:
            conditions.append("created >= ?")
            params.append(ts(q.since))
        if q.until is not None:
            conditions.append("created < ?")
            params.append(ts(q.until))
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        direction = "DESC" if q.descending else "ASC"
        column = _JOB_SORT_COLUMNS[q.sort]
        order = f"{column} {direction}, id {direction}"
        if q.sort is JobSort.duration:
            order = f"total_ms IS NULL, {order}"  # unfinished last either way
        return await self._t.page(where, tuple(params), order, q.offset, q.limit)

    async def without_result_kind(self, limit: int) -> list[Job]:
        where = "WHERE json_extract(data, '$.result_kind') IS NULL"
        return await self._t.select(where, (), "created ASC, id ASC", limit)

    async def with_status(self, statuses: Collection[JobStatus]) -> list[Job]:
        condition, params = sql_in("status", statuses)
        return await self._t.select(f"WHERE {condition}", params, "created ASC, id ASC")

    async def stat_rows(self, since: datetime | None, until: datetime | None) -> list[JobStatRow]:
        conditions: list[str] = ["lane = 'live'"]  # releases' background work is not usage
        params: list[SqlValue] = []
        if since is not None:
            conditions.append("created >= ?")
            params.append(ts(since))
        if until is not None:
            conditions.append("created < ?")
            params.append(ts(until))
        rows = await self._t.db.rows(
            "SELECT model, status, created, total_ms,"
            " json_extract(data, '$.timings.model_ms') FROM jobs"
            f" WHERE {' AND '.join(conditions)} ORDER BY created, id",
            params,
        )
        return [
            JobStatRow(model=m, status=s, created=c, total_ms=t, model_ms=mm)
            for m, s, c, t, mm in rows
        ]

    async def models_in_use(self) -> list[str]:
        rows = await self._t.db.rows("SELECT DISTINCT model FROM jobs ORDER BY model")
        return [r[0] for r in rows]

    async def expirable(self, model: str, finished_before: datetime, limit: int) -> list[Job]:
        condition, params = sql_in("status", _TERMINAL)
        return await self._t.select(
            f"WHERE model = ? AND {condition} AND finished < ? AND pinned = 0"
            " AND files_expired_at IS NULL",
            (model, *params, ts(finished_before)),
            "finished ASC, id ASC",
            limit,
        )

    async def storage(self) -> list[ModelStorage]:
        sizes = "(SELECT COALESCE(SUM(json_extract(value, '$.size')), 0) FROM json_each(data, ?))"
        rows = await self._t.db.rows(
            f"SELECT model, COUNT(*), SUM({sizes} + {sizes}) FROM jobs"
            " WHERE files_expired_at IS NULL GROUP BY model ORDER BY model",
            ("$.inputs", "$.artifacts"),
        )
        return [ModelStorage(model=m, jobs=n, bytes=int(b or 0)) for m, n, b in rows]


_TERMINAL = [s for s in JobStatus if s.terminal]


class SqliteMessages:
    def __init__(self, store: SqliteStore):
        self._t = Table(store, "messages", ContactMessage, MESSAGE_COLUMNS)

    async def create(self, message: ContactMessage) -> ContactMessage:
        return await self._t.insert(message)

    async def get(self, message_id: str) -> ContactMessage | None:
        return await self._t.get(message_id)

    async def update(self, message_id: str, changes: dict[str, Any]) -> ContactMessage | None:
        return await self._t.update(message_id, changes)

    async def page(self, offset: int = 0, limit: int = 50) -> Page[ContactMessage]:
        return await self._t.page("", (), "created_at DESC, id DESC", offset, limit)

    async def due(self, now: datetime, limit: int = 20) -> list[ContactMessage]:
        condition, params = _due(now)
        return await self._t.select(
            f"WHERE {condition} AND (claimed_until IS NULL OR claimed_until <= ?)",
            (*params, ts(now)),
            "created_at ASC, id ASC",
            limit,
        )

    async def claim(
        self, message_id: str, owner: str, now: datetime, until: datetime
    ) -> ContactMessage | None:
        condition, params = _due(now)
        return await self._t.update(
            message_id,
            {"claimed_by": owner, "claimed_until": until},
            f"AND {condition} AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)",
            (*params, owner, ts(now)),
        )


def _due(now: datetime) -> tuple[str, tuple[str | None, ...]]:
    condition, params = sql_in("delivery", (DeliveryState.pending, DeliveryState.retrying))
    return (
        f"{condition} AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
        (*params, ts(now)),
    )


class SqliteAudit:
    def __init__(self, store: SqliteStore):
        self._t = Table(store, "audit", AuditEntry, AUDIT_COLUMNS)

    async def add(self, entry: AuditEntry) -> AuditEntry:
        return await self._t.insert(entry)

    async def page(
        self, offset: int = 0, limit: int = 50, action: str | None = None
    ) -> Page[AuditEntry]:
        where: str = ""
        params: Params = ()
        if action is not None and action.endswith("."):
            where, params = "WHERE substr(action, 1, ?) = ?", (len(action), action)
        elif action is not None:
            where, params = "WHERE action = ?", (action,)
        return await self._t.page(where, params, "at DESC, id DESC", offset, limit)


class SqliteSessions:
    def __init__(self, store: SqliteStore):
        self._t = Table(store, "sessions", Session, SESSION_COLUMNS)

    async def create(self, session: Session) -> Session:
        # Forgetting expired sessions here keeps the table small without a sweeper task.
        await self._t.db.changed("DELETE FROM sessions WHERE expires_at <= ?", (ts(_now()),))
        return await self._t.insert(session)

    async def get(self, session_id: str) -> Session | None:
        found = await self._t.select(
            "WHERE id = ? AND expires_at > ?", (session_id, ts(_now())), "id"
        )
        return found[0] if found else None

    async def of_user(self, user_id: str) -> list[Session]:
        return await self._t.select(
            "WHERE user_id = ? AND expires_at > ?",
            (user_id, ts(_now())),
            "created_at DESC, id DESC",
        )

    async def touch(self, session_id: str, at: datetime) -> None:
        await self._t.update(session_id, {"last_seen_at": at})

    async def delete(self, session_id: str, user_id: str | None = None) -> bool:
        sql, params = "DELETE FROM sessions WHERE id = ?", Params((session_id,))
        if user_id is not None:
            sql, params = f"{sql} AND user_id = ?", (session_id, user_id)
        return await self._t.db.changed(sql, params) > 0

    async def delete_user(self, user_id: str, keep: str | None = None) -> int:
        return await self._t.db.changed(
            "DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?", (user_id, keep)
        )


class SqliteMigrations:
    def __init__(self, store: SqliteStore):
        self._store = store

    async def applied(self, name: str) -> bool:
        rows = await self._store.db.rows("SELECT 1 FROM migrations WHERE name = ?", (name,))
        return bool(rows)

    async def record(self, name: str) -> None:
        await self._store.db.changed(
            "INSERT INTO migrations (name, applied_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (name, ts(_now())),
        )


def _now() -> datetime:
    return datetime.now(UTC)


class SqliteStore:
    kind = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db: Connection | None = None
        self.users = SqliteUsers(self)
        self.jobs = SqliteJobs(self)
        self.messages = SqliteMessages(self)
        self.audit = SqliteAudit(self)
        self.sessions = SqliteSessions(self)
        self.migrations = SqliteMigrations(self)
        self.models = sqlite_models.SqliteModels(self)
        self.versions = sqlite_models.SqliteVersions(self)
        self.releases = sqlite_releases.SqliteReleases(self)
        self.replays = sqlite_releases.SqliteReplays(self)
        self.flags = sqlite_feedback.SqliteFlags(self)

    @property
    def db(self) -> Connection:
        if self._db is None:
            raise RuntimeError("SqliteStore is not open")
        return self._db

    async def open(self) -> None:
        if self._db is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await Connection.open(self.path, {"unicode_lower": _lower}, self._migrate)

    async def _migrate(self, db: aiosqlite.Connection) -> None:
        # The write lock is taken before reading the version, so two processes opening a
        # fresh file cannot both apply the same migration.
        await db.execute("BEGIN IMMEDIATE")
        try:
            version = list(await db.execute_fetchall("PRAGMA user_version"))[0][0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {version}; this program knows only up to"
                    f" {SCHEMA_VERSION}"
                )
            for statement in (s for migration in MIGRATIONS[version:] for s in migration):
                await db.execute(statement)
            if version != SCHEMA_VERSION:
                await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise

    async def ping(self) -> None:
        await self.db.rows("SELECT 1")

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()
