"""The product's serving against bare predict and against the machine's maximum, in one run.

    .venv/bin/python -m benchmarks.serving [--models object-detection,yolov5-classic]
        [--c1 50] [--c8 100] [--rounds 2] [--skip-video] [--workers PxT] [--out FILE]

Runs the real server (`modelgallery serve`, as the tests start it) on the offline mirror's
registry (models/offline.toml, weights fetched from ../shared/assets/models) with the
product's default worker settings (`--workers 2x1` sets 2 processes x 1 thread instead), and
measures in each round:

- product c1: `--c1` sequential `POST /api/models/{name}/predictions?wait=60`, images
  alternating bus.jpg / zidane.jpg; the p50 of the client's end-to-end latency;
- product c8: `--c8` such requests with 8 in flight (httpx, a thread pool); succeeded
  requests/s (failed ones are counted and listed, never timed);
- bare c1: the same model class, registry entry and runtime (the one the server chose, from
  `GET /api/models`) in one process with os.cpu_count() threads; the p50 of decode
  (cv2.imdecode of the file's bytes) + `model.infer(image, model.prepare({}))`;
- machine max: os.cpu_count() processes of 1 thread each running bare predict in a loop,
  `--c8` images in all; images / wall time;
- video: the 6 s 720p sample through object-detection (`result.ms_per_frame`) against a bare
  loop over its frames (cv2.VideoCapture, infer, draw), ms/frame;
- cold start: server start to `/api/ready`, to every measured model `loaded`, and to the
  server's processes idle (every worker loaded).

Each bare figure is taken right after the product's, the server idle meanwhile, so that
load from elsewhere on the machine falls on both alike. Each round starts a fresh server.
Figures are the best of the rounds (lowest latency, highest rate); every round's figures are
listed below the tables, with the product's time per stage (`timings.stages` of its jobs,
median over every round). Prints markdown; measures and asserts nothing about time."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks import _bare
from benchmarks._cpu import Cpu, children, machine_ticks
from tests.support.jobs import submit, wait_for
from tests.support.server import BackendServer

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "assets"
REGISTRY = REPO / "models" / "offline.toml"
IMAGES = ("bus.jpg", "zidane.jpg")
VIDEO = "people_movement.mp4"
VIDEO_MODEL = "object-detection"
WORKER_VARS = ("WORKER_GROUPS", "WORKER_THREADS", "QUEUE_SIZE")  # left at the defaults
CONCURRENCY = 8
WARMUP_REQUESTS = 4
WAIT_S = 60
START_TIMEOUT_S = 900
TOTALS = ("model_ms", "server total", "end to end")  # per c1 job, beside its stages
NAN = float("nan")
IDLE_CPU_S = 0.1  # CPU seconds per second below which the server counts as settled

Images = list[tuple[str, bytes]]  # (file name, its bytes)


@dataclass
class Results:
    """Every round's figures: `figures[(model, metric)]` holds one value per round."""

    figures: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    stages: dict[str, list[dict[str, float]]] = field(default_factory=lambda: defaultdict(list))
    runtimes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    starts: list[tuple[float, float, float]] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    load_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    video_frames: int = 0

    def add(self, model: str, metric: str, value: float) -> None:
        self.figures[(model, metric)].append(value)

    def best(self, model: str, metric: str, lowest: bool) -> float | None:
        values = self.figures.get((model, metric))
        if not values:
            return None
        return min(values) if lowest else max(values)


# --- the server ---------------------------------------------------------------------------


def fetch_models(models_dir: Path, data_dir: Path) -> None:
    """Every weight file of the offline registry, from the mirror, sha256-checked."""
    env = {
        **os.environ,
        "MODELS_FILE": str(REGISTRY),
        "MODELS_DIR": str(models_dir),
        "DATA_DIR": str(data_dir),
    }
    mirror = str(MIRROR / "models")
    command = [sys.executable, "-m", "modelgallery", "fetch-models", "--mirror", mirror]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"fetch-models failed:\n{done.stdout}{done.stderr}")


