"""API overhead per prediction and start-to-ready time, on the real server with the toy model.

    .venv/bin/python -m benchmarks.api_overhead [--requests 200] [--store sqlite|mongodb]

Overhead = end-to-end time of `POST /api/models/toy/predictions?wait=30` (upload, checks,
record, queue, worker round trip, result) minus the model's own time inside predict.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from tests.support.jobs import png_bytes, submit
from tests.support.mongo import MongoTestServer
from tests.support.server import BackendServer


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(requests: int, store: str) -> None:
    env = {"WORKER_GROUPS": '{"toy": 1, "toyq": 1}', "LOG_LEVEL": "WARNING"}
    mongo = None
    if store == "mongodb":
        mongo = MongoTestServer()
        env.update(MONGODB_URI=mongo.start(), MONGODB_DB=f"bench_{uuid.uuid4().hex[:8]}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            starts = []
            for attempt in range(3):
                server = BackendServer(Path(tmp) / f"s{attempt}", env).start()
                starts.append(server.ready_after_s)
                if attempt < 2:
                    server.stop()
            image = png_bytes((64, 48))
            totals, overheads = [], []
            with server.client() as http:
                for _ in range(10):  # warm-up
                    submit(http, content=image, params={"steps": 1}, wait=30)
                for _ in range(requests):
                    began = time.perf_counter()
                    job = submit(http, content=image, params={"steps": 1}, wait=30).json()
                    elapsed_ms = (time.perf_counter() - began) * 1000
                    assert job["status"] == "succeeded", job
                    totals.append(elapsed_ms)
                    overheads.append(elapsed_ms - job["timings"]["model_ms"])
            server.stop()
    finally:
        if mongo:
            mongo.stop()
    print(f"store: {store}, requests: {requests}")
    print(f"start to ready (s): {', '.join(f'{s:.2f}' for s in starts)}")
    print(
        f"end to end (ms): median {statistics.median(totals):.1f}, "
        f"p90 {_percentile(totals, 0.9):.1f}"
    )
    print(
        f"API overhead (ms): median {statistics.median(overheads):.1f}, "
        f"p90 {_percentile(overheads, 0.9):.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--store", choices=["sqlite", "mongodb"], default="sqlite")
    args = parser.parse_args()
    run(args.requests, args.store)
