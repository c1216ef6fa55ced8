"""One pool process of a worker node: its models (`node_models.py`: loaded once, changes
adopted in place), its heartbeat, the jobs it runs. It claims a job in the shared store (a
compare-and-set from `queued`), fetches the inputs from object storage into a scratch folder
of its own, runs the model of the version the job was submitted to with the code the local
executor uses (`jobs/runner.py`), publishes the outputs and records the end with the same
recorder the API uses on one machine."""

from __future__ import annotations

import base64
import gc
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import redis.asyncio as aioredis
from celery.exceptions import Reject

from ...core.machine import usable_cores
from ...core.metrics import Metrics
from ...core.redis_conn import async_client
from ...core.release import app_version
from ...core.settings import Settings
from ...files import open_job_files
from ...store import create_store
from ...store.records import Job
from ...vision.model import InputItem, Model
from ...vision.registry import ModelSpec, RegistryError
from .. import runner
from ..lifecycle.events import RedisEventBus
from ..lifecycle.executor import Outcome, Validated, ValidationFailed
from ..lifecycle.recorder import JobRecorder
from ..lifecycle.runs import run_of, time_limit
from ..runner import Cancelled, Failed, Progressed, Succeeded
from ..validation import validate_version
from .cluster import PROTOCOL, VALIDATION_TTL_S, Beat, cancel_key, proc_key, validation_key
from .loop import LoopThread
from .node_models import NodeModels
from .scratch import scratch_folder

log = logging.getLogger(__name__)

T = TypeVar("T")
_CANCEL_CHECK_S = 0.5
_REQUEUE_DELAY_S = 1.0  # a message this process cannot run goes back no faster than this
_PATIENCE_S = 30.0  # the longest a job waits for its process to adopt a change


def _scratch(settings: Settings) -> Path:
    """Where a process keeps its jobs' files: with object storage, a folder of its own
    (`scratch.py`); without, the data folder the API shares with it."""
    if not settings.storage_url:
        return settings.jobs_dir
    return scratch_folder(settings.data_dir / "scratch")


