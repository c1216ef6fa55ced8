"""A loader of the original YOLOv5 checkpoints (v4.0 to v7.0 `.pt` files, whose pickle names
`models.yolo.Model`), and their ONNX export, for the `yolov5-classic` family
(`families/yolov5_classic.py`).

The ultralytics package refuses them, torch.hub needs the network and the YOLOv5 repo,
and the `yolov5` PyPI package (7.0.14, last released 2024) pulls opencv-python (beside
our headless build), the non-headless `ultralytics`, boto3, roboflow, sahi, tensorboard
and a pinned old huggingface-hub. So this is a small loader of our own: the checkpoint
is read with `torch.load(weights_only=True)`, its YOLOv5 classes mapped onto the
modules below (written from the published architecture: Conv-BN-SiLU, C3 bottleneck
blocks, SPPF, anchor-based Detect head). Only allow-listed classes can be unpickled, so a
hostile checkpoint cannot run code, and a layer we do not implement is a clear error.

torch is imported inside the functions: the API process imports the family's module (and
so this one) only to read the declarations."""

# The layers subclass torch.nn.Module, which mypy cannot see (torch is not type-checked).
# mypy: allow-subclassing-any

from __future__ import annotations

import functools
import importlib
import re
import warnings
from collections.abc import Collection
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor
    from torch.nn import BatchNorm2d, Conv2d, Module, Sequential


def load_classic_yolov5(path: Path) -> Module:
    """The checkpoint's network in inference form (float32, eval, BN folded into convs)."""
    import pickle

    import torch

    layers = classic_layers()
    try:
        with torch.serialization.safe_globals(layers.allowed):
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        what = found.group(1) if found else "an unknown object"
        raise ValueError(
            f"{Path(path).name} is not a YOLOv5 detection checkpoint this loader reads: it "
            f"holds {what}; supported layers: {layers.supported}"
        ) from None
    model = checkpoint
    if isinstance(checkpoint, dict):  # training checkpoints keep the EMA weights when present
        model = checkpoint.get("ema") or checkpoint.get("model")
    if not isinstance(model, layers.Model):
        raise ValueError(f"{Path(path).name} holds no YOLOv5 model")
    return model.prepare()


