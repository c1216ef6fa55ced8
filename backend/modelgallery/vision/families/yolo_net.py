"""One image through a bare YOLO network, whatever runtime runs it: letterbox → network → NMS.

The image is letterboxed as YOLO was trained (`letterbox`), the network runs on PyTorch, ONNX
Runtime, OpenVINO or LiteRT (`runtimes/`, one instance per thread count), and the candidate
boxes of its raw output become NMS-filtered items in the image's own pixels (`nms`). Every
runtime sees the same input and goes through the same box code, so they find the same
boxes. Used by classic YOLOv5 checkpoints, ultralytics checkpoints served on an export and
exported files (`yolo.py`, `yolov5_classic.py`), whose layout one first run tells
(`first_run`, `output_layout`); the image and video pipelines call it through the family's
`infer`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..declarations import RuntimeChoice, RuntimeName, RuntimeRequest
from ..pipelines.image import Item
from ..runtimes.remembered import remembered
from ..runtimes.selection import TIMING_THREADS, Net, PerThreadCount, choose, median_ms
from .nms import batched_nms

if TYPE_CHECKING:
    import numpy as np

MAX_DETECTIONS = 300
_MAX_NMS_CANDIDATES = 30_000  # far past any real image; bounds NMS time


@dataclass(frozen=True)
class BoxFilter:
    """Which boxes a job keeps: a job's parameters as a detector takes them."""

    conf: float
    iou: float  # NMS drops the weaker of two boxes that overlap more than this
    class_ids: list[int] | None  # None: every class


TRIAL_FILTER = BoxFilter(conf=0.25, iou=0.45, class_ids=None)  # warm-up and timing runs


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


@dataclass(frozen=True)
class OutputLayout:
    channels_first: bool  # rows are columns: (1, 4 + classes, boxes), as ultralytics exports
    objectness: bool  # YOLOv5's rows (1, boxes, 5 + classes) hold an objectness score
    classes: int
    normalized: bool  # boxes in 0..1 of the input rather than pixels


def output_layout(raw: np.ndarray, name: str, named: int | None) -> OutputLayout:
    """How to read a detector's output, from one run on a blank image. Boxes outnumber
    scores, which tells the orientation; the box centres cover the whole input, so they
    reach past 2 only in pixels. `named`: the class count the file's metadata gives, which
    tells a transposed ultralytics output from a YOLOv5 one."""
    shape = tuple(int(d) for d in raw.shape)
    if len(shape) != 3 or shape[0] != 1 or min(shape[1:]) < 5:
        raise ValueError(
            f"{name} gives an output of shape {shape}, not the boxes of a YOLO detector "
            "((1, 4 + classes, boxes) or (1, boxes, 5 + classes))"
        )
    channels_first = shape[1] < shape[2]
    width = min(shape[1:])
    objectness = not channels_first and named != width - 4
    rows = raw[0].T if channels_first else raw[0]
    centres = float(abs(rows[:, :2]).max())
    classes = width - (5 if objectness else 4)
    return OutputLayout(channels_first, objectness, classes, normalized=centres <= 2.0)


@functools.cache
def _unit_scale() -> np.ndarray:
    """Each byte's value over 255, in float32."""
    import numpy as np

    return np.arange(256, dtype=np.float32) / np.float32(255)


@dataclass(frozen=True)
class Letterboxed:
    batch: np.ndarray  # NCHW float32 in 0..1, RGB
    ratio: float  # input pixels per image pixel
    pad: tuple[float, float]  # left, top


