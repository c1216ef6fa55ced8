"""How the local executor sizes a job's threads, on its own bookkeeping (no worker processes:
the API-level test is test_workers.test_the_cores_are_shared_among_the_jobs_running)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelgallery.core.settings import Settings
from modelgallery.jobs.lifecycle.executor import JobRun
from modelgallery.jobs.local.executor import LocalExecutor
from modelgallery.jobs.local.pool import Group, Slot
from modelgallery.vision.registry import Registry


class _Running:
    """Stands for a worker process: alive."""

    def is_alive(self) -> bool:
        return True


def _executor(tmp_path: Path, workers: int, **settings: Any) -> tuple[LocalExecutor, Group]:
    registry = Registry(path=tmp_path / "models.toml", models={})
    executor = LocalExecutor(Settings(data_dir=tmp_path, **settings), registry)
    executor._cores = 4
    group = Group(name="torch", specs=[], limit=workers)
    group.slots = [Slot(group=group, index=i, process=_Running()) for i in range(workers)]
    executor._groups = {"torch": group}
    return executor, group


def _start(executor: LocalExecutor, group: Group, slot: int, job_id: str) -> None:
    executor._running[job_id] = group.slots[slot]


async def test_a_job_alone_gets_every_core_and_jobs_side_by_side_share_them(
    tmp_path: Path,
) -> None:
    executor, group = _executor(tmp_path, workers=4)
    _start(executor, group, 0, "a")
    assert executor._threads_for_next_job() == 4
    _start(executor, group, 1, "b")
    assert executor._threads_for_next_job() == 2


async def test_jobs_about_to_start_on_idle_workers_count_as_running(tmp_path: Path) -> None:
    executor, group = _executor(tmp_path, workers=4)
    _start(executor, group, 0, "a")
    group.queue.put_nowait(_waiting("waiting-1", tmp_path))
    group.queue.put_nowait(_waiting("waiting-2", tmp_path))
    assert executor._threads_for_next_job() == 4 // 3
    for extra in range(5):  # more waiting than idle workers: only the idle ones count
        group.queue.put_nowait(_waiting(f"more-{extra}", tmp_path))
    assert executor._threads_for_next_job() == 1


async def test_a_pinned_thread_count_is_kept(tmp_path: Path) -> None:
    executor, group = _executor(tmp_path, workers=2, worker_threads=3)
    _start(executor, group, 0, "a")
    group.queue.put_nowait(_waiting("waiting", tmp_path))
    assert executor._threads_for_next_job() == 3


def _waiting(job_id: str, folder: Path) -> JobRun:
    return JobRun(job_id=job_id, model="m", inputs=[], params={}, outdir=folder, timeout_s=1)
