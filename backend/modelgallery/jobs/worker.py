"""The body of a worker process: load the group's models once, keep them warm, run one job
at a time, and talk to the parent over a pipe with the messages of `messages.py`."""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from ..vision.model import JobCancelled, Model
from ..vision.registry import ModelSpec, family_class
from .executor import Outcome, Task
from .messages import (
    Cancelled,
    Failed,
    JobEnd,
    ModelReport,
    Progressed,
    RunJob,
    Stop,
    Succeeded,
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

log = logging.getLogger("modelgallery.worker")


def run(
    conn: Connection, name: str, specs: list[ModelSpec], max_threads: int, cancel: Event
) -> None:
    # Before any framework is imported (families import theirs in load()): they read these
    # once. Models load for the most threads a job may get; each job says its share.
    for var in _THREAD_VARS:
        os.environ[var] = str(max_threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")

    models: dict[str, Model] = {}
    for spec in specs:
        started = time.perf_counter()
        try:
            model = family_class(spec.family)(spec)
            model.load()
            model.warmup()
        except Exception as exc:  # any failure makes this one model unavailable, not the worker
            log.exception("loading %s failed", spec.name)
            conn.send(ModelReport(spec.name, "unavailable", _short(exc)))
            continue
        models[spec.name] = model
        load_ms = (time.perf_counter() - started) * 1000
        conn.send(ModelReport(spec.name, "loaded", load_ms=load_ms, runtime=model.runtime))
    conn.send(WorkerReady())

    while True:
        try:
            message: RunJob | Stop = conn.recv()
        except EOFError:  # the parent went away
            return
        if isinstance(message, Stop):
            return
        cancel.clear()
        loaded = models.get(message.task.model)
        if loaded is not None:
            _use_threads(loaded, message.threads)
        conn.send(_run_task(message.task, loaded, conn, cancel))


def _use_threads(model: Model, threads: int) -> None:
    """PyTorch's pool is the process's and resizes at once; runtimes that fix theirs when
    a session is made (ONNX Runtime, OpenVINO, LiteRT) keep one per count (`use_threads`)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    model.use_threads(threads)


def _run_task(task: Task, model: Model | None, conn: Connection, cancel: Event) -> JobEnd:
    if model is None:
        return Failed(task.job_id, f"the model '{task.model}' is not loaded in this worker")
    last_sent = 0.0

    def progress(fraction: float, message: str = "") -> None:
        nonlocal last_sent
        if cancel.is_set():
            raise JobCancelled()
        now = time.monotonic()
        if now - last_sent >= _PROGRESS_INTERVAL_S or fraction >= 1.0:
            last_sent = now
            conn.send(Progressed(task.job_id, max(0.0, min(1.0, float(fraction))), message))

    task.outdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        result = model.predict(task.inputs, task.params, task.outdir, progress)
    except JobCancelled:
        return Cancelled(task.job_id)
    except Exception as exc:
        log.error("job %s failed:\n%s", task.job_id, traceback.format_exc())
        return Failed(task.job_id, _short(exc))
    model_ms = (time.perf_counter() - started) * 1000
    return Succeeded(
        task.job_id, Outcome(result.summary, result.artifacts, model_ms, result.stages)
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