class NodeProcess:
    """One pool process of a node: its models, its heartbeat, the jobs it runs."""

    def __init__(
        self,
        settings: Settings,
        node: str,
        group: str,
        names: list[str] | None,  # None: every model of the group, as the store has them now
        processes: int,
        consume: Callable[[str, bool], None],
    ) -> None:
        self.settings = settings
        self.threads = settings.worker_threads or max(1, usable_cores() // processes)
        runner.set_thread_env(self.threads)
        target = settings.redis_target()
        assert target is not None
        self.beat = Beat(
            node=node,
            host=socket.gethostname(),
            group=group,
            worker=f"{node}/{group} pid {os.getpid()}",
            pid=os.getpid(),
            started_at=time.time(),
            version=app_version(),
            protocol=PROTOCOL,
            validates=True,
        )
        self._loop = LoopThread()
        self.redis: aioredis.Redis = async_client(target, decode_responses=True)
        self.store = create_store(settings)
        self.call(self.store.open())
        self.scratch = _scratch(settings)
        self.files = open_job_files(self.scratch, settings.storage_url)
        # Records what its runs report, exactly as the API's recorder does on one machine.
        self.metrics = Metrics(target)
        self.jobs = JobRecorder(self.store.jobs, self.files, self.metrics, RedisEventBus(target))
        self.models = NodeModels(
            settings, self.beat, names, self._loop, self.redis, self.store, self.files.remote,
            consume,
        )  # fmt: skip
        self.models.start()

    # --- one job ---------------------------------------------------------------------

    def run(self, job_id: str, task_id: str) -> None:
        job = self.call(self.store.jobs.get(job_id))
        if job is None:
            return
        # A change of the models is adopted between two jobs: one taken meanwhile waits for
        # it, or goes back to the queue before Celery's hard time limit (counted from now)
        # could stop it.
        live = self.models.registry.models.get(job.model)
        limit = time_limit(live, self.settings) if live else self.settings.job_timeout_s
        if not self.models.lock.acquire(timeout=max(1.0, min(_PATIENCE_S, limit / 4))):
            time.sleep(_REQUEUE_DELAY_S)
            raise Reject(f"{self.beat.worker} is still loading models", requeue=True)
        try:
            self._run_held(job, task_id)
        finally:
            self.models.lock.release()

    def _run_held(self, job: Job, task_id: str) -> None:
        model, spec, error = self.models.model_for(job)
        if error is not None or spec is None:
            self.call(self.jobs.on_failure(job.id, error or f"no model '{job.model}' here"))
            return
        if model is None:
            # Taken before this node stopped consuming the model's queue: back to the
            # queue, for a node that can run it.
            time.sleep(_REQUEUE_DELAY_S)
            raise Reject(f"{job.model} is not loaded on {self.beat.worker}", requeue=True)
        self.beat.job_id, self.beat.task_id = job.id, task_id
        started = self.call(self.jobs.on_start(job.id, self.beat.worker, known=job))
        if started is None:
            self.beat.job_id = self.beat.task_id = None
            return  # cancelled, deleted, or already taken (a message delivered twice)
        self.models.announce()
        try:
            self._run(started, spec, model)
        finally:
            self.beat.job_id = self.beat.task_id = None
            self.beat.jobs_done += 1
            if self.files.shared:  # the scratch copy; the store keeps the job's files
                self.files.remove(job.id)
            self.models.announce()

    def _run(self, job: Job, spec: ModelSpec, model: Model) -> None:
        job_id = job.id
        run = run_of(job, spec, self.files, self.settings)
        fetching = time.monotonic()
        try:
            self.call(self.files.fetch_inputs(job_id, [f.stored for f in job.inputs]))
        except Exception as exc:
            self.call(self.jobs.on_failure(job_id, f"its input could not be read: {exc}"))
            return
        fetch_ms = round((time.monotonic() - fetching) * 1000, 2)
        runner.use_threads(model, self.threads)
        began = time.monotonic()
        end = runner.run_one(
            run,
            model,
            runner.throttled(job_id, self._progress),
            self._stop_check(job_id, began, run.timeout_s),
        )
        match end:
            case Succeeded(_, outcome):
                outcome.stages = {"fetch": fetch_ms, **outcome.stages}
                self._succeeded(job_id, outcome)
            case Failed(_, error):
                self.call(self.jobs.on_failure(job_id, error))
            case Cancelled():
                self.call(self.jobs.on_cancelled(job_id))

    def _succeeded(self, job_id: str, outcome: Outcome) -> None:
        moved = time.monotonic()
        names = [a.name for a in outcome.artifacts if not a.deferred]
        try:
            self.call(self.files.publish_outputs(job_id, names))
        except Exception as exc:
            self.call(self.jobs.on_failure(job_id, f"its results could not be stored: {exc}"))
            return
        transfer_ms = round((time.monotonic() - moved) * 1000, 2)
        outcome.stages = {**outcome.stages, "transfer": transfer_ms}
        self.call(self.jobs.on_success(job_id, outcome))

    def _progress(self, message: Progressed) -> None:
        self.call(self.jobs.on_progress(message.job_id, message.fraction, message.message))

    def _stop_check(self, job_id: str, began: float, limit_s: float) -> runner.StopCheck:
        last = 0.0
        cancelled = False
        failing = False  # one warning per outage, not one per check

        def check() -> bool:
            nonlocal last, cancelled, failing
            now = time.monotonic()
            if now - began > limit_s:
                raise TimeoutError(f"stopped: it ran longer than the time limit of {limit_s:g} s")
            if not cancelled and now - last >= _CANCEL_CHECK_S:
                last = now
                try:
                    cancelled = bool(self.call(self.redis.exists(cancel_key(job_id))))
                except (OSError, aioredis.RedisError) as exc:  # Redis away: the job goes on
                    if not failing:
                        log.warning("job %s: no cancel checks while Redis is away: %s", job_id, exc)
                    failing = True
                else:
                    if failing:
                        log.info("job %s: cancels checked again", job_id)
                    failing = False
            return cancelled

        return check

    # --- a new version, tried before it can go live ---------------------------------

    def validate(
        self, name: str, version_id: str, example: dict[str, str] | None, reply: str
    ) -> None:
        """Load and try a version of one of the group's models, between two jobs (under
        the lock jobs hold), as the local executor does in a process of its own; the
        answers go to the API replica that waits for them (`cluster.validation_key`)."""
        key = validation_key(reply)
        self._answer(key, {"started": self.beat.worker})
        try:
            answer: dict[str, Any] = {"validated": self._validated(name, version_id, example)}
        except ValidationFailed as exc:
            answer = {"refused": str(exc)}
        except Exception as exc:  # the validation itself broke: said, not hidden
            log.exception("validating %s version %s", name, version_id)
            answer = {"refused": f"validation could not run on {self.beat.worker}: {exc}"}
        finally:
            gc.collect()  # what the model tried held
        self._answer(key, answer)
        log.info("%s: %s version %s %s", self.beat.worker, name, version_id, next(iter(answer)))

    def _validated(
        self, name: str, version_id: str, example: dict[str, str] | None
    ) -> dict[str, Any]:
        if not self.models.lock.acquire(timeout=self.settings.worker_start_timeout_s):
            raise ValidationFailed(f"{self.beat.worker} was busy loading models for too long")
        try:
            try:
                spec = self.call(self.models.version_spec(name, version_id))
            except (LookupError, RegistryError) as exc:
                raise ValidationFailed(str(exc)) from None
            self.models.fetch_missing(spec)  # from the bucket, checked against its sha256
            if missing := spec.missing_weights():
                raise ValidationFailed(
                    f"The weights ({', '.join(missing)}) are not on node {self.beat.node} and "
                    "could not be fetched from object storage (STORAGE_URL), nor found in a "
                    "models folder shared with the API."
                )
            scratch = self.scratch if self.settings.storage_url else None
            with tempfile.TemporaryDirectory(prefix="validation-", dir=scratch) as folder:
                item = _example_item(Path(folder), example)
                validated: Validated = validate_version(
                    spec, item, Path(folder) / "output", self.threads, self.beat.node,
                    self.beat.group,
                )  # fmt: skip
            return validated.as_record()
        finally:
            self.models.lock.release()

    def _answer(self, key: str, answer: dict[str, Any]) -> None:
        async def push() -> None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, json.dumps(answer))
                pipe.expire(key, VALIDATION_TTL_S)
                await pipe.execute()

        try:
            self.call(push())
        except (OSError, aioredis.RedisError) as exc:  # the API replica's wait says it
            log.warning("%s: the validation's answer was not sent: %s", self.beat.worker, exc)

    # --- plumbing --------------------------------------------------------------------

    def call(self, awaitable: Awaitable[T]) -> T:
        """Run on the process's event loop and wait for the result."""
        return self._loop.call(awaitable)

    def close(self) -> None:
        self.models.close()
        try:
            self.call(self.redis.delete(proc_key(self.beat.worker)))
            self.call(self.metrics.close())
            self.call(self.store.close())
        except Exception:  # leaving anyway: the heartbeat expires by itself
            log.exception("closing %s", self.beat.worker)


def _example_item(folder: Path, example: dict[str, str] | None) -> InputItem | None:
    """The example input that travelled in the validation's message, as a file."""
    if example is None:
        return None
    path = folder / f"example{example['suffix']}"
    path.write_bytes(base64.b64decode(example["data"]))
    return InputItem(
        path=path, name=example["name"], media_type=example["media_type"], kind=example["kind"]
    )
