"""Releases, replays and the lanes of jobs in the store: the contract both backends keep."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from modelgallery.store.base import Store
from modelgallery.store.records import Job, JobLane, JobQuery, JobStatus
from modelgallery.store.release_records import Release, ReleaseState, Replay, ReplayState


def _release(model: str = "cats", candidate: str = "v2", minute: int = 0) -> Release:
    return Release(
        created_at=datetime(2026, 12, 1, 12, minute, tzinfo=UTC),
        model=model,
        candidate=candidate,
        candidate_number=2,
        baseline="v1",
        baseline_number=1,
        canary_share=0.5,
    )


async def test_releases_are_listed_newest_first_and_end_by_compare_and_set(store: Store) -> None:
    first = await store.releases.create(_release(minute=1))
    other = await store.releases.create(_release("dogs", minute=2))
    second = await store.releases.create(_release(candidate="v3", minute=3))
    assert [r.id for r in await store.releases.of_model("cats")] == [second.id, first.id]
    assert await store.releases.get(first.id) == first
    ended = await store.releases.update(
        first.id, {"state": ReleaseState.rolled_back}, only_if_state=[ReleaseState.active]
    )
    assert ended is not None and ended.state is ReleaseState.rolled_back
    again = await store.releases.update(
        first.id, {"state": ReleaseState.promoted}, only_if_state=[ReleaseState.active]
    )
    assert again is None
    assert {r.id for r in await store.releases.active()} == {second.id, other.id}
    assert [r.model for r in await store.releases.active()] == ["cats", "dogs"]


async def test_replays_keep_their_chosen_set_and_progress(store: Store) -> None:
    replay = await store.replays.create(
        Replay(model="cats", version="v2", version_number=2, sources=["a", "b"], filters={"u": 1})
    )
    updated = await store.replays.update(replay.id, {"total": 1, "skipped": 1})
    assert updated is not None and (updated.total, updated.skipped) == (1, 1)
    assert updated.sources == ["a", "b"] and updated.state is ReplayState.running
    assert [r.id for r in await store.replays.of_model("cats")] == [replay.id]
    assert await store.replays.of_model("dogs") == []


async def test_jobs_are_listed_by_lane_version_and_release(store: Store) -> None:
    live = await store.jobs.create(Job(model="cats", model_version="v1"))
    canary = await store.jobs.create(Job(model="cats", model_version="v2", release="r1"))
    shadow = await store.jobs.create(
        Job(model="cats", model_version="v2", lane=JobLane.shadow, release="r1", source_job=live.id)
    )
    replayed = await store.jobs.create(
        Job(model="cats", model_version="v2", lane=JobLane.replay, release="p1")
    )

    async def ids(**filters: object) -> set[str]:
        return {j.id for j in (await store.jobs.query(JobQuery.model_validate(filters))).data}

    # The predictions list shows live jobs unless asked for another lane.
    assert await ids() == {live.id, canary.id}
    assert await ids(lane=None) == {live.id, canary.id, shadow.id, replayed.id}
    assert await ids(lane=JobLane.shadow) == {shadow.id}
    assert await ids(version="v2") == {canary.id}
    assert await ids(version="v2", lane=None) == {canary.id, shadow.id, replayed.id}
    assert await ids(release="r1", lane=None) == {canary.id, shadow.id}
    assert await ids(release="p1", lane=JobLane.replay, status=JobStatus.queued) == {replayed.id}
    stored = await store.jobs.get(shadow.id)
    assert stored is not None and stored.source_job == live.id and stored.lane is JobLane.shadow
    # Usage statistics count the live jobs only.
    assert len(await store.jobs.stat_rows(None, None)) == 2


async def test_a_release_counts_its_skipped_shadow_copies_atomically(store: Store) -> None:
    release = await store.releases.create(_release())
    assert release.shadow_skipped == 0
    await asyncio.gather(*(store.releases.add_shadow_skipped(release.id) for _ in range(5)))
    await store.releases.add_shadow_skipped(release.id, 2)
    counted = await store.releases.get(release.id)
    assert counted is not None and counted.shadow_skipped == 7
    # A change of another field keeps the count.
    ended = await store.releases.update(release.id, {"state": ReleaseState.rolled_back})
    assert ended is not None and ended.shadow_skipped == 7


async def test_running_replays_of_every_model_and_their_end_by_compare_and_set(
    store: Store,
) -> None:
    cats = await store.replays.create(Replay(model="cats", version="v2", version_number=2))
    dogs = await store.replays.create(Replay(model="dogs", version="v5", version_number=5))
    ended = await store.replays.create(
        Replay(model="cats", version="v2", version_number=2, state=ReplayState.cancelled)
    )
    assert {r.id for r in await store.replays.running()} == {cats.id, dogs.id}
    done = await store.replays.update(
        cats.id, {"state": ReplayState.done}, only_if_state=[ReplayState.running]
    )
    assert done is not None and done.state is ReplayState.done
    late = await store.replays.update(
        ended.id, {"state": ReplayState.done}, only_if_state=[ReplayState.running]
    )
    assert late is None
    kept = await store.replays.get(ended.id)
    assert kept is not None and kept.state is ReplayState.cancelled
    assert [r.id for r in await store.replays.running()] == [dogs.id]
