"""Object detection: boxes, labels and confidences on images, batches and videos.

`YoloDetector` runs whatever `ultralytics.YOLO` loads: `.pt` checkpoints (YOLOv5u/v8/11) on
PyTorch, ONNX Runtime or OpenVINO (`yolo_engines.exported_engine`), other formats (TFLite, ONNX,
an OpenVINO folder) through ultralytics' predictor; `yolov5_classic.ClassicYolov5Detector`
builds on it for the original YOLOv5 checkpoints. The video path, batches and artifacts come
from `tasks.video.VideoTask`.

Frameworks are imported inside `load()` and the functions it calls: the API process imports
this module only to read the declarations."""

from __future__ import annotations

from typing import Any, ClassVar

from ...media.annotate import annotate
from ..model import Param, ResultKind, RuntimeName
from ..params import check_params
from ..runtimes.ultralytics import prepare_runtime
from ..tasks.image import ImageResult, Item
from ..tasks.video import VideoTask
from .yolo_boxes import Settings
from .yolo_engines import (
    NetEngine,
    UltralyticsEngine,
    exported_engine,
    tflite_engine,
    ultralytics_engine,
)


class YoloDetector(VideoTask):
    params: ClassVar[dict[str, Param]] = {
        "conf": Param(
            type="float", default=0.25, min=0.01, max=0.99, description="minimum confidence"
        ),
        "iou": Param(
            type="float",
            default=0.45,
            min=0.1,
            max=0.95,
            description="overlap (IoU) above which the weaker of two boxes is dropped",
        ),
        "classes": Param(
            type="list", description="class names to keep, e.g. person,car (default: all)"
        ),
        "track": Param(
            type="bool",
            default=True,
            description="videos: follow objects across frames and count each once "
            "(ignored for images)",
        ),
    }
    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **VideoTask.result_kinds,
        "image": "detections",
    }
    csv_columns: ClassVar[tuple[str, ...]] = ("count", "counts")

    runtimes: ClassVar[tuple[RuntimeName, ...]] = ("torch", "onnxruntime", "openvino", "litert")
    batches: ClassVar[bool] = True
    draws_result_kind: ClassVar[bool] = True

    names: dict[int, str]
    imgsz: int
    _engine: NetEngine | UltralyticsEngine

    def load(self) -> None:
        threads = prepare_runtime()
        self.imgsz = int(self.spec.options.get("imgsz", 640))
        weights = self.spec.weight_paths[0]
        requested = self.spec.runtime or "auto"
        if weights.suffix == ".pt":
            self._engine, self.runtime = exported_engine(weights, self.imgsz, threads, requested)
        elif weights.suffix == ".tflite":
            self._engine, self.runtime = tflite_engine(weights, self.imgsz, threads, requested)
        else:
            self._engine, self.runtime = ultralytics_engine(
                weights, self.imgsz, threads, requested
            )
        self.names = self._engine.names
        self.classes = list(self.names.values())

    def use_threads(self, threads: int) -> None:
        self._engine.use_threads(threads)

    def warmup(self) -> None:
        import numpy as np

        self.infer(np.zeros((self.imgsz, self.imgsz, 3), np.uint8), Settings(0.25, 0.45, None))

    def prepare(self, params: dict[str, Any]) -> Settings:
        """The job's values, checked against this model's bounds again: the API checks
        them too, but in-process callers (tests, benchmarks) do not go through it."""
        values = check_params(self.spec.params or self.params, params)
        wanted = values["classes"] or []
        return Settings(values["conf"], values["iou"], self._class_ids(wanted) if wanted else None)

    def infer(self, image: Any, settings: Settings) -> list[Item]:
        return self._engine(image, settings)

    def infer_many(self, images: list[Any], settings: list[Any]) -> list[list[Item]]:
        return self._engine.many(images, settings)

    def batch_speedup(self, size: int) -> float:
        return self._engine.batch_speedup(size)

    def draw(self, image: Any, items: list[Item]) -> Any:
        return annotate(image, "detections", items)

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


def _counts(items: list[Item]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item["label"]] = counts.get(item["label"], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
