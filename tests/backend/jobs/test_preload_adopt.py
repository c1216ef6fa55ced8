"""A local worker process that loaded a release's candidate ahead (`Preload`) takes that
copy when the candidate goes live (`Adopt`): it is not loaded a second time, it is held
once, and it answers the jobs. The worker's body (`jobs/local/process.py`) runs in a thread
on a real pipe, with the toy model whose weights file holds its version's factor; loads
are counted through the real loading function."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from modelgallery.core.settings import Settings
from modelgallery.jobs import held, runner
from modelgallery.jobs.lifecycle.executor import JobRun
from modelgallery.jobs.local import process
from modelgallery.jobs.local.executor import LocalExecutor
from modelgallery.jobs.local.messages import (
    Adopt,
    Adopted,
    FromWorker,
    Preload,
    Preloaded,
    RunJob,
    Stop,
    WorkerDied,
    WorkerReady,
)
from modelgallery.jobs.local.pool import Group, Slot
from modelgallery.jobs.runner import THREAD_VARS, ModelReport, Succeeded
from modelgallery.vision.model import InputItem, Model
from modelgallery.vision.registry import ModelSpec, Registry, load_registry
from tests.backend.jobs.test_node import _version
from tests.support.server import TOY_REGISTRY


@dataclass
class Worker:
    conn: Connection  # the parent's end of the pipe
    body: threading.Thread
    theirs: Connection
    loads: list[str]  # "name@version number", one per model the loading function loaded
    sibling: ModelSpec  # another model of the group, live throughout
    folder: Path

    def ask(self, message: object) -> list[FromWorker]:
        """Send `message`; what the worker said until its answer, the answer last."""
        self.conn.send(message)
        said: list[FromWorker] = []
        while not said or not isinstance(said[-1], Adopted | Preloaded | Succeeded):
            assert self.conn.poll(60), f"no answer to {message}"
            said.append(self.conn.recv())
        return said

    def job(self, image: Path, spec: ModelSpec | None = None) -> float:
        """A job's factor (the version that ran it); `spec`: submitted to a non-live one."""
        run = JobRun(
            job_id=uuid.uuid4().hex,
            model="toy",
            inputs=[InputItem(image, image.name, "image/jpeg", "image")],
            params={"sleep_s": 0.0, "steps": 1, "behaviour": "ok"},
            outdir=self.folder / "out",
            timeout_s=30,
        )
        *_, end = self.ask(RunJob(run, 1, spec))
        assert isinstance(end, Succeeded), end
        factor = end.outcome.summary["factor"]
        assert isinstance(factor, float)
        return factor

    def stop(self) -> None:
        if self.body.is_alive():
            self.conn.send(Stop())
            self.body.join(30)
        assert not self.body.is_alive()
        self.theirs.close()  # as the process's end closes when it exits


@pytest.fixture
def versions(tmp_path: Path) -> dict[int, ModelSpec]:
    toy = load_registry(TOY_REGISTRY, tmp_path).models["toy"]
    return {n: _version(toy, n, tmp_path, f"0.{n}") for n in (1, 2)}


@pytest.fixture
def worker(
    tmp_path: Path, versions: dict[int, ModelSpec], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Worker]:
    """The worker's body, started with version 1 live, and its sibling."""
    for var in (*THREAD_VARS, "TF_CPP_MIN_LOG_LEVEL"):  # what the worker sets, put back after
        monkeypatch.setenv(var, "1")
    loads: list[str] = []
    real = runner.load_models

    def counted(specs: list[ModelSpec], report: Callable[[ModelReport], None]) -> dict[str, Model]:
        loads.extend(f"{s.name}@{s.version_number}" for s in specs)
        return real(specs, report)

    monkeypatch.setattr(held, "load_models", counted)
    sibling = load_registry(TOY_REGISTRY, tmp_path).models["toy-limited"]
    ours, theirs = multiprocessing.Pipe()
    cancel = multiprocessing.get_context().Event()
    body = threading.Thread(
        target=process.run, args=(theirs, "toy-1", [versions[1], sibling], 1, cancel)
    )
    body.start()
    started = Worker(ours, body, theirs, loads, sibling, tmp_path)
    try:
        while not isinstance(ours.recv(), WorkerReady):
            pass
        assert loads == ["toy@1", "toy-limited@None"]
        yield started
    finally:
        started.stop()
        ours.close()


