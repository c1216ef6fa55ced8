"""What administrators do: browse and delete every prediction, usage statistics, model
load/unload/reload, contact messages. Every change is written to the audit log."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..catalog.registry import synced_registry
from ..contact.outbox import Outbox
from ..core.release import app_version
from ..core.settings import Settings
from ..jobs.lifecycle.executor import Executor, ModelState, WorkerInfo
from ..jobs.lifecycle.retention import Retention
from ..jobs.lifecycle.service import JobService
from ..store.base import Store
from ..store.records import AuditEntry, ContactMessage, Job, JobQuery, JobStatus, Page, Role, User
from ..vision.registry import RegistryError
from . import audit
from .errors import Conflict, Invalid, NotFound
from .models import ModelCatalog, ModelView

AuditTargetKind = Literal["prediction", "model", "user", "message"]
# An action's first word names what its target is ("prediction.delete": a job's id).
_TARGET_KINDS: dict[str, AuditTargetKind] = {
    "prediction": "prediction",
    "model": "model",
    "user": "user",
    "account": "user",
    "message": "message",
}


@dataclass
class AuditTarget:
    """What an audit entry's target is, by the name a person knows it by: a prediction's
    file, a model's title, a user's e-mail, a message's subject. `exists`: it is still
    there to be opened (a deleted one keeps the name its entry recorded, if any)."""

    kind: AuditTargetKind | None
    name: str | None
    exists: bool


class AdminService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        jobs: JobService,
        executor: Executor,
        catalog: ModelCatalog,
        outbox: Outbox,
        retention: Retention,
    ) -> None:
        self.settings = settings
        self.store = store
        self.jobs = jobs
        self.executor = executor
        self.catalog = catalog
        self.outbox = outbox
        self.retention = retention

    async def audit(self, actor: User, action: str, target: str | None, **details: Any) -> None:
        await audit.record(self.store.audit, actor, action, target, **details)

    # --- predictions -----------------------------------------------------------------

    async def predictions(self, query: JobQuery) -> Page[Job]:
        if query.since and query.until and query.since >= query.until:
            raise Invalid("'since' must be before 'until'")
        return await self.store.jobs.query(query)

    async def prediction(self, job_id: str) -> Job:
        job = await self.store.jobs.get(job_id) if len(job_id) == 32 else None
        if job is None:
            raise NotFound("no such prediction (it may have been deleted)")
        return job

    async def delete_prediction(self, actor: User, job_id: str) -> None:
        job = await self.store.jobs.get(job_id)
        if job is None or not await self.jobs.delete(job_id):
            raise NotFound("no such prediction")
        await self.audit(
            actor,
            "prediction.delete",
            job_id,
            model=job.model,
            file=job.inputs[0].name if job.inputs else None,
        )

    async def pin(self, actor: User, job_id: str, pinned: bool) -> Job:
        """Keep a prediction's files past the retention period, or let them go again."""
        job = None
        if len(job_id) == 32:
            job = await self.store.jobs.update(job_id, {"pinned": pinned})
        if job is None:
            raise NotFound("no such prediction (it may have been deleted)")
        await self.audit(actor, "prediction.pin" if pinned else "prediction.unpin", job_id)
        return job

    async def purge_files(self, actor: User, job_id: str) -> Job:
        """Delete an ended prediction's files now; the record stays, marked expired."""
        job = await self.prediction(job_id)
        if not job.status.terminal:
            raise Conflict("this prediction has not ended yet; cancel it first")
        if job.files_expired_at is not None:
            raise Conflict("this prediction's files are already deleted")
        purged = await self.retention.expire(job_id, purged=True)
        if purged is None:
            raise NotFound("no such prediction (it may have been deleted)")
        await self.audit(actor, "prediction.purge", job_id, model=job.model)
        return purged

    async def sweep(self, actor: User, as_of: datetime | None) -> int:
        """Run the retention sweep now (as if at `as_of`, to apply the periods early)."""
        expired = await self.retention.sweep(as_of)
        details: dict[str, Any] = {"expired": expired}
        if as_of is not None:
            details["as_of"] = as_of.isoformat()
        await self.audit(actor, "retention.sweep", None, **details)
        return expired

    async def stats(self, since: datetime | None, until: datetime | None) -> dict[str, Any]:
        rows = await self.store.jobs.stat_rows(since, until)
        per_day: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        totals: dict[str, list[float]] = defaultdict(list)
        model_times: dict[str, list[float]] = defaultdict(list)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            day = row.created.date().isoformat()
            per_day[(day, row.model)][row.status.value] += 1
            counts[row.model][row.status.value] += 1
            if row.status == JobStatus.succeeded:
                if row.total_ms is not None:
                    totals[row.model].append(row.total_ms)
                if row.model_ms is not None:
                    model_times[row.model].append(row.model_ms)
        return {
            "per_day": [
                {"day": day, "model": model, "count": sum(c.values()), **dict(c)}
                for (day, model), c in sorted(per_day.items())
            ],
            "models": [
                {
                    "model": model,
                    "count": sum(c.values()),
                    "succeeded": c.get("succeeded", 0),
                    "failed": c.get("failed", 0),
                    "cancelled": c.get("cancelled", 0),
                    "failure_rate": round(c.get("failed", 0) / max(1, sum(c.values())), 4),
                    "latency_ms": _percentiles(totals[model]),
                    "model_ms": _percentiles(model_times[model]),
                }
                for model, c in sorted(counts.items())
            ],
            "total": len(rows),
            # All time, not only [since, until): what the kept files take now.
            "storage_per_model": [
                {**s.model_dump(), "retention_days": self.retention.days(s.model)}
                for s in await self.store.jobs.storage()
            ],
        }

    # --- models ----------------------------------------------------------------------

    def models(self) -> list[ModelView]:
        """Every model in the registry, disabled ones too."""
        return self.catalog.views(include_disabled=True)

    def workers(self) -> list[WorkerInfo]:
        return self.executor.workers()

    def queue_depths(self) -> dict[str, int]:
        return self.executor.queue_depths()

    def nodes(self) -> list[NodeView]:
        """The machines that run jobs, from their live worker processes."""
        by_node: dict[str, list[WorkerInfo]] = {}
        for worker in self.executor.workers():
            if worker.alive:
                by_node.setdefault(worker.node, []).append(worker)
        return [_node_view(name, workers) for name, workers in sorted(by_node.items())]

    def model_state(self, model: str) -> ModelState | None:
        return self.executor.model_states().get(model)

    async def set_loaded(self, actor: User, model: str, loaded: bool) -> None:
        self._known(model)
        await self.executor.set_loaded(model, loaded)
        failed = 0
        if not loaded:
            failed = await self.jobs.fail_queued(
                model,
                "the model was unloaded by an administrator before this job started; "
                "submit the file again once it is loaded",
            )
        await self.audit(
            actor,
            "model.load" if loaded else "model.unload",
            model,
            **({"failed_jobs": failed} if failed else {}),
        )

    async def reload(self, actor: User, model: str | None) -> list[str]:
        """Sync the registry file into the store (picking up edits: `catalog/sync.py`) and
        restart what changed, or the named model's workers. Returns the model names now
        known."""
        if model is not None:
            self._known(model)
        try:
            registry = await synced_registry(self.store, self.settings)
        except RegistryError as exc:
            raise Invalid(f"the model registry has an error; nothing changed: {exc}") from None
        if model is not None and model not in registry.models:
            raise Conflict(f"'{model}' is no longer in the registry; reload all models instead")
        await self.catalog.adopt(registry, [model] if model else None)
        await self.audit(actor, "model.reload", model or "*", models=sorted(registry.models))
        return sorted(registry.models)

    def _known(self, model: str) -> None:
        if self.catalog.spec(model) is None:
            raise NotFound(f"no model named '{model}'")

    # --- messages, audit and users ----------------------------------------------------

    async def messages(self, offset: int, limit: int) -> Page[ContactMessage]:
        return await self.store.messages.page(offset, limit)

    async def audit_log(self, action: str | None, offset: int, limit: int) -> Page[AuditEntry]:
        return await self.store.audit.page(offset, limit, action)

    async def audit_target(self, entry: AuditEntry) -> AuditTarget:
        kind = _TARGET_KINDS.get(entry.action.partition(".")[0])
        target = entry.target
        if kind is None or not target or target == "*":
            return AuditTarget(kind if target else None, None, False)
        if kind == "model":
            spec = self.catalog.spec(target)
            return AuditTarget(kind, spec.title if spec else target, spec is not None)
        if kind == "prediction":
            job = await self.store.jobs.get(target) if len(target) == 32 else None
            recorded = entry.details.get("file")
            name = _files_label(job) if job else recorded if isinstance(recorded, str) else None
            return AuditTarget(kind, name, job is not None)
        if kind == "user":
            user = await self.store.users.get(target)
            return AuditTarget(kind, user.email if user else None, user is not None)
        message = await self.store.messages.get(target)
        return AuditTarget(kind, message.subject if message else None, message is not None)

    async def users(self, offset: int, limit: int, email: str | None = None) -> Page[User]:
        return await self.store.users.page(offset, limit, email.strip() if email else None)

    async def retry_message(self, actor: User, message_id: str) -> None:
        if await self.store.messages.get(message_id) is None:
            raise NotFound("no such message")
        await self.outbox.retry_now(message_id)
        await self.audit(actor, "message.retry", message_id)

    async def update_user(
        self, actor: User, user_id: str, role: Role | None, disabled: bool | None
    ) -> User:
        target = await self.store.users.get(user_id)
        if target is None:
            raise NotFound("no such user")
        if target.id == actor.id and (role == Role.user or disabled):
            raise Conflict("you cannot demote or disable your own account")
        changes: dict[str, Any] = {}
        if role is not None:
            changes["role"] = role
        if disabled is not None:
            changes["disabled"] = disabled
        updated = await self.store.users.update(user_id, changes) if changes else target
        assert updated is not None
        await self.audit(
            actor,
            "user.update",
            user_id,
            **{k: str(v.value if hasattr(v, "value") else v) for k, v in changes.items()},
        )
        return updated


