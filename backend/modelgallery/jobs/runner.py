"""Running models, the same in a local worker process and on a worker node: load a group's
models once, run one job (or a batch of one-image jobs) with one, and say how it ended. The
outcomes are plain picklable dataclasses, matched by type."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..core.disk import out_of_space
from ..vision.model import JobCancelled, JobInput, Model, Progress, RuntimeChoice
from ..vision.registry import ModelSpec, family_class
from ..vision.runtimes.remembered import Measured, measured
from ..vision.weights import verify_weights
from .lifecycle.executor import JobRun, Outcome

THREAD_VARS = (
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


@dataclass(frozen=True)
class ModelReport:
    """One model's outcome at start-up: loaded (with its load time) or unavailable."""

    name: str
    status: Literal["loaded", "unavailable"]
    reason: str | None = None
    load_ms: float | None = None
    runtime: RuntimeChoice | None = None
    batch_speedup: float | None = None  # images/s batched over one by one, at one thread
    classes: list[str] | None = None  # what the loaded model can find (Model.classes)


@dataclass(frozen=True)
class Progressed:
    job_id: str
    fraction: float
    message: str


@dataclass(frozen=True)
class Succeeded:
    job_id: str
    outcome: Outcome


@dataclass(frozen=True)
class Failed:
    job_id: str
    error: str


@dataclass(frozen=True)
class Cancelled:
    job_id: str


JobEnd = Succeeded | Failed | Cancelled


def set_thread_env(max_threads: int) -> None:
    """Before any framework is imported (families import theirs in load()): they read these
    once. Models load for the most threads a job may get; each job says its share."""
    for var in THREAD_VARS:
        os.environ[var] = str(max_threads)


def load_models(specs: list[ModelSpec], report: Callable[[ModelReport], None]) -> dict[str, Model]:
    """Load, check (`load_checked`) and warm up each model, reporting each outcome; one
    that fails is unavailable, the others serve."""
    models: dict[str, Model] = {}
    for spec in specs:
        started = time.perf_counter()
        try:
            verify_weights(spec)
            model = family_class(spec.family)(spec)
            load_checked(model)
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


def load_checked(model: Model) -> None:
    """`model.load()`, then its family's `check_loaded()` where it has one (the loaded
    weights against their entry: the label count, the input), so that a model that does
    not fit its entry never serves; the families' ValueErrors say why in a sentence."""
    model.load()
    check = getattr(model, "check_loaded", None)
    if callable(check):
        check()


def _batch_speedup(model: Model) -> float | None:
    """For families that batch: the executor batches only when it pays on this machine.
    Measured once per model, runtime and machine (seconds of timing), then read back at
    every load (`measured`, kept beside the weights with the runtime choice)."""
    if not model.batches or model.spec.max_batch < 2:
        return None
    record = _speedup_record(model)
    known = record.read() if record is not None else None
    if known is not None:
        return known
    try:
        speedup = model.batch_speedup(model.spec.max_batch)
    except Exception:  # a family that cannot batch after all runs jobs one by one
        log.exception("measuring batches of %s failed", model.spec.name)
        return None
    if record is not None:
        record.write(speedup)
    return speedup


def _speedup_record(model: Model) -> Measured | None:
    spec = model.spec
    facts = {
        "family": spec.family,
        "options": spec.options,
        "size": spec.max_batch,
        "runtime": model.runtime.chosen if model.runtime is not None else None,
        "threads": 1,  # what `batch_speedup` times at
    }
    return measured(spec.weight_paths, "batch", facts)


def use_threads(model: Model, threads: int) -> None:
    """PyTorch's pool is the process's and resizes at once; runtimes that fix theirs when
    a session is made (ONNX Runtime, OpenVINO, LiteRT) keep one per count (`use_threads`)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    model.use_threads(threads)


def run_batch(
    runs: list[JobRun], model: Model | None, reporter: Callable[[str], Progress]
) -> list[JobEnd]:
    """One-image jobs of one model through its network together; each ends on its own."""
    if model is None:
        reason = f"the model '{runs[0].model}' is not loaded in this worker"
        return [Failed(t.job_id, reason) for t in runs]
    jobs = [JobInput(run.inputs, run.params, run.outdir, reporter(run.job_id)) for run in runs]
    started = time.perf_counter()
    try:
        for run in runs:
            run.outdir.mkdir(parents=True, exist_ok=True)
        results = model.predict_many(jobs)
    except Exception as exc:  # a failure of the batch as a whole
        log.error("batch %s failed:\n%s", [t.job_id for t in runs], traceback.format_exc())
        return [_failed(t, exc) for t in runs]
    share_ms = (time.perf_counter() - started) * 1000 / len(runs)
    ends: list[JobEnd] = []
    for run, result in zip(runs, results, strict=True):
        if isinstance(result, JobCancelled):
            ends.append(Cancelled(run.job_id))
        elif isinstance(result, Exception):
            ends.append(_failed(run, result))
        else:
            outcome = Outcome(
                result.summary, result.artifacts, share_ms, result.stages, result.batch_size
            )
            ends.append(Succeeded(run.job_id, outcome))
    return ends


def throttled(job_id: str, send: Callable[[Progressed], None]) -> Progress:
    """Progress of one job, sent at most every `_PROGRESS_INTERVAL_S` (and at the end),
    the first an interval after the job began: its start is already known to everyone
    following it, and a job that ends sooner (an image) costs no message and no event."""
    last_sent = time.monotonic()

    def progress(fraction: float, message: str = "") -> None:
        nonlocal last_sent
        now = time.monotonic()
        if now - last_sent >= _PROGRESS_INTERVAL_S or fraction >= 1.0:
            last_sent = now
            send(Progressed(job_id, max(0.0, min(1.0, float(fraction))), message))

    return progress


def run_one(run: JobRun, model: Model | None, report: Progress, cancelled: StopCheck) -> JobEnd:
    """Run one job; `cancelled` is asked at each progress report (a job stops there)."""
    if model is None:
        return Failed(run.job_id, f"the model '{run.model}' is not loaded in this worker")

    def progress(fraction: float, message: str = "") -> None:
        if cancelled():
            raise JobCancelled()
        report(fraction, message)

    started = time.perf_counter()
    try:
        run.outdir.mkdir(parents=True, exist_ok=True)
        result = model.predict(run.inputs, run.params, run.outdir, progress)
    except JobCancelled:
        return Cancelled(run.job_id)
    except Exception as exc:
        log.error("job %s failed:\n%s", run.job_id, traceback.format_exc())
        return _failed(run, exc)
    model_ms = (time.perf_counter() - started) * 1000
    return Succeeded(run.job_id, Outcome(result.summary, result.artifacts, model_ms, result.stages))


def _failed(run: JobRun, exc: BaseException) -> Failed:
    """A full disk is named as such (whichever library met it), and the job's partial
    results are removed so that they hold no space."""
    if out_of_space(exc):
        shutil.rmtree(run.outdir, ignore_errors=True)
        return Failed(run.job_id, OUT_OF_SPACE)
    return Failed(run.job_id, _short(exc))


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
