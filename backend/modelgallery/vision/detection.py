"""Object detection: boxes, labels and confidences on images, batches and videos.

`YoloDetector` runs whatever `ultralytics.YOLO` loads (YOLOv5u/v8/11 .pt, ONNX, TFLite, an
OpenVINO folder). `ClassicYolov5Detector` runs the original YOLOv5 checkpoints, which the
ultralytics package cannot read. Both share the parameters, the drawing and the video path.

Frameworks are imported inside `load()` and the functions it calls: the API process imports
this module only to read the declarations."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .image_model import ImageModel, ImageResult
from .model import ArtifactOut, InputItem, Output, Param, Progress, Result
from .yolov5_classic import load_classic_yolov5

_MAX_DETECTIONS = 300
# The annotated WebM's longer side: 1080p sources keep their size (realtime VP9 encodes a
# 1080p frame in a fraction of the model's time); larger ones are scaled down to it.
_VIDEO_MAX_SIDE = 1920


@dataclass(frozen=True)
class Detection:
    class_id: int
    label: str
    confidence: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels of the input image

    def as_item(self) -> dict[str, Any]:
        return {
            "class_id": self.class_id,
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "box": [round(v, 1) for v in self.box],
        }


@dataclass(frozen=True)
class _Settings:
    conf: float
    iou: float
    class_ids: list[int] | None  # None: every class


class YoloDetector(ImageModel):
    kinds: ClassVar[tuple[str, ...]] = ("image", "zip", "video")
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
    }
    outputs: ClassVar[tuple[Output, ...]] = (
        *ImageModel.outputs,
        Output(name="annotated.webm", media_type="video/webm", role="annotated", when="video"),
        Output(
            name="detections.jsonl", media_type="application/x-ndjson", role="data", when="video"
        ),
        Output(name="summary.json", media_type="application/json", role="data", when="video"),
    )
    csv_columns: ClassVar[tuple[str, ...]] = ("count", "counts")

    names: dict[int, str]

    # --- loading ----------------------------------------------------------------------

    def load(self) -> None:
        threads = _prepare_runtime()
        from ultralytics import YOLO

        try:
            import ultralytics.nn.backends.litert as litert
        except ImportError:  # another layout of ultralytics: keep its own choice
            pass
        else:
            # Ultralytics sizes its TFLite interpreter from the machine's cores; the worker's
            # budget is what the process may use (several processes share the machine).
            litert.NUM_THREADS = threads
        self.imgsz = int(self.spec.options.get("imgsz", 640))
        self._yolo = YOLO(str(self.spec.weight_paths[0]), task="detect")
        self.names = {int(k): str(v) for k, v in self._yolo.names.items()}

    def warmup(self) -> None:
        import numpy as np

        self._detect(np.zeros((self.imgsz, self.imgsz, 3), np.uint8), _Settings(0.25, 0.45, None))

    def _detect(self, image: Any, settings: _Settings) -> list[Detection]:
        result = self._yolo.predict(
            image,
            conf=settings.conf,
            iou=settings.iou,
            classes=settings.class_ids,
            imgsz=self.imgsz,
            max_det=_MAX_DETECTIONS,
            verbose=False,
        )[0]
        boxes = result.boxes
        return _detections(boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), self.names)

    # --- images -----------------------------------------------------------------------

    def predict_image(self, image: Any, params: dict[str, Any]) -> ImageResult:
        detections = self._detect(image, self._settings(params))
        return ImageResult(
            annotated=self._draw(image, detections),
            items=[d.as_item() for d in detections],
            summary={"counts": _counts(detections)},
        )

    def csv_row(self, result: ImageResult) -> dict[str, Any]:
        counts = result.summary.get("counts", {})
        return {
            "count": len(result.items),
            "counts": "; ".join(f"{name}={n}" for name, n in counts.items()),
        }

    def _settings(self, params: dict[str, Any]) -> _Settings:
        """The job's values, checked against this model's bounds again: the API checks
        them too, but in-process callers (tests, benchmarks) do not go through it."""
        from .registry import validate_param

        declared = self.spec.params
        values = {}
        for key in ("conf", "iou", "classes"):
            param = declared.get(key, self.params[key])
            value = params.get(key)
            try:
                values[key] = validate_param(param, param.default if value is None else value)
            except ValueError as exc:
                raise ValueError(f"the parameter '{key}' {exc}") from None
        wanted = values["classes"] or []
        return _Settings(values["conf"], values["iou"], self._class_ids(wanted) if wanted else None)

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

    def _draw(self, image: Any, detections: list[Detection]) -> Any:
        from ultralytics.utils.plotting import Annotator, colors

        # cv2 drawing (pil=False) needs no font; labels keep ultralytics' colours per class.
        annotator = Annotator(image.copy(), pil=False)
        for det in detections:
            annotator.box_label(
                det.box, f"{det.label} {det.confidence:.2f}", color=colors(det.class_id, True)
            )
        return annotator.result()

    # --- jobs -------------------------------------------------------------------------

    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        if not any(item.kind == "video" for item in inputs):
            return super().predict(inputs, params, outdir, progress)
        if len(inputs) > 1:
            raise ValueError("send a video on its own: one video per job, without other files")
        return self._video(inputs[0], params, outdir, progress)

    def _video(
        self, item: InputItem, params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        import cv2

        from .video import MAX_DURATION_S, WebmWriter, open_video

        settings = self._settings(params)
        progress(0.0, "opening the video")
        with open_video(item.path) as video:
            info = video.info
            total = info.frames
            max_frames = int(MAX_DURATION_S * info.fps) + 1
            size = _output_size(info.width, info.height, self.spec.options)
            stats = _VideoStats()
            started = time.perf_counter()
            with (
                WebmWriter(outdir / "annotated.webm", info.fps, size) as writer,
                (outdir / "detections.jsonl").open("w") as lines,
            ):
                for index, frame in enumerate(video):
                    of = f" of {max(total, index + 1)}" if total else ""
                    # up to 0.98: the encoder's flush and the read-back check come after
                    progress(0.98 * index / max(total, index + 1), f"frame {index + 1}{of}")
                    if index >= max_frames:
                        raise ValueError(
                            f"the video lasts more than {MAX_DURATION_S // 60} minutes"
                        )
                    detections = self._detect(frame, settings)
                    stats.add(detections)
                    annotated = self._draw(frame, detections)
                    if (annotated.shape[1], annotated.shape[0]) != size:
                        annotated = cv2.resize(annotated, size, interpolation=cv2.INTER_AREA)
                    writer.write(annotated)
                    record = {
                        "frame": index,
                        "time_s": round(index / info.fps, 3),
                        "detections": [d.as_item() for d in detections],
                    }
                    lines.write(json.dumps(record, separators=(",", ":")) + "\n")
                progress(0.99, "finishing the annotated video")
            elapsed = time.perf_counter() - started

        if writer.frames == 0:
            raise ValueError("the video has no frame that can be decoded")
        summary = {
            "file": item.name,
            "width": info.width,
            "height": info.height,
            "fps": round(info.fps, 3),
            "codec": info.codec,
            "frames": writer.frames,
            "duration_s": round(writer.frames / info.fps, 3),
            "output_size": list(size),
            **stats.summary(),
            "ms_per_frame": round(elapsed * 1000 / writer.frames, 1),
        }
        if total and writer.frames < total - 1:
            summary["warning"] = (
                f"the video ended after {writer.frames} of the {total} frames its header "
                "announces; the file may be truncated"
            )
        (outdir / "summary.json").write_text(json.dumps(summary, indent=1))
        return Result(
            summary=summary,
            artifacts=[
                ArtifactOut("annotated.webm", "video/webm", "annotated"),
                ArtifactOut("detections.jsonl", "application/x-ndjson", "data"),
                ArtifactOut("summary.json", "application/json", "data"),
            ],
        )


class _VideoStats:
    """Per class: the most seen in one frame (`counts`: how many there are, as far as a
    detector without tracking can tell), every detection summed over the frames
    (`detections`: one object counts once per frame it is in), and `frames_with` it."""

    def __init__(self) -> None:
        self.max_in_frame: dict[str, int] = {}
        self.total: dict[str, int] = {}
        self.frames_with: dict[str, int] = {}

    def add(self, detections: list[Detection]) -> None:
        for label, n in _counts(detections).items():
            self.max_in_frame[label] = max(self.max_in_frame.get(label, 0), n)
            self.total[label] = self.total.get(label, 0) + n
            self.frames_with[label] = self.frames_with.get(label, 0) + 1

    def summary(self) -> dict[str, Any]:
        order = sorted(self.max_in_frame, key=lambda k: (-self.frames_with[k], k))
        return {
            "counts": {k: self.max_in_frame[k] for k in order},
            "counts_are": "the most objects of each class seen in one frame",
            "detections": {k: self.total[k] for k in order},
            "frames_with": {k: self.frames_with[k] for k in order},
        }


# --- classic YOLOv5 ----------------------------------------------------------------------


class ClassicYolov5Detector(YoloDetector):
    """Original YOLOv5 checkpoints (v4.0 to v7.0 `.pt` files, whose pickle names
    `models.yolo.Model`): the format most custom YOLOv5 models are in. The ultralytics
    package cannot read them; `yolov5_classic` loads them (allow-listed unpickling, layer
    modules of our own); this class adds YOLOv5's letterbox, decoding and NMS."""

    def load(self) -> None:
        _prepare_runtime()
        import torch

        self._torch = torch
        self._net = load_classic_yolov5(self.spec.weight_paths[0])
        self.stride = int(max(self._net.stride_values))
        # The network takes any multiple of its stride; round the option up to one.
        wanted = int(self.spec.options.get("imgsz", 640))
        self.imgsz = -(-wanted // self.stride) * self.stride
        self.names = self._net.class_names

    def _detect(self, image: Any, settings: _Settings) -> list[Detection]:
        torch = self._torch
        batch, ratio, pad = _letterbox(image, self.imgsz, self.stride)
        with torch.inference_mode():
            raw = self._net(torch.from_numpy(batch))[0]
            boxes, scores, classes = _postprocess(raw, settings)
            # back from the letterboxed input to the image's own pixels
            boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - pad[0]) / ratio).clamp(0, image.shape[1])
            boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - pad[1]) / ratio).clamp(0, image.shape[0])
        return _detections(boxes.tolist(), scores.tolist(), classes.tolist(), self.names)


