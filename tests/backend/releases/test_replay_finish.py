"""A replay ends in the sweep, never in a read, on both stores: reading its progress leaves
the store as it was; the sweep marks it done once it has sent every chosen prediction and
each job it sent has ended, and leaves alone one still sending or already cancelled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelgallery.core.settings import Settings
from modelgallery.services.replays import Replays
from modelgallery.store.base import Store
from modelgallery.store.records import Job, JobLane, JobStatus
from modelgallery.store.release_records import Replay, ReplayState

# The reads and the sweep use the store only: no executor runs and nothing is sent again.
_NOT_USED: Any = None


def _replays(store: Store, tmp_path: Path) -> Replays:
    return Replays(Settings(data_dir=tmp_path), store, _NOT_USED, _NOT_USED)


async def _replay(store: Store, chosen: int, sent: int, skipped: int = 0, **fields: Any) -> Replay:
    return await store.replays.create(
        Replay(
            model="cats",
            version="v2",
            version_number=2,
            sources=[f"source-{n}" for n in range(chosen)],
            total=sent,
            skipped=skipped,
            **fields,
        )
    )


async def _job(store: Store, replay: Replay, status: JobStatus) -> Job:
    return await store.jobs.create(
        Job(model="cats", model_version="v2", lane=JobLane.replay, release=replay.id, status=status)
    )


async def _state(store: Store, replay: Replay) -> ReplayState:
    stored = await store.replays.get(replay.id)
    assert stored is not None
    return stored.state


async def test_reading_a_replay_never_ends_it_and_the_sweep_does(
    store: Store, tmp_path: Path
) -> None:
    replays = _replays(store, tmp_path)
    replay = await _replay(store, chosen=3, sent=2, skipped=1)
    await _job(store, replay, JobStatus.succeeded)
    last = await _job(store, replay, JobStatus.running)

    await replays.finish_ended()
    assert await _state(store, replay) is ReplayState.running  # a job still runs

    await store.jobs.update(last.id, {"status": JobStatus.failed})
    read, counts = await replays.one("cats", replay.id)
    listed = await replays.of_model("cats")
    assert (counts["succeeded"], counts["failed"], counts["running"]) == (1, 1, 0)
    assert read.state is ReplayState.running and listed[0][0].state is ReplayState.running
    assert await _state(store, replay) is ReplayState.running  # the reads wrote nothing

    await replays.finish_ended()
    done = await store.replays.get(replay.id)
    assert done is not None and done.state is ReplayState.done and done.finished_at is not None


async def test_the_sweep_waits_for_the_feeder_and_leaves_ended_replays_alone(
    store: Store, tmp_path: Path
) -> None:
    replays = _replays(store, tmp_path)
    feeding = await _replay(store, chosen=3, sent=1)  # two more to send
    await _job(store, feeding, JobStatus.succeeded)
    all_skipped = await _replay(store, chosen=2, sent=0, skipped=2)
    cancelled = await _replay(store, chosen=2, sent=1, state=ReplayState.cancelled)
    await _job(store, cancelled, JobStatus.succeeded)

    await replays.finish_ended()
    assert await _state(store, feeding) is ReplayState.running
    assert await _state(store, all_skipped) is ReplayState.done
    assert await _state(store, cancelled) is ReplayState.cancelled
