"""Skin segmentation of head MRI volumes (NIfTI): the outer surface layer of the head.

Two families share one pipeline (`SkinSegmenter`): read the volume, segment it, write the
mask (NIfTI with the input's header), a preview JPG and JSON statistics.

- `ClassicalSkinSegmenter` (the default model): no training data, no weights; thresholding
  and morphology, explained in its docstring. It works on T1-weighted scans such as Colin27.
- `UnetSkinSegmenter`: a Keras U-Net with an EfficientNet-B0 encoder, run on axial slices in
  batches. No trained skin model can be had here, so its weights come from
  `python -m modelgallery.vision.train_skin_unet` (self-training on classical labels, or on
  your own labelled volumes); the registry points it at the `.weights.h5` file.

numpy, scipy, nibabel, OpenCV and Keras are imported inside functions: the API process
imports this module to read the declarations only."""

from __future__ import annotations

import json
import resource
import time
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .model import ArtifactOut, InputItem, Model, Output, Param, Progress, Result
from .volumes import Volume, read_volume, save_mask

if TYPE_CHECKING:
    import numpy as np

MASK_NAME = "skin_mask.nii.gz"
PREVIEW_NAME = "skin_preview.jpg"
STATS_NAME = "skin_stats.json"
# slices across an axis that runs left-right are sagittal, and so on
AXIS_NAMES = {
    **dict.fromkeys("LR", "sagittal"),
    **dict.fromkeys("AP", "coronal"),
    **dict.fromkeys("SI", "axial"),
}

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