def start_server(
    data_dir: Path, models_dir: Path, workers: str | None, groups: list[str]
) -> BackendServer:
    env = {"MODELS_FILE": str(REGISTRY), "MODELS_DIR": str(models_dir), "LOG_LEVEL": "WARNING"}
    server = BackendServer(data_dir, env)
    for var in WORKER_VARS:  # the test harness's worker settings, and any of the caller's
        server.env.pop(var, None)
        os.environ.pop(var, None)
    if workers:
        processes, _, threads = workers.partition("x")
        server.env["WORKER_GROUPS"] = json.dumps({group: int(processes) for group in groups})
        server.env["WORKER_THREADS"] = threads or "1"
    return server.start(timeout_s=START_TIMEOUT_S)


def wait_loaded(http: httpx.Client, models: list[str], timeout_s: float) -> dict[str, Any]:
    """The `GET /api/models` entries of `models`, once every one of them is loaded."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        listed = {m["name"]: m for m in http.get("/api/models").json()}
        wanted = {name: listed.get(name, {"state": "missing"}) for name in models}
        failed = {n: m for n, m in wanted.items() if m["state"] not in ("loading", "loaded")}
        if failed:
            raise RuntimeError(f"model(s) not available: {failed}")
        if all(m["state"] == "loaded" for m in wanted.values()):
            return wanted
        time.sleep(0.1)
    raise RuntimeError(f"the models were not loaded within {timeout_s} s")


def wait_idle(pgid: int, timeout_s: float) -> None:
    """Until the server's processes (its session: the API and every worker) use less than
    a tenth of a core over a second: the workers still loading when the first one of a
    group reports its models loaded have finished too."""
    deadline = time.monotonic() + timeout_s
    previous = _cpu_s(pgid)
    while time.monotonic() < deadline:
        time.sleep(1)
        current = _cpu_s(pgid)
        if current - previous < IDLE_CPU_S:
            return
        previous = current


def _cpu_s(pgid: int) -> float:
    """CPU seconds used so far by the processes of the group `pgid`."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that has just ended
        if int(fields[2]) == pgid:  # pgrp; utime and stime follow at 11 and 12
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the product's figures ------------------------------------------------------------------


def request(http: httpx.Client, model: str, images: Images, index: int) -> tuple[float, Any]:
    """One prediction of image `index` (alternating): (end-to-end ms, the job's JSON)."""
    name, content = images[index % len(images)]
    started = time.perf_counter()
    response = submit(http, model, content, name, wait=WAIT_S, content_type="image/jpeg")
    return (time.perf_counter() - started) * 1000, _job(response)


def _job(response: httpx.Response) -> dict[str, Any]:
    """The job's JSON, with the answer's `Server-Timing` (ms by name) as `server_timing`;
    for a refused request (4xx, 503), its status code and message."""
    job = response.json()
    if not isinstance(job, dict) or "status" not in job:
        job = {"status": f"HTTP {response.status_code}", "error": str(job)}
    job["server_timing"] = _server_timing(response.headers.get("server-timing", ""))
    return job


def _server_timing(header: str) -> dict[str, float]:
    timing = {}
    for part in filter(None, (p.strip() for p in header.split(","))):
        name, _, duration = part.partition(";dur=")
        timing[name] = float(duration)
    return timing


def product_c1(
    http: httpx.Client, model: str, images: Images, count: int, results: Results
) -> list[tuple[float, Any]]:
    """The succeeded ones of `count` sequential requests (after a warm-up)."""
    for index in range(WARMUP_REQUESTS):
        request(http, model, images, index)
    timed = [request(http, model, images, index) for index in range(count)]
    return _succeeded(model, timed, results)


