"""Peak memory of the detector on a video and on one N times longer: it must stay flat,
since frames are streamed from the decoder through the model into the encoder.

    .venv/bin/python -m benchmarks.video_memory [--repeats 10] [--size 320x180]
        [--model yolov5-classic|object-detection] [--imgsz 320]

Both videos are the shared sample's frames (N times over), resized, written to a temporary
folder. Each run is a fresh process, so its peak RSS (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
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
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
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
