"""The body of a worker process: load the group's models once, keep them warm, run one job
at a time, and talk to the parent over a pipe with the messages of `messages.py`."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from ..core.disk import out_of_space
from ..vision.model import JobCancelled, JobInput, Model, Progress
from ..vision.registry import ModelSpec, family_class
from ..vision.weights import verify_weights
from .executor import Outcome, Task
from .messages import (
    Cancelled,
    Failed,
    JobEnd,
    ModelReport,
    Progressed,
    RunBatch,
    RunJob,
    Stop,
    Succeeded,
    ToWorker,
    WorkerReady,
)

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
_PROGRESS_INTERVAL_S = 0.2
StopCheck = Callable[[], bool]  # asked at each progress report: True stops the job there
OUT_OF_SPACE = "the server ran out of storage space while writing the results"

log = logging.getLogger("modelgallery.worker")


def run(
    conn: Connection, name: str, specs: list[ModelSpec], max_threads: int, cancel: Event
) -> None:
    set_thread_env(max_threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")

    models = load_models(specs, conn.send)
    conn.send(WorkerReady())

    while True:
        try:
            message: ToWorker = conn.recv()
        except EOFError:  # the parent went away
            return
        match message:
            case Stop():
                return
            case RunJob(task, threads):
                cancel.clear()
                loaded = models.get(task.model)
                if loaded is not None:
                    use_threads(loaded, threads)
                conn.send(run_task(task, loaded, _reporter(task.job_id, conn), cancel.is_set))
            case RunBatch(tasks, threads):
                loaded = models.get(tasks[0].model)
                if loaded is not None:
                    use_threads(loaded, threads)
                for end in _run_batch(tasks, loaded, conn):
                    conn.send(end)


def set_thread_env(max_threads: int) -> None:
    """Before any framework is imported (families import theirs in load()): they read these
    once. Models load for the most threads a job may get; each job says its share."""
    for var in _THREAD_VARS:
        os.environ[var] = str(max_threads)


def load_models(specs: list[ModelSpec], report: Callable[[ModelReport], None]) -> dict[str, Model]:
    """Load and warm up each model, reporting each outcome; one that fails to load is
    unavailable, the others serve."""
    models: dict[str, Model] = {}
    for spec in specs:
        started = time.perf_counter()
        try:
            verify_weights(spec)
            model = family_class(spec.family)(spec)
            model.load()
            model.warmup()
        except Exception as exc:  # any failure makes this one model unavailable, not the worker
            log.exception("loading %s failed", spec.name)
            report(ModelReport(spec.name, "unavailable", _short(exc)))
            continue
        models[spec.name] = model
        load_ms = (time.perf_counter() - started) * 1000
        speedup = _batch_speedup(model)
        report(
            ModelReport(
                spec.name,
                "loaded",
                load_ms=load_ms,
                runtime=model.runtime,
                batch_speedup=speedup,
                classes=model.classes,
            )
        )
    return models


def _batch_speedup(model: Model) -> float | None:
    """Measured once at load, for families that batch: the executor batches only when
    it pays on this machine."""
    if not model.batches or model.spec.max_batch < 2:
        return None
    try:
        return model.batch_speedup(model.spec.max_batch)
    except Exception:  # a family that cannot batch after all runs jobs one by one
        log.exception("measuring batches of %s failed", model.spec.name)
        return None


def use_threads(model: Model, threads: int) -> None:
    """PyTorch's pool is the process's and resizes at once; runtimes that fix theirs when
    a session is made (ONNX Runtime, OpenVINO, LiteRT) keep one per count (`use_threads`)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    model.use_threads(threads)


def _run_batch(tasks: list[Task], model: Model | None, conn: Connection) -> list[JobEnd]:
    if model is None:
        reason = f"the model '{tasks[0].model}' is not loaded in this worker"
        return [Failed(t.job_id, reason) for t in tasks]
    jobs = [
        JobInput(task.inputs, task.params, task.outdir, _reporter(task.job_id, conn))
        for task in tasks
    ]
    started = time.perf_counter()
    try:
        for task in tasks:
            task.outdir.mkdir(parents=True, exist_ok=True)
        results = model.predict_many(jobs)
    except Exception as exc:  # a failure of the batch as a whole
        log.error("batch %s failed:\n%s", [t.job_id for t in tasks], traceback.format_exc())
        return [_failed(t, exc) for t in tasks]
    share_ms = (time.perf_counter() - started) * 1000 / len(tasks)
    ends: list[JobEnd] = []
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, JobCancelled):
            ends.append(Cancelled(task.job_id))
        elif isinstance(result, Exception):
            ends.append(_failed(task, result))
        else:
            outcome = Outcome(
                result.summary, result.artifacts, share_ms, result.stages, result.batch_size
            )
            ends.append(Succeeded(task.job_id, outcome))
    return ends


def _reporter(job_id: str, conn: Connection) -> Progress:
    return throttled(job_id, conn.send)


def throttled(job_id: str, send: Callable[[Progressed], None]) -> Progress:
    """Progress of one job, sent at most every `_PROGRESS_INTERVAL_S` (and at the end)."""
    last_sent = 0.0

    def progress(fraction: float, message: str = "") -> None:
        nonlocal last_sent
        now = time.monotonic()
        if now - last_sent >= _PROGRESS_INTERVAL_S or fraction >= 1.0:
            last_sent = now
            send(Progressed(job_id, max(0.0, min(1.0, float(fraction))), message))

    return progress


def run_task(task: Task, model: Model | None, report: Progress, cancelled: StopCheck) -> JobEnd:
    """Run one job; `cancelled` is asked at each progress report (a job stops there)."""
    if model is None:
        return Failed(task.job_id, f"the model '{task.model}' is not loaded in this worker")

    def progress(fraction: float, message: str = "") -> None:
        if cancelled():
            raise JobCancelled()
        report(fraction, message)

    started = time.perf_counter()
    try:
        task.outdir.mkdir(parents=True, exist_ok=True)
        result = model.predict(task.inputs, task.params, task.outdir, progress)
    except JobCancelled:
        return Cancelled(task.job_id)
    except Exception as exc:
        log.error("job %s failed:\n%s", task.job_id, traceback.format_exc())
        return _failed(task, exc)
    model_ms = (time.perf_counter() - started) * 1000
    return Succeeded(
        task.job_id, Outcome(result.summary, result.artifacts, model_ms, result.stages)
    )


def _failed(task: Task, exc: BaseException) -> Failed:
    """A full disk is named as such (whichever library met it), and the job's partial
    results are removed so that they hold no space."""
    if out_of_space(exc):
        shutil.rmtree(task.outdir, ignore_errors=True)
        return Failed(task.job_id, OUT_OF_SPACE)
    return Failed(task.job_id, _short(exc))


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
