"""Keras models on OpenVINO: converted in memory from the loaded model (TensorFlow's
frontend; no network), saved as OpenVINO IR beside the weights under a name that holds
their sha256, so a worker converts once per version of the weights."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .exports import exported

if TYPE_CHECKING:
    from keras import Model


def openvino_ir(weights: Path, model: Model, variant: str = "") -> Path:
    """The IR (`model.xml`) of `model`, the Keras model loaded from `weights`; `variant`
    names what else shaped it (e.g. the input size it was built for)."""

    def convert(target: Path) -> None:
        import openvino as ov

        target.mkdir()
        with warnings.catch_warnings():
            # OpenVINO traces a model with named inputs by passing them positionally; Keras
            # notes the difference, which changes nothing for a model with one input.
            warnings.filterwarnings("ignore", "The structure of `inputs`", UserWarning)
            converted = ov.convert_model(model)
        # Full precision: FP16 weights would change the outputs a little, for no speed on
        # a CPU (it computes in FP32 either way).
        ov.save_model(converted, str(target / "model.xml"), compress_to_fp16=False)

    suffix = f".{variant}.openvino" if variant else ".openvino"
    return exported(weights, suffix, convert) / "model.xml"
