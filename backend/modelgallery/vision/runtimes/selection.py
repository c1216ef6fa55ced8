"""Choosing the runtime a model serves on: the one the registry names, or with `auto` the
fastest of those that load, measured on the warm-up input. A runtime that fails to load
(its package missing, its export broken) is skipped with the reason, never fatal while
another one runs."""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..declarations import RuntimeCandidate, RuntimeChoice, RuntimeName, RuntimeRequest
from .remembered import Remembered

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

Net = Callable[["np.ndarray"], Any]  # a batch in, the network's raw output out
N = TypeVar("N")
T = TypeVar("T")
_TIMED_RUNS = 7
# Candidates whose thread pools are their own are timed at one thread: other work on the
# machine's other core (another model loading, at a first start) does not bend that measure,
# where a net at two threads waits on its slower thread. Measured here: with one core busy,
# OpenVINO's 25 ms against LiteRT's 30 at two threads became 39 against 36, and the slower
# runtime was chosen; at one thread, 37 against 46 either way. A runtime whose pool is the
# process's (TensorFlow's) cannot be timed so: where it competes, all run at the budget.
TIMING_THREADS = 1


def thread_budget() -> int:
    """The most threads a job of this worker may get: what the worker set for the
    frameworks before loading them (every core, unless the settings pin a count)."""
    return max(1, int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1))


class PerThreadCount(Generic[T]):
    """A runtime's net at the thread count of the job at hand. ONNX Runtime, OpenVINO and
    LiteRT fix their thread pool when a session is made, so each count gets its own session,
    made on first use (`prepare` makes one ahead). `build(threads)` makes one; a runtime
    whose pool can be resized in place (PyTorch's) may ignore the count."""

    def __init__(self, build: Callable[[int], T], threads: int) -> None:
        self._build = build
        self._nets: dict[int, T] = {}
        self.threads = threads

    def prepare(self, threads: int) -> None:
        if threads not in self._nets:
            self._nets[threads] = self._build(threads)

    def use(self, threads: int) -> None:
        self.threads = threads

    def current(self) -> T:
        self.prepare(self.threads)
        return self._nets[self.threads]

    def __call__(self, batch: np.ndarray) -> Any:
        net: Any = self.current()  # a Net wherever it is called
        return net(batch)


def choose(
    requested: RuntimeRequest,
    builders: Mapping[RuntimeName, Callable[[], N]],
    trial: Callable[[N], object],
    remember: Remembered | None = None,
) -> tuple[N, RuntimeChoice]:
    """The net to serve with, and the record of the choice. `builders` is in order of
    preference; the first is the fallback when the requested one cannot load. `trial(net)`
    runs the warm-up input once: what is timed. With `auto` and `remember`, the choice is
    measured once per model and machine and read back at every other load."""
    if requested != "auto" or remember is None or len(builders) < 2:
        return _measured(requested, builders, trial)
    known = _reused(remember, builders, trial)
    if known is not None:
        return known
    with remember.measuring():  # the group's other workers wait for this one's record
        known = _reused(remember, builders, trial)
        if known is not None:
            return known
        net, choice = _measured(requested, builders, trial)
        choice.measured_at = datetime.now(UTC).isoformat(timespec="seconds")
        remember.write(choice)
        return net, choice


def _reused(
    remember: Remembered,
    builders: Mapping[RuntimeName, Callable[[], N]],
    trial: Callable[[N], object],
) -> tuple[N, RuntimeChoice] | None:
    """The remembered runtime's net, built and tried; None when there is no record, or the
    runtime no longer loads (then it is measured again)."""
    choice = remember.read(builders)
    if choice is None:
        return None
    try:
        net = builders[choice.chosen]()
        trial(net)
    except Exception as exc:
        log.warning("runtime %s, chosen before, is not usable now: %s", choice.chosen, exc)
        return None
    return net, choice.model_copy(update={"reused": True})


def _measured(
    requested: RuntimeRequest,
    builders: Mapping[RuntimeName, Callable[[], N]],
    trial: Callable[[N], object],
) -> tuple[N, RuntimeChoice]:
    names = list(builders) if requested == "auto" else [requested]
    fallback = next(iter(builders))
    if requested != "auto" and requested != fallback:
        names.append(fallback)
    failed: dict[RuntimeName, str] = {}
    nets: dict[RuntimeName, N] = {}
    for name in names:
        if requested != "auto" and nets:
            break
        if name not in builders:
            runs_on = ", ".join(builders)
            failed[name] = f"this model's weights do not run on {name} (they run on {runs_on})"
            continue
        try:
            net = builders[name]()
            trial(net)  # the first run of a net pays for its lazy set-up: not timed
        except Exception as exc:  # any failure only rules this runtime out
            log.warning("runtime %s is not usable: %s", name, exc)
            failed[name] = _short(exc)
            continue
        nets[name] = net
    if not nets:
        raise RuntimeError("; ".join(f"{name}: {error}" for name, error in failed.items()))
    times = _interleaved_ms(nets, trial)
    tried = [
        RuntimeCandidate(name=name, error=failed[name])
        if name in failed
        else RuntimeCandidate(name=name, ms=round(times[name], 2))
        for name in names
        if name in failed or name in nets
    ]
    chosen = min(nets, key=lambda name: times[name])
    return nets[chosen], RuntimeChoice(requested=requested, chosen=chosen, candidates=tried)


def _interleaved_ms(
    nets: Mapping[RuntimeName, N], trial: Callable[[N], object]
) -> dict[RuntimeName, float]:
    """Each net's best time of a few, timed in turns: the workers still loading other
    models share the cores meanwhile. In turns, that load falls on every candidate alike;
    the best run is the one it disturbed least (load only ever adds time)."""
    times: dict[RuntimeName, list[float]] = {name: [] for name in nets}
    for _ in range(_TIMED_RUNS):
        for name, net in nets.items():
            started = time.perf_counter()
            trial(net)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: min(runs) for name, runs in times.items()}


def median_ms(run: Callable[[], object], runs: int = _TIMED_RUNS) -> float:
    """The median time of `runs` calls of `run`, after one untimed call (the first run of
    a net or a shape pays for its lazy set-up)."""
    run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 300 else text[:297] + "..."
