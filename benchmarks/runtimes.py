"""Bare predict per runtime: the classic YOLOv5n of the offline mirror on each runtime its
family can serve on, in this process, one thread, images alternating bus.jpg / zidane.jpg.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.runtimes [--images 40] [--explore]

Prints a markdown table: median and p90 ms per image (decode excluded: letterbox, network,
NMS), and the ratio to PyTorch. `--explore` adds the network alone (640x640 letterboxed
inputs: the int8 graph's concatenations need square ones) on variants, to show what this
CPU gains from them: OpenVINO on the graph of free size (the served net compiles each shape
it keeps seeing), and ONNX Runtime and OpenVINO on an int8 (QDQ) copy of the export
calibrated on frames of the mirror's samples. It also says which instructions the CPU has
and the precision OpenVINO runs at on it (bfloat16 by default where the CPU has it).
Measures; asserts nothing."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "assets"
_ISA = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx_vnni",
    "avx512_bf16",
    "amx_int8",
    "amx_bf16",
)


def _timed(call: Callable[[Any], Any], inputs: list[Any], images: int) -> tuple[float, float]:
    call(inputs[0])
    times = []
    for index in range(images):
        started = time.perf_counter()
        call(inputs[index % len(inputs)])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def _cpu() -> str:
    flags: set[str] = set()
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    found = [flag for flag in _ISA if flag in flags]
    return f"{model}; {', '.join(found) or 'no AVX2'} (of {', '.join(_ISA)})"


def _openvino_precision() -> str:
    """What OpenVINO computes in on this CPU unless told otherwise (bf16 where the CPU
    has bfloat16 instructions: its default favours speed)."""
    try:
        import openvino as ov

        precision = ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT")
        return str(precision.to_string()) if hasattr(precision, "to_string") else str(precision)
    except Exception as exc:  # not installed, or no such property in this version
        return f"unknown ({exc})"


def _calibration_frames(count: int = 8) -> list[Any]:
    import cv2

    frames = [cv2.imread(str(MIRROR / "samples" / n)) for n in ("bus.jpg", "zidane.jpg")]
    capture = cv2.VideoCapture(str(MIRROR / "samples" / "people_movement.mp4"))
    for index in range(count * 20):
        ok, frame = capture.read()
        if not ok:
            break
        if index % 20 == 0:
            frames.append(frame)
    capture.release()
    return frames


def _explored(onnx: Path, inputs: list[Any], images: int, tmp: Path) -> list[tuple[str, Any]]:
    """The network alone on each variant, per input shape of `inputs`."""
    import onnxruntime as ort
    import openvino as ov
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from modelgallery.vision.families.yolo_net import letterbox

    name = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"]).get_inputs()[0]
    samples = [{name.name: letterbox(f, 640, 32, square=True).batch} for f in _calibration_frames()]

    class Frames(CalibrationDataReader):
        def __init__(self) -> None:
            self._left = iter(samples)

        def get_next(self) -> dict[str, Any] | None:
            return next(self._left, None)

    prepared, int8 = tmp / "prepared.onnx", tmp / "int8.onnx"
    with contextlib.chdir(tmp):  # the quantiser leaves scratch files in the working folder
        quant_pre_process(str(onnx), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(int8),
            Frames(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )

    def onnxruntime(path: Path) -> Callable[[Any], Any]:
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return lambda batch: session.run(None, {name.name: batch})

    core = ov.Core()
    config = {
        "INFERENCE_NUM_THREADS": 1,
        "PERFORMANCE_HINT": "LATENCY",
        "ENABLE_CPU_PINNING": False,  # as the product compiles: see runtimes/openvino.py
    }

    def openvino(path: Path, static: bool) -> Callable[[Any], Any]:
        requests: dict[tuple[int, ...], Any] = {}

        def run(batch: Any) -> Any:
            key = batch.shape if static else ()
            if key not in requests:
                model = core.read_model(str(path))
                if static:
                    model.reshape({model.input(0).get_any_name(): ov.PartialShape(list(key))})
                requests[key] = core.compile_model(model, "CPU", config).create_infer_request()
            return requests[key].infer({0: batch})

        for batch in inputs:  # compile every shape before timing
            run(batch)
        return run

    variants = [
        ("network: onnxruntime (as served)", onnxruntime(onnx)),
        ("network: openvino, graph of free size", openvino(onnx, static=False)),
        ("network: openvino, compiled for the shape (as served)", openvino(onnx, static=True)),
        ("network: onnxruntime, int8 QDQ", onnxruntime(int8)),
        ("network: openvino, int8 QDQ", openvino(int8, static=False)),
    ]
    return [(label, _timed(call, inputs, images)) for label, call in variants]


def run(images: int, explore: bool) -> None:
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
            predict = functools.partial(_predict, model, model.prepare({}))
            rows.append((runtime, *_timed(predict, frames, images)))
        if explore:
            from modelgallery.vision.families.yolo_net import letterbox

            onnx = next(Path(tmp).glob("*.onnx"))
            inputs = [letterbox(f, 640, 32, square=True).batch for f in frames]
            torch_net = _torch_network(Path(tmp) / "yolov5n.pt")
            rows.append(("network: torch", *_timed(torch_net, inputs, images)))
            rows += [(label, *t) for label, t in _explored(onnx, inputs, images, Path(tmp))]
    base = rows[0][1]
    print(f"threads: {os.environ['OMP_NUM_THREADS']}, images: {images}")
    print(f"CPU: {_cpu()}")
    print(f"OpenVINO's precision on it: {_openvino_precision()}\n")
    print("| runtime | median ms | p90 ms | PyTorch / this |")
    print("|---|---|---|---|")
    network_base = next((median for label, median, _ in rows if label == "network: torch"), 0)
    for runtime, median, p90 in rows:
        reference = network_base if runtime.startswith("network") else base
        print(f"| {runtime} | {median:.1f} | {p90:.1f} | {reference / median:.2f}x |")


def _predict(model: Any, settings: Any, frame: Any) -> Any:
    return model.infer(frame, settings)


def _torch_network(weights: Path) -> Callable[[Any], Any]:
    import torch

    from modelgallery.vision.runtimes.yolov5_checkpoint import load_classic_yolov5

    network = load_classic_yolov5(weights)

    def call(batch: Any) -> Any:
        with torch.inference_mode():
            return network(torch.from_numpy(batch))

    return call


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--explore", action="store_true", help="also the variants not served")
    arguments = parser.parse_args()
    run(arguments.images, arguments.explore)