def _files_label(job: Job) -> str | None:
    """ "bus.jpg", or "bus.jpg and 2 more", as the web UI names a prediction."""
    if not job.inputs:
        return None
    first, more = job.inputs[0].name, len(job.inputs) - 1
    return f"{first} and {more} more" if more else first


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None}
    ordered = sorted(values)

    def rank(q: float) -> float:  # nearest-rank percentile
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)

    return {"p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99)}


@dataclass(frozen=True)
class NodeView:
    name: str
    host: str
    groups: list[str]
    processes: int
    ready: int  # processes with their models loaded, taking jobs
    running: list[str]  # the jobs its processes run now
    jobs_done: int
    models: dict[str, ModelState]  # each model at its best among the node's processes
    version: str
    protocol: int


_RANK = {"loaded": 0, "loading": 1, "unloaded": 2, "disabled": 3, "unavailable": 4}


def _node_view(name: str, workers: list[WorkerInfo]) -> NodeView:
    models: dict[str, ModelState] = {}
    for worker in workers:
        for model, state in worker.states.items():
            known = models.get(model)
            if known is None or _RANK[state.status] < _RANK[known.status]:
                models[model] = state
    return NodeView(
        name=name,
        host=workers[0].host,
        groups=sorted({w.group for w in workers}),
        processes=len(workers),
        ready=sum(w.ready for w in workers),
        running=[w.job_id for w in workers if w.job_id],
        jobs_done=sum(w.jobs_done for w in workers),
        models=dict(sorted(models.items())),
        version=workers[0].version or app_version(),
        protocol=workers[0].protocol,
    )