def test_a_preloaded_candidate_made_live_is_taken_not_loaded_again(
    worker: Worker, versions: dict[int, ModelSpec], samples: Path
) -> None:
    image = samples / "bus.jpg"
    [preloaded] = worker.ask(Preload([versions[2]]))
    assert preloaded == Preloaded(("toy-v2",)) and worker.loads[-1] == "toy@2"
    assert worker.job(image, versions[2]) == 0.2  # a canary job, on the copy loaded ahead
    assert worker.job(image) == 0.1
    loads = len(worker.loads)

    *reports, adopted = worker.ask(Adopt([versions[2], worker.sibling]))
    assert len(worker.loads) == loads  # promoted: nothing loaded
    assert adopted == Adopted(("toy-v1",))  # the version it replaced, kept beside it
    [report] = reports  # the parent learns of the live model as after a load
    assert isinstance(report, ModelReport) and report.name == "toy"
    assert report.status == "loaded" and report.load_ms is not None
    assert worker.job(image) == 0.2
    assert worker.ask(Preload([])) == [Preloaded(("toy-v1",))]  # held once: v2 is live only

    # The version it replaced answers a job still submitted to it, without loading again.
    assert worker.job(image, versions[1]) == 0.1 and len(worker.loads) == loads


def test_a_candidate_whose_model_was_edited_meanwhile_loads_again_and_its_copy_goes(
    worker: Worker, versions: dict[int, ModelSpec], samples: Path
) -> None:
    worker.ask(Preload([versions[2]]))
    edited = versions[2].model_copy(update={"title": "Toy, renamed while in release"})
    loads = len(worker.loads)
    *reports, _ = worker.ask(Adopt([edited, worker.sibling]))
    assert worker.loads[loads:] == ["toy@2"]  # the copy held has the spec before the edit
    assert [r.name for r in reports if isinstance(r, ModelReport)] == ["toy"]
    assert worker.job(samples / "bus.jpg") == 0.2
    assert worker.ask(Preload([])) == [Preloaded(("toy-v1",))]  # the stale copy of v2 went


async def test_the_slot_no_longer_lists_a_version_its_worker_took_as_live(
    worker: Worker, versions: dict[int, ModelSpec], tmp_path: Path
) -> None:
    """`between.py` with the worker's body: the versions a worker lists besides the live
    ones (the admin's workers page) follow what it holds after a promotion: the version it
    replaced, not the one it took as live."""
    models = {"toy": versions[1], "toy-limited": worker.sibling}
    executor = LocalExecutor(
        Settings(data_dir=tmp_path), Registry(path=TOY_REGISTRY, models=models)
    )
    group = Group(name="toy", specs=list(models.values()), limit=1)
    slot = Slot(group=group, index=0, process=worker.body, conn=worker.conn)
    group.slots, executor._groups = [slot], {"toy": group}
    executor._start_reader(slot)
    try:
        group.candidates["toy"] = versions[2]
        await executor._preload(slot)
        assert list(slot.versions) == ["toy-v2"]
        loads = len(worker.loads)
        promoted = {**models, "toy": versions[2]}
        executor._registry = Registry(path=TOY_REGISTRY, models=promoted)
        group.specs, group.specs_version = list(promoted.values()), group.specs_version + 1
        await executor._adopt_in_place(slot)
        assert slot.specs_version == group.specs_version and slot.alive
        assert slot.versions == ("toy-v1",) and len(worker.loads) == loads
        assert executor._states["toy"].status == "loaded"
    finally:
        await asyncio.to_thread(worker.stop)
        assert isinstance(await slot.inbox.get(), WorkerDied)  # the reader let go of the pipe