def letterbox(image: np.ndarray, size: int, stride: int, square: bool = False) -> Letterboxed:
    """Scale the longer side to `size`, pad the rest to a multiple of `stride` (grey, as
    YOLO was trained), or to a `square` of `size` for a graph of fixed input size."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    ratio = min(size / height, size / width)
    new_w, new_h = round(width * ratio), round(height * ratio)
    if square:
        pad_w, pad_h = (size - new_w) / 2, (size - new_h) / 2
    else:
        pad_w, pad_h = (-new_w) % stride / 2, (-new_h) % stride / 2
    if (new_w, new_h) != (width, height):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    image = cv2.copyMakeBorder(
        image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114)
    )
    # Each BGR plane looked up into its RGB place in the float batch: the table holds the
    # very quotients `x / 255` (float32) that scaling the converted batch gave, in 0.51 ms
    # where converting then scaling took 0.77 (a 640 x 640 input here).
    batch = np.empty((1, 3, *image.shape[:2]), np.float32)
    for channel, plane in enumerate(reversed(cv2.split(image))):
        cv2.LUT(plane, _unit_scale(), dst=batch[0, channel])
    return Letterboxed(batch, ratio, (left, top))


def nms(
    table: np.ndarray,
    keep: BoxFilter,
    objectness: bool,
    letterboxed: Letterboxed,
    image_shape: tuple[int, ...],
    names: dict[int, str],
    box_scale: int = 1,
) -> list[Item]:
    """The network's output as columns of (cx, cy, w, h, [objectness,] class scores...), one
    per candidate box of the letterboxed input → the image's items, best first. Only the
    columns whose best score passes `keep.conf` are copied: copying the whole output (8400
    x 84 floats for YOLOv8) to search it row by row took 1.5 ms an image here.
    `box_scale`: the input's size, for boxes given in 0..1 of it."""
    import numpy as np

    first_class = 5 if objectness else 4
    if objectness:  # a score is objectness x class score (both <= 1): drop the rest first
        table = table[:, table[4] > keep.conf]
    best = table[first_class:].max(0)
    if objectness:
        best = best * table[4]
    passing = best > keep.conf
    rows, scores = table[:, passing].T, best[passing]  # a copy, of the few that pass
    classes = rows[:, first_class:].argmax(1)  # the first of equal scores, as torch's max
    if keep.class_ids is not None:
        mine = np.isin(classes, keep.class_ids)
        rows, scores, classes = rows[mine], scores[mine], classes[mine]
    if scores.size > _MAX_NMS_CANDIDATES:
        top = np.argsort(-scores, kind="stable")[:_MAX_NMS_CANDIDATES]
        rows, scores, classes = rows[top], scores[top], classes[top]
    if box_scale != 1:
        rows[:, :4] *= box_scale
    half = rows[:, 2:4] / 2
    boxes = np.concatenate((rows[:, :2] - half, rows[:, :2] + half), 1)
    best_first = batched_nms(boxes, scores, classes, keep.iou)[:MAX_DETECTIONS]
    boxes, scores, classes = boxes[best_first], scores[best_first], classes[best_first]
    # back from the letterboxed input to the image's own pixels
    (left, top_pad), ratio = letterboxed.pad, letterboxed.ratio
    boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - left) / ratio).clip(0, image_shape[1])
    boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - top_pad) / ratio).clip(0, image_shape[0])
    return detections(boxes.tolist(), scores.tolist(), classes.tolist(), names)


def detections(
    boxes: list[list[float]], scores: list[float], classes: list[float], names: dict[int, str]
) -> list[Item]:
    """The items of one image: class, label, confidence and box (x1, y1, x2, y2 in the
    input image's pixels)."""
    found: list[Item] = []
    for box, score, cls in zip(boxes, scores, classes, strict=True):
        cid = int(cls)
        found.append(
            {
                "class_id": cid,
                "label": names.get(cid, str(cid)),
                "confidence": round(float(score), 4),
                "box": [round(v, 1) for v in box],
            }
        )
    return found


