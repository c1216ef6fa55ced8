"""OpenVINO on the CPU, at the worker's thread budget, tuned for the latency of one request
(a worker runs one job at a time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class OpenVinoNet:
    """Compiles an ONNX (or OpenVINO IR) graph with one input; takes its first output."""

    name = "openvino"

    def __init__(self, model: Path, threads: int) -> None:
        import openvino as ov

        core = ov.Core()
        compiled = core.compile_model(
            core.read_model(str(model)),
            "CPU",
            {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"},
        )
        self._request = compiled.create_infer_request()

    def __call__(self, batch: Any) -> Any:
        return self._request.infer({0: batch})[0]
