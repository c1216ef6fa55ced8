"""Peak memory of the detector on a video and on one N times longer: it must stay flat,
since frames are streamed from the decoder through the model into the encoder.

    .venv/bin/python -m benchmarks.video_memory [--repeats 10] [--size 320x180]
        [--model yolov5-classic|object-detection] [--imgsz 320]

Both videos are the shared sample's frames (N times over), resized, written to a temporary
folder. Each run is a fresh process, so its peak RSS (ru_maxrss) is its own.

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.video_memory --speed \
        --model object-detection --imgsz 640 [--runs 3]

Speed: ms/frame of a video job (decode, model, drawing, VP9 encode, detections.jsonl) on
the full-size sample, with the job's busy time per stage, against the same work on one
thread, a bare loop on the same model (decode and `infer` only) and ultralytics'
`predict(stream=True)` on the same weights (its own thread count). The best and the
median of `--runs` rounds, in one process, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "assets" / "samples" / "people_movement.mp4"
MIRROR = REPO.parent / "shared" / "assets" / "models"
REGISTRY = REPO / "models" / "offline.toml"


def build_video(path: Path, repeats: int, size: tuple[int, int]) -> int:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 29.5, size)
    frames = 0
    for _ in range(repeats):
        capture = cv2.VideoCapture(str(SAMPLE))
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
            frames += 1
        capture.release()
    writer.release()
    return frames


def child(video: Path, model_name: str, imgsz: int) -> None:
    """One measured run; prints a JSON line."""
    from modelgallery.vision.model import InputItem
    from modelgallery.vision.registry import family_class, load_registry

    spec = load_registry(REGISTRY, MIRROR).models[model_name]
    spec = spec.model_copy(update={"options": {**spec.options, "imgsz": imgsz}})
    model = family_class(spec.family)(spec)
    model.load()
    model.warmup()
    loaded_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        item = InputItem(video, video.name, "video/mp4", "video")
        summary = model.predict([item], {}, Path(out), lambda fraction, message: None).summary
        seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        import av  # noqa: F401
    except ImportError:
        encoder = "OpenCV VideoWriter"
    else:
        encoder = "PyAV libvpx-vp9"
    print(
        json.dumps(
            {
                "encoder": encoder,
                "frames": summary["frames"],
                "seconds": seconds,
                "loaded_mib": loaded_kib / 1024,
                "peak_mib": peak_kib / 1024,
            }
        )
    )


def speed(model_name: str, imgsz: int, runs: int) -> None:
    """Prints ms/frame of the product's video path and of other loops on the sample."""
    import cv2

    from modelgallery.media.video import open_video
    from modelgallery.vision.model import InputItem
    from modelgallery.vision.pipelines.webm import WebmWriter
    from modelgallery.vision.registry import family_class, load_registry

    spec = load_registry(REGISTRY, MIRROR).models[model_name]
    spec = spec.model_copy(update={"options": {**spec.options, "imgsz": imgsz}})
    model = family_class(spec.family)(spec)
    model.load()
    model.warmup()
    settings = model.prepare({})
    item = InputItem(SAMPLE, SAMPLE.name, "video/mp4", "video")

    def product() -> tuple[int, dict[str, float]]:
        with tempfile.TemporaryDirectory() as out:
            result = model.predict([item], {}, Path(out), lambda fraction, message: None)
        return result.summary["frames"], result.stages

    def sequential() -> tuple[int, dict[str, float]]:
        """The same work on one thread, frame after frame: the video path before its threads."""
        with tempfile.TemporaryDirectory() as out, open_video(SAMPLE) as video:
            info = video.info
            size = (info.width // 2 * 2, info.height // 2 * 2)
            with (
                WebmWriter(Path(out) / "a.webm", info.fps, size) as writer,
                (Path(out) / "d.jsonl").open("w") as lines,
            ):
                for index, frame in enumerate(video):
                    items = model.infer(frame, settings)
                    writer.write(model.draw(frame, items))
                    record = {"frame": index, "time_s": index / info.fps, "detections": items}
                    lines.write(json.dumps(record) + "\n")
        return writer.frames, {}

    def bare() -> tuple[int, dict[str, float]]:
        capture, frames = cv2.VideoCapture(str(SAMPLE), cv2.CAP_FFMPEG), 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            model.infer(frame, settings)
            frames += 1
        capture.release()
        return frames, {}

    loops = {
        "video job (product)": product,
        "sequential job (one thread)": sequential,
        "bare decode + infer": bare,
    }
    try:
        from ultralytics import YOLO
    except ImportError:
        pass
    else:
        yolo = YOLO(str(spec.weight_paths[0]), task="detect")

        def stream() -> tuple[int, dict[str, float]]:
            results = yolo.predict(str(SAMPLE), stream=True, imgsz=imgsz, verbose=False)
            return sum(1 for _ in results), {}

        loops["ultralytics predict(stream=True)"] = stream
    bare()  # warm-up: first-use allocations, caches
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"model {model_name}, imgsz {imgsz}, {SAMPLE.name}, OMP_NUM_THREADS={threads}")
    # Rounds of every loop in turn, the best and the median of each kept: a busy machine
    # slows all alike, and the best run is the one least disturbed.
    seconds: dict[str, list[float]] = {name: [] for name in loops}
    frames: dict[str, int] = {}
    stages: dict[str, dict[str, float]] = {}
    for _ in range(runs):
        for name, loop in loops.items():
            began = time.perf_counter()
            frames[name], busy = loop()
            seconds[name].append(time.perf_counter() - began)
            if min(seconds[name]) == seconds[name][-1]:
                stages[name] = busy
    # Other processes on the machine skew every figure: the load says how much.
    print(f"load average over the last 1, 5, 15 min: {os.getloadavg()}, {os.cpu_count()} cores")
    print(f"{'ms/frame, best and median of ' + str(runs):<34}  best  median")
    for name, times in seconds.items():
        n = frames[name]
        busy = ", ".join(f"{k} {v / n:.1f}" for k, v in stages[name].items())
        print(
            f"{name:<34} {1000 * min(times) / n:6.1f} {1000 * statistics.median(times) / n:6.1f}"
            + (f"  (busy ms/frame in the best: {busy})" if busy else "")
        )


