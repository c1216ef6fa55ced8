"""LiteRT (TensorFlow Lite) on the CPU at a given thread count, for `.tflite` graphs with one
image input; full-integer graphs get their input quantised and outputs dequantised."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class LiteRtNet:
    """Takes an NCHW float batch; gives the graph's first output as float32."""

    name = "litert"

    def __init__(self, model: Path, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(str(model), num_threads=threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.channels_last = int(self._input["shape"][-1]) == 3

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        import numpy as np

        if self.channels_last:
            batch = batch.transpose(0, 2, 3, 1)
        kind = self._input["dtype"]
        if kind in (np.int8, np.int16):
            scale, zero = self._input["quantization"]
            limits = np.iinfo(kind)
            batch = np.clip(batch / scale + zero, limits.min, limits.max).astype(kind)
        self._interpreter.set_tensor(self._input["index"], np.ascontiguousarray(batch))
        self._interpreter.invoke()
        out: np.ndarray = self._interpreter.get_tensor(self._output["index"])
        if self._output["dtype"] in (np.int8, np.int16):
            scale, zero = self._output["quantization"]
            out = (out.astype(np.float32) - zero) * scale
        return out
