"""A job queued in this process is sent to its worker while its start is written; when the
store refuses the start (the job was cancelled or deleted in that moment), the run is
stopped and ends as cancelled, and nothing it produced is recorded. The dispatch's own
bookkeeping, with a worker that answers at once (the API-level cancel tests cover the rest)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from modelgallery.core.settings import Settings
from modelgallery.jobs.lifecycle.executor import JobRun, Outcome
from modelgallery.jobs.local.executor import LocalExecutor
from modelgallery.jobs.local.messages import RunBatch, RunJob
from modelgallery.jobs.local.pool import Group, Slot
from modelgallery.jobs.runner import Succeeded
from modelgallery.vision.registry import Registry


class _Listener:
    """The recorder as the dispatch sees it; `refused`: starts the store refuses."""

    def __init__(self, refused: set[str], queued_here: bool = True) -> None:
        self.refused, self.queued_here = refused, queued_here
        self.events: list[tuple[str, str]] = []

    def expects(self, job_id: str) -> bool:
        return self.queued_here

    async def on_start(
        self, job_id: str, worker: str, known: Any = None, sent: float | None = None
    ) -> Any:
        self.events.append(("start", job_id))
        return None if job_id in self.refused else object()

    async def on_progress(self, job_id: str, fraction: float, message: str) -> None: ...

    async def on_success(self, job_id: str, outcome: Outcome) -> None:
        self.events.append(("success", job_id))

    async def on_failure(self, job_id: str, error: str) -> None:
        self.events.append(("failure", job_id))

    async def on_cancelled(self, job_id: str) -> None:
        self.events.append(("cancelled", job_id))


class _Worker:
    """The slot's process and its end of the pipe: each job it is sent succeeds at once."""

    pid = 4242

    def __init__(self, inbox: asyncio.Queue[Any]) -> None:
        self.inbox = inbox
        self.sent: list[Any] = []

    def is_alive(self) -> bool:
        return True

    def send(self, message: RunJob | RunBatch) -> None:
        self.sent.append(message)
        runs = [message.run] if isinstance(message, RunJob) else message.runs
        for run in runs:
            self.inbox.put_nowait(Succeeded(run.job_id, Outcome({"ok": True})))


def _setup(tmp_path: Path, listener: _Listener) -> tuple[LocalExecutor, Slot, _Worker]:
    registry = Registry(path=tmp_path / "models.toml", models={})
    executor = LocalExecutor(Settings(data_dir=tmp_path), registry)
    executor._listener = listener  # type: ignore[assignment]
    group = Group(name="torch", specs=[], limit=4)
    slot = Slot(group=group, index=0)
    worker = _Worker(slot.inbox)
    slot.process, slot.conn, slot.cancel = worker, worker, threading.Event()
    group.slots = [slot]
    executor._groups = {"torch": group}
    return executor, slot, worker


def _run(job_id: str, folder: Path) -> JobRun:
    return JobRun(job_id=job_id, model="m", inputs=[], params={}, outdir=folder, timeout_s=5)


async def test_a_job_whose_start_is_refused_after_it_was_sent_ends_cancelled(
    tmp_path: Path,
) -> None:
    listener = _Listener(refused={"a"})
    executor, slot, worker = _setup(tmp_path, listener)
    await executor._execute(slot, [_run("a", tmp_path)])
    assert [type(m) for m in worker.sent] == [RunJob]  # sent before the start was written
    assert slot.cancel.is_set()  # and stopped in its worker
    assert listener.events == [("start", "a"), ("cancelled", "a")]


async def test_in_a_batch_only_the_refused_job_ends_cancelled(tmp_path: Path) -> None:
    listener = _Listener(refused={"b"})
    executor, slot, worker = _setup(tmp_path, listener)
    await executor._execute(slot, [_run("a", tmp_path), _run("b", tmp_path)])
    assert [type(m) for m in worker.sent] == [RunBatch]
    assert not slot.cancel.is_set()  # the other job of the batch runs on
    assert ("success", "a") in listener.events and ("cancelled", "b") in listener.events
    assert ("success", "b") not in listener.events


async def test_a_job_known_only_to_the_store_is_started_before_it_is_sent(
    tmp_path: Path,
) -> None:
    listener = _Listener(refused={"recovered"}, queued_here=False)
    executor, slot, worker = _setup(tmp_path, listener)
    await executor._execute(slot, [_run("recovered", tmp_path)])
    assert worker.sent == []
    assert listener.events == [("start", "recovered")]