def measure(video: Path, model_name: str, imgsz: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.video_memory", "--child", str(video)]
        + ["--model", model_name, "--imgsz", str(imgsz)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--size", default="320x180", help="frame size of the built videos")
    parser.add_argument("--model", default="yolov5-classic")
    parser.add_argument("--imgsz", type=int, default=320)
    parser.add_argument("--speed", action="store_true", help="ms/frame, not memory")
    parser.add_argument("--runs", type=int, default=3, help="with --speed: best of")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed:
        speed(args.model, args.imgsz, args.runs)
        return
    if args.child:
        child(args.child, args.model, args.imgsz)
        return

    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for repeats in (1, args.repeats):
            video = Path(tmp) / f"x{repeats}.mp4"
            build_video(video, repeats, (width, height))
            runs.append((repeats, measure(video, args.model, args.imgsz)))
    print(
        f"model {args.model}, imgsz {args.imgsz}, frames {width}x{height}, "
        f"encoder {runs[0][1]['encoder']}"
    )
    print("video  frames  seconds  ms/frame  RSS after load (MiB)  peak RSS (MiB)")
    for repeats, run in runs:
        print(
            f"{repeats:>4}x  {run['frames']:>6}  {run['seconds']:>7.1f}  "
            f"{1000 * run['seconds'] / run['frames']:>8.1f}  {run['loaded_mib']:>20.0f}  "
            f"{run['peak_mib']:>14.0f}"
        )
    short, long = runs[0][1]["peak_mib"], runs[1][1]["peak_mib"]
    print(f"peak growth {args.repeats}x vs 1x: {long - short:+.0f} MiB ({long / short - 1:+.1%})")


if __name__ == "__main__":
    main()