class SkinSegmenter(Model):
    """Load volume → segment → save the mask, preview and statistics."""

    kinds = ("nifti",)
    outputs = (
        Output(name=MASK_NAME, media_type="application/gzip", role="mask"),
        Output(name=PREVIEW_NAME, media_type="image/jpeg", role="preview"),
        Output(name=STATS_NAME, media_type="application/json", role="data"),
    )
    method: ClassVar[str] = ""

    @abstractmethod
    def segment(self, volume: Volume, params: dict[str, Any], progress: Progress) -> np.ndarray:
        """A boolean mask with the shape of `volume.data`; `progress` takes 0..1."""

    def describe(self) -> dict[str, Any]:
        """What the summary says about the model that produced the mask."""
        return {"model": getattr(self.spec, "name", type(self).__name__), "method": self.method}

    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        if len(inputs) != 1:
            raise ValueError("skin segmentation takes one volume per job")
        progress(0.0, "reading the volume")
        volume = read_volume(inputs[0].path)

        started = time.perf_counter()
        mask = self.segment(volume, params, lambda f, m: progress(0.05 + 0.8 * f, m))
        segment_ms = (time.perf_counter() - started) * 1000

        progress(0.86, "writing the mask")
        save_mask(mask, volume, outdir / MASK_NAME)
        progress(0.92, "drawing the preview")
        shown = write_preview(volume, mask, outdir / PREVIEW_NAME)
        summary = self.describe() | statistics(volume, mask)
        summary |= {
            "params": params,
            "preview_slices": shown,
            "segment_ms": round(segment_ms, 1),
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        if volume.info.is_4d:
            summary["note"] = (
                f"The file is a 4D series of {volume.info.n_volumes} volumes; "
                "only the first volume was segmented."
            )
        (outdir / STATS_NAME).write_text(json.dumps(summary, indent=2))
        progress(1.0, "done")
        artifacts = [ArtifactOut(o.name, o.media_type, o.role) for o in self.outputs]
        return Result(summary=summary, artifacts=artifacts)


class ClassicalSkinSegmenter(SkinSegmenter):
    """The skin as the outer shell of a head mask, from thresholding and morphology.

    Why it works on T1 MRI: air around the head gives (almost) no signal, while the scalp —
    skin over subcutaneous fat — is among the brightest tissues. The head is therefore well
    separated from the air by one low threshold; what lies inside the head but is dark
    (skull, CSF, sinuses, airways) does not matter, because it is enclosed by the scalp and
    is filled in. The skin is then the layer of that filled head mask within a given
    distance of the air.

    Steps:
    1. Robust intensity range: the 2nd and 98th percentiles (p2, p98), so that a few very
       bright or dark voxels do not set the scale (the "robust range" idea of FSL BET).
    2. Threshold at p2 + `threshold_fraction` × (p98 − p2), 10 % by default: well above the
       noise of the air (a few % of the range) and well below the scalp.
    3. A one-voxel opening breaks single-voxel noise bridges; the largest connected
       component is the head (noise specks, ghosts and objects such as markers go).
    4. A closing of `closing_mm` (exact Euclidean distances, so anisotropic voxels work)
       bridges small gaps of the scalp, where the outside could otherwise leak in.
    5. Hole filling in 3D, then in every 2D slice along each of the three axes: cavities
       open to the outside through the nose, the ear canals or the cut through the neck at
       the volume's border are closed in the slices where they are enclosed.
    6. The skin: head voxels whose Euclidean distance (in mm, from the voxel sizes) to the
       nearest outside voxel is at most `thickness_mm`. The volume's own border does not
       count as outside, so where the field of view cuts the head (neck, top), no skin is
       drawn along the cut.

    Limits: made for T1-like contrast (on T2 the scalp is also bright, so it should work,
    but that is untested here). A head touching a coil or a pad of similar brightness will
    include it; heavy bias fields may lower the threshold's margin."""

    method = "classical: robust threshold, largest component, closing, hole filling, outer shell"
    params: ClassVar[dict[str, Param]] = {
        "thickness_mm": Param(
            type="float",
            default=3.0,
            min=1.0,
            max=10.0,
            description="thickness of the skin layer measured inward from the head's surface",
        ),
        "threshold_fraction": Param(
            type="float",
            default=0.1,
            min=0.02,
            max=0.5,
            description="head/air threshold as a fraction of the robust intensity range",
        ),
        "closing_mm": Param(
            type="float",
            default=4.0,
            min=0.0,
            max=15.0,
            description="radius of the closing that bridges gaps in the head's surface",
        ),
    }

    def load(self) -> None:
        import scipy.ndimage  # noqa: F401 - fail at load, not in the first job

    def warmup(self) -> None:
        import numpy as np

        grid = np.mgrid[:24, :24, :24] - 11.5
        ball = (np.sqrt((grid**2).sum(axis=0)) < 9).astype(np.float32) * 100
        head_shell(ball, (1.0, 1.0, 1.0), 2.0, 0.1, 2.0)

    def segment(self, volume: Volume, params: dict[str, Any], progress: Progress) -> np.ndarray:
        return head_shell(
            volume.data,
            volume.info.voxel_size_mm,
            float(params["thickness_mm"]),
            float(params["threshold_fraction"]),
            float(params["closing_mm"]),
            progress,
        )


def head_shell(
    data: np.ndarray,
    voxel_size_mm: tuple[float, float, float],
    thickness_mm: float,
    threshold_fraction: float = 0.1,
    closing_mm: float = 4.0,
    progress: Progress | None = None,
) -> np.ndarray:
    """The classical method (see `ClassicalSkinSegmenter`); returns a boolean mask."""
    import numpy as np
    from scipy import ndimage as ndi

    report = progress or (lambda fraction, message: None)
    spacing = np.asarray(voxel_size_mm, dtype=np.float64)
    report(0.0, "finding the head/air threshold")
    low, high = np.percentile(data, [2, 98])
    foreground = data > low + threshold_fraction * (high - low)
    if high <= low or not foreground.any():
        return np.zeros(data.shape, dtype=bool)

    report(0.1, "keeping the head (largest connected component)")
    foreground = ndi.binary_opening(foreground)
    labels, count = ndi.label(foreground)
    if count == 0:
        return np.zeros(data.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    head = labels == sizes.argmax()
    del labels, foreground

    if closing_mm > 0:
        report(0.3, f"closing gaps up to {closing_mm:g} mm")
        head = _closing(head, closing_mm, spacing, lambda: report(0.42, "closing: eroding"))
    report(0.55, "filling the inside of the head")
    head = _fill_holes(head, None)
    for axis in range(3):
        report(0.6 + 0.08 * axis, f"filling holes slice by slice (axis {axis})")
        head = _fill_holes(head, axis)

    report(0.85, f"taking the outer {thickness_mm:g} mm")
    depth = ndi.distance_transform_edt(head, sampling=spacing)
    return head & (depth <= thickness_mm)


def _closing(mask: np.ndarray, radius_mm: float, spacing: np.ndarray, halfway) -> np.ndarray:
    """Dilation then erosion by a Euclidean ball of `radius_mm`, through distance maps
    (exact for any voxel size, and faster than a large structuring element)."""
    from scipy import ndimage as ndi

    dilated = ndi.distance_transform_edt(~mask, sampling=spacing) <= radius_mm
    halfway()  # the two distance maps are the slowest steps: a chance to cancel between
    if dilated.all():
        return dilated
    return mask | (ndi.distance_transform_edt(dilated, sampling=spacing) > radius_mm)


def _fill_holes(mask: np.ndarray, axis: int | None) -> np.ndarray:
    """Fill background regions that do not reach the border: in 3D (`axis` None) or in
    every slice across `axis` at once (one labelling with in-plane connectivity only,
    instead of a Python loop over slices)."""
    import numpy as np
    from scipy import ndimage as ndi

    if axis is None:
        structure = ndi.generate_binary_structure(3, 1)
        faces = (0, 1, 2)
    else:
        structure = np.zeros((3, 3, 3), dtype=bool)
        index: list[Any] = [slice(None)] * 3
        index[axis] = 1
        structure[tuple(index)] = ndi.generate_binary_structure(2, 1)
        faces = tuple(a for a in range(3) if a != axis)
    labels, count = ndi.label(~mask, structure=structure)
    touching = np.zeros(count + 1, dtype=bool)
    touching[0] = True  # label 0 is the mask itself
    for face in faces:
        touching[np.unique(labels.take([0, -1], axis=face))] = True
    return mask | ~touching[labels]


class UnetSkinSegmenter(SkinSegmenter):
    """A U-Net with an EfficientNet-B0 encoder (Keras 3), run on axial slices in batches.

    Options (models.toml): `input_size` (network input, a multiple of 32; default 256; use
    the size the weights were trained at), `batch_size` (slices per forward pass, default 8).
    Weights: `weights[0]`, a `.weights.h5` written by `train_skin_unet`."""

    method = "U-Net with an EfficientNet-B0 encoder, axial slices"
    params: ClassVar[dict[str, Param]] = {
        "threshold": Param(
            type="float",
            default=0.5,
            min=0.05,
            max=0.95,
            description="probability above which a voxel is skin",
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
        self.weights_path = Path(paths[0])
        self.network = build_unet(self.input_size)
        self.network.load_weights(str(self.weights_path))

    def warmup(self) -> None:
        import numpy as np

        size = self.input_size
        self.network.predict_on_batch(np.zeros((1, size, size, 3), dtype=np.float32))

    def describe(self) -> dict[str, Any]:
        return super().describe() | {
            "weights": self.weights_path.name,
            "input_size": self.input_size,
        }

    def segment(self, volume: Volume, params: dict[str, Any], progress: Progress) -> np.ndarray:
        import numpy as np

        axis = axial_axis(volume.affine)
        slices = np.moveaxis(normalise_intensity(volume.data), axis, 0)
        count = slices.shape[0]
        probability = np.empty(slices.shape, dtype=np.float32)
        for start in range(0, count, self.batch_size):
            stop = min(start + self.batch_size, count)
            progress(start / count, f"axial slices {start + 1}-{stop} of {count}")
            batch = to_network(slices[start:stop], self.input_size)
            output = np.asarray(self.network.predict_on_batch(batch))[..., 0]
            probability[start:stop] = from_network(output, slices.shape[1:])
        progress(1.0, "stacking the slices")
        return np.moveaxis(probability >= float(params["threshold"]), 0, axis)


def build_unet(input_size: int = 256):
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


def _conv_block(x, filters: int, name: str):
    from keras import layers

    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def normalise_intensity(data: np.ndarray) -> np.ndarray:
    """Per volume: the 1st..99.5th percentile range mapped to 0..1 (clipped), so scanners
    and scalings with different units look alike to the network."""
    import numpy as np

    low, high = np.percentile(data, [1, 99.5])
    scale = 1.0 / (high - low) if high > low else 0.0
    return np.clip((data - low) * scale, 0.0, 1.0).astype(np.float32)


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


def statistics(volume: Volume, mask: np.ndarray) -> dict[str, Any]:
    """Voxel count, volume in mL (from the voxel sizes) and slices that hold skin per
    anatomical direction (from the affine, so any storage orientation is named right)."""
    import nibabel as nib
    import numpy as np

    info = volume.info
    voxels = int(np.count_nonzero(mask))
    codes = nib.aff2axcodes(volume.affine)
    with_skin: dict[str, int] = {}
    total: dict[str, int] = {}
    for axis, code in enumerate(codes):
        name = AXIS_NAMES.get(code or "", f"axis{axis}")
        others = tuple(a for a in range(3) if a != axis)
        with_skin[name] = int(np.count_nonzero(mask.any(axis=others)))
        total[name] = int(mask.shape[axis])
    return {
        "voxels": voxels,
        "volume_ml": round(voxels * info.voxel_volume_ml, 3),
        "slices_with_skin": with_skin,
        "slices": total,
        "shape": list(info.spatial_shape),
        "input_shape": list(info.shape),
        "voxel_size_mm": [round(v, 6) for v in info.voxel_size_mm],
        "orientation": "".join(c or "?" for c in codes),
        "input_dtype": info.dtype,
    }


def write_preview(volume: Volume, mask: np.ndarray, path: Path, height: int = 320) -> dict:
    """Three panels side by side — axial, coronal, sagittal slices through the centre of
    the mask (of the volume when the mask is empty) — with the mask in red. The volume is
    turned to RAS first so that every input shows the usual way up, and panels are scaled
    by the voxel sizes (one common mm → pixel scale). Returns the slice indices shown, in
    the file's own voxel order."""
    import nibabel as nib
    import numpy as np
    from PIL import Image

    orientation = nib.orientations.io_orientation(volume.affine)
    image = nib.orientations.apply_orientation(normalise_intensity(volume.data), orientation)
    shown = nib.orientations.apply_orientation(mask.astype(bool), orientation)
    sizes = np.empty(3)
    sizes[orientation[:, 0].astype(int)] = volume.info.voxel_size_mm
    where = np.argwhere(shown)
    centre = (
        ((where.min(axis=0) + where.max(axis=0)) // 2) if len(where) else np.array(image.shape) // 2
    )
    x, y, z = (int(c) for c in centre)

    # (2D array with rows = screen top→bottom, (row mm, column mm)); R is on the right
    views = {
        "axial": (lambda v: v[:, ::-1, z].T, (sizes[1], sizes[0])),
        "coronal": (lambda v: v[:, y, ::-1].T, (sizes[2], sizes[0])),
        "sagittal": (lambda v: v[x, :, ::-1].T, (sizes[2], sizes[1])),
    }
    extent_mm = max(n * s for n, s in zip(image.shape, sizes, strict=True))
    scale = height / extent_mm  # pixels per mm, the same for all three panels
    panels = []
    for cut, (row_mm, col_mm) in views.values():
        grey = cut(image)
        red = cut(shown)
        rgb = np.repeat(grey[..., None], 3, axis=2) * 255
        rgb[red] = rgb[red] * 0.4 + np.array([255.0, 0.0, 0.0]) * 0.6
        panel = Image.fromarray(rgb.astype(np.uint8))
        size = (
            max(1, round(grey.shape[1] * col_mm * scale)),
            max(1, round(grey.shape[0] * row_mm * scale)),
        )
        panels.append(panel.resize(size, Image.Resampling.BILINEAR))

    gap = 6  # white bands between panels
    width = sum(p.width for p in panels) + gap * (len(panels) - 1)
    sheet = Image.new("RGB", (width, max(p.height for p in panels)), (255, 255, 255))
    left = 0
    for panel in panels:
        sheet.paste((0, 0, 0), (left, 0, left + panel.width, sheet.height))
        sheet.paste(panel, (left, (sheet.height - panel.height) // 2))
        left += panel.width + gap
    sheet.save(path, "JPEG", quality=90)

    ras = {"sagittal": x, "coronal": y, "axial": z}
    return _to_file_axes(ras, orientation, image.shape)


def _to_file_axes(ras: dict[str, int], orientation: np.ndarray, shape) -> dict[str, int]:
    """Turn slice indices in the RAS view back into indices of the file's own axes."""
    out = {}
    for name, ras_axis in (("sagittal", 0), ("coronal", 1), ("axial", 2)):
        file_axis = int(next(i for i, o in enumerate(orientation) if int(o[0]) == ras_axis))
        index = ras[name]
        if orientation[file_axis][1] < 0:
            index = shape[ras_axis] - 1 - index
        out[name] = index
    return out
