"""The `yolov5-classic` family: the `yolo` family's detector on a network that
`runtimes.yolov5_checkpoint` loads, through the same letterbox → network → NMS
(`yolo_net.py`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..declarations import RuntimeName
from ..runtimes.exports import exported
from ..runtimes.onnxruntime import OnnxRuntimeNet
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.selection import Net
from ..runtimes.ultralytics import torch_net, torch_runtime, ultralytics_environment
from ..runtimes.yolov5_checkpoint import export_onnx, load_classic_yolov5
from .yolo import YoloDetector
from .yolo_net import Layout, serve_network

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor
    from torch.nn import Module


class ClassicYolov5Detector(YoloDetector):
    """Original YOLOv5 checkpoints (v4.0 to v7.0 `.pt` files, whose pickle names
    `models.yolo.Model`): the format most custom YOLOv5 models are in. The ultralytics
    package cannot read them; `runtimes.yolov5_checkpoint` loads them (allow-listed unpickling,
    layer modules of our own).

    Runtimes: PyTorch runs the network itself; ONNX Runtime and OpenVINO run its ONNX export
    (made here, cached beside the checkpoint), which takes the same letterboxed images."""

    runtimes: ClassVar[tuple[RuntimeName, ...]] = ("torch", "onnxruntime", "openvino")

    def load(self) -> None:
        threads = ultralytics_environment()
        checkpoint = self.spec.weight_paths[0]

        @cache
        def network() -> Module:  # PyTorch only here: a warm start on an export needs none
            torch_runtime(threads)
            return load_classic_yolov5(checkpoint)

        stride, self.names = layout_facts(checkpoint, network)
        # The network takes any multiple of its stride; round the option up to one.
        wanted = int(self.spec.options.get("imgsz", 640))
        self.imgsz = size = -(-wanted // stride) * stride
        self.classes = list(self.names.values())

        @cache
        def onnx() -> Path:
            return exported(checkpoint, ".onnx", lambda t: export_onnx(checkpoint, t))

        def on_torch(batch: np.ndarray) -> Tensor:
            net = network()
            import torch

            with torch.inference_mode():
                return net(torch.from_numpy(batch))

        builds: dict[RuntimeName, Callable[[int], Net]] = {
            "torch": torch_net(on_torch),
            "onnxruntime": lambda n: OnnxRuntimeNet(onnx(), n),
            "openvino": lambda n: OpenVinoNet(onnx(), n),
        }
        layout = Layout(size, stride, self.names, objectness=True, channels_first=False)
        self._engine, self.runtime = serve_network(
            self.spec.runtime or "torch", builds, threads, layout, checkpoint
        )


def layout_facts(checkpoint: Path, network: Callable[[], Module]) -> tuple[int, dict[int, str]]:
    """The network's stride and class names, read from the checkpoint once per version of
    it and kept beside it as its exports are: a start that serves the ONNX export needs
    the network for nothing else, and unpickling it takes a second of a worker's start."""

    def write(target: Path) -> None:
        net = network()
        names = {str(k): v for k, v in net.class_names.items()}
        target.write_text(json.dumps({"stride": int(max(net.stride_values)), "names": names}))

    try:
        facts = json.loads(exported(checkpoint, ".layout.json", write).read_text())
        return int(facts["stride"]), {int(k): str(v) for k, v in facts["names"].items()}
    except (OSError, ValueError, KeyError, TypeError):  # not kept (a read-only folder)
        net = network()
        return int(max(net.stride_values)), net.class_names
