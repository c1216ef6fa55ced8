"""Classic YOLOv5 checkpoints: the detector of `detection.py` with YOLOv5's own letterbox,
box decoding and NMS around a network that `runtimes.yolov5_classic` loads."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from ..model import RuntimeName
from ..runtimes.exports import exported
from ..runtimes.onnxruntime import OnnxRuntimeNet
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.selection import Net, choose
from ..runtimes.ultralytics import prepare_runtime
from ..runtimes.yolov5_classic import export_onnx, load_classic_yolov5
from ..tasks.image import Item
from .detection import MAX_DETECTIONS, Settings, YoloDetector, detections


class ClassicYolov5Detector(YoloDetector):
    """Original YOLOv5 checkpoints (v4.0 to v7.0 `.pt` files, whose pickle names
    `models.yolo.Model`): the format most custom YOLOv5 models are in. The ultralytics
    package cannot read them; `runtimes.yolov5_classic` loads them (allow-listed unpickling, layer
    modules of our own); this class adds YOLOv5's letterbox, decoding and NMS.

    Runtimes: PyTorch runs the network itself; ONNX Runtime and OpenVINO run its ONNX export
    (made here, cached beside the checkpoint), which takes the same letterboxed images."""

    runtimes: ClassVar[tuple[RuntimeName, ...]] = ("torch", "onnxruntime", "openvino")

    def load(self) -> None:
        threads = prepare_runtime()
        import numpy as np
        import torch

        self._torch = torch
        checkpoint = self.spec.weight_paths[0]
        network = load_classic_yolov5(checkpoint)
        self.stride = int(max(network.stride_values))
        # The network takes any multiple of its stride; round the option up to one.
        wanted = int(self.spec.options.get("imgsz", 640))
        self.imgsz = size = -(-wanted // self.stride) * self.stride
        self.names = network.class_names

        @cache
        def onnx() -> Path:
            return exported(checkpoint, ".onnx", lambda t: export_onnx(checkpoint, t))

        def on_torch(batch: Any) -> Any:
            with torch.inference_mode():
                return network(torch.from_numpy(batch))

        builders: dict[RuntimeName, Callable[[], Net]] = {
            "torch": lambda: on_torch,
            "onnxruntime": lambda: OnnxRuntimeNet(onnx(), threads),
            "openvino": lambda: OpenVinoNet(onnx(), threads),
        }
        sample = np.zeros((1, 3, size, size), np.float32)
        self._net, self.runtime = choose(self.spec.runtime or "torch", builders, sample)

    def infer(self, image: Any, settings: Settings) -> list[Item]:
        torch = self._torch
        batch, ratio, pad = _letterbox(image, self.imgsz, self.stride)
        with torch.inference_mode():
            raw = torch.as_tensor(self._net(batch))[0]
            boxes, scores, classes = _postprocess(raw, settings)
            # back from the letterboxed input to the image's own pixels
            boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - pad[0]) / ratio).clamp(0, image.shape[1])
            boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - pad[1]) / ratio).clamp(0, image.shape[0])
        return detections(boxes.tolist(), scores.tolist(), classes.tolist(), self.names)


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


def _postprocess(raw: Any, settings: Settings) -> tuple[Any, Any, Any]:
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
    kept = torchvision.ops.batched_nms(boxes, scores, classes, settings.iou)[:MAX_DETECTIONS]
    return boxes[kept], scores[kept], classes[kept]
