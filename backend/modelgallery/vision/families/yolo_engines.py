"""The two ways a YOLO detector runs an image.

`NetEngine`: our letterbox and NMS (`yolo_boxes.py`) around a bare network on any runtime
(PyTorch, ONNX Runtime, OpenVINO): classic YOLOv5 checkpoints, and ultralytics `.pt`
checkpoints served on their ONNX export. Every runtime sees the same input and goes through
the same box code, so they find the same boxes.

`UltralyticsEngine`: ultralytics' own predictor, for the formats it reads that we do not
export (TFLite, ONNX and OpenVINO files as given, end-to-end heads)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..model import RuntimeChoice, RuntimeName, RuntimeRequest
from ..runtimes.exports import exported
from ..runtimes.litert import LiteRtNet
from ..runtimes.onnxruntime import OnnxRuntimeNet
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.selection import Net, PerThreadCount, choose, median_ms
from ..runtimes.ultralytics import detection_network, export_onnx, ultralytics_metadata
from ..tasks.image import Item
from .yolo_boxes import MAX_DETECTIONS, Letterboxed, Settings, boxes_of, detections, letterbox


@dataclass(frozen=True)
class Layout:
    """What a bare YOLO network takes and gives."""

    imgsz: int  # the letterbox's longer side, a multiple of `stride`
    stride: int
    names: dict[int, str]
    objectness: bool  # YOLOv5's rows hold an objectness score; v8's do not
    channels_first: bool  # v8 exports give (1, 4 + classes, anchors), v5 (1, anchors, 5 + classes)
    square: bool = False  # a graph of fixed input size (TFLite) takes imgsz x imgsz
    normalized: bool = False  # boxes in 0..1 of the input (TFLite exports), not pixels


class NetEngine:
    def __init__(self, net: PerThreadCount[Net], layout: Layout) -> None:
        self.net, self.layout, self.names = net, layout, layout.names
        self._batches = True  # until a graph of fixed batch size says otherwise

    def __call__(self, image: Any, settings: Settings) -> list[Item]:
        boxed = self._letterbox(image)
        return self._items(self.net(boxed.batch)[0], boxed, image.shape, settings)

    def many(self, images: list[Any], settings: list[Settings]) -> list[list[Item]]:
        """Several images, each read back with its own settings. Images whose letterboxed
        input has the same shape (same-sized images: one camera's, one scanner's) go
        through the network in one pass; padding others to a common shape would change
        what the network sees, and so what it finds, so they run on their own."""
        import numpy as np

        boxed = [self._letterbox(image) for image in images]
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for index, box in enumerate(boxed):
            by_shape.setdefault(box.batch.shape, []).append(index)
        found: list[list[Item]] = [[] for _ in images]
        for indices in by_shape.values():
            raw = None
            if self._batches and len(indices) > 1:
                try:
                    raw = self.net(np.concatenate([boxed[i].batch for i in indices]))
                except Exception:  # a graph exported for one image at a time
                    raw = None
                if raw is None or len(raw) != len(indices):  # or one that ignores the rest
                    self._batches, raw = False, None
            for position, index in enumerate(indices):
                box, image = boxed[index], images[index]
                own = raw[position] if raw is not None else self.net(box.batch)[0]
                found[index] = self._items(own, box, image.shape, settings[index])
        return found

    def _letterbox(self, image: Any) -> Letterboxed:
        return letterbox(image, self.layout.imgsz, self.layout.stride, self.layout.square)

    def _items(
        self, raw: Any, boxed: Letterboxed, shape: tuple[int, ...], settings: Settings
    ) -> list[Item]:
        import torch

        layout = self.layout
        with torch.inference_mode():
            rows = torch.as_tensor(raw)
            rows = rows.T if layout.channels_first else rows
            if layout.normalized:
                rows[:, :4] *= layout.imgsz
            return boxes_of(rows, settings, layout.objectness, boxed, shape, self.names)

    def use_threads(self, threads: int) -> None:
        self.net.use(threads)

    def batch_speedup(self, size: int) -> float:
        """Images per second in batches of `size` over one by one, at one thread."""
        import numpy as np

        image = np.zeros((self.layout.imgsz, self.layout.imgsz, 3), np.uint8)
        threads, settings = self.net.threads, [TRIAL_SETTINGS] * size
        self.net.use(1)
        try:
            one = median_ms(lambda: self(image, TRIAL_SETTINGS), runs=3)
            batch = median_ms(lambda: self.many([image] * size, settings), runs=2)
        finally:
            self.net.use(threads)
        if not self._batches:  # the graph takes one image at a time: nothing to gain
            return 1.0
        return round(one * size / batch, 2) if batch > 0 else 1.0


def serve_network(
    requested: RuntimeRequest,
    builds: dict[RuntimeName, Callable[[int], Net]],
    threads: int,
    layout: Layout,
) -> tuple[NetEngine, RuntimeChoice]:
    """The network on the runtime `requested` (or the fastest with `auto`, timed on a blank
    image), given how to build it on each runtime at a thread count."""
    import numpy as np

    def engine(build: Callable[[int], Net]) -> Callable[[], NetEngine]:
        return lambda: NetEngine(PerThreadCount(build, threads), layout)

    builders = {name: engine(build) for name, build in builds.items()}
    sample = np.zeros((layout.imgsz, layout.imgsz, 3), np.uint8)
    chosen, choice = choose(requested, builders, lambda e: e(sample, TRIAL_SETTINGS))
    chosen.net.prepare(1)  # a job's share when the machine is busy
    return chosen, choice


class UltralyticsEngine:
    """`ultralytics.YOLO` at the job's thread count: LiteRT fixes its interpreter's threads
    when a model loads, so each count gets its own instance."""

    def __init__(self, weights: Path, imgsz: int, threads: int) -> None:
        self._weights, self._imgsz = weights, imgsz
        self.predictors: PerThreadCount[Any] = PerThreadCount(self._load, threads)
        self.names = {int(k): str(v) for k, v in self.predictors.current().names.items()}

    def _load(self, threads: int) -> Any:
        from ultralytics import YOLO

        try:
            import ultralytics.nn.backends.litert as litert
        except ImportError:  # another layout of ultralytics: keep its own choice
            pass
        else:
            litert.NUM_THREADS = threads
        return YOLO(str(self._weights), task="detect")

    def __call__(self, image: Any, settings: Settings) -> list[Item]:
        result = self.predictors.current().predict(
            image,
            conf=settings.conf,
            iou=settings.iou,
            classes=settings.class_ids,
            imgsz=self._imgsz,
            max_det=MAX_DETECTIONS,
            verbose=False,
        )
        boxes = result[0].boxes
        return detections(boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), self.names)

    def many(self, images: list[Any], settings: list[Settings]) -> list[list[Item]]:
        return [self(image, s) for image, s in zip(images, settings, strict=True)]

    def use_threads(self, threads: int) -> None:
        self.predictors.use(threads)

    def batch_speedup(self, size: int) -> float:
        return 1.0  # ultralytics' predictor runs a list of images one by one


def exported_engine(
    weights: Path, imgsz: int, threads: int, requested: RuntimeRequest
) -> tuple[NetEngine | UltralyticsEngine, RuntimeChoice]:
    """An ultralytics `.pt` checkpoint on the runtime `requested` (or the fastest with
    `auto`): PyTorch runs its network, ONNX Runtime and OpenVINO its ONNX export (made by
    ultralytics' exporter, cached beside the checkpoint). End-to-end heads stay on
    ultralytics' own predictor."""
    import torch

    network = detection_network(weights)
    if network.end2end:
        return ultralytics_engine(weights, imgsz, threads, requested, native="torch")
    stride = network.stride
    size = -(-imgsz // stride) * stride  # the network takes multiples of its stride

    @cache
    def onnx() -> Path:
        return exported(weights, ".onnx", lambda target: export_onnx(weights, target, size))

    def on_torch(batch: Any) -> Any:
        with torch.inference_mode():
            return network.module(torch.from_numpy(batch))[0]

    builds: dict[RuntimeName, Callable[[int], Net]] = {
        "torch": lambda _: on_torch,  # the worker resizes PyTorch's own pool
        "onnxruntime": lambda n: OnnxRuntimeNet(onnx(), n),
        "openvino": lambda n: OpenVinoNet(onnx(), n),
    }
    layout = Layout(size, stride, network.names, objectness=False, channels_first=True)
    return serve_network(requested, builds, threads, layout)


def tflite_engine(
    weights: Path, imgsz: int, threads: int, requested: RuntimeRequest
) -> tuple[NetEngine | UltralyticsEngine, RuntimeChoice]:
    """An ultralytics TFLite export on LiteRT or OpenVINO (which reads TFLite graphs),
    with the names and input size its embedded metadata gives. An export without that
    metadata, or with an end-to-end head, stays on ultralytics' predictor."""
    meta = ultralytics_metadata(weights)
    if not meta.get("names") or meta.get("end2end") or meta.get("task", "detect") != "detect":
        return ultralytics_engine(weights, imgsz, threads, requested)
    names = {int(k): str(v) for k, v in meta["names"].items()}
    size = int(meta.get("imgsz", [imgsz])[0])  # the graph's input is fixed
    builds: dict[RuntimeName, Callable[[int], Net]] = {
        "litert": lambda n: LiteRtNet(weights, n),
        "openvino": lambda n: OpenVinoNet(weights, n),
    }
    layout = Layout(
        size,
        int(meta.get("stride", 32)),
        names,
        objectness=False,
        channels_first=True,
        square=True,
        normalized=True,
    )
    return serve_network(requested, builds, threads, layout)


def ultralytics_engine(
    weights: Path,
    imgsz: int,
    threads: int,
    requested: RuntimeRequest,
    native: RuntimeName | None = None,
) -> tuple[UltralyticsEngine, RuntimeChoice]:
    """Any other file ultralytics reads, on the runtime its format implies."""
    import numpy as np

    native = native or _NATIVE.get(weights.suffix.lower(), "torch")
    if weights.is_dir():
        native = "openvino"

    builders: dict[RuntimeName, Callable[[], UltralyticsEngine]] = {
        native: lambda: UltralyticsEngine(weights, imgsz, threads)
    }
    sample = np.zeros((imgsz, imgsz, 3), np.uint8)
    chosen, choice = choose(requested, builders, lambda e: e(sample, TRIAL_SETTINGS))
    chosen.predictors.prepare(1)
    return chosen, choice


TRIAL_SETTINGS = Settings(conf=0.25, iou=0.45, class_ids=None)
_NATIVE: dict[str, RuntimeName] = {
    ".tflite": "litert",
    ".onnx": "onnxruntime",
    ".xml": "openvino",
    ".pt": "torch",
}