def product_c8(
    http: httpx.Client, model: str, images: Images, count: int, results: Results, pid: int
) -> float:
    """Succeeded requests per second, `CONCURRENCY` in flight, once warm: as in the machine
    maximum, the runtime's first runs at this load's thread count are not timed. Where the
    machine's CPU went meanwhile is added to `results`: per request, the API process's
    (`pid`), its workers' and this process's (the load generator), and the idle share."""
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(lambda index: request(http, model, images, index), range(CONCURRENCY * 2)))
    workers = {child: Cpu.of(child) for child in children(pid)}
    api, client, ticks = Cpu.of(pid), Cpu.here(), machine_ticks()
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        timed = list(pool.map(lambda index: request(http, model, images, index), range(count)))
    wall_s = time.perf_counter() - started
    (all_ticks, idle_ticks) = (now - then for now, then in zip(machine_ticks(), ticks, strict=True))
    results.add(model, "c8_api_ms", (Cpu.of(pid) - api).total / count)
    # A worker that died meanwhile is left out, and so is its replacement (mostly its start).
    alive = {child: cpu for child, cpu in workers.items() if Path(f"/proc/{child}").exists()}
    used = sum((Cpu.of(child) - cpu).total for child, cpu in alive.items())
    results.add(model, "c8_workers_ms", used / count)
    results.add(model, "c8_client_ms", (Cpu.here() - client).total / count)
    results.add(model, "c8_idle_pct", 100 * idle_ticks / max(1, all_ticks))
    return len(_succeeded(model, timed, results)) / wall_s


def _succeeded(model: str, timed: list[tuple[float, Any]], results: Results) -> list:
    """Keeps the jobs that succeeded; the others are counted, with their errors."""
    failed = [job for _, job in timed if job["status"] != "succeeded"]
    if failed:
        results.failed[model] += [f"{job['status']}: {job.get('error')}" for job in failed]
        print(f"{model}: {len(failed)} request(s) failed", file=sys.stderr, flush=True)
    return [(ms, job) for ms, job in timed if job["status"] == "succeeded"]


def product_video(http: httpx.Client, video: Path) -> tuple[float, Any]:
    """The video job, to its end: (the client's end-to-end ms, the job's JSON)."""
    started = time.perf_counter()
    response = submit(
        http, VIDEO_MODEL, video.read_bytes(), video.name, wait=WAIT_S, content_type="video/mp4"
    )
    job = _job(response)
    if job["status"] in ("queued", "running"):
        job = wait_for(http, job["id"], timeout_s=3600)
    return (time.perf_counter() - started) * 1000, job


# --- a round ----------------------------------------------------------------------------------


def run_round(
    args: argparse.Namespace, tmp: Path, index: int, images: Images, results: Results
) -> None:
    server = start_server(tmp / f"data{index}", tmp / "models", args.workers, args.groups)
    try:
        with httpx.Client(base_url=server.url, timeout=WAIT_S + 60) as http:
            cold_start(args, http, server, results)
            for model in args.models:
                target = _target(tmp, results, model)
                measure_model(args, http, server.process.pid, model, target, images, results)
            if not args.skip_video:
                measure_video(http, _target(tmp, results, VIDEO_MODEL), results)
    finally:
        server.stop()


def cold_start(
    args: argparse.Namespace, http: httpx.Client, server: BackendServer, results: Results
) -> None:
    """Start to ready, to loaded and to idle; and the runtime each model was loaded on."""
    models = sorted({*args.models, *([] if args.skip_video else [VIDEO_MODEL])})
    listed = wait_loaded(http, models, START_TIMEOUT_S)
    loaded_after_s = time.monotonic() - server.started_at
    wait_idle(server.process.pid, START_TIMEOUT_S)
    idle_after_s = time.monotonic() - server.started_at
    results.starts.append((server.ready_after_s, loaded_after_s, idle_after_s))
    for entry in http.get("/api/models").json():  # every model, loaded by now
        if entry.get("load_ms") is not None:
            results.load_ms[entry["name"]].append(entry["load_ms"])
    for name, entry in listed.items():
        results.runtimes[name].append((entry.get("runtime") or {}).get("chosen", "-"))


