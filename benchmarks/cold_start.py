"""A server's start with every model of the offline registry, caches cold and then warm.

    .venv/bin/python -m benchmarks.cold_start [--starts 3] [--profile] [--workers PxT]

Starts the real server (`modelgallery serve`, as `benchmarks.serving` does) on a fresh models
folder (weights fetched from ../shared/assets/models): the first start makes the exports and
measures the runtime choices; it is stopped, then started `--starts` more times on the same
data and models folders (caches warm). Each start prints the seconds to `/api/ready` 200 and to
every model `loaded` in `GET /api/models`, and each model's `load_ms`, runtime and whether
its choice was read back.

`--profile` then loads each worker group's models in a process of its own (one group after
the other, so that each has the cores to itself), with `python -X importtime`: the import
time of each framework, and per model the family's load, the warm-up and the batch timing
(`jobs/runner.py`'s `load_models` split into its steps). Prints markdown; asserts nothing."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.serving import MIRROR, REGISTRY, REPO, fetch_models, start_server, wait_loaded

FRAMEWORKS = (
    "torch",
    "torchvision",
    "ultralytics",
    "tensorflow",
    "keras",
    "openvino",
    "onnxruntime",
    "ai_edge_litert",
    "cv2",
)
START_TIMEOUT_S = 900
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def one_start(data_dir: Path, models_dir: Path, workers: str | None, groups: list[str]) -> dict:
    """Start, wait for every model, stop: the start's figures."""
    server = start_server(data_dir, models_dir, workers, groups)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            names = [m["name"] for m in http.get("/api/models").json()]
            listed = wait_loaded(http, names, START_TIMEOUT_S)
            loaded_s = time.monotonic() - server.started_at
    finally:
        server.stop()
    return {"ready_s": server.ready_after_s, "loaded_s": loaded_s, "models": listed}


def start_lines(label: str, start: dict) -> list[str]:
    lines = [
        f"- {label}: ready {start['ready_s']:.1f} s, every model loaded {start['loaded_s']:.1f} s"
    ]
    for name, entry in sorted(start["models"].items()):
        runtime = entry.get("runtime") or {}
        chosen = runtime.get("chosen", "-")
        how = "read back" if runtime.get("reused") else "measured"
        speedup = entry.get("batch_speedup")
        batch = f", batch speed-up {speedup}" if speedup is not None else ""
        lines.append(
            f"  - {name}: load {entry.get('load_ms', 0) / 1000:.2f} s on {chosen} "
            f"({how if runtime else 'no choice'}){batch}"
        )
    return lines


# --- the profile: one group's load, step by step, in a child process ----------------------


def profile_group(group: str, models_dir: Path, threads: int) -> dict[str, Any]:
    """Loads `group`'s models as a worker does, in `python -X importtime`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "backend"), str(REPO)])}
    command = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "benchmarks.cold_start",
        "--load-group",
        group,
        "--models-dir",
        str(models_dir),
        "--threads",
        str(threads),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    wall_s = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"profiling group {group} failed:\n{done.stderr[-3000:]}")
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    return {"wall_s": wall_s, "imports": _top_imports(done.stderr), "steps": steps}


def _top_imports(stderr: str) -> dict[str, float]:
    """Seconds of each framework's import, where it was first imported (cumulative)."""
    found: dict[str, float] = {}
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match and match.group(4) in FRAMEWORKS and match.group(4) not in found:
            found[match.group(4)] = int(match.group(2)) / 1e6
    return found


