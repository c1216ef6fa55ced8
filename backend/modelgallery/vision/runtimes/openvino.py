"""OpenVINO on the CPU at a given thread count, tuned for the latency of one request (a
worker runs one job at a time). It reads ONNX, its own IR, and TFLite graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class OpenVinoNet:
    """Compiles a graph with one input and gives its first output. An NCHW batch is
    transposed for a graph that takes NHWC, as TFLite exports do."""

    name = "openvino"

    def __init__(self, model: Path, threads: int, *, takes_nchw: bool = True) -> None:
        import openvino as ov

        core = ov.Core()
        compiled = core.compile_model(
            core.read_model(str(model)),
            "CPU",
            {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"},
        )
        self._request = compiled.create_infer_request()
        shape = compiled.input(0).get_partial_shape()
        # YOLO callers hand NCHW batches; a TFLite graph wants NHWC. Keras callers hand
        # their graph's own layout (takes_nchw=False).
        self.channels_last = (
            takes_nchw
            and shape.rank.get_length() == 4
            and shape[3].is_static
            and shape[3].get_length() == 3
        )

    def __call__(self, batch: Any) -> Any:
        if self.channels_last:
            batch = batch.transpose(0, 2, 3, 1)
        return self._request.infer({0: batch})[0]
