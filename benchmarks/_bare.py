"""Bare predict for `benchmarks.serving`: the model class the product uses, loaded from the
same registry entry on the same runtime, called in-process with no server around it.

Each measurement runs in a process of its own, started with `spawn`, which sets its thread
budget before any framework is imported (as the product's workers do); this module imports
no framework at module level."""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgallery.jobs.runner import THREAD_VARS

_SPAWN = multiprocessing.get_context("spawn")
_WARMUP_IMAGES = 2
_LOAD_TIMEOUT_S = 600


@dataclass(frozen=True)
class BareModel:
    """Where to load a model from: the registry entry `name`, on `runtime` (None: the
    family's own, for families without a runtime choice)."""

    registry: Path
    models_dir: Path
    name: str
    runtime: str | None


# --- what runs in the child processes ----------------------------------------------------


def _load(target: BareModel, threads: int) -> Any:
    sys.stdout = sys.stderr  # frameworks' chatter; results travel back by pipe, not stdout
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from modelgallery.vision.registry import family_class, load_registry

    spec = load_registry(target.registry, target.models_dir).models[target.name]
    if target.runtime:
        spec = spec.model_copy(update={"runtime": target.runtime})
    model = family_class(spec.family)(spec)
    model.load()
    model.warmup()
    return model


def _predict(model: Any, data: bytes) -> None:
    """One request's worth of bare work: decode the file's bytes, then infer."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    model.infer(image, model.prepare({}))


def _latencies(target: BareModel, threads: int, images: list[bytes], count: int) -> list[float]:
    model = _load(target, threads)
    for index in range(_WARMUP_IMAGES):
        _predict(model, images[index % len(images)])
    times = []
    for index in range(count):
        started = time.perf_counter()
        _predict(model, images[index % len(images)])
        times.append((time.perf_counter() - started) * 1000)
    return times


def _throughput(
    target: BareModel, images: list[bytes], count: int, barrier: Any, results: Any
) -> None:
    model = _load(target, 1)
    for index in range(_WARMUP_IMAGES):
        _predict(model, images[index % len(images)])
    barrier.wait(timeout=_LOAD_TIMEOUT_S)  # all loaded and warm: one clock start for all
    started = time.monotonic()
    for index in range(count):
        _predict(model, images[index % len(images)])
    results.put((started, time.monotonic(), count))


def _stream(target: BareModel, threads: int, video: Path) -> tuple[int, float]:
    """Frames of `video` and ms per frame: decode, infer and draw, one frame after another."""
    import cv2

    model = _load(target, threads)
    settings = model.prepare({})
    capture = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)
    frames = 0
    started = time.perf_counter()
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            model.draw(frame, model.infer(frame, settings))
            frames += 1
    finally:
        capture.release()
    elapsed_ms = (time.perf_counter() - started) * 1000
    return frames, elapsed_ms / max(1, frames)


# --- what the benchmark calls -------------------------------------------------------------


def _in_child(function: Any, *args: Any) -> Any:
    with ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN) as pool:
        return pool.submit(function, *args).result()


def latencies(target: BareModel, threads: int, images: list[bytes], count: int) -> list[float]:
    """Milliseconds per image (decode + infer) for `count` images in turn, in one process
    with `threads` threads."""
    return _in_child(_latencies, target, threads, images, count)


def machine_max(target: BareModel, processes: int, images: list[bytes], count: int) -> float:
    """Images per second of `processes` single-thread processes together, each running
    bare predict in a loop; `count` images in all, from the moment all are warm."""
    each = math.ceil(count / processes)
    barrier = _SPAWN.Barrier(processes)
    results = _SPAWN.Queue()
    children = [
        _SPAWN.Process(target=_throughput, args=(target, images, each, barrier, results))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    try:
        runs = [_result_of(results, children) for _ in children]
    finally:
        for child in children:
            child.join(60)
    wall_s = max(end for _, end, _ in runs) - min(start for start, _, _ in runs)
    return sum(n for _, _, n in runs) / wall_s


def _result_of(results: Any, children: list[Any]) -> Any:
    """The next result; an error as soon as a child died without sending one."""
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            if any(child.exitcode not in (None, 0) for child in children):
                raise RuntimeError("a bare predict process failed (its error is above)") from None


def stream(target: BareModel, threads: int, video: Path) -> tuple[int, float]:
    """Frames and ms per frame of the bare loop over `video` (see `_stream`)."""
    return _in_child(_stream, target, threads, video)
