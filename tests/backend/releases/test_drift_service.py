"""The drift service on both stores: which jobs make each window (the version's own, live,
succeeded ones), the version by id or number, an explicit reference period, and the
refusals. The clock is the test's."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from modelgallery.releases.drift import DriftVerdict
from modelgallery.services.drift import DriftService, ReferenceChoice
from modelgallery.services.errors import Invalid, NotFound
from modelgallery.store.base import Store
from modelgallery.store.model_records import ModelRecord, ModelVersion, VersionState
from modelgallery.store.records import Job, JobLane, JobStatus
from tests.support.clock import ManualClock
from tests.support.drift_jobs import stream

NOW = ManualClock().now
STEP = timedelta(minutes=6)


async def catalogue(store: Store) -> tuple[ModelVersion, ModelVersion]:
    old = ModelVersion(model="detector", number=1, state=VersionState.retired)
    live = ModelVersion(model="detector", number=2, state=VersionState.live)
    await store.models.create(
        ModelRecord(
            id="detector",
            title="D",
            task="detection",
            family="yolo",
            group="g",
            live_version=live.id,
        )
    )
    for version in (old, live):
        await store.versions.create(version)
    return old, live


async def add(store: Store, jobs: list[Job]) -> None:
    for job in jobs:
        await store.jobs.create(job)


async def test_the_live_versions_users_jobs_make_the_windows(store: Store) -> None:
    _, live = await catalogue(store)
    rng = np.random.default_rng(11)
    week_ago = NOW - timedelta(days=7)
    await add(store, stream(rng, "detector", live.id, week_ago, 120, STEP))
    recent = stream(rng, "detector", live.id, NOW - timedelta(hours=10), 80, STEP, brightness=175)
    await add(store, recent)
    # Neither a candidate's shadow jobs nor failed ones are the version's users' predictions.
    shadow = stream(
        rng, "detector", live.id, NOW - timedelta(hours=9), 40, STEP, lane=JobLane.shadow
    )
    failed = stream(rng, "detector", live.id, NOW - timedelta(hours=8), 5, STEP)
    await add(store, shadow + [j.model_copy(update={"status": JobStatus.failed}) for j in failed])

    service = DriftService(store, ManualClock(NOW))
    view = await service.report("detector", reference=ReferenceChoice(jobs=100))
    report = view.report
    assert (report.version, report.version_number) == (live.id, 2)
    assert [v.number for v in view.versions] == [1, 2] and view.live_version == live.id
    assert report.reference.jobs == 100 and report.reference.start == week_ago
    assert report.recent.jobs == 80 and report.recent.end == NOW
    assert report.reference.chosen == "the version's first 100 live jobs"
    stats = {s.name: s for s in report.statistics}
    assert stats["brightness"].verdict is DriftVerdict.drift and report.warn
    assert stats["class_mix"].verdict is DriftVerdict.ok
    # the chart: the week, a point per day, every job of both windows and between them
    assert report.bucket == "day"
    assert sum(p.n for p in stats["brightness"].series) == 200


async def test_a_version_by_number_and_a_reference_period(store: Store) -> None:
    old, live = await catalogue(store)
    rng = np.random.default_rng(12)
    await add(store, stream(rng, "detector", old.id, NOW - timedelta(days=3), 60, STEP))
    await add(store, stream(rng, "detector", old.id, NOW - timedelta(hours=5), 40, STEP))
    service = DriftService(store, ManualClock(NOW))

    first = await service.report("detector", "1")
    assert first.report.version == old.id and first.report.reference.jobs == 100
    assert first.report.recent.jobs == 0  # all 100 are the reference: nothing after it
    assert {s.verdict for s in first.report.statistics} == {DriftVerdict.not_enough_data}

    since = NOW - timedelta(days=4)
    period = ReferenceChoice(since=since, until=NOW - timedelta(days=1))
    view = await service.report("detector", old.id, recent_hours=24, reference=period)
    assert view.report.reference.jobs == 60 and view.report.recent.jobs == 40
    assert view.report.reference.start == since
    assert not view.report.warn

    empty = await service.report("detector", "2")
    assert empty.report.statistics == [] and not empty.report.warn


async def test_unknown_models_versions_and_backward_periods_are_refused(store: Store) -> None:
    await catalogue(store)
    service = DriftService(store, ManualClock(NOW))
    with pytest.raises(NotFound, match="no model named 'nope'"):
        await service.report("nope")
    with pytest.raises(NotFound, match=r"no version '7' \(its versions: 1, 2\)"):
        await service.report("detector", "7")
    backward = ReferenceChoice(since=NOW, until=NOW - timedelta(days=1))
    with pytest.raises(Invalid, match="must start before it ends"):
        await service.report("detector", reference=backward)
    with pytest.raises(Invalid, match="more than 0 hours"):
        await service.report("detector", recent_hours=0)
