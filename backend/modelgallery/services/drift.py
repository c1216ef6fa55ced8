"""Drift of one model version: reads its users' finished jobs from the store and hands their
facts to `releases.drift`.

The reference window is, by default, the version's first `REFERENCE_JOBS` live jobs: a
count, not a period, so that every version is judged on the same amount of evidence, whether
it serves ten jobs a day or ten thousand (its first day would give the first too few jobs
for any verdict and the second more than are worth reading). An administrator may name a
period instead. The recent window is the last `recent_hours`, after the reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..releases.drift import DriftReport, Window, drift_report
from ..releases.drift_facts import JobFacts, facts_of
from ..store.base import Store
from ..store.model_records import ModelVersion
from ..store.records import Job, JobLane, JobQuery, JobStatus, utcnow
from .errors import Invalid, NotFound
from .stored_models import model_record

REFERENCE_JOBS = 500
WINDOW_MAX = 5000  # jobs read for one window, and for the chart, at most
CHART_DAYS = 30  # the chart reaches back this far at most (and to the reference)
_PAGE = 500


@dataclass(frozen=True)
class DriftView:
    report: DriftReport
    versions: list[ModelVersion]  # the model's, for a picker
    live_version: str | None


@dataclass(frozen=True)
class ReferenceChoice:
    """The reference window: the version's first `jobs` live jobs, or a period."""

    jobs: int = REFERENCE_JOBS
    since: datetime | None = None
    until: datetime | None = None


class DriftService:
    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        self._store, self._clock = store, clock

    async def report(
        self,
        name: str,
        version: str | None = None,
        recent_hours: float = 24,
        reference: ReferenceChoice | None = None,
    ) -> DriftView:
        if recent_hours <= 0:
            raise Invalid("the recent window must last more than 0 hours")
        model = await model_record(self._store, name)
        versions = await self._store.versions.of_model(name)
        chosen = _version(name, versions, version, model.live_version)
        now = self._clock()
        base = JobQuery(
            model=name,
            version=chosen.id,
            status=JobStatus.succeeded,
            lane=JobLane.live,
            until=now,
        )
        recent_start = now - timedelta(hours=recent_hours)
        ref = await self._reference(base, reference or ReferenceChoice(), recent_start)
        ref_ids = {f.job for f in ref.facts}
        if ref.end is not None and ref.end > recent_start:
            recent_start = ref.end  # the windows never share a job
        chart_start = min(recent_start, ref.start or recent_start, now)
        chart_start = max(chart_start, now - timedelta(days=CHART_DAYS))
        latest = await self._read(base.model_copy(update={"since": chart_start}), WINDOW_MAX)
        recent = [f for f in latest if f.at >= recent_start and f.job not in ref_ids]
        capped = len(latest) == WINDOW_MAX and (not latest or latest[-1].at > recent_start)
        words = f"the live jobs of the last {recent_hours:g} hours"
        if recent_start > now - timedelta(hours=recent_hours):
            words += ", after the reference"
        if capped:
            words += f" (the newest {WINDOW_MAX})"
        timeline = sorted(
            {f.job: f for f in (*ref.facts, *latest)}.values(), key=lambda f: (f.at, f.job)
        )
        report = drift_report(
            name,
            chosen.id,
            chosen.number,
            ref,
            Window(recent, recent_start, now, words),
            timeline,
        )
        return DriftView(report, versions, model.live_version)

    async def _reference(
        self, base: JobQuery, choice: ReferenceChoice, recent_start: datetime
    ) -> Window:
        """A period without an end ends where the recent window starts."""
        if choice.since is None and choice.until is None:
            first = await self._read(base.model_copy(update={"descending": False}), choice.jobs)
            return Window(
                first,
                first[0].at if first else None,
                first[-1].at if first else None,
                f"the version's first {choice.jobs} live jobs",
            )
        until = choice.until or recent_start
        if choice.since is not None and choice.since >= until:
            raise Invalid(
                "the reference period must start before it ends (without an end, it ends "
                "where the recent window starts)"
            )
        period = base.model_copy(
            update={"since": choice.since, "until": until, "descending": False}
        )
        jobs = await self._read(period, WINDOW_MAX)
        start = choice.since or (jobs[0].at if jobs else None)
        return Window(jobs, start, until, "the live jobs of the period chosen")

    async def _read(self, query: JobQuery, most: int) -> list[JobFacts]:
        """Up to `most` jobs, in the query's order, page by page; the query ends at a fixed
        time, so jobs finishing meanwhile do not shift the pages."""
        found: dict[str, Job] = {}
        offset = 0
        while len(found) < most:
            limit = min(_PAGE, most - len(found))
            page = await self._store.jobs.query(
                query.model_copy(update={"offset": offset, "limit": limit})
            )
            for job in page.data:
                found.setdefault(job.id, job)
            if len(page.data) < limit:
                break
            offset += len(page.data)
        return [facts_of(job) for job in found.values()]


def _version(
    name: str, versions: list[ModelVersion], wanted: str | None, live: str | None
) -> ModelVersion:
    """The version asked for, by id or number; by default the live one, else the newest."""
    if not versions:
        raise NotFound(f"the model '{name}' has no version yet")
    if wanted is None:
        live_one = [v for v in versions if v.id == live]
        return live_one[0] if live_one else max(versions, key=lambda v: v.number)
    for version in versions:
        if wanted in (version.id, str(version.number)):
            return version
    numbers = ", ".join(str(v.number) for v in versions)
    raise NotFound(f"the model '{name}' has no version '{wanted}' (its versions: {numbers})")