def _letterbox(image: Any, size: int, stride: int) -> tuple[Any, float, tuple[float, float]]:
    """Scale the longer side to `size`, pad the rest to a multiple of `stride` (grey, as
    YOLOv5 was trained), and return the NCHW float batch, the scale and the padding."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    ratio = min(size / height, size / width)
    new_w, new_h = round(width * ratio), round(height * ratio)
    pad_w, pad_h = (-new_w) % stride / 2, (-new_h) % stride / 2
    if (new_w, new_h) != (width, height):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    image = cv2.copyMakeBorder(
        image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114)
    )
    batch = np.ascontiguousarray(image[:, :, ::-1].transpose(2, 0, 1)[None], np.float32) / 255
    return batch, ratio, (left, top)


def _postprocess(raw: Any, settings: _Settings) -> tuple[Any, Any, Any]:
    """Rows (cx, cy, w, h, objectness, class scores...) → NMS-filtered xyxy boxes."""
    import torch
    import torchvision

    scores, classes = (raw[:, 5:] * raw[:, 4:5]).max(1)
    keep = scores > settings.conf
    if settings.class_ids is not None:
        keep &= torch.isin(classes, torch.tensor(settings.class_ids))
    raw, scores, classes = raw[keep], scores[keep], classes[keep]
    if scores.numel() > 30_000:  # far past any real image; bounds NMS time
        top = scores.topk(30_000).indices
        raw, scores, classes = raw[top], scores[top], classes[top]
    half = raw[:, 2:4] / 2
    boxes = torch.cat((raw[:, :2] - half, raw[:, :2] + half), 1)
    kept = torchvision.ops.batched_nms(boxes, scores, classes, settings.iou)[:_MAX_DETECTIONS]
    return boxes[kept], scores[kept], classes[kept]


# --- shared helpers ----------------------------------------------------------------------


def _detections(
    boxes: list[list[float]], scores: list[float], classes: list[float], names: dict[int, str]
) -> list[Detection]:
    found = []
    for box, score, cls in zip(boxes, scores, classes, strict=True):
        cid = int(cls)
        found.append(Detection(cid, names.get(cid, str(cid)), float(score), tuple(box)))
    return found


def _counts(detections: list[Detection]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for det in detections:
        counts[det.label] = counts.get(det.label, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _output_size(width: int, height: int, options: dict[str, Any]) -> tuple[int, int]:
    """The annotated video's size: the source's, its longer side capped at
    `options.video_max_side`, and even (the encoder works on 2x2 chroma blocks)."""
    limit = int(options.get("video_max_side", _VIDEO_MAX_SIDE))
    scale = min(1.0, limit / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _prepare_runtime() -> int:
    """Before ultralytics or torchvision is imported: no network, a settings folder with
    the fonts its plotting looks for, torchvision's NMS, and torch at the worker's thread
    count. Returns that count."""
    os.environ["YOLO_OFFLINE"] = "1"  # never download (assets, fonts, pip installs)
    os.environ["YOLO_AUTOINSTALL"] = "false"
    default_dir = Path(tempfile.gettempdir()) / f"modelgallery-ultralytics-{os.getuid()}"
    config_dir = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(default_dir)))
    _install_fonts(config_dir / "Ultralytics")

    from .torch_compat import ensure_torchvision_ops

    ensure_torchvision_ops()
    import torch

    threads = int(os.environ.get("OMP_NUM_THREADS") or torch.get_num_threads())
    torch.set_num_threads(max(1, threads))
    return max(1, threads)


def _install_fonts(folder: Path) -> None:
    """Ultralytics downloads Arial when it draws text with PIL; matplotlib ships DejaVu
    Sans, which serves (it also covers Cyrillic and Greek labels)."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return
    source = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = folder / name
        if source.is_file() and not target.exists():
            # Copy then rename: two workers starting together never see half a file.
            partial = folder / f".{name}.{os.getpid()}"
            shutil.copyfile(source, partial)
            os.replace(partial, target)
