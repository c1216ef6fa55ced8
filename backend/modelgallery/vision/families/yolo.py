"""The `yolo` family: boxes, labels and confidences on images, batches and videos, from an
ultralytics checkpoint or an exported detector.

The weights decide the path (`load`): a `.pt` checkpoint (YOLOv5u/v8/11) and an exported
ONNX, OpenVINO IR or TFLite detector (ultralytics' or the classic YOLOv5 layout; names, size
and layout read by `detector_files.py`) run through our own letterbox → network → NMS
(`yolo_net.py`) on the runtime chosen; end-to-end heads and other files on ultralytics' own
predictor (`UltralyticsEngine`). `yolov5_classic.py` builds on this family for the original
YOLOv5 checkpoints. Images, batches and videos come from `pipelines.video.VideoPipeline`.

Frameworks are imported inside `load()` and the functions it calls: the API process imports
this module only to read the declarations."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...media.annotate import annotate
from ..declarations import Param, ResultKind, RuntimeChoice, RuntimeName, RuntimeRequest
from ..params import with_defaults
from ..pipelines.image import ImageResult, Item
from ..pipelines.video import VideoPipeline
from ..runtimes.exports import exported
from ..runtimes.onnxruntime import OnnxRuntimeNet
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.selection import Net, PerThreadCount, choose
from ..runtimes.ultralytics import (
    detection_network,
    export_onnx,
    load_predictor,
    torch_net,
    torch_runtime,
    ultralytics_environment,
)
from .detector_files import DetectorFile, classes_of, network_file, read_detector, runtimes_for
from .yolo_net import (
    MAX_DETECTIONS,
    TRIAL_FILTER,
    BoxFilter,
    Layout,
    YoloNet,
    detections,
    first_run,
    letterbox,
    output_layout,
    serve_network,
)

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor
    from ultralytics import YOLO


class YoloDetector(VideoPipeline[BoxFilter]):
    params: ClassVar[dict[str, Param]] = {
        "conf": Param(
            type="float",
            default=0.25,
            min=0.01,
            max=0.99,
            label="Minimum confidence",
            description="Boxes the model is less sure of than this are left out.",
        ),
        "iou": Param(
            type="float",
            default=0.45,
            min=0.1,
            max=0.95,
            label="Box overlap allowed",
            description="When two boxes overlap more than this (intersection over union), "
            "only the more confident one is kept.",
        ),
        "classes": Param(
            type="list",
            label="Only these classes",
            description="Class names to keep, e.g. person,car; empty: every class.",
        ),
        "track": Param(
            type="bool",
            default=True,
            label="Follow objects in videos",
            description="Videos: follow each object across frames and count it once "
            "(images ignore this).",
        ),
    }
    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **VideoPipeline.result_kinds,
        "image": "detections",
    }
    csv_columns: ClassVar[tuple[str, ...]] = ("count", "counts")

    runtimes: ClassVar[tuple[RuntimeName, ...]] = ("torch", "onnxruntime", "openvino", "litert")
    batches: ClassVar[bool] = True
    draws_result_kind: ClassVar[bool] = True

    names: dict[int, str]
    imgsz: int
    _engine: YoloNet | UltralyticsEngine
    _problems: tuple[str, ...] = ()  # why the names and the network disagree (check_loaded)

    def load(self) -> None:
        threads = ultralytics_environment()
        self.imgsz = int(self.spec.options.get("imgsz", 640))
        weights = network_file(self.spec.weight_paths)
        requested = self.spec.runtime or "auto"
        if weights.suffix == ".pt":
            self._engine, self.runtime = exported_engine(weights, self.imgsz, threads, requested)
        elif weights.suffix.lower() in (".onnx", ".xml", ".tflite"):
            found = read_detector(weights, self.spec.weight_paths)
            self._engine, self.runtime, self._problems = file_engine(
                found, self.spec.options, self.spec.weight_paths, threads, requested
            )
        else:
            self._engine, self.runtime = ultralytics_engine(weights, self.imgsz, threads, requested)
        if isinstance(self._engine, YoloNet):
            self.imgsz = self._engine.layout.imgsz
        self.names = self._engine.names
        self.classes = list(self.names.values())

    def check_loaded(self) -> None:
        """After `load()`: ValueError with the reasons, in sentences, why the weights and
        the entry disagree (labels given against the classes the network finds)."""
        if self._problems:
            raise ValueError("; ".join(self._problems))

    def use_threads(self, threads: int) -> None:
        self._engine.use_threads(threads)

    def warmup(self) -> None:
        import numpy as np

        self.infer(np.zeros((self.imgsz, self.imgsz, 3), np.uint8), TRIAL_FILTER)

    def prepare(self, params: dict[str, Any]) -> BoxFilter:
        """The job's values as the API checked them; the class names, which only the
        loaded weights know, are checked here."""
        values = with_defaults(self.spec.params or self.params, params)
        wanted = values["classes"] or []
        return BoxFilter(values["conf"], values["iou"], self._class_ids(wanted) if wanted else None)

    def infer(self, image: np.ndarray, settings: BoxFilter) -> list[Item]:
        return self._engine(image, settings)

    def infer_many(self, images: list[np.ndarray], settings: list[BoxFilter]) -> list[list[Item]]:
        return self._engine.many(images, settings)

    def batch_speedup(self, size: int) -> float:
        return self._engine.batch_speedup(size)

    def draw(self, image: np.ndarray, items: list[Item]) -> np.ndarray:
        drawn: np.ndarray = annotate(image, "detections", items)
        return drawn

    def summarise(self, items: list[Item]) -> dict[str, Any]:
        return {"counts": _counts(items)}

    def csv_row(self, result: ImageResult) -> dict[str, Any]:
        counts = result.summary.get("counts", {})
        return {
            "count": len(result.items),
            "counts": "; ".join(f"{name}={n}" for name, n in counts.items()),
        }

    def _class_ids(self, wanted: list[str]) -> list[int]:
        """Class names (any case) or ids; an unknown one is an error naming the choices."""
        by_name = {name.lower(): cid for cid, name in self.names.items()}
        ids, unknown = [], []
        for item in (str(w).strip() for w in wanted):
            if item.lower() in by_name:
                ids.append(by_name[item.lower()])
            elif item.isdigit() and int(item) in self.names:
                ids.append(int(item))
            else:
                unknown.append(item)
        if unknown:
            known = ", ".join(self.names.values())
            raise ValueError(
                f"unknown class(es) for this model: {', '.join(unknown)}. "
                f"It detects: {_shorten(known, 400)}"
            )
        return sorted(set(ids))


class UltralyticsEngine:
    """ultralytics' own predictor (its letterbox, network and NMS), for the formats it reads
    that we do not export; one instance per thread count (`load_predictor`)."""

    def __init__(self, weights: Path, imgsz: int, threads: int) -> None:
        self._imgsz = imgsz
        self.predictors: PerThreadCount[YOLO] = PerThreadCount(
            lambda n: load_predictor(weights, n), threads
        )
        self.names = {int(k): str(v) for k, v in self.predictors.current().names.items()}

    def __call__(self, image: np.ndarray, keep: BoxFilter) -> list[Item]:
        result = self.predictors.current().predict(
            image,
            conf=keep.conf,
            iou=keep.iou,
            classes=keep.class_ids,
            imgsz=self._imgsz,
            max_det=MAX_DETECTIONS,
            verbose=False,
        )
        boxes = result[0].boxes
        return detections(boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), self.names)

    def many(self, images: list[np.ndarray], keep: list[BoxFilter]) -> list[list[Item]]:
        return [self(image, k) for image, k in zip(images, keep, strict=True)]

    def use_threads(self, threads: int) -> None:
        self.predictors.use(threads)

    def batch_speedup(self, size: int) -> float:
        return 1.0  # ultralytics' predictor runs a list of images one by one


def exported_engine(
    weights: Path, imgsz: int, threads: int, requested: RuntimeRequest
) -> tuple[YoloNet | UltralyticsEngine, RuntimeChoice]:
    """An ultralytics `.pt` checkpoint on the runtime `requested` (or the fastest with
    `auto`): PyTorch runs its network, ONNX Runtime and OpenVINO its ONNX export (made by
    ultralytics' exporter, cached beside the checkpoint). End-to-end heads stay on
    ultralytics' own predictor."""
    torch_runtime(threads)  # ultralytics reads the checkpoint
    import torch

    network = detection_network(weights)
    if network.end2end:
        return ultralytics_engine(weights, imgsz, threads, requested, native="torch")
    stride = network.stride
    size = -(-imgsz // stride) * stride  # the network takes multiples of its stride

    @cache
    def onnx() -> Path:
        return exported(weights, ".onnx", lambda target: export_onnx(weights, target, size))

    def on_torch(batch: np.ndarray) -> Tensor:
        with torch.inference_mode():
            return network.module(torch.from_numpy(batch))[0]

    builds: dict[RuntimeName, Callable[[int], Net]] = {
        "torch": torch_net(on_torch),
        "onnxruntime": lambda n: OnnxRuntimeNet(onnx(), n),
        "openvino": lambda n: OpenVinoNet(onnx(), n),
    }
    layout = Layout(size, stride, network.names, objectness=False, channels_first=True)
    return serve_network(requested, builds, threads, layout, weights)


def file_engine(
    found: DetectorFile,
    options: dict[str, Any],
    weights: list[Path],
    threads: int,
    requested: RuntimeRequest,
) -> tuple[YoloNet | UltralyticsEngine, RuntimeChoice, tuple[str, ...]]:
    """An exported detector on the runtimes that read its format, with the names, size and
    layout it gives, and why its labels disagree with it (`check_loaded`)."""
    import numpy as np

    path, wanted = found.path, int(options.get("imgsz", 640))
    if found.task != "detect":
        raise ValueError(
            f"{path.name} holds a {found.task} model; the yolo family serves object detectors"
        )
    if found.end2end:
        return (*ultralytics_engine(path, found.imgsz(wanted), threads, requested), ())
    stride = found.stride(int(options.get("stride", 32)))
    square = found.input_size is not None  # a graph of fixed size takes imgsz x imgsz
    size = found.imgsz(wanted) if square else -(-found.imgsz(wanted) // stride) * stride
    blank = letterbox(np.zeros((size, size, 3), np.uint8), size, stride, square).batch
    raw, builds = first_run(runtimes_for(found), blank, path.name)
    out = output_layout(raw, path.name, len(found.names) if found.names else None)
    names, problems = classes_of(out.classes, found.names, options.get("labels"), weights)
    layout = Layout(size, stride, names, out.objectness, out.channels_first, square, out.normalized)
    return (*serve_network(requested, builds, threads, layout, path), problems)


def ultralytics_engine(
    weights: Path,
    imgsz: int,
    threads: int,
    requested: RuntimeRequest,
    native: RuntimeName | None = None,
) -> tuple[UltralyticsEngine, RuntimeChoice]:
    """Every other file ultralytics reads, on the runtime its format implies."""
    import numpy as np

    torch_runtime(threads)

    native = native or _NATIVE.get(weights.suffix.lower(), "torch")
    if weights.is_dir():
        native = "openvino"

    builders: dict[RuntimeName, Callable[[], UltralyticsEngine]] = {
        native: lambda: UltralyticsEngine(weights, imgsz, threads)
    }
    sample = np.zeros((imgsz, imgsz, 3), np.uint8)
    chosen, choice = choose(requested, builders, lambda e: e(sample, TRIAL_FILTER))
    chosen.predictors.prepare(1)
    return chosen, choice


_NATIVE: dict[str, RuntimeName] = {".tflite": "litert", ".onnx": "onnxruntime", ".xml": "openvino"}


def _counts(items: list[Item]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item["label"]] = counts.get(item["label"], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