def _target(tmp: Path, results: Results, model: str) -> _bare.BareModel:
    """Bare predict's model: the same entry, on the runtime the server chose this round."""
    chosen = results.runtimes[model][-1]
    return _bare.BareModel(REGISTRY, tmp / "models", model, None if chosen == "-" else chosen)


def measure_model(
    args: argparse.Namespace,
    http: httpx.Client,
    pid: int,
    model: str,
    target: _bare.BareModel,
    images: Images,
    results: Results,
) -> None:
    """Each product figure, then its bare counterpart at once (the server idle meanwhile):
    load from elsewhere on the machine falls on both alike."""
    contents = [content for _, content in images]
    cores = os.cpu_count() or 1
    timed = product_c1(http, model, images, args.c1, results)
    if timed:
        results.add(model, "product_c1", statistics.median(ms for ms, _ in timed))
    results.stages[model] += [_job_times(ms, job) for ms, job in timed]
    times = _bare.latencies(target, cores, contents, args.c1)
    results.add(model, "bare_c1", statistics.median(times))
    results.add(model, "bare_1process", len(times) * 1000 / sum(times))

    rate = product_c8(http, model, images, args.c8, results, pid)
    results.add(model, "product_c8", rate)
    results.add(model, "machine_max", _bare.machine_max(target, cores, contents, args.c8))


def _job_times(end_to_end_ms: float, job: dict[str, Any]) -> dict[str, float]:
    """A c1 job's stages (when it reports them) and the answer's (from Server-Timing),
    model_ms, the server's whole time and the end-to-end time."""
    timings, server = job["timings"], job.get("server_timing") or {}
    return {
        **(timings.get("stages") or {}),
        "answer": server.get("answer", float("nan")),
        "model_ms": timings.get("model_ms") or float("nan"),
        "server total": server.get("total", float("nan")),
        "end to end": end_to_end_ms,
    }


def measure_video(http: httpx.Client, target: _bare.BareModel, results: Results) -> None:
    video = MIRROR / "samples" / VIDEO
    timed = _succeeded("video", [product_video(http, video)], results)
    for elapsed_ms, job in timed:
        frames = job["result"]["frames"]
        results.video_frames = frames
        results.add(VIDEO_MODEL, "product_video", job["result"]["ms_per_frame"])
        results.add(VIDEO_MODEL, "product_video_e2e", elapsed_ms / frames)
        results.stages["video"].append(job["timings"].get("stages") or {})
    frames, bare_per_frame = _bare.stream(target, os.cpu_count() or 1, video)
    results.video_frames = results.video_frames or frames
    results.add(VIDEO_MODEL, "bare_video", bare_per_frame)


def run(args: argparse.Namespace) -> str:
    images = [(name, (MIRROR / "samples" / name).read_bytes()) for name in IMAGES]
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as name:
        tmp = Path(name)
        fetch_models(tmp / "models", tmp / "fetch")
        for index in range(args.rounds):
            print(f"round {index + 1} of {args.rounds} ...", file=sys.stderr, flush=True)
            run_round(args, tmp, index, images, results)
    return report(args, results)


# --- the report ---------------------------------------------------------------------------


