"""Validating a new version of a model before it can go live, in a process of its own (so
that the API process stays free of ML frameworks and a crash takes only that process): the
weights are checked against their sha256, loaded and checked against their declaration as
a worker loads them (`runner.load_checked`: the label count, the input shape), warmed up
and tried on the example input when there is one. The runtime chosen, the load and warm-up
times and the example's latency are measured. Every refusal is a sentence a person can act
on."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..vision.model import InputItem, RuntimeChoice
from ..vision.params import with_defaults
from ..vision.registry import ModelSpec, family_class
from ..vision.weights import verify_weights
from .runner import load_checked, set_thread_env

_MAX_ITEMS = 10  # of the example's result, kept with the version


class ValidationFailed(Exception):
    """The version cannot go live; the message says why, for people."""


@dataclass(frozen=True)
class Validated:
    runtime: RuntimeChoice | None
    load_ms: float
    warmup_ms: float
    latency_ms: float | None  # the example's prediction
    example: dict[str, Any] | None  # what the example's prediction found (items cut short)
    classes: list[str] | None

    def as_record(self) -> dict[str, Any]:
        return {
            "runtime": self.runtime.model_dump(mode="json") if self.runtime else None,
            "load_ms": round(self.load_ms, 1),
            "warmup_ms": round(self.warmup_ms, 1),
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "example": self.example,
            "classes": self.classes[:1000] if self.classes else None,
        }


def validate_version(
    spec: ModelSpec, example: InputItem | None, outdir: Path, threads: int
) -> Validated:
    """In the validating process: ValidationFailed, or what was measured."""
    set_thread_env(threads)
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
    )


async def validate_apart(
    spec: ModelSpec, example: InputItem | None, outdir: Path, threads: int, timeout_s: float
) -> Validated:
    """`validate_version` in a fresh process (spawned: no state of this one carried over)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(pool, validate_version, spec, example, outdir, threads)
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
