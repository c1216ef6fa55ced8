"""OpenVINO on the CPU at a given thread count, tuned for the latency of one request (a
worker runs one job at a time). It reads ONNX, its own IR, and TFLite graphs."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections import Counter, OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from openvino import CompiledModel, InferRequest, Model

# A graph of free input size (YOLO exports take any multiple of the stride) runs faster
# compiled for one shape: 15-20% on the classic YOLOv5n here. A shape is compiled once
# it has been seen twice (a one-off photo's shape never pays ~0.2 s of compiling), and
# a few such compilations are kept: one per common aspect ratio, or a video's frames.
_SHAPES_KEPT = 6
_SEEN_BEFORE_COMPILING = 2
_SHAPES_COUNTED = 64
_CACHE_FOLDER = ".openvino-cache"

log = logging.getLogger(__name__)


class OpenVinoNet:
    """Compiles a graph with one input and gives its first output. An NCHW batch is
    transposed for a graph that takes NHWC, as TFLite exports do."""

    name = "openvino"

    def __init__(
        self, model: Path, threads: int, *, takes_nchw: bool = True, float32: bool = False
    ) -> None:
        import openvino as ov

        self._ov = ov
        self._core = ov.Core()
        self._config: dict[str, object] = {
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
            # Pinned, each worker's single thread went to the same first core.
            "ENABLE_CPU_PINNING": False,
        }
        if float32:
            # On a CPU with bfloat16 instructions OpenVINO computes in bf16 unless told
            # otherwise: close enough for boxes (the YOLO agreement tests hold), not for a
            # probability map or a classifier's probability (0.02 and 0.001 off).
            self._config["INFERENCE_PRECISION_HINT"] = "f32"
        cache = _cache_dir(model, ov.get_version())
        if cache is not None:
            self._config["CACHE_DIR"] = str(cache)
        self._model = self._core.read_model(str(model))
        compiled = self._compile(self._model)
        self._request = compiled.create_infer_request()
        shape = compiled.input(0).get_partial_shape()
        self._fixed = shape.is_static
        self._seen: Counter[tuple[int, ...]] = Counter()
        self._by_shape: OrderedDict[tuple[int, ...], InferRequest] = OrderedDict()
        # YOLO callers hand NCHW batches; a TFLite graph wants NHWC. Keras callers hand
        # their graph's own layout (takes_nchw=False).
        self.channels_last = (
            takes_nchw
            and shape.rank.get_length() == 4
            and shape[3].is_static
            and shape[3].get_length() == 3
        )

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if self.channels_last:
            batch = batch.transpose(0, 2, 3, 1)
        out: np.ndarray = self._request_for(batch.shape).infer({0: batch})[0]
        return out

    def _request_for(self, shape: tuple[int, ...]) -> InferRequest:
        if self._fixed:
            return self._request
        request = self._by_shape.get(shape)
        if request is not None:
            self._by_shape.move_to_end(shape)
            return request
        if len(self._seen) > _SHAPES_COUNTED:  # many one-off shapes: start counting afresh
            self._seen.clear()
        self._seen[shape] += 1
        if self._seen[shape] < _SEEN_BEFORE_COMPILING:
            return self._request
        model = self._model.clone()
        model.reshape({model.input(0).get_any_name(): self._ov.PartialShape(list(shape))})
        request = self._compile(model).create_infer_request()
        self._by_shape[shape] = request
        del self._seen[shape]
        if len(self._by_shape) > _SHAPES_KEPT:
            self._by_shape.popitem(last=False)
        return request

    def _compile(self, model: Model) -> CompiledModel:
        try:
            return self._core.compile_model(model, "CPU", self._config)
        except RuntimeError:
            if "CACHE_DIR" not in self._config:
                raise
            # A cache folder that has become unusable (full, read-only) only costs time.
            self._config.pop("CACHE_DIR")
            return self._core.compile_model(model, "CPU", self._config)


def _cache_dir(model: Path, version: str) -> Path | None:
    """OpenVINO's cache of compiled graphs, beside the graph it reads: compiling a detector
    takes 0.3-0.7 s here, reading it back from the cache under 0.1 s, at every start and for
    every thread count. OpenVINO keys each entry (`<hash>.blob`) by the graph, the settings,
    the device and its own version, so a changed graph never reads a stale one; but it never
    removes one either. Entries are kept in a folder per OpenVINO version, and what other
    versions wrote (their folders, and the blobs of the older flat layout) is removed here:
    no version reads another's. None where the folder cannot be written (a read-only models
    folder compiles as before)."""
    root = model.parent / _CACHE_FOLDER
    folder = root / re.sub(r"[^\w.-]+", "-", version)  # "2026.4.1-22982-...-releases/2026/4"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    for entry in _entries(root):
        if entry.name != folder.name:
            try:
                _remove(entry)
            except OSError as exc:  # stale entries only cost disk space: compile anyway
                log.warning("could not remove the stale OpenVINO cache entry %s: %s", entry, exc)
    return folder


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def _remove(path: Path) -> None:
    """`path`, with what it holds. Another worker of the group may be removing the same
    entries at the same moment: what is gone already is skipped."""
    if path.is_dir() and not path.is_symlink():
        for child in _entries(path):
            _remove(child)
        with contextlib.suppress(FileNotFoundError):
            path.rmdir()
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
