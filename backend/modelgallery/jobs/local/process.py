"""The body of a local worker process: load the group's models once, keep them warm, run
one job at a time, and talk to the parent over a pipe with the messages of `messages.py`.

A change to the group's models (`Adopt`) loads what is new or changed and drops what is gone
between two jobs, leaving the other models loaded: a new version of one model never makes
its siblings wait. A job submitted to a version that is no longer live brings that version's
spec; it is loaded beside the live one and kept for the jobs after it. A version loaded
ahead (a release's candidate, `Preload`) that goes live is taken as it is, not loaded again."""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from ...vision.model import Model, Progress
from ...vision.registry import ModelSpec
from ..runner import (
    ModelReport,
    load_models,
    run_batch,
    run_one,
    set_thread_env,
    throttled,
    use_threads,
)
from .messages import (
    Adopt,
    Adopted,
    Preload,
    Preloaded,
    RunBatch,
    RunJob,
    Stop,
    ToWorker,
    WorkerReady,
)

_OLDER_KEPT = 2  # versions no longer live kept loaded for the jobs still submitted to them


@dataclass
class _Held:
    """A version held besides the live ones, with what its load reported: said again to
    the parent when the version goes live and this copy is taken."""

    model: Model
    report: ModelReport


def run(
    conn: Connection, name: str, specs: list[ModelSpec], max_threads: int, cancel: Event
) -> None:
    set_thread_env(max_threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")

    models = load_models(specs, conn.send)
    older: dict[str, _Held] = {}  # by version id
    conn.send(WorkerReady())

    def model_for(model: str, spec: ModelSpec | None) -> Model | None:
        if spec is None or spec.version is None:
            return models.get(model)
        if spec.version not in older:
            reports: list[ModelReport] = []
            loaded = load_models([spec], reports.append).get(spec.name)
            if loaded is None:
                return None
            while len(older) >= _OLDER_KEPT:
                del older[next(iter(older))]
            older[spec.version] = _Held(loaded, reports[-1])
        return older[spec.version].model

    while True:
        try:
            message: ToWorker = conn.recv()
        except EOFError:  # the parent went away
            return
        match message:
            case Stop():
                return
            case Adopt(wanted):
                _adopt(models, older, wanted, conn)
            case Preload(versions):
                for spec in versions:
                    model_for(spec.name, spec)
                conn.send(Preloaded(tuple(older)))
            case RunJob(run, threads, spec):
                cancel.clear()
                loaded = model_for(run.model, spec)
                if loaded is not None:
                    use_threads(loaded, threads)
                conn.send(run_one(run, loaded, _reporter(run.job_id, conn), cancel.is_set))
            case RunBatch(runs, threads, spec):
                loaded = model_for(runs[0].model, spec)
                if loaded is not None:
                    use_threads(loaded, threads)
                for end in run_batch(runs, loaded, lambda job_id: _reporter(job_id, conn)):
                    conn.send(end)


def _adopt(
    models: dict[str, Model], older: dict[str, _Held], wanted: list[ModelSpec], conn: Connection
) -> None:
    names = {spec.name for spec in wanted}
    for gone in [n for n in models if n not in names]:
        del models[gone]
    changed = [s for s in wanted if s.name not in models or models[s.name].spec != s]
    for spec in changed:
        models.pop(spec.name, None)
    ahead = _take_live(older, wanted, changed)
    gc.collect()  # what the dropped models held, before the new ones load
    for spec in changed:
        held = ahead.get(spec.name)
        if held is None:
            models.update(load_models([spec], conn.send))
        else:
            models[spec.name] = held.model
            conn.send(held.report)
    conn.send(Adopted())


def _take_live(
    older: dict[str, _Held], wanted: list[ModelSpec], changed: list[ModelSpec]
) -> dict[str, _Held]:
    """The versions about to be live leave `older`: their jobs come as the live model's
    from now on (`between.py` forgets them too). Those to load are taken, by model name,
    where the copy held is of the same spec (not when the model's own fields were edited
    meanwhile: that one loads again, as a live model whose spec changed does)."""
    taken: dict[str, _Held] = {}
    for spec in wanted:
        held = older.pop(spec.version, None) if spec.version is not None else None
        if held is not None and spec in changed and held.model.spec == spec:
            taken[spec.name] = held
    return taken


def _reporter(job_id: str, conn: Connection) -> Progress:
    return throttled(job_id, conn.send)
