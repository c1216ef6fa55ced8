"""Make `import torchvision` work when its compiled operators cannot load.

PyPI's torchvision wheel is built for CUDA; beside the CPU build of torch its `_C` extension
fails to load, and `import torchvision` then raises "operator torchvision::nms does not
exist" (its `_meta_registrations` registers fake kernels for `nms` and `qnms` whatever
happened). Ultralytics imports torchvision before it runs NMS, so detection needs it.

`ensure_torchvision_ops()` checks for the compiled operators first and changes nothing when
they are there. Only when they are missing does it declare the two operators torchvision's
import needs, give `nms` a CPU greedy implementation in plain torch, and let
`torchvision.ops.nms` call it. Every other compiled torchvision op (roi_align, deform_conv,
...) stays missing and fails as before when called.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor
    from torch.library import Library

_lock = threading.Lock()
# The torch.library handle must outlive this call: dropping it removes the registrations.
_library: Library | None = None
_state: str | None = None  # "compiled" or "fallback" once decided


def ensure_torchvision_ops() -> str:
    """Call before importing torchvision. Returns "compiled" when torchvision's own ops
    load, "fallback" when the pure-torch NMS was registered. Safe to call many times."""
    global _state
    with _lock:
        if _state is None:
            _state = "compiled" if _compiled_ops_load() else _register_fallback()
        return _state


def _compiled_ops_load() -> bool:
    import torch

    if _has_op("nms"):  # loaded already (torchvision imported, or a build that has them)
        return True
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        return False  # no torchvision at all: the fallback is harmless and keeps NMS usable
    candidates = sorted(Path(spec.origin).parent.glob("_C.*"))
    for path in candidates:
        try:
            torch.ops.load_library(str(path))
        except (OSError, RuntimeError):
            continue
        if _has_op("nms"):
            return True
    return False


def _has_op(name: str) -> bool:
    import torch

    try:
        return bool(torch._C._dispatch_has_kernel_for_dispatch_key(f"torchvision::{name}", "CPU"))
    except RuntimeError:
        return False


def _register_fallback() -> str:
    import torch

    global _library
    library = torch.library.Library("torchvision", "FRAGMENT")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    # Only declared: torchvision's import registers a fake kernel for it. Quantized NMS has
    # no use here, so calling it fails as any missing operator does.
    library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.impl("nms", greedy_nms, "CPU")
    _library = library
    if importlib.util.find_spec("torchvision") is not None:
        _allow_torchvision_nms()
    return "fallback"


def _allow_torchvision_nms() -> None:
    """torchvision.ops.nms asks `_assert_has_ops()` before calling the operator, and that
    answers from whether `_C` loaded. Only in `torchvision.ops.boxes`, whose other user
    (box_iou_rotated) then fails on the missing operator instead, is the check skipped."""
    import torchvision.ops.boxes as boxes

    boxes._assert_has_ops = _nms_is_registered


def _nms_is_registered() -> None:
    if not _has_op("nms"):
        raise RuntimeError("torchvision::nms is not registered")


def greedy_nms(dets: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """torchvision's NMS contract: indices (int64) of the boxes kept, by decreasing score;
    a box is dropped when its IoU with a kept, higher-scoring box is > `iou_threshold`.
    Ties in score keep the original order (a stable sort), as torchvision's CPU kernel."""
    import torch

    if dets.dim() != 2 or dets.size(1) != 4:
        raise RuntimeError(f"boxes should be a Tensor[N, 4], got {tuple(dets.shape)}")
    if scores.dim() != 1 or scores.size(0) != dets.size(0):
        raise RuntimeError("scores should be a Tensor[N] with one score per box")
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=dets.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    boxes = dets[order]
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    keep = []
    remaining = torch.arange(boxes.size(0), device=dets.device)
    # One pass per kept box over the boxes still in play: O(N) memory, unlike a full
    # N x N IoU matrix (NMS may see tens of thousands of candidates).
    while remaining.numel() > 0:
        best, rest = remaining[0], remaining[1:]
        keep.append(best)
        if rest.numel() == 0:
            break
        width = (torch.minimum(x2[best], x2[rest]) - torch.maximum(x1[best], x1[rest])).clamp(min=0)
        height = (torch.minimum(y2[best], y2[rest]) - torch.maximum(y1[best], y1[rest])).clamp(
            min=0
        )
        inter = width * height
        iou = inter / (areas[best] + areas[rest] - inter)
        remaining = rest[~(iou > iou_threshold)]  # NaN (empty boxes) never suppresses
    return order[torch.stack(keep)]
