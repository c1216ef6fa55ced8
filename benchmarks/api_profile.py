"""Where the API process's own time goes per image job: its CPU per job, the answers'
`Server-Timing` stages, and a sampling profile of it grouped by the project's modules and
the libraries it calls.

    .venv/bin/python -m benchmarks.api_profile [--model object-detection] [--jobs 200]
        [--rate 250] [--out FILE] [--raw FILE] [--worker]

Starts the real server as `benchmarks.serving` does (the offline registry, the product's
default workers, no visitor quotas), waits until it is loaded and idle, warms it up, takes
the API process's CPU over 10 s with no request (its background's share of each job), then
sends `--jobs` sequential uploads (c1, bus.jpg / zidane.jpg alternating, `wait`) twice:

- unprofiled: the API process's CPU time (utime + stime of every thread, from
  /proc/<pid>/stat) before and after, per job; each answer's `Server-Timing`, p50 per stage;
  "outside the model" is the answer's `total` less the job's `model_ms`;
- profiled: py-spy samples the API process only (not its workers) at `--rate` per second,
  the thread that holds the GIL (`--gil`: py-spy cannot tell a thread blocked in C from a
  running one, so all-thread samples count waits; work in C without the GIL, such as
  SQLite's statements or a syscall, goes unsampled, and only the CPU figure holds it), without
  pausing it (`--nonblocking`); each sample's innermost frame is its self time. Samples are
  shown as ms per job, by thread, by module (the project's modules one by one, a library as
  a whole, the standard library by its top package) and by function.

The worker that ran the jobs (the API's child whose CPU rose most over the unprofiled pass)
is given with its CPU per job. With `--worker`, a third pass samples it alone, wherever its
main thread runs (in Python, or in C without the GIL), and shows the project's functions by
inclusive time per job: where a job's time goes around the network's call.

Prints text; measures and asserts nothing about time. Needs py-spy (`make setup-test`)."""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ._cpu import Cpu, children
from .serving import (
    IMAGES,
    MIRROR,
    REGISTRY,
    START_TIMEOUT_S,
    WAIT_S,
    fetch_models,
    request,
    start_server,
    wait_idle,
    wait_loaded,
)

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "backend" / "modelgallery"
PY_SPY = Path(sys.executable).with_name("py-spy")
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
WARMUP_JOBS = 20
IDLE_S = 10.0  # the API process's CPU with no request, to tell from the jobs' own
TOP_MODULES = 25
TOP_FUNCTIONS = 30
# py-spy's raw format: "thread (ID): NAME;frame;frame;... COUNT", a frame "function (path:line)"
_LINE = re.compile(r"^thread \((?P<tid>[^)]*)\): (?P<thread>[^;]*);(?P<stack>.*) (?P<n>\d+)$")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*):(?P<line>\d+)\)$")
_THREAD_NUMBER = re.compile(r"[-_ ]?\d+$")


@dataclass
class Profile:
    """Self-time samples of the innermost frame, by thread, module and function."""

    samples: int = 0
    threads: Counter[str] = field(default_factory=Counter)
    modules: Counter[str] = field(default_factory=Counter)
    functions: Counter[tuple[str, str]] = field(default_factory=Counter)


# --- the profile ----------------------------------------------------------------------


def module_of(path: str) -> str:
    """The project's module (`modelgallery.api.middleware`), a library (`starlette`), or a
    standard-library package (`stdlib asyncio`) a frame's file belongs to."""
    file = Path(path)
    if file.is_relative_to(PACKAGE):
        parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
        return ".".join(p for p in parts if p != "__init__")
    if "site-packages" in file.parts:
        top = file.parts[file.parts.index("site-packages") + 1]
        return top.removesuffix(".py")
    if file.is_relative_to(STDLIB):
        return f"stdlib {file.relative_to(STDLIB).with_suffix('').parts[0]}"
    return path if path.startswith("<") else file.name


def parse_raw(text: str) -> Profile:
    profile = Profile()
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match is None:
            continue
        count = int(match["n"])
        innermost = _FRAME.match(match["stack"].rsplit(";", 1)[-1])
        if innermost is None:
            continue
        module = module_of(innermost["path"])
        profile.samples += count
        profile.threads[_THREAD_NUMBER.sub("", match["thread"]) or "?"] += count
        profile.modules[module] += count
        profile.functions[(module, innermost["function"])] += count
    return profile


