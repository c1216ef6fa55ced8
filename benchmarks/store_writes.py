"""What a job's store writes cost on the SQLite store, alone: `--jobs` records created, then
each started and finished as the recorder does (an insert and two compare-and-set updates),
one after another on one event loop, as the API process runs them.

    .venv/bin/python -m benchmarks.store_writes [--jobs 1500] [--rounds 3] [--against DIR]

`--against DIR` runs another checkout of the project (`git archive <rev> | tar -x -C DIR`)
in the same run, alternating round by round, so that both meet the same machine. Each round
is a fresh process and a fresh file in a temporary folder. Prints the median over rounds of
wall and CPU (process) time per statement; measures and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter with the checkout's backend first on the path.
_ROUND = """
import asyncio, json, sys, tempfile, time
from pathlib import Path
from modelgallery.store.records import Job, JobStatus, new_id
from modelgallery.store.sqlite import SqliteStore

async def main(n):
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.sqlite")
        await store.open()
        try:
            times = {}
            def lap(name, since):
                times[name] = ((time.perf_counter() - since[0]) / n * 1000,
                               (time.process_time() - since[1]) / n * 1000)
                return (time.perf_counter(), time.process_time())
            since = (time.perf_counter(), time.process_time())
            jobs = [await store.jobs.create(Job(id=new_id(), model="m", status=JobStatus.queued))
                    for _ in range(n)]
            since = lap("insert", since)
            for job in jobs:
                await store.jobs.update(job.id, {"status": JobStatus.running, "attempts": 1},
                                        only_if_status=[JobStatus.queued])
            since = lap("start", since)
            for job in jobs:
                await store.jobs.update(job.id, {"status": JobStatus.succeeded, "progress": 1.0},
                                        only_if_status=[JobStatus.running])
            lap("finish", since)
            print(json.dumps(times))
        finally:
            await store.close()

asyncio.run(main(int(sys.argv[1])))
"""


def _round(tree: Path, jobs: int) -> dict[str, tuple[float, float]]:
    out = subprocess.run(
        [sys.executable, "-c", _ROUND, str(jobs)],
        cwd=tempfile.gettempdir(),
        env={"PYTHONPATH": str(tree / "backend"), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {k: (v[0], v[1]) for k, v in json.loads(out.splitlines()[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, run alternately")
    args = parser.parse_args()
    trees = {"this tree": ROOT, **({str(args.against): args.against} if args.against else {})}
    results: dict[str, list[dict[str, tuple[float, float]]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            results[name].append(_round(tree, args.jobs))
    print(f"{args.jobs} jobs, {args.rounds} rounds; median ms per statement, wall / CPU\n")
    print("| tree | insert | start (update) | finish (update) | a job's three |")
    print("|---|---|---|---|---|")
    for name, rounds in results.items():
        cells = []
        total = [0.0, 0.0]
        for statement in ("insert", "start", "finish"):
            wall = statistics.median(r[statement][0] for r in rounds)
            cpu = statistics.median(r[statement][1] for r in rounds)
            total = [total[0] + wall, total[1] + cpu]
            cells.append(f"{wall:.3f} / {cpu:.3f}")
        print(f"| {name} | {' | '.join(cells)} | {total[0]:.3f} / {total[1]:.3f} |")


if __name__ == "__main__":
    main()