@functools.cache
def classic_layers() -> SimpleNamespace:
    """The YOLOv5 modules, defined on first use: this module must not import torch when
    the API reads its declarations. Pickled modules arrive with their attributes (layer
    wiring `f`, `i`; sub-layers; `add`, `d`, ...); these classes give them a forward."""
    import pathlib

    import numpy as np
    import torch
    from torch import nn

    class Conv(nn.Module):  # convolution, batch norm, activation
        def forward(self, x: Tensor) -> Tensor:
            bn = self._modules.get("bn")
            x = self.conv(x)
            return self.act(bn(x) if bn is not None else x)

    class Bottleneck(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            y = self.cv2(self.cv1(x))
            return x + y if self.add else y

    class C3(nn.Module):  # CSP block: a bottleneck branch beside a 1x1 shortcut
        def forward(self, x: Tensor) -> Tensor:
            return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))

    class SPPF(nn.Module):  # one max-pool applied three times, all four stacked
        def forward(self, x: Tensor) -> Tensor:
            x = self.cv1(x)
            p1 = self.m(x)
            p2 = self.m(p1)
            return self.cv2(torch.cat((x, p1, p2, self.m(p2)), 1))

    class SPP(nn.Module):  # before v6.0: parallel max-pools of three sizes
        def forward(self, x: Tensor) -> Tensor:
            x = self.cv1(x)
            return self.cv2(torch.cat([x, *(pool(x) for pool in self.m)], 1))

    class Focus(nn.Module):  # before v6.0: space-to-depth, then a conv
        def forward(self, x: Tensor) -> Tensor:
            parts = (x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2])
            return self.conv(torch.cat(parts, 1))

    class Concat(nn.Module):
        def forward(self, xs: list[Tensor]) -> Tensor:
            return torch.cat(xs, self.d)

    class Detect(nn.Module):
        """Per level: na anchors x (box, objectness, classes), decoded to pixels of the
        network input as (cx, cy, w, h, objectness, class scores...)."""

        def forward(self, feats: list[Tensor]) -> Tensor:
            out = []
            for level, (head, x) in enumerate(zip(self.m, feats, strict=True)):
                p = head(x)
                bs, _, ny, nx = p.shape
                p = p.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
                cells, anchors, stride = self._grid(level, ny, nx)
                xy = (p[..., :2] * 2 - 0.5 + cells) * stride
                wh = (p[..., 2:4] * 2) ** 2 * anchors
                out.append(torch.cat((xy, wh, p[..., 4:]), -1).view(bs, -1, self.no))
            return torch.cat(out, 1)

        def _grid(self, level: int, ny: int, nx: int) -> tuple[Tensor, Tensor, float]:
            key = (level, ny, nx)
            # While exported, the grid is computed in the graph, so that it takes any size.
            if key not in self.grids or torch.jit.is_tracing():
                ys, xs = torch.meshgrid(torch.arange(ny), torch.arange(nx), indexing="ij")
                cells = torch.stack((xs, ys), -1).view(1, 1, ny, nx, 2).float()
                stride = float(self.stride[level])
                # anchors are stored in units of their level's stride
                anchors = (self.anchors[level] * stride).view(1, self.na, 1, 1, 2).float()
                if torch.jit.is_tracing():
                    return cells, anchors, stride
                self.grids[key] = (cells, anchors, stride)
            grid: tuple[Tensor, Tensor, float] = self.grids[key]
            return grid

    class Model(nn.Module):
        save: Collection[int]  # the layers whose outputs later layers take (checkpoint)
        model: Sequential

        def forward(self, x: Tensor) -> Tensor:
            kept: list[Tensor | None] = []
            for layer in self.model:
                if layer.f != -1:  # input from earlier layers, not just the previous one
                    x = (
                        kept[layer.f]
                        if isinstance(layer.f, int)
                        else [x if j == -1 else kept[j] for j in layer.f]
                    )
                x = layer(x)
                kept.append(x if layer.i in self.save else None)
            return x

        def prepare(self) -> Model:
            self.float().eval()
            self.save = set(self.save)
            for module in self.modules():
                if isinstance(module, Conv) and module._modules.get("bn") is not None:
                    module.conv = _fold_batch_norm(module.conv, module.bn)
                    del module.bn
            head = self.model[-1]
            if not isinstance(head, Detect):
                raise ValueError("the checkpoint's last layer is not a YOLOv5 Detect head")
            head.grids = {}
            self.stride_values = [float(s) for s in head.stride]
            names = getattr(self, "names", None) or [str(i) for i in range(head.nc)]
            self.class_names = dict(enumerate(names)) if isinstance(names, list) else names
            self.class_names = {int(k): str(v) for k, v in self.class_names.items()}
            return self

    def _fold_batch_norm(conv: Conv2d, bn: BatchNorm2d) -> Conv2d:
        """One conv computing conv followed by (inference) batch norm: fewer passes."""
        fused = nn.Conv2d(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            conv.stride,
            conv.padding,
            conv.dilation,
            conv.groups,
            bias=True,
        )
        with torch.no_grad():
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
            bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
            fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
        return fused.eval()

    ours = {
        "models.common.Conv": Conv,
        "models.common.DWConv": Conv,  # a grouped Conv; the same forward
        "models.common.Bottleneck": Bottleneck,
        "models.common.C3": C3,
        "models.common.SPPF": SPPF,
        "models.common.SPP": SPP,
        "models.common.Focus": Focus,
        "models.common.Concat": Concat,
        "models.yolo.Detect": Detect,
        "models.yolo.Model": Model,
        "models.yolo.DetectionModel": Model,  # the v7.0 name
    }
    torch_parts = [
        nn.Conv2d,
        nn.BatchNorm2d,
        nn.MaxPool2d,
        nn.Upsample,
        nn.Sequential,
        nn.ModuleList,
        nn.Identity,
        nn.SiLU,
        nn.LeakyReLU,
        nn.ReLU,
        nn.Hardswish,
        nn.Sigmoid,
    ]
    # Plain values some training checkpoints hold beside the model (paths, numpy numbers),
    # under the module names of numpy 1 and numpy 2 (whichever saved the file).
    try:
        multiarray = importlib.import_module("numpy._core.multiarray")
    except ImportError:
        multiarray = importlib.import_module("numpy.core.multiarray")
    plain: list[object] = [set, pathlib.PosixPath, np.ndarray, np.dtype]
    plain += [type(np.dtype(t)) for t in (np.float64, np.float32, np.int64)]
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        plain += [(multiarray.scalar, f"{module}.scalar")]
        plain += [(multiarray._reconstruct, f"{module}._reconstruct")]
    return SimpleNamespace(
        Model=Model,
        allowed=[(cls, name) for name, cls in ours.items()] + torch_parts + plain,
        supported=", ".join(sorted({name.rsplit(".", 1)[1] for name in ours})),
    )


def export_onnx(checkpoint: Path, target: Path) -> None:
    """The checkpoint's network as an ONNX graph that takes any input size (a multiple of
    the stride), as PyTorch does: the runtimes see the same letterboxed images."""
    import torch

    net = load_classic_yolov5(checkpoint)
    with torch.no_grad():
        # Tensors made under inference mode cannot be traced; give the exporter plain ones.
        for module in net.modules():
            for key, buffer in list(module._buffers.items()):
                if buffer is not None:
                    module._buffers[key] = buffer.clone()
            for key, param in list(module._parameters.items()):
                if param is not None:
                    module._parameters[key] = torch.nn.Parameter(param.clone(), False)
        net.model[-1].grids = {}
        with warnings.catch_warnings():
            # The TorchScript exporter is chosen on purpose (see below), and the tracer's
            # notes on shapes are handled (the grid is computed in the graph): nothing new.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            _export(net, target)


def _export(net: Module, target: Path) -> None:
    import torch

    torch.onnx.export(
        net,
        (torch.zeros(1, 3, 640, 640),),  # traced once; height and width stay free
        str(target),
        dynamo=False,  # the TorchScript exporter: no onnxscript needed, offline
        opset_version=17,
        input_names=["images"],
        output_names=["detections"],
        dynamic_axes={"images": {2: "height", 3: "width"}, "detections": {1: "boxes"}},
    )