class YoloNet:
    """letterbox → the network at the job's thread count → NMS, for one image or several."""

    def __init__(self, net: PerThreadCount[Net], layout: Layout) -> None:
        self.net, self.layout, self.names = net, layout, layout.names
        self._batches = True  # until a graph of fixed batch size says otherwise

    def __call__(self, image: np.ndarray, keep: BoxFilter) -> list[Item]:
        boxed = self._letterbox(image)
        return self._items(self.net(boxed.batch)[0], boxed, image.shape, keep)

    def many(self, images: list[np.ndarray], keep: list[BoxFilter]) -> list[list[Item]]:
        """Several images, each read back with its own filter. Images whose letterboxed
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
                found[index] = self._items(own, box, image.shape, keep[index])
        return found

    def _letterbox(self, image: np.ndarray) -> Letterboxed:
        return letterbox(image, self.layout.imgsz, self.layout.stride, self.layout.square)

    def _items(
        self, raw: object, boxed: Letterboxed, shape: tuple[int, ...], keep: BoxFilter
    ) -> list[Item]:
        import numpy as np

        layout = self.layout
        table = np.asarray(raw)
        table = table if layout.channels_first else table.T  # a view either way
        scale = layout.imgsz if layout.normalized else 1
        return nms(table, keep, layout.objectness, boxed, shape, self.names, scale)

    def use_threads(self, threads: int) -> None:
        self.net.use(threads)

    def batch_speedup(self, size: int) -> float:
        """Images per second in batches of `size` over one by one, at one thread."""
        import numpy as np

        image = np.zeros((self.layout.imgsz, self.layout.imgsz, 3), np.uint8)
        threads, filters = self.net.threads, [TRIAL_FILTER] * size
        self.net.use(1)
        try:
            one = median_ms(lambda: self(image, TRIAL_FILTER), runs=3)
            batch = median_ms(lambda: self.many([image] * size, filters), runs=2)
        finally:
            self.net.use(threads)
        if not self._batches:  # the graph takes one image at a time: nothing to gain
            return 1.0
        return round(one * size / batch, 2) if batch > 0 else 1.0


def first_run(
    builds: dict[RuntimeName, Callable[[int], Net]], batch: np.ndarray, name: str
) -> tuple[np.ndarray, dict[RuntimeName, Callable[[int], Net]]]:
    """The network's output for `batch` on the first runtime that runs it: what a file
    without a known layout gives. That runtime keeps the net it made for one thread."""
    import numpy as np

    failed = []
    for runtime, build in builds.items():
        try:
            net = build(1)
            raw = np.asarray(net(batch), np.float32)
        except Exception as exc:  # tell why it runs nowhere, or try the next runtime
            failed.append(f"{runtime}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        return raw, {**builds, runtime: _keeping(net, build)}
    raise ValueError(f"{name} cannot be run ({'; '.join(failed)})")


def _keeping(net: Net, build: Callable[[int], Net]) -> Callable[[int], Net]:
    return lambda threads: net if threads == 1 else build(threads)


def serve_network(
    requested: RuntimeRequest,
    builds: dict[RuntimeName, Callable[[int], Net]],
    threads: int,
    layout: Layout,
    weights: Path | None = None,
) -> tuple[YoloNet, RuntimeChoice]:
    """The network on the runtime `requested` (or the fastest with `auto`, timed on a blank
    image once per machine for these `weights`), given how to build it on each runtime at
    a thread count."""
    import numpy as np

    def engine(build: Callable[[int], Net]) -> Callable[[], YoloNet]:
        return lambda: YoloNet(PerThreadCount(build, TIMING_THREADS), layout)

    builders = {name: engine(build) for name, build in builds.items()}
    sample = np.zeros((layout.imgsz, layout.imgsz, 3), np.uint8)
    trial = f"yolo {sample.shape} at {TIMING_THREADS} thread"
    remember = remembered(weights, threads, trial) if weights else None
    chosen, choice = choose(requested, builders, lambda e: e(sample, TRIAL_FILTER), remember)
    chosen.net.use(threads)
    chosen.net.prepare(threads)  # a job's share when the machine is idle (1 when busy: timed)
    return chosen, choice
