"""A worker node: `modelgallery worker --groups torch,tf` (or `--models a,b`).

One Celery worker per group, each in its own process tree (never two frameworks in one
process), taking from Redis the queues of the group's models that it can run (one queue
per model: a model whose weights are missing here is left to the other nodes). Each pool
process (`node_process.py`) loads the group's models once at start, announces itself with
a heartbeat (`cluster.py`), and runs one job at a time, recording it exactly as the API's
recorder does on one machine, on the version the job was submitted to. Every process also
takes the group's validations (a queue of their own, `<group>:validate`): a new version is
loaded and tried there between two jobs before it can go live.

Cancelling: the process stops at the job's next progress report once the cancel key is
set; the API kills it (Celery's revoke) if it does not. Its time limit: the same check
at each progress report, and Celery's hard limit kills and replaces a process stuck
past it. A change to the models (a version made live, a model added, edited, loaded or
unloaded) changes the generation in Redis: each process adopts it in place after its job at
hand, loading only what changed (`node_models.py`). An administrator's reload of a model
restarts its group's processes when idle; Celery starts fresh ones, which load it again."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from celery import signals
from celery.worker.control import control_command

from ...catalog.registry import read_registry
from ...core.settings import Settings
from ...vision.registry import Registry
from .broker import RUN_TASK, VALIDATE_TASK, celery_app
from .cluster import model_queue, validation_queue
from .node_models import missing_reason
from .node_process import NodeProcess

log = logging.getLogger(__name__)


CONSUME = "modelgallery_consume"  # the remote control command below


class NodeSelectionError(ValueError):
    pass


@control_command(  # type: ignore[untyped-decorator]
    name=CONSUME, args=[("queue", str), ("wanted", bool)], signature="<queue> <wanted>"
)
def _consume(state: Any, queue: str, wanted: bool, **_: Any) -> dict[str, str]:
    """Celery's `add_consumer` and `cancel_consumer` in one, run by the node's worker. A
    queue consumed again after a cancel (a model unloaded, then loaded) must stay among
    those a reconnection to Redis consumes from: Celery's `add_consumer` leaves it out of
    that selection (the queue is known, so it is not selected again)."""
    consumer = state.consumer

    def add() -> None:
        consumer.add_task_queue(queue)
        queues = consumer.app.amqp.queues
        queues.select_add(queues[queue])

    if wanted:
        consumer.call_soon(add)
    else:
        consumer.call_soon(consumer.cancel_task_queue, queue)
    return {"ok": f"{'consuming' if wanted else 'not consuming'} {queue}"}


def hosted(registry: Registry, groups: list[str], models: list[str]) -> dict[str, list[str]]:
    """The enabled models this node serves, by group: those of `groups` and `models`
    (every enabled model when both are empty)."""
    unknown = [m for m in models if m not in registry.models]
    unknown += [g for g in groups if g not in registry.groups]
    if unknown:
        raise NodeSelectionError(
            f"not in the registry: {', '.join(unknown)} (groups: {', '.join(registry.groups)})"
        )
    chosen: dict[str, list[str]] = {}
    for spec in registry.models.values():
        wanted = (not groups and not models) or spec.group in groups or spec.name in models
        if wanted and spec.enabled:
            chosen.setdefault(spec.group, []).append(spec.name)
    if not chosen:
        raise NodeSelectionError("no enabled model matches: this node would serve nothing")
    return chosen


def run_node(settings: Settings, groups: list[str], models: list[str]) -> int:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        log.warning(
            "this node runs as root, which it never needs (it opens no port): run it as a "
            "user of its own, e.g. `useradd --system modelgallery` (docs/scaling.md, "
            '"On a machine of your own, without Docker")'
        )
    registry = read_registry(settings)
    by_group = hosted(registry, groups, models)
    # A whole group also serves the models added to it at run time; a list, only those.
    whole = {g for g in by_group if g in groups or not (groups or models)}
    if len(by_group) == 1:
        [(group, names)] = by_group.items()
        return _run_group(settings, group, names, group in whole)
    # One process tree per group; a group's worker that stops stops the node.
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "modelgallery", "worker"]
            + (["--groups", group] if group in whole else ["--models", ",".join(names)])
        )
        for group, names in by_group.items()
    ]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    forward(signal.SIGTERM, None)
    return max(child.wait() for child in children)


def _run_group(settings: Settings, group: str, names: list[str], whole: bool) -> int:
    node = settings.node_name or socket.gethostname()
    processes = settings.workers_for(group)
    app = celery_app(settings)
    app.conf.worker_proc_alive_timeout = settings.worker_start_timeout_s
    hostname = f"{node}.{group}@{socket.gethostname()}"
    holder: dict[str, NodeProcess] = {}
    registry = read_registry(settings)
    queues = []
    for name in names:
        if missing := registry.models[name].missing_weights():
            log.warning("%s: it takes no jobs of this model", missing_reason(node, name, missing))
        else:
            queues.append(model_queue(group, name))
    if not queues:  # it still announces itself, with the reasons, on the admin page
        log.error("node %s can run none of %s: it takes no jobs", node, ", ".join(names))
    queues.append(validation_queue(group))  # new versions of the group's models are tried here

    @app.task(name=RUN_TASK, bind=True)  # type: ignore[untyped-decorator]
    def run_job(self: Any, job_id: str) -> None:
        holder["process"].run(job_id, str(self.request.id))

    # Acknowledged when taken: a version that kills its process is not tried again and
    # again (the API replica waiting for it says so when its time is up).
    @app.task(name=VALIDATE_TASK, acks_late=False)  # type: ignore[untyped-decorator]
    def validate(model: str, version: str, example: dict[str, str] | None, reply: str) -> None:
        holder["process"].validate(model, version, example, reply)

    def consume(model: str, wanted: bool) -> None:
        """What a process could load decides what the node takes (a model that failed to
        load, or whose weights were fetched since the node started)."""
        queue = model_queue(group, model)
        arguments = {"queue": queue, "wanted": wanted}
        try:
            app.control.broadcast(CONSUME, arguments=arguments, destination=[hostname])
        except Exception as exc:  # Redis away: the next process start tries again
            log.warning("could not %s %s: %s", "consume" if wanted else "leave", queue, exc)

    def start_process(**_: Any) -> None:
        chosen = None if whole else names
        holder["process"] = NodeProcess(settings, node, group, chosen, processes, consume)

    def stop_process(**_: Any) -> None:
        process = holder.pop("process", None)
        if process is not None:
            process.close()

    signals.worker_process_init.connect(start_process, weak=False)
    signals.worker_process_shutdown.connect(stop_process, weak=False)
    log.info("node %s: group %s with %s, %d process(es)", node, group, names, processes)
    app.worker_main(
        [
            "worker",
            "--queues", ",".join(queues),
            "--concurrency", str(processes),
            "--pool", "prefork",
            "--hostname", hostname,
            "--without-gossip",
            "--without-mingle",
            "--loglevel", settings.log_level,
        ]
    )  # fmt: skip
    return 0
