"""Prometheus metrics, one registry per app so that tests can build several apps.

Job metrics (counts by status, durations, queue wait) are recorded where a job ends. On one
machine that is the API process, into its registry. With worker nodes it is any node or any
API replica, so they are counted in Redis (`JobCounts`) and every replica's `/metrics`
shows the cluster's totals under the same names."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from .redis_conn import RedisTarget, async_client
from .shared import REDIS_ERRORS

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_HISTOGRAMS = {
    "modelgallery_job_duration_seconds": "Job time from submission to end",
    "modelgallery_model_duration_seconds": "Time inside model.predict",
    "modelgallery_job_queue_seconds": "Time a job waited before a worker started it",
}
_JOBS = ("modelgallery_jobs", "Jobs by model and final status")
_KEY = "mg:metrics:"
_SEP = "\t"


@dataclass(frozen=True)
class JobEnd:
    model: str
    status: str
    total_s: float | None
    model_s: float | None
    queue_s: float | None

    def durations(self) -> dict[str, float | None]:
        names = list(_HISTOGRAMS)
        return dict(zip(names, (self.total_s, self.model_s, self.queue_s), strict=True))


@dataclass(frozen=True)
class RuntimeInUse:
    node: str
    model: str
    runtime: str


@dataclass
class ClusterView:
    """What `/metrics` shows of the worker processes, wherever they run."""

    queue_depths: Callable[[], dict[str, int]]
    live_workers: Callable[[], dict[str, int]]
    runtimes: Callable[[], Iterable[RuntimeInUse]] = field(default=lambda: ())


class Metrics:
    def __init__(self, redis: RedisTarget | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "modelgallery_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "modelgallery_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.shared = JobCounts(redis) if redis else None
        if self.shared is not None:
            self.registry.register(self.shared)
            return
        self._jobs = Counter(*_JOBS, ["model", "status"], registry=r)
        self._durations = {
            name: Histogram(name, doc, ["model"], buckets=_LATENCY_BUCKETS, registry=r)
            for name, doc in _HISTOGRAMS.items()
        }

    async def job_ended(self, end: JobEnd) -> None:
        if self.shared is not None:
            await self.shared.record(end)
            return
        self._jobs.labels(end.model, end.status).inc()
        for name, seconds in end.durations().items():
            if seconds is not None:
                self._durations[name].labels(end.model).observe(seconds)

    async def exposition(self) -> bytes:
        """Every metric in Prometheus' text format, with what is counted elsewhere (Redis)
        read first."""
        if self.shared is not None:
            await self.shared.refresh()
        return generate_latest(self.registry)

    def watch_executor(self, view: ClusterView) -> None:
        self.registry.register(_ExecutorCollector(view))

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()


class JobCounts(Collector):
    """Job metrics in Redis hashes, one per family: `<model>\\t<status>` counts, and per
    histogram each model's bucket counts, sum and count. Recording never fails a job: while
    Redis is away the counts of the jobs that end are lost, and the log says so once."""

    def __init__(self, redis: RedisTarget) -> None:
        self._redis: aioredis.Redis = async_client(
            redis, socket_connect_timeout=2.0, socket_timeout=2.0
        )
        self._snapshot: dict[str, dict[str, float]] = {}
        self._failing = False

    async def record(self, end: JobEnd) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(_KEY + _JOBS[0], f"{end.model}{_SEP}{end.status}", 1)
                for name, seconds in end.durations().items():
                    if seconds is None:
                        continue
                    bucket = next((i for i, le in enumerate(_LATENCY_BUCKETS) if seconds <= le), -1)
                    key, at = _KEY + name, f"{end.model}{_SEP}"
                    pipe.hincrby(key, f"{at}{bucket}", 1)
                    pipe.hincrbyfloat(key, f"{at}sum", seconds)
                    pipe.hincrby(key, f"{at}count", 1)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            if not self._failing:
                log.warning("job metrics not counted while Redis is away: %s", exc)
            self._failing = True
        else:
            self._failing = False

    async def refresh(self) -> None:
        names = [_JOBS[0], *_HISTOGRAMS]
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.hgetall(_KEY + name)
                found = await pipe.execute()
        except REDIS_ERRORS as exc:  # the last figures read are shown
            log.warning("job metrics not read from Redis: %s", exc)
            return
        self._snapshot = {
            name: {k.decode(): float(v) for k, v in values.items()}
            for name, values in zip(names, found, strict=True)
        }

    def collect(self) -> Iterator[Metric]:
        jobs = CounterMetricFamily(*_JOBS, labels=["model", "status"])
        for field_name, count in sorted(self._snapshot.get(_JOBS[0], {}).items()):
            model, _, status = field_name.partition(_SEP)
            jobs.add_metric([model, status], count)
        yield jobs
        for name, doc in _HISTOGRAMS.items():
            family = HistogramMetricFamily(name, doc, labels=["model"])
            values = self._snapshot.get(name, {})
            for model in sorted({k.partition(_SEP)[0] for k in values}):
                at = f"{model}{_SEP}"
                counts = [values.get(f"{at}{i}", 0.0) for i in range(len(_LATENCY_BUCKETS))]
                cumulative, buckets = 0.0, []
                for le, count in zip(_LATENCY_BUCKETS, counts, strict=True):
                    cumulative += count
                    buckets.append((str(le), cumulative))
                buckets.append(("+Inf", values.get(f"{at}count", 0.0)))
                family.add_metric([model], buckets, values.get(f"{at}sum", 0.0))
            yield family

    async def close(self) -> None:
        await self._redis.aclose()


class _ExecutorCollector(Collector):
    def __init__(self, view: ClusterView) -> None:
        self._view = view

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "modelgallery_queue_depth",
            "Jobs waiting per worker group (the signal to add or remove worker nodes)",
            labels=["group"],
        )
        for group, value in self._view.queue_depths().items():
            depth.add_metric([group], value)
        yield depth
        alive = GaugeMetricFamily(
            "modelgallery_workers_alive", "Live worker processes per group", labels=["group"]
        )
        for group, value in self._view.live_workers().items():
            alive.add_metric([group], value)
        yield alive
        runtime = GaugeMetricFamily(
            "modelgallery_model_runtime",
            "1 for the runtime each node serves each loaded model on",
            labels=["node", "model", "runtime"],
        )
        for used in sorted(set(self._view.runtimes()), key=lambda u: (u.node, u.model)):
            runtime.add_metric([used.node, used.model, used.runtime], 1)
        yield runtime