def inclusive(text: str) -> tuple[int, Counter[tuple[str, str]]]:
    """Samples, and for each of the project's functions the samples it is anywhere in (once
    a sample, however deep it recurses)."""
    samples, within = 0, Counter[tuple[str, str]]()
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match is None:
            continue
        count = int(match["n"])
        samples += count
        seen = set()
        for frame in match["stack"].split(";"):
            parsed = _FRAME.match(frame)
            if parsed and Path(parsed["path"]).is_relative_to(PACKAGE):
                seen.add((module_of(parsed["path"]), parsed["function"]))
        for key in seen:
            within[key] += count
    return samples, within


def record(pid: int, rate: int, output: Path, gil: bool = True) -> subprocess.Popen[bytes]:
    command = [
        str(PY_SPY),
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--full-filenames",
        "--function",
        "--threads",
        *(["--gil"] if gil else []),
        "--nonblocking",
        "--output",
        str(output),
    ]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # attached, and sampling
    if spy.poll() is not None:
        error = spy.stderr.read().decode(errors="replace") if spy.stderr else ""
        raise RuntimeError(f"py-spy could not attach to {pid}:\n{error[:2000]}")
    return spy


def stop_recording(spy: subprocess.Popen[bytes], output: Path) -> str:
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
    _, error = spy.communicate(timeout=60)
    if not output.exists():
        raise RuntimeError(f"py-spy wrote nothing:\n{error.decode(errors='replace')[-2000:]}")
    return output.read_text()


# --- the jobs -------------------------------------------------------------------------


def run_jobs(
    http: httpx.Client, model: str, images: list[tuple[str, bytes]], count: int
) -> list[dict[str, Any]]:
    jobs = []
    for index in range(count):
        _, job = request(http, model, images, index)
        if job["status"] != "succeeded":
            raise RuntimeError(f"a job did not succeed: {job.get('status')}: {job.get('error')}")
        jobs.append(job)
    return jobs


def timing_medians(jobs: list[dict[str, Any]]) -> dict[str, float]:
    """p50 per `Server-Timing` entry, in the header's order, and "outside the model"."""
    values: dict[str, list[float]] = {}
    for job in jobs:
        timing = job["server_timing"]
        for name, ms in timing.items():
            values.setdefault(name, []).append(ms)
        model_ms = job["timings"].get("model_ms")
        if "total" in timing and model_ms is not None:
            values.setdefault("outside the model", []).append(timing["total"] - model_ms)
    return {name: statistics.median(v) for name, v in values.items()}


@dataclass
class Worker:
    """The worker process that ran the jobs: its CPU per job, and where its time went."""

    pid: int
    per_job: Cpu
    samples: int
    within: Counter[tuple[str, str]]


@dataclass
class Measured:
    model: str
    runtime: str
    jobs: int
    rate: int
    idle_per_s: Cpu  # the API process's CPU with no request, per second
    per_job: Cpu  # unprofiled
    wall_ms_per_job: float
    timings: dict[str, float]
    profiled_per_job: Cpu
    profile: Profile
    worker: Worker


