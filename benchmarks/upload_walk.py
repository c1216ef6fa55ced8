"""The walk of one image upload to a YOLO model, as the code runs it: which of the project's
files and functions the API process and the worker enter, from the request's arrival to the
answer with the result.

    .venv/bin/python -m benchmarks.upload_walk [--model object-detection]

The server runs the offline registry (weights from ../shared/assets/models) with every
process profiled (benchmarks/walk/sitecustomize.py); after warm-up uploads, one upload with
`wait` is walked. A hop is a call from one of the project's files into another (each
distinct caller → callee pair once); a file edge is a pair of files with at least one hop
between them; files and functions are those entered at least once. Calls made by the server's
timers (`Periodic`: the replays' and retention's sweeps) while the upload ran are not part of
its walk: they are counted apart. Hops between folders cross the layers and homes that
`make check`'s import contracts keep apart (api, services, jobs/lifecycle, jobs/local, store…).
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

from tests.support.server import BackendServer

from .serving import MIRROR, REGISTRY, fetch_models, wait_loaded

PACKAGE = Path(__file__).resolve().parents[1] / "backend" / "modelgallery"
WARMUP = 3
TIMERS = {"jobs/lifecycle/periodic.py:Periodic._run"}


def _calls(trace_dir: Path, since: float, until: float) -> dict[int, list[list[str]]]:
    """Per process, the calls made while the upload ran: caller file and function, callee
    file and function, and the outermost function of the project that made them."""
    by_process: dict[int, list[list[str]]] = {}
    for path in trace_dir.glob("*.tsv"):
        rows = [line.split("\t") for line in path.read_text().splitlines()]
        rows = [r[1:] for r in rows if len(r) == 6 and since <= float(r[0]) <= until]
        if rows:
            by_process[int(path.stem)] = rows
    return by_process


def _report(name: str, calls: list[list[str]]) -> None:
    rows = [r[:4] for r in calls if r[4] not in TIMERS]
    timers = [r for r in calls if r[4] in TIMERS]
    files = collections.Counter(r[2] for r in rows)
    functions = {(r[2], r[3]) for r in rows}
    hops = {(r[0], r[1], r[2], r[3]) for r in rows if r[0] and r[0] != r[2]}
    edges = {(caller, callee) for caller, _, callee, _ in hops}
    across = {h for h in hops if Path(h[0]).parent != Path(h[2]).parent}
    timer_hops = {(r[0], r[1], r[2], r[3]) for r in timers if r[0] and r[0] != r[2]}
    print(
        f"\n{name}: {len(files)} files, {len(functions)} functions, {len(hops)} hops "
        f"({len(across)} between folders), {len(edges)} file edges"
    )
    if timers:
        print(f"  left out, the timers' calls meanwhile: {len(timer_hops)} hops")
    for file, _ in sorted(files.items()):
        entered = sorted({r[3] for r in rows if r[2] == file})
        print(f"  {file}: {', '.join(entered)}")
    print("  the hops, in the order first taken:")
    seen: set[tuple[str, ...]] = set()
    for r in rows:
        if r[0] and r[0] != r[2] and tuple(r) not in seen:
            seen.add(tuple(r))
            print(f"    {r[0]}:{r[1]} -> {r[2]}:{r[3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="object-detection")
    parser.add_argument("--image", default="bus.jpg")
    args = parser.parse_args()
    image = (MIRROR / "samples" / args.image).read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        models_dir, trace_dir = Path(tmp) / "models", Path(tmp) / "trace"
        trace_dir.mkdir()
        fetch_models(models_dir, Path(tmp) / "data")
        env = {
            "MODELS_FILE": str(REGISTRY),
            "MODELS_DIR": str(models_dir),
            "WORKER_GROUPS": '{"torch": 1, "tf": 1, "cpu": 1}',
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(Path(__file__).parent / "walk"),
            "MG_WALK_DIR": str(trace_dir),
            "MG_WALK_ROOT": str(PACKAGE),
        }
        with BackendServer(Path(tmp) / "data", env) as server, server.client() as http:
            wait_loaded(http, [args.model], 600)

            def upload() -> None:
                files = {"file": (args.image, image, "image/jpeg")}
                answer = http.post(f"/api/models/{args.model}/predictions?wait=60", files=files)
                assert answer.status_code == 200, answer.text

            for _ in range(WARMUP):
                upload()
            time.sleep(1)  # the warm-up's last events settle
            began = time.time()
            upload()
            ended = time.time()
        by_process = _calls(trace_dir, began, ended)
    for pid, rows in sorted(by_process.items(), key=lambda kv: -len(kv[1])):
        _report(f"process {pid}", rows)


if __name__ == "__main__":
    main()
