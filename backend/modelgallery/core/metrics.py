"""Prometheus metrics, one registry per app so that tests can build several apps."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    def __init__(self) -> None:
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
        self.jobs = Counter(
            "modelgallery_jobs", "Jobs by model and final status", ["model", "status"], registry=r
        )
        self.job_seconds = Histogram(
            "modelgallery_job_duration_seconds",
            "Job time from submission to end",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.model_seconds = Histogram(
            "modelgallery_model_duration_seconds",
            "Time inside model.predict",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )

    def watch_executor(
        self, queue_depths: Callable[[], dict[str, int]], live_workers: Callable[[], dict[str, int]]
    ) -> None:
        self.registry.register(_ExecutorCollector(queue_depths, live_workers))


class _ExecutorCollector(Collector):
    def __init__(
        self, queue_depths: Callable[[], dict[str, int]], live_workers: Callable[[], dict[str, int]]
    ) -> None:
        self._queue_depths = queue_depths
        self._live_workers = live_workers

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "modelgallery_queue_depth", "Jobs waiting per worker group", labels=["group"]
        )
        for group, value in self._queue_depths().items():
            depth.add_metric([group], value)
        yield depth
        alive = GaugeMetricFamily(
            "modelgallery_workers_alive", "Live worker processes per group", labels=["group"]
        )
        for group, value in self._live_workers().items():
            alive.add_metric([group], value)
        yield alive
