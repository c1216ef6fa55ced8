"""Chaos and soak: the real server (toy registry, SQLite) under a load of twice what it can
serve, its workers SIGKILLed at random and the API restarted once, then drained. What it
checks: every answer is 2xx, 429 or 503 with Retry-After; every accepted job ends (succeeded,
or failed with its reason) and none is lost or stuck; the store holds exactly the accepted
jobs; the memory of the API and of the workers stays flat.

    .venv/bin/python -m tests.chaos.soak --minutes 30     # the long form
    (tests/chaos/test_soak.py runs it for 3 minutes in `make test`)

It prints a report; the test asserts on it."""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.jobs import png_bytes
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

JOB_PARAMS = {"sleep_s": "0.2", "steps": "2"}
TERMINAL = {"succeeded", "failed", "cancelled"}
SERVER_ENV = {
    "WORKER_GROUPS": '{"toy": 2, "toyq": 1}',
    "QUEUE_SIZE": "40",
    "LOG_LEVEL": "WARNING",
}


@dataclass
class SoakReport:
    duration_s: float
    capacity_per_s: float
    offered_per_s: float
    answers: Counter[str] = field(default_factory=Counter)  # "202", "503", "refused", ...
    bad_answers: list[str] = field(default_factory=list)  # anything not allowed, described
    accepted: int = 0
    ended: Counter[str] = field(default_factory=Counter)  # succeeded / failed / cancelled
    failures: Counter[str] = field(default_factory=Counter)  # failed jobs' reasons
    lost: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    stored: int = -1
    kills: int = 0
    api_restarts: int = 0
    rss_mb: dict[str, tuple[float, float]] = field(default_factory=dict)  # start, end

    def lines(self) -> list[str]:
        return [
            f"duration {self.duration_s:.0f} s; capacity {self.capacity_per_s:.1f} jobs/s; "
            f"offered {self.offered_per_s:.1f} requests/s",
            f"answers: {dict(sorted(self.answers.items()))}; not allowed: {len(self.bad_answers)}",
            f"accepted {self.accepted}; ended {dict(self.ended)}; lost {len(self.lost)}; "
            f"stuck {len(self.stuck)}; in the store {self.stored}",
            f"failed jobs' reasons: {dict(self.failures.most_common(5))}",
            f"workers SIGKILLed {self.kills}; API restarts {self.api_restarts}",
            "RSS MB (start -> end): "
            + ", ".join(f"{k} {a:.0f} -> {b:.0f}" for k, (a, b) in self.rss_mb.items()),
        ]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _Soak:
    def __init__(self, server: BackendServer, seconds: float, seed: int) -> None:
        self.server, self.seconds = server, seconds
        self.random = random.Random(seed)
        self.image = png_bytes((64, 48))
        self.lock = threading.Lock()
        self.accepted: list[str] = []
        self.stop = threading.Event()
        self.restarting = threading.Event()

    def admin(self, http: httpx.Client) -> dict[str, str]:
        token = http.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        http.cookies.clear()
        return {"Authorization": f"Bearer {token}"}

    def submit(self, http: httpx.Client) -> httpx.Response:
        return http.post(
            "/api/models/toy/predictions",
            files={"file": ("p.png", self.image, "image/png")},
            data=JOB_PARAMS,
        )

    def capacity(self, http: httpx.Client) -> tuple[float, int]:
        """Jobs per second the workers finish with the queue full, and the jobs it took."""
        started, ids = time.monotonic(), []
        for _ in range(12):
            response = self.submit(http)
            if response.status_code == 202:
                ids.append(response.json()["id"])
        for job_id in ids:
            while http.get(f"/api/predictions/{job_id}").json()["status"] not in TERMINAL:
                time.sleep(0.05)
        return len(ids) / (time.monotonic() - started), len(ids)

    def workers(self, http: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
        answer = http.get("/api/admin/models", headers=headers)
        return answer.json()["workers"] if answer.status_code == 200 else []

    def load(self, rate: float, report: SoakReport) -> None:
        interval = 1 / rate
        with httpx.Client(base_url=self.server.url, timeout=30) as http:
            next_at = time.monotonic()
            while not self.stop.is_set():
                next_at += interval
                try:
                    response = self.submit(http)
                except httpx.TransportError as exc:
                    with self.lock:
                        if self.restarting.is_set():  # no answer while the API restarts
                            report.answers["no answer (API restarting)"] += 1
                        else:
                            report.bad_answers.append(f"no answer: {exc!r}")
                else:
                    self.record(response, report)
                time.sleep(max(0.0, next_at - time.monotonic()))

    def record(self, response: httpx.Response, report: SoakReport) -> None:
        status = response.status_code
        with self.lock:
            report.answers[str(status)] += 1
            if 200 <= status < 300:
                self.accepted.append(response.json()["id"])
            elif status in (429, 503) and response.headers.get("retry-after"):
                pass
            else:
                report.bad_answers.append(f"{status} {response.text[:200]}")

    def chaos(self, report: SoakReport, headers: dict[str, str]) -> None:
        """A worker SIGKILLed every few seconds; the API restarted once, half way."""
        import os
        import signal

        restart_at = time.monotonic() + self.seconds / 2
        with httpx.Client(base_url=self.server.url, timeout=30) as http:
            while not self.stop.wait(self.random.uniform(2, 6)):
                if report.api_restarts == 0 and time.monotonic() >= restart_at:
                    self.restarting.set()
                    self.server.stop()
                    self.server.start()
                    self.restarting.clear()
                    report.api_restarts += 1
                    headers.update(self.admin(http))
                    continue
                alive = [w for w in self.workers(http, headers) if w.get("alive") and w.get("pid")]
                if alive:
                    victim = self.random.choice(alive)
                    try:
                        os.kill(victim["pid"], signal.SIGKILL)
                        report.kills += 1
                    except ProcessLookupError:
                        pass


def _process_rss(server: BackendServer) -> dict[str, float]:
    assert server.process is not None
    api = server.process.pid
    children = Path(f"/proc/{api}/task/{api}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return {"api": _rss_mb(api), "workers": sum(_rss_mb(p) for p in pids)}


def run_soak(seconds: float, data_dir: Path, seed: int = 1) -> SoakReport:
    server = BackendServer(data_dir, SERVER_ENV).start()
    try:
        soak = _Soak(server, seconds, seed)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            headers = soak.admin(http)
            capacity, probes = soak.capacity(http)
            report = SoakReport(seconds, capacity, 2 * capacity)
            rss_start = _process_rss(server)
            loaders = [
                threading.Thread(target=soak.load, args=(capacity, report)) for _ in range(2)
            ]
            chaos = threading.Thread(target=soak.chaos, args=(report, headers))
            for thread in (*loaders, chaos):
                thread.start()
            time.sleep(seconds)
            soak.stop.set()
            for thread in (*loaders, chaos):
                thread.join()
            report.accepted = len(soak.accepted)
            _drain(http, soak.accepted, report)
            rss_end = _process_rss(server)
            report.rss_mb = {k: (rss_start[k], rss_end[k]) for k in rss_start}
            listed = http.get("/api/admin/predictions", params={"limit": 1}, headers=headers)
            report.stored = listed.json()["count"] - probes
        return report
    finally:
        server.stop()


def _drain(http: httpx.Client, accepted: list[str], report: SoakReport) -> None:
    """Wait for every accepted job to end; one that has not after a generous while is stuck."""
    pending = set(accepted)
    deadline = time.monotonic() + 120 + 2 * len(accepted)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            answer = http.get(f"/api/predictions/{job_id}")
            if answer.status_code == 404:
                report.lost.append(job_id)
                pending.discard(job_id)
                continue
            job = answer.json()
            if job["status"] in TERMINAL:
                report.ended[job["status"]] += 1
                if job["status"] == "failed":
                    report.failures[(job.get("error") or "")[:80]] += 1
                pending.discard(job_id)
        time.sleep(0.5)
    report.stuck = sorted(pending)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = run_soak(arguments.minutes * 60, Path(folder), arguments.seed)
    print("\n".join(result.lines()))
