"""ONNX Runtime on the CPU, at the worker's thread budget."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class OnnxRuntimeNet:
    """Runs an ONNX graph with one input and takes its first output."""

    name = "onnxruntime"

    def __init__(self, model: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle pool threads sleep rather than spin: the other workers need those cores
        # (spinning burnt ~40 ms of CPU per idle half-second for 2% less latency here).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._session.run(None, {self._input: batch})[0]
        return out
