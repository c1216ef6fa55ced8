"""The storage seam: a `Store` with one repository per collection. `sqlite.py` and `mongo.py`
implement it; `tests/backend/store/` holds the one contract suite both must pass.

Both backends keep datetimes to the millisecond (all MongoDB stores) and return them as
timezone-aware UTC; `create`/`add`/`update` return the record as stored, so use what they
return rather than the object passed in when comparing times. Values in free-form `dict[str,
Any]` fields (params, result, details) should be JSON-compatible. Updates validate each
changed value against the record's field type and reject unknown fields (ValueError)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from pydantic import BaseModel, TypeAdapter

from .feedback_records import Flag, FlagQuery
from .model_records import ModelRecord, ModelVersion, VersionState
from .records import (
    AuditEntry,
    ContactMessage,
    DeliveryState,
    Job,
    JobQuery,
    JobStatRow,
    JobStatus,
    ModelStorage,
    Page,
    Role,
    Session,
    User,
)
from .release_records import Release, ReleaseState, Replay, ReplayState


@cache
def field_adapter(model: type[BaseModel], field: str) -> TypeAdapter[Any]:
    """Validates a value for one field of a record in an update; refuses unknown fields and
    the id, so that both backends reject the same updates."""
    info = model.model_fields.get(field)
    if info is None or info.annotation is None or field == "id":
        raise ValueError(f"{model.__name__} has no updatable field {field!r}")
    return TypeAdapter(info.annotation)


class DuplicateError(Exception):
    """A unique key (a user's e-mail) is taken."""


class UserRepo(Protocol):
    async def create(self, user: User) -> User:
        """Insert; raises DuplicateError when the e-mail is taken (case-insensitively)."""

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None:
        """Case-insensitive lookup."""

    async def update(
        self, user_id: str, changes: dict[str, Any], only_if: dict[str, str] | None = None
    ) -> User | None:
        """Set top-level fields; returns the updated user, None when there is no such user.
        With `only_if` (field -> value, for text fields), only while the user's fields still
        hold those values (a compare-and-set: a password-reset link works once). Raises
        DuplicateError when a new e-mail is taken."""

    async def delete(self, user_id: str) -> bool: ...

    async def page(self, offset: int = 0, limit: int = 50, email: str | None = None) -> Page[User]:
        """Newest first; `email`: only addresses containing it (any case)."""

    async def count(self, role: Role | None = None) -> int: ...


class JobRepo(Protocol):
    async def create(self, job: Job) -> Job: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def update(
        self,
        job_id: str,
        changes: dict[str, Any],
        only_if_status: Collection[JobStatus] | None = None,
        only_if_attempts: int | None = None,
    ) -> Job | None:
        """Set top-level fields (values are plain Python or pydantic models). With
        `only_if_status`, the update happens only while the job's status is one of those
        (an atomic compare-and-set); with `only_if_attempts`, only while it is still in
        that run (a node that lost its job never overwrites the next run's record).
        Returns the updated job, or None when nothing matched."""

    async def delete(self, job_id: str) -> bool: ...

    async def set_user_email(self, user_id: str, user_email: str) -> int:
        """The address copied onto every job of this user (after they changed it)."""
        ...

    async def adopt(self, owner: str, user_id: str, user_email: str) -> int:
        """Give the anonymous jobs of this owner (the token's sha256) to an account; how
        many moved."""
        ...

    async def query(self, q: JobQuery) -> Page[Job]:
        """Filter, sort (ties broken by id) and paginate; `count` is the total match."""

    async def without_result_kind(self, limit: int) -> list[Job]:
        """Jobs recorded before jobs carried their result kind (oldest first)."""

    async def with_status(self, statuses: Collection[JobStatus]) -> list[Job]:
        """All jobs in these states, oldest first (start-up recovery)."""

    async def stat_rows(self, since: datetime | None, until: datetime | None) -> list[JobStatRow]:
        """One row per job created in [since, until)."""

    async def models_in_use(self) -> list[str]:
        """Distinct model names that have jobs (for the dashboard's filter)."""

    async def expirable(self, model: str, finished_before: datetime, limit: int) -> list[Job]:
        """Ended jobs of `model` that finished before `finished_before`, are not pinned and
        still have their files; oldest first, at most `limit`."""

    async def storage(self) -> list[ModelStorage]:
        """Per model, the jobs whose files are kept and the bytes their inputs and artifacts
        take (as recorded), by model name."""


class MessageRepo(Protocol):
    async def create(self, message: ContactMessage) -> ContactMessage: ...

    async def get(self, message_id: str) -> ContactMessage | None: ...

    async def update(self, message_id: str, changes: dict[str, Any]) -> ContactMessage | None: ...

    async def page(self, offset: int = 0, limit: int = 50) -> Page[ContactMessage]:
        """Newest first."""

    async def due(self, now: datetime, limit: int = 20) -> list[ContactMessage]:
        """Messages in `pending` or `retrying` whose next_attempt_at is None or <= now and
        that nobody has claimed, or whose claim ends by `now`; oldest first."""

    async def claim(
        self, message_id: str, owner: str, now: datetime, until: datetime
    ) -> ContactMessage | None:
        """Mark the message as being sent by `owner` until `until`, in one conditional
        update: only while it is due at `now` (as in `due`) and not claimed by another owner
        whose claim lasts past `now`. None when it is not (sent, not due, claimed, gone)."""


class AuditRepo(Protocol):
    async def add(self, entry: AuditEntry) -> AuditEntry: ...

    async def page(
        self, offset: int = 0, limit: int = 50, action: str | None = None
    ) -> Page[AuditEntry]:
        """Newest first; `action` filters by exact action or by prefix ending in '.'."""


class SessionRepo(Protocol):
    """Signed-in sessions: a token is accepted while its session is here and unexpired."""

    async def create(self, session: Session) -> Session: ...

    async def get(self, session_id: str) -> Session | None:
        """None when there is no such session or it has expired."""

    async def of_user(self, user_id: str) -> list[Session]:
        """The user's unexpired sessions, newest first."""

    async def touch(self, session_id: str, at: datetime) -> None:
        """Record when the session was last seen."""

    async def delete(self, session_id: str, user_id: str | None = None) -> bool:
        """End one session (only when it is that user's, when `user_id` is given)."""

    async def delete_user(self, user_id: str, keep: str | None = None) -> int:
        """End every session of the user but `keep`; how many ended."""


class ModelRepo(Protocol):
    async def create(self, model: ModelRecord) -> ModelRecord:
        """Insert; raises DuplicateError when the name is taken."""

    async def get(self, name: str) -> ModelRecord | None: ...

    async def all(self) -> list[ModelRecord]:
        """Every model, by name."""

    async def update(self, name: str, changes: dict[str, Any]) -> ModelRecord | None: ...

    async def delete(self, name: str) -> bool: ...


class VersionRepo(Protocol):
    async def create(self, version: ModelVersion) -> ModelVersion:
        """Insert; raises DuplicateError when the model already has a version of that number."""

    async def get(self, version_id: str) -> ModelVersion | None: ...

    async def of_model(self, model: str) -> list[ModelVersion]:
        """The model's versions, by number."""

    async def update(
        self,
        version_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[VersionState] | None = None,
    ) -> ModelVersion | None:
        """Set top-level fields; with `only_if_state`, only while the version is in one of
        those states (a compare-and-set). None when nothing matched."""

    async def delete(self, version_id: str) -> bool: ...


class ReleaseRepo(Protocol):
    async def create(self, release: Release) -> Release: ...

    async def get(self, release_id: str) -> Release | None: ...

    async def active(self) -> list[Release]:
        """Every active release, by model (at most one per model: the service sees to it)."""

    async def of_model(self, model: str) -> list[Release]:
        """Newest first."""

    async def update(
        self,
        release_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[ReleaseState] | None = None,
    ) -> Release | None:
        """None when there is no such release, or it is no longer in one of those states."""

    async def add_shadow_skipped(self, release_id: str, count: int = 1) -> None:
        """Add to the release's count of shadow copies skipped, in one atomic write (several
        replicas may count at once)."""


class ReplayRepo(Protocol):
    async def create(self, replay: Replay) -> Replay: ...

    async def get(self, replay_id: str) -> Replay | None: ...

    async def of_model(self, model: str) -> list[Replay]:
        """Newest first."""

    async def running(self) -> list[Replay]:
        """Every replay still running, of every model."""

    async def update(
        self,
        replay_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[ReplayState] | None = None,
    ) -> Replay | None:
        """None when there is no such replay, or it is no longer in one of those states."""


class FlagRepo(Protocol):
    """Users' flags on results they think are wrong (`feedback_records.py`)."""

    async def create(self, flag: Flag) -> Flag: ...

    async def get(self, flag_id: str) -> Flag | None: ...

    async def query(self, q: FlagQuery) -> Page[Flag]:
        """Newest first (ties broken by id); `count` is the total match."""

    async def update(self, flag_id: str, changes: dict[str, Any]) -> Flag | None: ...

    async def delete_of_job(self, job_id: str) -> int:
        """Forget the flags on a job (deleted with it); how many."""


class MigrationRepo(Protocol):
    """Data migrations that need the program, not only the schema (a job's result kind
    comes from its model's declaration): each runs until it is recorded, then never again."""

    async def applied(self, name: str) -> bool: ...

    async def record(self, name: str) -> None:
        """Idempotent: two replicas that ran the same migration both record it."""


class Store(Protocol):
    # Read-only in the protocol: a settable protocol attribute would have to be declared with
    # exactly the protocol's type in every implementation (attributes are invariant).
    @property
    def users(self) -> UserRepo: ...

    @property
    def jobs(self) -> JobRepo: ...

    @property
    def messages(self) -> MessageRepo: ...

    @property
    def audit(self) -> AuditRepo: ...

    @property
    def sessions(self) -> SessionRepo: ...

    @property
    def models(self) -> ModelRepo: ...

    @property
    def versions(self) -> VersionRepo: ...

    @property
    def releases(self) -> ReleaseRepo: ...

    @property
    def replays(self) -> ReplayRepo: ...

    @property
    def flags(self) -> FlagRepo: ...

    @property
    def migrations(self) -> MigrationRepo: ...

    @property
    def kind(self) -> str:
        """ "sqlite" or "mongodb"."""

    async def open(self) -> None:
        """Connect and create tables/collections and indexes (idempotent)."""

    async def ping(self) -> None:
        """Raise when the database cannot answer."""

    async def close(self) -> None: ...


__all__ = [
    "AuditRepo",
    "DeliveryState",
    "DuplicateError",
    "FlagRepo",
    "JobRepo",
    "MessageRepo",
    "MigrationRepo",
    "ReleaseRepo",
    "ReplayRepo",
    "ModelRepo",
    "SessionRepo",
    "Store",
    "UserRepo",
    "VersionRepo",
]
