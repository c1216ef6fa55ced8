"""The MongoDB store, on PyMongo's async API.

A document is the record itself (`_id` = record id, datetimes as BSON dates, which keep
milliseconds) plus a few derived fields that queries sort on. Every write touches a single
document, so MongoDB's per-document atomicity is all the consistency the contract needs.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from . import mongo_feedback, mongo_models, mongo_releases
from .base import field_adapter
from .mongo_collection import Derived, Document, Documents
from .records import (
    AuditEntry,
    ContactMessage,
    DeliveryState,
    InputFile,
    Job,
    JobLane,
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

M = TypeVar("M", bound=BaseModel)

# Keep in step with mongo-init/02-indexes.js, which creates the same ones on a fresh server.
INDEXES: dict[str, list[IndexModel]] = {
    "users": [
        IndexModel([("email", ASCENDING)], unique=True),
        IndexModel([("created_at", DESCENDING)]),
    ],
    "jobs": [
        IndexModel([("timings.created", DESCENDING)]),
        IndexModel([("user_id", ASCENDING), ("timings.created", DESCENDING)]),
        IndexModel([("owner", ASCENDING)]),
        IndexModel([("model", ASCENDING), ("timings.created", DESCENDING)]),
        IndexModel([("status", ASCENDING), ("timings.created", DESCENDING)]),
        IndexModel([("model", ASCENDING), ("timings.finished", ASCENDING)]),
        IndexModel([("release", ASCENDING)]),
    ],
    "messages": [
        IndexModel([("delivery", ASCENDING), ("next_attempt_at", ASCENDING)]),
        IndexModel([("created_at", DESCENDING)]),
    ],
    "audit": [IndexModel([("at", DESCENDING)])],
    # The server drops a session once expires_at has passed; reads check the time too,
    # because that sweep runs only every minute or so.
    "sessions": [
        IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
    ],
    **mongo_models.INDEXES,
    **mongo_releases.INDEXES,
    **mongo_feedback.INDEXES,
}


# Jobs recorded before lanes existed have none: they are live.
_NOT_BACKGROUND = {"$nin": [str(lane) for lane in JobLane if lane.background]}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _first_input_name(inputs: list[InputFile]) -> str | None:
    return inputs[0].name if inputs else None


def _total_ms(timings: Timings) -> float | None:
    return timings.total_ms  # None until finished


JOB_DERIVED: Derived = {
    "total_ms": ("timings", _total_ms),
    "first_input_name": ("inputs", _first_input_name),
}


def _substring(text: str) -> dict[str, Any]:
    return {"$regex": re.escape(text), "$options": "i"}


class MongoUsers:
    def __init__(self, store: MongoStore):
        self._c = Documents(store, "users", User)

    async def create(self, user: User) -> User:
        return await self._c.insert(user.model_copy(update={"email": user.email.lower()}))

    async def get(self, user_id: str) -> User | None:
        return await self._c.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return await self._c.find_one({"email": email.lower()})

    async def update(
        self, user_id: str, changes: dict[str, Any], only_if: dict[str, str] | None = None
    ) -> User | None:
        if isinstance(changes.get("email"), str):
            changes = {**changes, "email": changes["email"].lower()}
        for field in only_if or {}:
            field_adapter(User, field)  # a known field, as the SQLite store checks
        return await self._c.update(user_id, changes, only_if)

    async def delete(self, user_id: str) -> bool:
        result = await self._c.coll.delete_one({"_id": user_id})
        return result.deleted_count > 0

    async def page(self, offset: int = 0, limit: int = 50, email: str | None = None) -> Page[User]:
        query = {"email": _substring(email.lower())} if email else {}
        return await self._c.page(
            query, [("created_at", DESCENDING), ("_id", DESCENDING)], offset, limit
        )

    async def count(self, role: Role | None = None) -> int:
        return await self._c.coll.count_documents({} if role is None else {"role": str(role)})


_JOB_SORT_FIELDS = {
    JobSort.created: "timings.created",
    JobSort.model: "model",
    JobSort.status: "status",
    JobSort.user: "user_email",
    JobSort.name: "first_input_name",
    JobSort.duration: "total_ms",
}


def _created_range(since: datetime | None, until: datetime | None) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if since is not None:
        bounds["$gte"] = _utc(since)
    if until is not None:
        bounds["$lt"] = _utc(until)
    return {"timings.created": bounds} if bounds else {}


class MongoJobs:
    def __init__(self, store: MongoStore):
        self._c = Documents(store, "jobs", Job, JOB_DERIVED)

    async def create(self, job: Job) -> Job:
        return await self._c.insert(job)

    async def get(self, job_id: str) -> Job | None:
        return await self._c.get(job_id)

    async def update(
        self,
        job_id: str,
        changes: dict[str, Any],
        only_if_status: Collection[JobStatus] | None = None,
        only_if_attempts: int | None = None,
    ) -> Job | None:
        condition: dict[str, Any] = {}
        if only_if_status is not None:
            condition["status"] = {"$in": [str(s) for s in only_if_status]}
        if only_if_attempts is not None:
            condition["attempts"] = only_if_attempts
        return await self._c.update(job_id, changes, condition or None)

    async def delete(self, job_id: str) -> bool:
        result = await self._c.coll.delete_one({"_id": job_id})
        return result.deleted_count > 0

    async def set_user_email(self, user_id: str, user_email: str) -> int:
        result = await self._c.coll.update_many(
            {"user_id": user_id}, {"$set": {"user_email": user_email}}
        )
        return result.modified_count

    async def adopt(self, owner: str, user_id: str, user_email: str) -> int:
        result = await self._c.coll.update_many(
            {"owner": owner, "user_id": None},
            {"$set": {"user_id": user_id, "user_email": user_email, "owner": None}},
        )
        return result.modified_count

    async def query(self, q: JobQuery) -> Page[Job]:
        query: dict[str, Any] = {}
        for field, value in (
            ("model", q.model),
            ("user_id", q.user_id),
            ("status", q.status),
            ("model_version", q.version),
            ("release", q.release),
        ):
            if value is not None:
                query[field] = str(value)
        if q.lane is JobLane.live:
            query["lane"] = _NOT_BACKGROUND
        elif q.lane is not None:
            query["lane"] = str(q.lane)
        if q.user:
            query["user_email"] = _substring(q.user)
        if q.name:
            query["inputs.name"] = _substring(q.name)
        query.update(_created_range(q.since, q.until))
        direction = DESCENDING if q.descending else ASCENDING
        sort = [(_JOB_SORT_FIELDS[q.sort], direction), ("_id", direction)]
        if q.sort is not JobSort.duration:
            return await self._c.page(query, sort, q.offset, q.limit)
        # MongoDB sorts null first ascending and last descending; unfinished jobs go last
        # both ways, so sort on a computed "unfinished" flag first.
        count = await self._c.coll.count_documents(query)
        pipeline: list[Document] = [
            {"$match": query},
            {"$addFields": {"_unfinished": {"$eq": [{"$ifNull": ["$total_ms", None]}, None]}}},
            {"$sort": {"_unfinished": ASCENDING, **dict(sort)}},
            {"$skip": q.offset},
            {"$limit": q.limit},
            {"$project": {"_unfinished": 0}},
        ]
        cursor = await self._c.coll.aggregate(pipeline)
        return Page[Job](data=[self._c.load(doc) async for doc in cursor], count=count)

    async def without_result_kind(self, limit: int) -> list[Job]:
        order = [("timings.created", ASCENDING), ("_id", ASCENDING)]
        return await self._c.find({"result_kind": None}, order, limit=limit)

    async def with_status(self, statuses: Collection[JobStatus]) -> list[Job]:
        return await self._c.find(
            {"status": {"$in": [str(s) for s in statuses]}},
            [("timings.created", ASCENDING), ("_id", ASCENDING)],
        )

    async def stat_rows(self, since: datetime | None, until: datetime | None) -> list[JobStatRow]:
        cursor = self._c.coll.find(
            {**_created_range(since, until), "lane": _NOT_BACKGROUND},
            {"model": 1, "status": 1, "timings.created": 1, "timings.model_ms": 1, "total_ms": 1},
        ).sort([("timings.created", ASCENDING), ("_id", ASCENDING)])
        return [
            JobStatRow(
                model=doc["model"],
                status=doc["status"],
                created=doc["timings"]["created"],
                total_ms=doc.get("total_ms"),
                model_ms=doc["timings"].get("model_ms"),
            )
            async for doc in cursor
        ]

    async def models_in_use(self) -> list[str]:
        return sorted(await self._c.coll.distinct("model"))

    async def expirable(self, model: str, finished_before: datetime, limit: int) -> list[Job]:
        query = {
            "model": model,
            "status": {"$in": [str(s) for s in JobStatus if s.terminal]},
            "timings.finished": {"$lt": _utc(finished_before)},
            "pinned": {"$ne": True},  # records written before retention have no field
            "files_expired_at": None,
        }
        return await self._c.find(
            query, [("timings.finished", ASCENDING), ("_id", ASCENDING)], limit=limit
        )

    async def storage(self) -> list[ModelStorage]:
        jobs: dict[str, int] = {}
        sizes: dict[str, int] = {}
        cursor = self._c.coll.find(
            {"files_expired_at": None}, {"model": 1, "inputs.size": 1, "artifacts.size": 1}
        )
        async for doc in cursor:
            model = doc["model"]
            jobs[model] = jobs.get(model, 0) + 1
            files = [*doc.get("inputs", []), *doc.get("artifacts", [])]
            sizes[model] = sizes.get(model, 0) + sum(int(f.get("size", 0)) for f in files)
        return [ModelStorage(model=m, jobs=n, bytes=sizes[m]) for m, n in sorted(jobs.items())]


class MongoMessages:
    def __init__(self, store: MongoStore):
        self._c = Documents(store, "messages", ContactMessage)

    async def create(self, message: ContactMessage) -> ContactMessage:
        return await self._c.insert(message)

    async def get(self, message_id: str) -> ContactMessage | None:
        return await self._c.get(message_id)

    async def update(self, message_id: str, changes: dict[str, Any]) -> ContactMessage | None:
        return await self._c.update(message_id, changes)

    async def page(self, offset: int = 0, limit: int = 50) -> Page[ContactMessage]:
        return await self._c.page(
            {}, [("created_at", DESCENDING), ("_id", DESCENDING)], offset, limit
        )

    async def due(self, now: datetime, limit: int = 20) -> list[ContactMessage]:
        unclaimed = [{"claimed_until": None}, {"claimed_until": {"$lte": _utc(now)}}]
        query = {**_due(now), "$and": [{"$or": unclaimed}]}
        return await self._c.find(
            query, [("created_at", ASCENDING), ("_id", ASCENDING)], limit=limit
        )

    async def claim(
        self, message_id: str, owner: str, now: datetime, until: datetime
    ) -> ContactMessage | None:
        free = [{"claimed_by": None}, {"claimed_by": owner}, {"claimed_until": {"$lte": _utc(now)}}]
        return await self._c.update(
            message_id,
            {"claimed_by": owner, "claimed_until": until},
            {**_due(now), "$and": [{"$or": free}]},
        )


def _due(now: datetime) -> dict[str, Any]:
    return {
        "delivery": {"$in": [DeliveryState.pending.value, DeliveryState.retrying.value]},
        "$or": [{"next_attempt_at": None}, {"next_attempt_at": {"$lte": _utc(now)}}],
    }


class MongoAudit:
    def __init__(self, store: MongoStore):
        self._c = Documents(store, "audit", AuditEntry)

    async def add(self, entry: AuditEntry) -> AuditEntry:
        return await self._c.insert(entry)

    async def page(
        self, offset: int = 0, limit: int = 50, action: str | None = None
    ) -> Page[AuditEntry]:
        query: dict[str, Any] = {}
        if action is not None and action.endswith("."):
            query["action"] = {"$regex": "^" + re.escape(action)}
        elif action is not None:
            query["action"] = action
        return await self._c.page(query, [("at", DESCENDING), ("_id", DESCENDING)], offset, limit)


class MongoSessions:
    def __init__(self, store: MongoStore):
        self._c = Documents(store, "sessions", Session)

    async def create(self, session: Session) -> Session:
        return await self._c.insert(session)

    async def get(self, session_id: str) -> Session | None:
        return await self._c.find_one({"_id": session_id, **_unexpired()})

    async def of_user(self, user_id: str) -> list[Session]:
        return await self._c.find(
            {"user_id": user_id, **_unexpired()}, [("created_at", DESCENDING), ("_id", DESCENDING)]
        )

    async def touch(self, session_id: str, at: datetime) -> None:
        await self._c.update(session_id, {"last_seen_at": at})

    async def delete(self, session_id: str, user_id: str | None = None) -> bool:
        query = {"_id": session_id} if user_id is None else {"_id": session_id, "user_id": user_id}
        result = await self._c.coll.delete_one(query)
        return result.deleted_count > 0

    async def delete_user(self, user_id: str, keep: str | None = None) -> int:
        result = await self._c.coll.delete_many({"user_id": user_id, "_id": {"$ne": keep}})
        return result.deleted_count


def _unexpired() -> dict[str, Any]:
    return {"expires_at": {"$gt": datetime.now(UTC)}}


class MongoMigrations:
    def __init__(self, store: MongoStore):
        self._store = store

    @property
    def _coll(self) -> AsyncCollection[Document]:
        return self._store.db["migrations"]

    async def applied(self, name: str) -> bool:
        return await self._coll.find_one({"_id": name}) is not None

    async def record(self, name: str) -> None:
        await self._coll.update_one(
            {"_id": name}, {"$setOnInsert": {"applied_at": datetime.now(UTC)}}, upsert=True
        )


class MongoStore:
    kind = "mongodb"

    def __init__(self, uri: str, db_name: str):
        self._uri = uri
        self._db_name = db_name
        self._client: AsyncMongoClient[Document] | None = None
        self._db: AsyncDatabase[Document] | None = None
        self.users = MongoUsers(self)
        self.jobs = MongoJobs(self)
        self.messages = MongoMessages(self)
        self.audit = MongoAudit(self)
        self.sessions = MongoSessions(self)
        self.migrations = MongoMigrations(self)
        self.models = mongo_models.MongoModels(self)
        self.versions = mongo_models.MongoVersions(self)
        self.releases = mongo_releases.MongoReleases(self)
        self.replays = mongo_releases.MongoReplays(self)
        self.flags = mongo_feedback.MongoFlags(self)

    @property
    def db(self) -> AsyncDatabase[Document]:
        if self._db is None:
            raise RuntimeError("MongoStore is not open")
        return self._db

    async def open(self) -> None:
        if self._client is not None:
            return
        client: AsyncMongoClient[Document] = AsyncMongoClient(self._uri, tz_aware=True, tzinfo=UTC)
        try:
            db = client[self._db_name]
            for name, indexes in INDEXES.items():
                await db[name].create_indexes(indexes)
        except BaseException:
            await client.close()
            raise
        self._client, self._db = client, db

    async def ping(self) -> None:
        await self.db.command("ping")

    async def close(self) -> None:
        if self._client is not None:
            client, self._client, self._db = self._client, None, None
            await client.close()
