"""Keras models on OpenVINO: converted in memory from the loaded model (TensorFlow's
frontend; no network), saved as OpenVINO IR beside the weights under a name that holds
their sha256, so a worker converts once per version of the weights. Once converted, the IR
also tells the model's input and output shapes (`ir_shapes`), so that a start that serves
the IR never imports TensorFlow (seconds of a worker's start)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .exports import export_path, exported

if TYPE_CHECKING:
    from keras import Model


def openvino_ir(weights: Path, model: Model, variant: str = "") -> Path:
    """The IR (`model.xml`) of `model`, the Keras model loaded from `weights`; `variant`
    names what else shaped it (e.g. the input size it was built for)."""
    return converted_ir(weights, lambda: model, variant)


def converted_ir(weights: Path, load: Callable[[], Model], variant: str = "") -> Path:
    """As `openvino_ir`, the Keras model loaded by `load()` only when the IR is not cached."""

    def convert(target: Path) -> None:
        import openvino as ov

        model = load()
        target.mkdir()
        with warnings.catch_warnings():
            # OpenVINO traces a model with named inputs by passing them positionally; Keras
            # notes the difference, which changes nothing for a model with one input.
            warnings.filterwarnings("ignore", "The structure of `inputs`", UserWarning)
            converted = ov.convert_model(model)
        # Full precision: FP16 weights would change the outputs a little, for no speed on
        # a CPU (it computes in FP32 either way).
        ov.save_model(converted, str(target / "model.xml"), compress_to_fp16=False)

    return exported(weights, _suffix(variant), convert) / "model.xml"


def cached_ir(weights: Path, variant: str = "") -> Path | None:
    """The IR an earlier conversion of `weights` (as they are now) left, if any."""
    xml = export_path(weights, _suffix(variant)) / "model.xml"
    return xml if xml.is_file() else None


def ir_shapes(xml: Path) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
    """The shapes of the IR's first input and first output, as Keras gives them (None for a
    dimension of free size: the batch)."""
    import openvino as ov

    model = ov.Core().read_model(str(xml))

    def dims(shape: ov.PartialShape) -> tuple[int | None, ...]:
        return tuple(d.get_length() if d.is_static else None for d in shape)

    return dims(model.input(0).get_partial_shape()), dims(model.output(0).get_partial_shape())


def _suffix(variant: str) -> str:
    return f".{variant}.openvino" if variant else ".openvino"