def measure(args: argparse.Namespace) -> Measured:
    from modelgallery.vision.registry import load_registry

    group = load_registry(REGISTRY, REPO / "models").models[args.model].group
    images = [(name, (MIRROR / "samples" / name).read_bytes()) for name in IMAGES]
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as name:
        tmp = Path(name)
        fetch_models(tmp / "models", tmp / "fetch")
        _say("starting the server ...")
        server = start_server(tmp / "data", tmp / "models", None, [group])
        try:
            with httpx.Client(base_url=server.url, timeout=WAIT_S + 60) as http:
                listed = wait_loaded(http, [args.model], START_TIMEOUT_S)
                assert server.process is not None
                pid = server.process.pid
                wait_idle(pid, START_TIMEOUT_S)
                run_jobs(http, args.model, images, WARMUP_JOBS)
                _say(f"loaded and warm; idle for {IDLE_S:g} s ...")
                before = Cpu.of(pid)
                time.sleep(IDLE_S)
                idle = (Cpu.of(pid) - before) / IDLE_S

                _say(f"{args.jobs} jobs unprofiled ...")
                workers = {child: Cpu.of(child) for child in children(pid)}
                before, started = Cpu.of(pid), time.monotonic()
                jobs = run_jobs(http, args.model, images, args.jobs)
                per_job = (Cpu.of(pid) - before) / args.jobs
                wall_ms = (time.monotonic() - started) * 1000 / args.jobs
                used = {child: (Cpu.of(child) - cpu) / args.jobs for child, cpu in workers.items()}
                busiest = max(used, key=lambda child: used[child].total)

                _say(f"{args.jobs} jobs profiled ...")
                output = tmp / "profile.txt"
                spy = record(pid, args.rate, output)
                before = Cpu.of(pid)
                run_jobs(http, args.model, images, args.jobs)
                profiled = (Cpu.of(pid) - before) / args.jobs
                raw = stop_recording(spy, output)
                if args.raw:
                    args.raw.write_text(raw)
                profile = parse_raw(raw)

                worker = Worker(busiest, used[busiest], 0, Counter())
                if args.worker:
                    _say(f"{args.jobs} jobs, the worker profiled ...")
                    # Its network runs in C without the GIL: every active sample counts.
                    spy = record(busiest, args.rate, output, gil=False)
                    run_jobs(http, args.model, images, args.jobs)
                    samples, within = inclusive(stop_recording(spy, output))
                    worker = Worker(busiest, used[busiest], samples, within)
        finally:
            server.stop()
    runtime = (listed[args.model].get("runtime") or {}).get("chosen") or "-"
    return Measured(
        args.model,
        runtime,
        args.jobs,
        args.rate,
        idle,
        per_job,
        wall_ms,
        timing_medians(jobs),
        profiled,
        profile,
        worker,
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the report -----------------------------------------------------------------------


def report(m: Measured) -> str:
    per_job = 1000 / m.rate / m.jobs  # ms of CPU per job that one sample stands for
    lines = [
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}",
        f"- model: {m.model} on {m.runtime}; {m.jobs} sequential image jobs (c1, wait) per "
        f"pass, after {WARMUP_JOBS} warm-up jobs",
        "",
        f"API process CPU per job, unprofiled: {m.per_job.total:.2f} ms (user "
        f"{m.per_job.user:.2f}, system {m.per_job.system:.2f}); jobs {m.wall_ms_per_job:.1f} ms "
        "apart",
        f"  of which idle time's share: {m.idle_per_s.total * m.wall_ms_per_job / 1000:.2f} ms "
        f"(with no request the process takes {m.idle_per_s.total:.2f} ms per second)",
        f"  profiled pass: {m.profiled_per_job.total:.2f} ms; sampled holding the GIL: "
        f"{m.profile.samples * per_job:.2f} ms ({m.profile.samples} samples at {m.rate}/s)",
        "",
        "Server-Timing, p50 ms over the unprofiled pass:",
        *(f"  {name:<20} {ms:8.2f}" for name, ms in m.timings.items()),
        "",
        "Self time by thread, CPU ms per job:",
        *_rows(m.profile.threads, per_job, m.profile.samples, len(m.profile.threads)),
        "",
        "Self time by module (the project's modules, libraries, the standard library), "
        "CPU ms per job:",
        *_rows(m.profile.modules, per_job, m.profile.samples, TOP_MODULES),
        "",
        "Self time by function, CPU ms per job:",
        *_rows(
            Counter({f"{module}: {fn}": n for (module, fn), n in m.profile.functions.items()}),
            per_job,
            m.profile.samples,
            TOP_FUNCTIONS,
        ),
        "",
        f"The worker that ran the jobs (pid {m.worker.pid}), CPU per job, unprofiled: "
        f"{m.worker.per_job.total:.2f} ms (user {m.worker.per_job.user:.2f}, system "
        f"{m.worker.per_job.system:.2f})",
    ]
    if m.worker.samples:
        lines += [
            "Its time per job in the project's functions, inclusive (the samples where its "
            "main thread runs, in Python or C; a network's own threads, and the main thread "
            "while it waits for them, go unseen; py-spy slows it):",
            *_rows(
                Counter({f"{mod}: {fn}": n for (mod, fn), n in m.worker.within.items()}),
                per_job,
                m.worker.samples,
                TOP_FUNCTIONS,
            )[:TOP_FUNCTIONS],
        ]
    return "\n".join(lines) + "\n"


def _rows(counts: Counter[str], per_job: float, total: int, top: int) -> list[str]:
    rows = [
        f"  {n * per_job:7.3f}  {100 * n / max(1, total):5.1f}%  {name}"
        for name, n in counts.most_common(top)
    ]
    rest = sum(counts.values()) - sum(n for _, n in counts.most_common(top))
    if rest:
        rows.append(f"  {rest * per_job:7.3f}  {100 * rest / max(1, total):5.1f}%  (the rest)")
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="object-detection")
    parser.add_argument("--jobs", type=int, default=200, help="sequential jobs per pass")
    parser.add_argument("--rate", type=int, default=250, help="py-spy's samples per second")
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument(
        "--raw", type=Path, help="keep py-spy's raw stacks here (for a flame graph's tools)"
    )
    parser.add_argument(
        "--worker", action="store_true", help="also profile the worker that runs the jobs"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not PY_SPY.exists():
        sys.exit(f"{PY_SPY} is missing: run `make setup-test` (py-spy is a test requirement)")
    text = report(measure(args))
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
