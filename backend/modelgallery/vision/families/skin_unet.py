"""Skin segmentation with a U-Net: an EfficientNet-B0 encoder (Keras 3), run on axial
slices in batches. No trained skin model can be had here, so its weights come from
`modelgallery train-skin-unet` (self-training on classical labels, or on your own labelled
volumes); the registry points it at the `.weights.h5` file.

Keras, numpy, nibabel and OpenCV are imported inside functions: the API process imports
this module to read the declarations only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...media.nifti import Volume
from ..declarations import Param, RuntimeName
from ..model import Progress
from ..pipelines.volume import normalise_intensity
from ..runtimes.keras_openvino import openvino_ir
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.remembered import remembered
from ..runtimes.selection import Net, PerThreadCount, choose, thread_budget
from .skin_checks import HeadSurvey
from .skin_classical import SkinSegmenter

if TYPE_CHECKING:
    import numpy as np
    from keras import KerasTensor, Model

# U-Net skip connections: the encoder's activations at 1/2, 1/4, 1/8 and 1/16 of the input
# (the expansion activations at the start of each downsampling stage, before the stride).
SKIP_LAYERS = (
    "block2a_expand_activation",
    "block3a_expand_activation",
    "block4a_expand_activation",
    "block6a_expand_activation",
)
BOTTOM_LAYER = "top_activation"  # 1/32
DECODER_FILTERS = (128, 64, 48, 32, 16)  # from 1/16 up to full resolution
BN_MOMENTUM = 0.9


class UnetSkinSegmenter(SkinSegmenter):
    """A U-Net with an EfficientNet-B0 encoder (Keras 3), run on axial slices in batches.

    Options (models.toml): `input_size` (network input, a multiple of 32; default 256; use
    the size the weights were trained at), `batch_size` (slices per forward pass, default 8).
    Weights: `weights[0]`, a `.weights.h5` written by `modelgallery train-skin-unet`."""

    method = "U-Net with an EfficientNet-B0 encoder, axial slices"
    runtimes: ClassVar[tuple[RuntimeName, ...]] = ("tensorflow", "openvino")
    params: ClassVar[dict[str, Param]] = {
        "threshold": Param(
            type="float",
            default=0.5,
            min=0.05,
            max=0.95,
            label="Skin probability threshold",
            description="Voxels the network finds skin with at least this probability are "
            "in the mask.",
        ),
    }

    def load(self) -> None:
        options = getattr(self.spec, "options", {}) or {}
        self.input_size = int(options.get("input_size", 256))
        self.batch_size = int(options.get("batch_size", 8))
        if self.batch_size < 1:
            raise ValueError("option batch_size must be at least 1")
        paths = list(getattr(self.spec, "weight_paths", []))
        if not paths:
            raise ValueError("the skin U-Net needs a weights file (weights = [{ file = ... }])")
        self.weights_path = weights = Path(paths[0])
        network = build_unet(self.input_size)
        network.load_weights(str(weights))
        import numpy as np

        def on_tensorflow(_: int) -> Net:
            return lambda batch: np.asarray(network.predict_on_batch(batch))

        def on_openvino(n: int) -> Net:
            ir = openvino_ir(weights, network, variant=str(self.input_size))
            return OpenVinoNet(ir, n, takes_nchw=False, float32=True)

        threads = thread_budget()
        builders: dict[RuntimeName, Callable[[], PerThreadCount[Net]]] = {
            "tensorflow": lambda: PerThreadCount(on_tensorflow, threads),
            "openvino": lambda: PerThreadCount(on_openvino, threads),
        }
        size = self.input_size
        sample = np.zeros((self.batch_size, size, size, 3), dtype=np.float32)
        self.network, self.runtime = choose(
            self.spec.runtime or "auto",
            builders,
            lambda net: net(sample),
            remembered(weights, threads, f"{sample.shape}"),
        )
        self.network.prepare(1)

    def use_threads(self, threads: int) -> None:
        self.network.use(threads)

    def warmup(self) -> None:
        import numpy as np

        size = self.input_size
        self.network(np.zeros((1, size, size, 3), dtype=np.float32))

    def describe(self) -> dict[str, Any]:
        return super().describe() | {
            "weights": self.weights_path.name,
            "input_size": self.input_size,
        }

    def segment_skin(
        self, volume: Volume, survey: HeadSurvey, params: dict[str, Any], progress: Progress
    ) -> np.ndarray:
        import numpy as np

        axis = axial_axis(volume.affine)
        slices = np.moveaxis(normalise_intensity(volume.data), axis, 0)
        count = slices.shape[0]
        probability = np.empty(slices.shape, dtype=np.float32)
        for start in range(0, count, self.batch_size):
            stop = min(start + self.batch_size, count)
            progress(start / count, f"axial slices {start + 1}-{stop} of {count}")
            batch = to_network(slices[start:stop], self.input_size)
            output = np.asarray(self.network(batch))[..., 0]
            probability[start:stop] = from_network(output, slices.shape[1:])
        progress(1.0, "stacking the slices")
        return np.moveaxis(probability >= float(params["threshold"]), 0, axis)


def build_unet(input_size: int = 256) -> Model:
    """The network (untrained): EfficientNet-B0 encoder, a decoder of upsampling + two
    3×3 conv blocks that takes the encoder's activations at each scale, and a full-
    resolution step that also sees the input, since the skin is only a few voxels thick.
    Input: (size, size, 3) intensities in 0..255 (one grey channel repeated; the encoder
    rescales by 1/255 itself). Output: (size, size, 1) skin probability."""
    import keras
    from keras import layers

    if input_size % 32 or not 64 <= input_size <= 1024:
        raise ValueError(f"input_size must be a multiple of 32 in 64..1024, not {input_size}")
    inputs = keras.Input((input_size, input_size, 3), name="slices")
    encoder = keras.applications.EfficientNetB0(
        include_top=False, weights=None, input_tensor=inputs
    )
    # Short training runs (a self-training demo is tens of steps) would leave Keras' default
    # momentum (0.99) statistics near their initial values, and inference would be off.
    for layer in encoder.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM

    x = encoder.get_layer(BOTTOM_LAYER).output
    skips = [encoder.get_layer(name).output for name in reversed(SKIP_LAYERS)]
    full = layers.Rescaling(1 / 255, name="input_scaled")(inputs)
    for level, filters in enumerate(DECODER_FILTERS):
        x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}")(x)
        skip = skips[level] if level < len(skips) else full
        x = layers.Concatenate(name=f"skip{level}")([x, skip])
        x = _conv_block(x, filters, f"dec{level}")
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="skin_probability")(x)
    return keras.Model(inputs, outputs, name="skin_unet_effb0")


def _conv_block(x: KerasTensor, filters: int, name: str) -> KerasTensor:
    from keras import layers

    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def axial_axis(affine: np.ndarray) -> int:
    """The array axis that runs inferior–superior (axial slices are across it)."""
    import nibabel as nib

    codes = nib.aff2axcodes(affine)
    return next((i for i, c in enumerate(codes) if c in "SI"), 2)


def to_network(slices: np.ndarray, size: int) -> np.ndarray:
    """(n, a, b) in 0..1 → (n, size, size, 3) in 0..255: zero-padded to a square (the
    aspect ratio is kept), then resized (area averaging when shrinking)."""
    import cv2
    import numpy as np

    n, a, b = slices.shape
    side = max(a, b)
    square = np.zeros((n, side, side), dtype=np.float32)
    top, left = (side - a) // 2, (side - b) // 2
    square[:, top : top + a, left : left + b] = slices
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    out = np.empty((n, size, size, 3), dtype=np.float32)
    for i in range(n):
        out[i] = cv2.resize(square[i], (size, size), interpolation=interpolation)[..., None]
    return out * 255.0


def from_network(maps: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The inverse of `to_network` for (n, size, size) maps: back to (n, a, b)."""
    import cv2
    import numpy as np

    a, b = shape
    side = max(a, b)
    top, left = (side - a) // 2, (side - b) // 2
    out = np.empty((maps.shape[0], a, b), dtype=np.float32)
    for i, m in enumerate(maps):
        square = cv2.resize(m.astype(np.float32), (side, side), interpolation=cv2.INTER_LINEAR)
        out[i] = square[top : top + a, left : left + b]
    return out