def load_group(group: str, models_dir: Path, threads: int) -> None:
    """The child: `load_models`'s steps for each model of the group, timed; JSON on stdout."""
    from modelgallery.jobs.runner import _batch_speedup, load_checked, set_thread_env

    set_thread_env(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from modelgallery.vision.registry import family_class, load_registry
    from modelgallery.vision.weights import verify_weights

    registry = load_registry(REGISTRY, models_dir)
    steps: dict[str, dict[str, Any]] = {}
    for spec in registry.models.values():
        if spec.group != group:
            continue
        laps = Laps()
        verify_weights(spec)
        laps.lap("verify")
        model = family_class(spec.family)(spec)
        load_checked(model)
        laps.lap("load")
        model.warmup()
        laps.lap("warmup")
        _batch_speedup(model)
        laps.lap("batch_speedup")
        runtime = model.runtime
        steps[spec.name] = {
            **laps.times,
            "runtime": runtime.chosen if runtime else "-",
            "reused": bool(runtime and runtime.reused),
        }
    print(json.dumps(steps))


class Laps:
    """Seconds between one step's end and the next."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.times[step] = round(now - self._mark, 3)
        self._mark = now


def profile_lines(profiles: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["", "Each group's load alone, in one process (`-X importtime`):"]
    for group, found in profiles.items():
        imports = ", ".join(f"{name} {s:.2f}" for name, s in found["imports"].items() if s >= 0.05)
        lines.append(f"- group {group}: {found['wall_s']:.1f} s in all; imports (s): {imports}")
        for name, steps in found["steps"].items():
            timed = ", ".join(f"{k} {v:.2f}" for k, v in steps.items() if isinstance(v, float))
            how = "read back" if steps.get("reused") else "measured"
            lines.append(f"  - {name} ({steps.get('runtime')}, {how}): {timed}")
    return lines


# --- the parent: starts in turns, in this tree and in the one compared with ----------------


def in_tree(tree: Path, *args: str) -> str:
    """This benchmark run in `tree` (its own backend and harness), its stdout."""
    own = tree / "benchmarks" / "cold_start.py"
    if not own.exists():  # a tree from before this benchmark: it gets this copy
        own.write_bytes(Path(__file__).read_bytes())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "backend"), str(tree)])}
    command = [sys.executable, "-m", "benchmarks.cold_start", *args]
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} in {tree} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="warm starts after the first")
    parser.add_argument("--workers", help="PxT: P processes of T threads per group")
    parser.add_argument("--profile", action="store_true", help="then each group's load alone")
    parser.add_argument(
        "--against",
        type=Path,
        help="a checkout of other code (e.g. `git archive HEAD | tar -x -C DIR`): each of "
        "its starts right after this tree's, so that the machine's load falls on both alike",
    )
    parser.add_argument("--one-start", type=Path, help=argparse.SUPPRESS)  # a scratch folder
    parser.add_argument("--profile-group", nargs=2, help=argparse.SUPPRESS)  # group, models
    parser.add_argument("--load-group", help=argparse.SUPPRESS)
    parser.add_argument("--models-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_group:
        load_group(args.load_group, args.models_dir, args.threads)
        return
    if args.profile_group:
        group, models_dir = args.profile_group
        print(json.dumps(profile_group(group, Path(models_dir), args.threads)))
        return
    if args.one_start:
        start = one_start(
            args.one_start / "data", args.one_start / "models", args.workers, _groups()
        )
        print(json.dumps(start))
        return
    trees = {"this tree": REPO, **({"compared": args.against.resolve()} if args.against else {})}
    extra = ["--workers", args.workers] if args.workers else []
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        folders = {label: Path(scratch) / f"tree{i}" for i, label in enumerate(trees)}
        for folder in folders.values():
            fetch_models(folder / "models", folder / "data")
        lines = [
            f"Cold start, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load "
            f"average {os.getloadavg()[0]:.2f} at the start; weights from {MIRROR / 'models'}"
        ]
        starts: dict[str, list[dict]] = {label: [] for label in trees}
        for index in range(args.starts + 1):  # the first makes the exports and choices
            for label, tree in trees.items():
                out = in_tree(tree, "--one-start", str(folders[label]), *extra)
                starts[label].append(json.loads(out.strip().splitlines()[-1]))
                name = "first start (caches cold)" if index == 0 else f"warm start {index}"
                lines += start_lines(f"{label}, {name}", starts[label][-1])
        lines += summary_lines(starts)
        if args.profile:
            for label, tree in trees.items():
                found = {
                    group: json.loads(
                        in_tree(tree, "--profile-group", group, str(folders[label] / "models"))
                    )
                    for group in _groups()
                }
                lines += ["", f"{label}:", *profile_lines(found)]
        print("\n".join(lines), flush=True)


def summary_lines(starts: dict[str, list[dict]]) -> list[str]:
    lines = [
        "",
        "| code | first start: loaded s | warm starts: loaded s | median |",
        "|---|---|---|---|",
    ]
    medians = {}
    for label, runs in starts.items():
        warm = [run["loaded_s"] for run in runs[1:]]
        medians[label] = statistics.median(warm) if warm else float("nan")
        listed = ", ".join(f"{s:.1f}" for s in warm)
        lines.append(f"| {label} | {runs[0]['loaded_s']:.1f} | {listed} | {medians[label]:.1f} |")
    if len(medians) == 2:
        ours, theirs = medians.values()
        lines.append(f"\nWarm start, this tree / compared (medians): {ours / theirs:.2f}")
    return lines


def _groups() -> list[str]:
    from modelgallery.vision.registry import load_registry

    registry = load_registry(REGISTRY, REPO / "models")
    return sorted({spec.group for spec in registry.models.values()})


if __name__ == "__main__":
    main()
