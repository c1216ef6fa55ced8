"""Comparing two versions: what each did with live predictions over a period (how many,
how many failed, latency percentiles) and how their results agree on the same inputs,
pair by pair (`releases/agreement.py`): a release's shadow copies or a replay's jobs, each
against the job whose inputs it ran again. The pairs that disagree most come first."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..files.storage import JobFiles, ObjectStoreError
from ..releases.agreement import Agreement, compare_jobs, files_needed
from ..releases.figures import NotComparable
from ..releases.summary import AgreementSummary, summarise
from ..store.base import Store
from ..store.records import Job, JobLane, JobQuery, JobStatus
from ..vision.registry import Registry
from .errors import NotFound

log = logging.getLogger(__name__)

MAX_PAIRS = 500
_PAGE = 500
_WORST = 12
_MAX_FIGURES = 5000


@dataclass
class VersionFigures:
    version: str
    number: int | None
    predictions: int = 0
    failed: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)  # p50, p90, p99 of the total
    model_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Pair:
    baseline: Job
    candidate: Job
    agreement: Agreement


def worst_pairs(pairs: list[Pair], most: int) -> list[Pair]:
    """Of `pairs` (most disagreement first), those that disagree, one per input: a file
    sent several times (the same sha256) shows once, by the pair that disagrees most."""
    worst: list[Pair] = []
    seen: set[tuple[str, ...]] = set()
    for pair in pairs:
        inputs = tuple(f.sha256 for f in pair.baseline.inputs)
        if pair.agreement.disagreement <= 0 or len(worst) >= most:
            break
        if inputs not in seen:
            seen.add(inputs)
            worst.append(pair)
    return worst


@dataclass
class Compared:
    baseline: VersionFigures
    candidate: VersionFigures
    summaries: dict[str, AgreementSummary]
    pairs: int  # compared
    not_compared: dict[str, int]  # why -> how many (files gone, failed on one side, ...)
    worst: list[Pair]  # the pairs that disagree most, most first
    shadow_skipped: int | None = None  # a release's copies not made: the lane was full


class Comparison:
    def __init__(self, store: Store, files: JobFiles, registry: Registry) -> None:
        self._store, self._files, self._registry = store, files, registry

    async def of_release(self, name: str, release_id: str) -> Compared:
        release = await self._store.releases.get(release_id)
        if release is None or release.model != name:
            raise NotFound(f"model '{name}' has no release '{release_id}'")
        compared = await self._compare(
            name,
            (release.baseline, release.baseline_number),
            (release.candidate, release.candidate_number),
            JobQuery(release=release.id, lane=JobLane.shadow),
            (release.created_at, release.ended_at),
        )
        compared.shadow_skipped = release.shadow_skipped
        return compared

    async def of_replay(self, name: str, replay_id: str) -> Compared:
        replay = await self._store.replays.get(replay_id)
        if replay is None or replay.model != name:
            raise NotFound(f"model '{name}' has no replay '{replay_id}'")
        model = await self._store.models.get(name)
        live = model.live_version if model else None
        number = None
        if live is not None and (version := await self._store.versions.get(live)) is not None:
            number = version.number
        return await self._compare(
            name,
            (live or "", number),
            (replay.version, replay.version_number),
            JobQuery(release=replay.id, lane=JobLane.replay),
            None,
        )

    async def of_jobs(self, baseline: Job, candidate: Job) -> Agreement:
        """Two finished jobs of the same inputs (a user's comparison of two models or
        versions). Raises NotComparable with the reason."""
        return await self._agreement(baseline, candidate)

    # --- helpers -----------------------------------------------------------------------------

    async def _compare(
        self,
        name: str,
        baseline: tuple[str, int | None],
        candidate: tuple[str, int | None],
        runs: JobQuery,
        period: tuple[datetime, datetime | None] | None,
    ) -> Compared:
        """`period`: the versions' figures from their live predictions then (a release);
        None: from the jobs compared, the sources and their copies (a replay)."""
        copies = (
            await self._store.jobs.query(
                runs.model_copy(update={"model": name, "limit": MAX_PAIRS})
            )
        ).data
        sources = {
            copy.id: source
            for copy in copies
            if copy.source_job and (source := await self._store.jobs.get(copy.source_job))
        }
        pairs: list[Pair] = []
        not_compared: dict[str, int] = {}
        for copy in copies:
            source = sources.get(copy.id)
            if copy.status is not JobStatus.succeeded or source is None:
                continue
            if source.status is not JobStatus.succeeded:
                continue
            try:
                pairs.append(Pair(source, copy, await self._agreement(source, copy)))
            except NotComparable as exc:
                reason = str(exc)
                not_compared[reason] = not_compared.get(reason, 0) + 1
        pairs.sort(key=lambda p: p.agreement.disagreement, reverse=True)
        if period is None:
            made_by = {(s.model_version, s.model_version_number) for s in sources.values()}
            if len(made_by) == 1:  # the replayed predictions were all made by one version
                version, number = next(iter(made_by))
                baseline = (version or baseline[0], number)
            figures = [
                tally(VersionFigures(*baseline), list(sources.values()), from_start=True),
                tally(VersionFigures(*candidate), copies, from_start=True),
            ]
        else:
            figures = [
                tally(VersionFigures(version, number), await self._live(name, version, *period))
                for version, number in (baseline, candidate)
            ]
        return Compared(
            baseline=figures[0],
            candidate=figures[1],
            summaries=summarise(p.agreement for p in pairs),
            pairs=len(pairs),
            not_compared=not_compared,
            worst=worst_pairs(pairs, _WORST),
        )

    async def _agreement(self, baseline: Job, candidate: Job) -> Agreement:
        kind = baseline.result_kind or "generic"
        if candidate.result_kind != kind:
            raise NotComparable(
                f"the results are of different kinds ({kind}, {candidate.result_kind})"
            )
        spec = self._registry.models.get(baseline.model)
        image_kind = spec.result_kinds.get("image") if spec else None
        paths: dict[tuple[str, str], Path] = {}
        for job in (baseline, candidate):
            if job.files_expired_at is not None:
                raise NotComparable("the files of one of them are no longer kept")
            for name in files_needed(kind, job, image_kind=image_kind):
                try:
                    paths[(job.id, name)] = await self._files.local_file(job.id, "output", name)
                except (FileNotFoundError, ObjectStoreError):
                    raise NotComparable(f"the file {name} of one of them is gone") from None

        def opened(job: Job, name: str) -> Path:
            return paths.get((job.id, name)) or self._files.output_path(job.id, name)

        return await asyncio.to_thread(
            compare_jobs, kind, baseline, candidate, opened, image_kind=image_kind
        )

    async def _live(
        self, name: str, version: str, since: datetime, until: datetime | None
    ) -> list[Job]:
        """The version's live predictions over the period (the candidate's: its canary's)."""
        jobs: list[Job] = []
        query = JobQuery(model=name, version=version, since=since, until=until, limit=_PAGE)
        while len(jobs) < _MAX_FIGURES:
            page = await self._store.jobs.query(query.model_copy(update={"offset": len(jobs)}))
            jobs += page.data
            if not page.data or len(jobs) >= page.count:
                break
        return jobs


def tally(figures: VersionFigures, jobs: list[Job], from_start: bool = False) -> VersionFigures:
    """How many of the jobs ended, how many failed, and the latency of those that did not:
    from the upload to the end, or with `from_start` from when a worker took the job (a
    replay's jobs wait behind live ones and each other: their waits say nothing of the
    version)."""
    totals: list[float] = []
    models: list[float] = []
    for job in jobs:
        if not job.status.terminal or job.status is JobStatus.cancelled:
            continue
        figures.predictions += 1
        if job.status is JobStatus.failed:
            figures.failed += 1
            continue
        timings = job.timings
        if from_start and timings.started is not None and timings.finished is not None:
            totals.append((timings.finished - timings.started).total_seconds() * 1000)
        elif not from_start and timings.total_ms is not None:
            totals.append(timings.total_ms)
        if job.timings.model_ms is not None:
            models.append(job.timings.model_ms)
    figures.latency_ms, figures.model_ms = percentiles(totals), percentiles(models)
    return figures


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p90 and p99 by the nearest rank; nothing for no values."""
    if not values:
        return {}
    ordered = sorted(values)
    return {
        f"p{p}": round(ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))], 1)
        for p in (50, 90, 99)
    }
