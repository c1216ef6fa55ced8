"""Validating a new version of a model before it can go live, in a process that may load
it: one spawned for it by the local executor (`validate_apart`: the API process stays free of
ML frameworks and a crash takes only that process), or a worker node's pool process of the
model's group, between two jobs (`jobs/distributed/node_process.py`). The
weights are checked against their sha256, loaded and checked against their declaration as
a worker loads them (`runner.load_checked`: the label count, the input shape), warmed up
and tried on the example input when there is one. The runtime chosen, the load and warm-up
times and the example's latency are measured. Every refusal is a sentence a person can act
on."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..vision.model import InputItem
from ..vision.params import with_defaults
from ..vision.registry import ModelSpec, family_class
from ..vision.weights import verify_weights
from .lifecycle.executor import Validated, ValidationFailed
from .runner import load_checked, set_thread_env

__all__ = ["Validated", "ValidationFailed", "validate_apart", "validate_version"]

_MAX_ITEMS = 10  # of the example's result, kept with the version


def validate_version(
    spec: ModelSpec,
    example: InputItem | None,
    outdir: Path,
    threads: int,
    node: str = "",
    label: str = "validation",
) -> Validated:
    """In the validating process: ValidationFailed, or what was measured, with where it ran
    (`node`, and the worker's name `<node>/<label> pid <pid>`, as jobs record theirs)."""
    set_thread_env(threads)
    host, pid = socket.gethostname(), os.getpid()
    node = node or host
    ran_on = {"node": node, "host": host, "pid": pid, "worker": f"{node}/{label} pid {pid}"}
    try:
        verify_weights(spec)
    except Exception as exc:
        raise ValidationFailed(f"The weights are not the file that was uploaded: {exc}") from None
    started = time.perf_counter()
    model = family_class(spec.family)(spec)
    try:
        load_checked(model)
    except ValueError as exc:  # the families' own sentences
        raise ValidationFailed(str(exc)) from None
    except Exception as exc:
        raise ValidationFailed(f"The weights could not be loaded: {_short(exc)}") from None
    loaded = time.perf_counter()
    try:
        model.warmup()
    except Exception as exc:
        raise ValidationFailed(
            f"The model failed on a blank input of the size it declares: {_short(exc)}"
        ) from None
    warmed = time.perf_counter()
    found: dict[str, Any] | None = None
    latency_ms = None
    if example is not None:
        params = with_defaults(spec.params, {})
        outdir.mkdir(parents=True, exist_ok=True)
        try:
            began = time.perf_counter()
            result = model.predict([example], params, outdir, lambda fraction, message: None)
            latency_ms = (time.perf_counter() - began) * 1000
        except Exception as exc:
            raise ValidationFailed(
                f"The model failed on the example '{example.name}': {_short(exc)}"
            ) from None
        found = _cut(result.summary)
    return Validated(
        runtime=model.runtime,
        load_ms=(loaded - started) * 1000,
        warmup_ms=(warmed - loaded) * 1000,
        latency_ms=latency_ms,
        example=found,
        classes=model.classes,
        ran_on=ran_on,
    )


async def validate_apart(
    spec: ModelSpec,
    example: InputItem | None,
    outdir: Path,
    threads: int,
    timeout_s: float,
    node: str = "",
) -> Validated:
    """`validate_version` in a fresh process (spawned: no state of this one carried over)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(pool, validate_version, spec, example, outdir, threads, node)
        try:
            return await asyncio.wait_for(call, timeout_s)
        except TimeoutError:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            raise ValidationFailed(
                f"Loading and trying the model took longer than {timeout_s:g} s."
            ) from None
        except BrokenProcessPool:
            raise ValidationFailed(
                "The process that loaded the model died (out of memory, or the runtime "
                "crashed on these weights)."
            ) from None


def _cut(summary: dict[str, Any]) -> dict[str, Any]:
    items = summary.get("items")
    if isinstance(items, list) and len(items) > _MAX_ITEMS:
        return {**summary, "items": items[:_MAX_ITEMS], "items_cut": len(items)}
    return summary


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
