"""Where a job's time goes inside the model: milliseconds summed per named stage (decode,
inference, drawing, encoding, writing), reported with the result and kept in the job's
timings. Stages may be timed from several threads at once (the video pipeline)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The names the pipelines use, in the order a job passes through them.
STAGE_ORDER = ("decode", "inference", "drawing", "encoding", "writing")


class Stages:
    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._ms: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        started = self._clock()
        try:
            yield
        finally:
            self.add(name, (self._clock() - started) * 1000)

    def add(self, name: str, ms: float) -> None:
        with self._lock:
            self._ms[name] = self._ms.get(name, 0.0) + ms

    def as_dict(self) -> dict[str, float]:
        """Known stages first, in their order, then any others; rounded to 0.01 ms."""
        with self._lock:
            names = [n for n in STAGE_ORDER if n in self._ms]
            names += sorted(n for n in self._ms if n not in STAGE_ORDER)
            return {n: round(self._ms[n], 2) for n in names}
