"""The body of a local worker process: load the group's models once, keep them warm, run
one job at a time, and talk to the parent over a pipe with the messages of `messages.py`.

A change to the group's models (`Adopt`) loads what is new or changed and drops what is gone
between two jobs, leaving the other models loaded: a new version of one model never makes
its siblings wait. A job submitted to a version that is no longer live brings that version's
spec; it is loaded beside the live one and kept for the jobs after it. A version loaded
ahead (a release's candidate, `Preload`) that goes live is taken as it is, not loaded again;
the version it replaces is kept for the jobs still submitted to it (`jobs/held.py`)."""

from __future__ import annotations

import logging
import os
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from ...vision.model import Model, Progress
from ...vision.registry import ModelSpec
from ..held import HeldModels
from ..runner import run_batch, run_one, set_thread_env, throttled, use_threads
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


def run(
    conn: Connection, name: str, specs: list[ModelSpec], max_threads: int, cancel: Event
) -> None:
    set_thread_env(max_threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")

    held = HeldModels()
    held.adopt(specs, conn.send)
    conn.send(WorkerReady())

    def model_for(model: str, spec: ModelSpec | None) -> Model | None:
        live = held.live.get(model)
        if spec is None or spec.version is None:
            return live
        if live is not None and live.spec.version == spec.version:
            return live
        kept = held.older(spec.version)
        return kept if kept is not None else held.load_older(spec)[0]

    while True:
        try:
            message: ToWorker = conn.recv()
        except EOFError:  # the parent went away
            return
        match message:
            case Stop():
                return
            case Adopt(wanted):
                held.adopt(wanted, conn.send)
                conn.send(Adopted(tuple(held.older_versions)))
            case Preload(versions):
                for spec in versions:
                    model_for(spec.name, spec)
                conn.send(Preloaded(tuple(held.older_versions)))
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


def _reporter(job_id: str, conn: Connection) -> Progress:
    return throttled(job_id, conn.send)
