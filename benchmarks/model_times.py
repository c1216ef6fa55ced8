"""Per-model times on the real offline models and samples, through the real API.

    .venv/bin/python -m benchmarks.model_times [--repeats 5] [--skip-video]

For each (model, sample): the median model time inside the worker (the job's `model_ms`,
from `load()`ed and warmed-up weights) and the median end-to-end time of
`POST /api/models/{name}/predictions?wait=...` (upload, checks, queue, worker, result),
one request at a time. Video times are also given per frame.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.server import BackendServer

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "assets"
REGISTRY = REPO / "models" / "offline.toml"

CASES = [
    ("object-detection", "bus.jpg", "image"),
    ("yolov5-classic", "bus.jpg", "image"),
    ("face-gender", "zidane.jpg", "image"),
    ("face-gender-yunet", "zidane.jpg", "image"),
    ("face-gender-res10tf", "zidane.jpg", "image"),
    ("skin-segmentation", "ch2.nii.gz", "volume"),
    ("object-detection", "people_movement.mp4", "video"),
    ("yolov5-classic", "people_movement.mp4", "video"),
]


def fetch_models(models_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "modelgallery", "fetch-models", "--mirror", str(SHARED / "models")],
        env={"MODELS_FILE": str(REGISTRY), "MODELS_DIR": str(models_dir), "PATH": ""},
        check=True,
        capture_output=True,
    )


def one(http: httpx.Client, model: str, sample: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    with sample.open("rb") as f:
        response = http.post(
            f"/api/models/{model}/predictions",
            params={"wait": 600},
            files={"file": (sample.name, f)},
        )
    elapsed = time.perf_counter() - started
    job = response.json()
    if response.status_code != 200 or job.get("status") != "succeeded":
        raise RuntimeError(f"{model} on {sample.name}: {response.status_code} {job}")
    return elapsed, job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--video-repeats", type=int, default=1)
    parser.add_argument("--skip-video", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        models_dir = Path(tmp) / "models"
        fetch_models(models_dir)
        env = {
            "MODELS_FILE": str(REGISTRY),
            "MODELS_DIR": str(models_dir),
            "WORKER_GROUPS": "{}",
            "MAX_WAIT_S": "600",
            "LOG_LEVEL": "WARNING",
        }
        server = BackendServer(Path(tmp) / "data", env).start(timeout_s=600)
        print(f"ready after {server.ready_after_s:.1f} s (models loaded and warmed up)")
        print(f"{'model':<22} {'sample':<22} {'n':>2} {'model ms':>10} {'end-to-end ms':>14}")
        try:
            with httpx.Client(base_url=server.url, timeout=700) as http:
                for model, name, kind in CASES:
                    if kind == "video" and args.skip_video:
                        continue
                    repeats = args.video_repeats if kind == "video" else args.repeats
                    walls, model_ms, frames = [], [], 0
                    for _ in range(repeats):
                        wall, job = one(http, model, SHARED / "samples" / name)
                        walls.append(wall * 1000)
                        model_ms.append(job["timings"]["model_ms"])
                        frames = (job.get("result") or {}).get("frames") or frames
                    line = (
                        f"{model:<22} {name:<22} {repeats:>2} "
                        f"{statistics.median(model_ms):>10.0f} {statistics.median(walls):>14.0f}"
                    )
                    if kind == "video" and frames:
                        per_frame = statistics.median(model_ms) / frames
                        line += f"   {frames} frames, {per_frame:.1f} ms/frame"
                    print(line, flush=True)
                    for face in (
                        (job.get("result") or {}).get("items", []) if kind == "image" else []
                    ):
                        if "gender" in face:
                            print(
                                f"    face {face['box']} conf {face['confidence']:.2f}: "
                                f"{face['gender']} p={face['probability']:.3f}"
                            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
