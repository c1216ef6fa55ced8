"""The body of a local worker process: load the group's models once, keep them warm, run
one job at a time, and talk to the parent over a pipe with the messages of `messages.py`."""

from __future__ import annotations

import logging
import os
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from ...vision.model import Progress
from ...vision.registry import ModelSpec
from ..runner import load_models, run_batch, run_one, set_thread_env, throttled, use_threads
from .messages import RunBatch, RunJob, Stop, ToWorker, WorkerReady


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
            case RunJob(run, threads):
                cancel.clear()
                loaded = models.get(run.model)
                if loaded is not None:
                    use_threads(loaded, threads)
                conn.send(run_one(run, loaded, _reporter(run.job_id, conn), cancel.is_set))
            case RunBatch(runs, threads):
                loaded = models.get(runs[0].model)
                if loaded is not None:
                    use_threads(loaded, threads)
                for end in run_batch(runs, loaded, lambda job_id: _reporter(job_id, conn)):
                    conn.send(end)


def _reporter(job_id: str, conn: Connection) -> Progress:
    return throttled(job_id, conn.send)
