"""A slot waiting for its next job when a change to its group's models (a version made live,
a load, an unload) and a job come at the same moment: the slot takes the change first, and
the job stays first in line, to run on the models as they are now."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from modelgallery.core.settings import Settings
from modelgallery.jobs.lifecycle.executor import JobRun
from modelgallery.jobs.local.executor import LocalExecutor
from modelgallery.jobs.local.lanes import LaneQueue
from modelgallery.jobs.local.pool import Group, Slot
from modelgallery.vision.registry import Registry
from tests.support.server import TOY_REGISTRY


def run_of(name: str, background: bool = False) -> JobRun:
    return JobRun(
        job_id=name, model="toy", inputs=[], params={}, outdir=Path(name), timeout_s=30,
        background=background,
    )  # fmt: skip


def test_a_job_put_back_is_first_in_its_lane_again() -> None:
    queue = LaneQueue()
    for run in (run_of("a"), run_of("b"), run_of("shadow", background=True)):
        queue.put_nowait(run)
    queue.put_back(queue.get_nowait())
    assert [queue.get_nowait().job_id for _ in range(3)] == ["a", "b", "shadow"]


def _idle_slot(tmp_path: Path) -> tuple[LocalExecutor, Slot]:
    executor = LocalExecutor(Settings(data_dir=tmp_path), Registry(path=TOY_REGISTRY, models={}))
    group = Group(name="toy", specs=[], limit=1)
    return executor, Slot(group=group, index=0, process=threading.Thread(target=print))


async def test_a_change_that_comes_with_a_job_is_taken_before_the_job(tmp_path: Path) -> None:
    executor, slot = _idle_slot(tmp_path)
    waiting = asyncio.create_task(executor._next_run(slot))
    await asyncio.sleep(0)  # the slot waits for a job or a change
    slot.wake.set()  # a change, and in the same turn of the loop a job
    slot.group.queue.put_nowait(run_of("first"))
    slot.group.queue.put_nowait(run_of("second"))
    assert await waiting is None  # the slot goes back to adopt the change
    run = await executor._next_run(slot)
    assert run is not None and run.job_id == "first"


async def test_a_job_alone_is_taken_at_once(tmp_path: Path) -> None:
    executor, slot = _idle_slot(tmp_path)
    waiting = asyncio.create_task(executor._next_run(slot))
    await asyncio.sleep(0)
    slot.group.queue.put_nowait(run_of("only"))
    run = await waiting
    assert run is not None and run.job_id == "only"
