"""The body of a worker process: load the group's models once, keep them warm, run one job
at a time, and talk to the parent over a pipe with plain tuples.

Messages to the parent:
    ("model", name, "loaded" | "unavailable", reason | None, load_ms)
    ("ready",)
    ("progress", job_id, fraction, message)
    ("done", job_id, summary, artifacts, model_ms)
    ("error", job_id, text)
    ("cancelled", job_id)
Messages from the parent: ("job", Task) and ("stop",).
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
_PROGRESS_INTERVAL_S = 0.2


def run(conn: Connection, name: str, specs: list[Any], threads: int, cancel: Event) -> None:
    # Before any framework is imported: they read these once.
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    log = logging.getLogger("modelgallery.worker")

    from ..vision.model import JobCancelled
    from ..vision.registry import family_class

    models: dict[str, Any] = {}
    for spec in specs:
        started = time.perf_counter()
        try:
            model = family_class(spec.family)(spec)
            model.load()
            model.warmup()
        except Exception as exc:  # any failure makes this one model unavailable, not the worker
            log.exception("loading %s failed", spec.name)
            conn.send(("model", spec.name, "unavailable", _short(exc), None))
            continue
        models[spec.name] = model
        conn.send(("model", spec.name, "loaded", None, (time.perf_counter() - started) * 1000))
    conn.send(("ready",))

    while True:
        try:
            message = conn.recv()
        except EOFError:  # the parent went away
            return
        if message[0] == "stop":
            return
        task = message[1]
        cancel.clear()
        conn.send(_run_task(task, models.get(task.model), conn, cancel, JobCancelled, log))


def _run_task(task, model, conn, cancel, cancelled_exc, log) -> tuple:
    if model is None:
        return ("error", task.job_id, f"the model '{task.model}' is not loaded in this worker")
    last_sent = 0.0

    def progress(fraction: float, message: str = "") -> None:
        nonlocal last_sent
        if cancel.is_set():
            raise cancelled_exc()
        now = time.monotonic()
        if now - last_sent >= _PROGRESS_INTERVAL_S or fraction >= 1.0:
            last_sent = now
            conn.send(("progress", task.job_id, max(0.0, min(1.0, float(fraction))), message))

    task.outdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        result = model.predict(task.inputs, task.params, task.outdir, progress)
    except cancelled_exc:
        return ("cancelled", task.job_id)
    except Exception as exc:
        log.error("job %s failed:\n%s", task.job_id, traceback.format_exc())
        return ("error", task.job_id, _short(exc))
    model_ms = (time.perf_counter() - started) * 1000
    return ("done", task.job_id, result.summary, result.artifacts, model_ms)


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