def report(args: argparse.Namespace, results: Results) -> str:
    parts = [
        machine(args),
        images_table(args, results),
        c8_cpu_table(args, results),
        failures(results),
        "" if args.skip_video else video_table(results),
        starts_lines(results),
        stages_table(args, results),
        "" if args.skip_video else video_stages(results),
        rounds_lines(results),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def machine(args: argparse.Namespace) -> str:
    return "\n".join(
        [
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {os.cpu_count()} CPUs ({_cpu_name()}), {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}",
            f"- load average (1, 5, 15 min) at the start: {_load(args.load_at_start)}, "
            f"at the end: {_load(os.getloadavg())}",
            f"- product worker settings: {_worker_settings(args)}",
            f"- c1: {args.c1} sequential requests; c8: {args.c8} requests, {CONCURRENCY} in "
            f"flight; machine max: {os.cpu_count()} processes x 1 thread; best of "
            f"{args.rounds} round(s)",
        ]
    )


def _load(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in averages)


def _worker_settings(args: argparse.Namespace) -> str:
    if args.workers:
        return f"{args.workers} (processes x threads) for {', '.join(args.groups)}"
    from modelgallery.core.settings import Settings

    settings = Settings()
    groups = ", ".join(f"{g}: {settings.workers_for(g)} process(es)" for g in args.groups)
    return f"defaults ({groups}; WORKER_THREADS: {settings.worker_threads or 'unset'})"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def images_table(args: argparse.Namespace, results: Results) -> str:
    rows = [
        "| model | runtime | bare c1 p50 ms | product c1 p50 ms | c1 ratio (target ≤ 1.05) "
        "| bare 1 process req/s | machine max req/s | product c8 req/s "
        "| c8 ratio (target ≥ 0.95) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model in args.models:
        bare = results.best(model, "bare_c1", lowest=True)
        product = results.best(model, "product_c1", lowest=True)
        ceiling = results.best(model, "machine_max", lowest=False)
        rate = results.best(model, "product_c8", lowest=False)
        single = results.best(model, "bare_1process", lowest=False)
        rows.append(
            f"| {model} | {_runtime_label(args, results, model)} | {_num(bare)} | "
            f"{_num(product)} | {_ratio(product, bare)} | {_num(single)} | {_num(ceiling)} | "
            f"{_num(rate)} | {_ratio(rate, ceiling)} |"
        )
    return "\n".join(rows)


def c8_cpu_table(args: argparse.Namespace, results: Results) -> str:
    """Where the machine's CPU went at c8, against what the machine max spends an image: the
    c8 ratio can be no higher than the max's CPU per image over the three shares' sum."""
    rows = [
        "| product c8, CPU ms per request (median of the rounds) | API process | its workers "
        "| load generator | machine idle | machine max, CPU ms per image |",
        "|---|---|---|---|---|---|",
    ]
    for model in args.models:
        shares = [_median(results, model, f"c8_{name}") for name in ("api_ms", "workers_ms")]
        client, idle = (
            _median(results, model, "c8_client_ms"),
            _median(results, model, "c8_idle_pct"),
        )
        ceiling = results.best(model, "machine_max", lowest=False)
        per_image = (os.cpu_count() or 1) * 1000 / ceiling if ceiling else None
        rows.append(
            f"| {model} | {_num(shares[0])} | {_num(shares[1])} | {_num(client)} | "
            f"{_num(idle)} % | {_num(per_image)} |"
        )
    return "\n".join(rows)


def _median(results: Results, model: str, metric: str) -> float | None:
    values = results.figures.get((model, metric))
    return statistics.median(values) if values else None


def _runtime_label(args: argparse.Namespace, results: Results, model: str) -> str:
    chosen = sorted(set(results.runtimes.get(model, [])) - {"-"})
    if chosen:
        return " / ".join(chosen)
    spec = args.registry.models[model]
    return Path(spec.weights[0].file).suffix.lstrip(".") if spec.weights else "-"


def failures(results: Results) -> str:
    lines = [
        f"- {model}: {len(errors)} request(s) failed, e.g. {errors[0][:300]}"
        for model, errors in results.failed.items()
    ]
    return "\n".join(["Failed requests (left out of the figures):", *lines]) if lines else ""


def video_table(results: Results) -> str:
    bare = results.best(VIDEO_MODEL, "bare_video", lowest=True)
    product = results.best(VIDEO_MODEL, "product_video", lowest=True)
    end_to_end = results.best(VIDEO_MODEL, "product_video_e2e", lowest=True)
    return "\n".join(
        [
            "| video | frames | bare stream ms/frame | product ms/frame (job) | ratio "
            "| product end to end ms/frame |",
            "|---|---|---|---|---|---|",
            f"| {VIDEO} → {VIDEO_MODEL} | {results.video_frames} | {_num(bare)} | "
            f"{_num(product)} | {_ratio(product, bare)} | {_num(end_to_end)} |",
        ]
    )


def starts_lines(results: Results) -> str:
    lines = [
        "Cold start, from the server's start to `/api/ready`, to every measured model "
        "`loaded` in `GET /api/models`, and to the server's processes idle (every worker "
        "loaded; ±1 s):"
    ]
    for index, (ready, loaded, idle) in enumerate(results.starts):
        note = " (first start: exports made)" if index == 0 else ""
        lines.append(
            f"- round {index + 1}: {ready:.1f} s to ready, {loaded:.1f} s to loaded, "
            f"{idle:.1f} s to idle{note}"
        )
    loads = ", ".join(
        f"{name} {', '.join(f'{ms / 1000:.1f}' for ms in values)}"
        for name, values in sorted(results.load_ms.items())
    )
    if loads:
        lines.append(f"- each model's load in its worker (`load_ms`, s, per round): {loads}")
    return "\n".join(lines)


def stages_table(args: argparse.Namespace, results: Results) -> str:
    """Where the product's c1 time goes: the median of each of its jobs' stages, of the
    worker's whole predict (model_ms) and of the client's end-to-end time, over all rounds."""
    medians = {m: _medians(results.stages.get(m, [])) for m in args.models}
    names = [
        n for n in dict.fromkeys(k for per in medians.values() for k in per) if n not in TOTALS
    ]
    if not names:
        return "(the jobs report no `timings.stages`)"
    columns = [*names, "sum of stages", *TOTALS, "outside the server"]
    rows = [f"| product c1, median ms | {' | '.join(columns)} |", "|---" * (len(columns) + 1) + "|"]
    for model, per in medians.items():
        per["sum of stages"] = sum(v for k, v in per.items() if k not in TOTALS)
        per["outside the server"] = per.get("end to end", NAN) - per.get("server total", NAN)
        rows.append(f"| {model} | {' | '.join(_num(per.get(c)) for c in columns)} |")
    return "\n".join(rows)


def video_stages(results: Results) -> str:
    per = _medians(results.stages.get("video", []))
    if not per:
        return ""
    frames = max(1, results.video_frames)
    cells = ", ".join(f"{n} {v:.0f} ({v / frames:.1f}/frame)" for n, v in per.items())
    return f"Video job, ms per stage for the whole job (median of the rounds): {cells}"


def _medians(jobs: list[dict[str, float]]) -> dict[str, float]:
    values: dict[str, list[float]] = defaultdict(list)
    for job in jobs:
        for name, ms in job.items():
            values[name].append(ms)
    return {name: statistics.median(v) for name, v in values.items()}


def rounds_lines(results: Results) -> str:
    lines = ["Every round (in order):"]
    for (model, metric), values in sorted(results.figures.items()):
        lines.append(f"- {model} {metric}: {', '.join(_num(v) for v in values)}")
    return "\n".join(lines)


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value is not None and base else "—"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="object-detection,yolov5-classic")
    parser.add_argument("--c1", type=int, default=50, help="sequential requests")
    parser.add_argument("--c8", type=int, default=100, help=f"requests, {CONCURRENCY} in flight")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-video", action="store_true")
    parser.add_argument(
        "--workers",
        help="PxT: P worker processes of T threads for the models' group "
        "(default: the product's defaults)",
    )
    parser.add_argument("--out", type=Path, help="also write the markdown here")
    args = parser.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    return args


def main(argv: list[str] | None = None) -> None:
    from modelgallery.vision.registry import load_registry

    args = parse_args(argv)
    args.load_at_start = os.getloadavg()
    args.registry = load_registry(REGISTRY, REPO / "models")
    args.groups = sorted({args.registry.models[m].group for m in args.models})
    text = run(args)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
