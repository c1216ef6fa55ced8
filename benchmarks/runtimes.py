"""Bare predict per runtime: the classic YOLOv5n of the offline mirror on each runtime its
family can serve on, in this process, one thread, images alternating bus.jpg / zidane.jpg.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.runtimes [--images 40]

Prints a markdown table: median and p90 ms per image (decode excluded: letterbox, network,
NMS), and the ratio to PyTorch. Measures; asserts nothing."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "assets"


def run(images: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2

    from modelgallery.vision.registry import family_class, load_registry

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(MIRROR / "models" / "yolov5n.pt", Path(tmp) / "yolov5n.pt")
        spec = load_registry(REPO / "models" / "offline.toml", Path(tmp)).models["yolov5-classic"]
        frames = [cv2.imread(str(MIRROR / "samples" / n)) for n in ("bus.jpg", "zidane.jpg")]
        rows = []
        for runtime in ("torch", "onnxruntime", "openvino"):
            model = family_class(spec.family)(spec.model_copy(update={"runtime": runtime}))
            model.load()
            settings = model.prepare({})
            model.infer(frames[0], settings)
            times = []
            for index in range(images):
                started = time.perf_counter()
                model.infer(frames[index % 2], settings)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            rows.append((runtime, statistics.median(times), times[int(0.9 * (len(times) - 1))]))
    base = rows[0][1]
    print(f"threads: {os.environ['OMP_NUM_THREADS']}, images: {images}\n")
    print("| runtime | median ms | p90 ms | PyTorch / this |")
    print("|---|---|---|---|")
    for runtime, median, p90 in rows:
        print(f"| {runtime} | {median:.1f} | {p90:.1f} | {base / median:.2f}x |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=40)
    run(parser.parse_args().images)
