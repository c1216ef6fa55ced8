"""The base of models that segment a 3D volume (NIfTI): read the volume, let the family
`segment` it, then write the mask (NIfTI with the input's header), a preview JPG of three
orthogonal slices and JSON statistics, under the names the family declares with
`volume_outputs`. A family that finds nothing to segment says so in its summary; then no
mask is written, only the preview (of the volume alone) and the statistics.

numpy, nibabel and Pillow are imported inside functions: the API process imports the
families to read their declarations only."""

from __future__ import annotations

import resource
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...media.nifti import Volume, read_volume
from ..declarations import Output, ResultKind
from ..model import InputItem, Model, Progress, Result
from ..stages import Stages
from .artifacts import Artifacts

if TYPE_CHECKING:
    import numpy as np

# slices across an axis that runs left-right are sagittal, and so on
AXIS_NAMES = {
    **dict.fromkeys("LR", "sagittal"),
    **dict.fromkeys("AP", "coronal"),
    **dict.fromkeys("SI", "axial"),
}


def volume_outputs(label: str) -> tuple[Output, ...]:
    """The three files of a volume pipeline, named after what the mask shows."""
    return (
        Output(
            name=f"{label}_mask.nii.gz",
            media_type="application/gzip",
            role="mask",
            description=f"The {label} mask, a volume aligned with yours (NIfTI)",
        ),
        Output(
            name=f"{label}_preview.jpg",
            media_type="image/jpeg",
            role="preview",
            description="A picture of three slices through the volume with the mask in red",
        ),
        Output(
            name=f"{label}_stats.json",
            media_type="application/json",
            role="data",
            description="The mask's volume, its quality measures and any warnings (JSON)",
        ),
    )


@dataclass
class Segmentation:
    """What `VolumePipeline.segment` found: the mask, or None when the volume holds nothing to
    segment (then `summary` says why, and no mask file is written), and what else the
    result summary should say (checks, measures, warnings)."""

    mask: np.ndarray | None
    summary: dict[str, Any] = field(default_factory=dict)


class VolumePipeline(Model):
    """Load volume → segment → save the mask, preview and statistics."""

    kinds: ClassVar[tuple[str, ...]] = ("nifti",)
    result_kinds: ClassVar[dict[str, ResultKind]] = {"nifti": "volume-mask"}
    mask_label: ClassVar[str]  # what the mask shows, e.g. "skin"; names the outputs
    method: ClassVar[str] = ""

    @abstractmethod
    def segment(self, volume: Volume, params: dict[str, Any], progress: Progress) -> Segmentation:
        """A boolean mask with the shape of `volume.data` (or None: nothing to segment) and
        more for the summary; `progress` takes 0..1."""

    def describe(self) -> dict[str, Any]:
        """What the summary says about the model that produced the mask."""
        return {"model": getattr(self.spec, "name", type(self).__name__), "method": self.method}

    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        if len(inputs) != 1:
            raise ValueError(f"{self.mask_label} segmentation takes one volume per job")
        label = self.mask_label
        artifacts = Artifacts(outdir, self.outputs)
        stages = Stages()
        progress(0.0, "reading the volume")
        with stages.time("decode"):
            volume = read_volume(inputs[0].path)

        started = time.perf_counter()
        found = self.segment(volume, params, lambda f, m: progress(0.05 + 0.8 * f, m))
        segment_ms = (time.perf_counter() - started) * 1000
        stages.add("inference", segment_ms)

        if found.mask is None:  # nothing to segment: no mask, the preview shows the volume
            import numpy as np

            mask = np.zeros(volume.info.spatial_shape, dtype=bool)
        else:
            mask = found.mask
            progress(0.86, "writing the mask")
            with stages.time("encoding"):
                save_mask(mask, volume, artifacts.path(f"{label}_mask.nii.gz"), label)
        progress(0.92, "drawing the preview")
        with stages.time("drawing"):
            shown = write_preview(volume, mask, artifacts.path(f"{label}_preview.jpg"))
        summary = self.describe() | statistics(volume, mask, label) | found.summary
        summary |= self.result_facts()
        summary |= {
            "params": params,
            "preview_slices": shown,
            "segment_ms": round(segment_ms, 1),
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        if volume.info.is_4d:
            summary["note"] = (
                f"The file is a 4D series of {volume.info.n_volumes} volumes; "
                f"only the first volume was segmented."
            )
        artifacts.write_json(f"{label}_stats.json", summary, indent=2)
        progress(1.0, "done")
        return Result(summary=summary, artifacts=artifacts.written(), stages=stages.as_dict())


def save_mask(mask: np.ndarray, like: Volume, path: Path, label: str) -> None:
    """Write a uint8 mask (0/1) with the input's header: same affine, qform and sform (with
    their codes), voxel sizes, units and orientation; 3D even when the input was 4D."""
    import nibabel as nib
    import numpy as np

    if mask.shape != like.info.spatial_shape:
        raise ValueError(f"mask shape {mask.shape} is not the volume's {like.info.spatial_shape}")
    header = like.header.copy()
    header.set_data_shape(mask.shape)
    header.set_data_dtype(np.uint8)
    header.set_slope_inter(1.0, 0.0)  # the input's scaling would turn 0/1 into intensities
    header["cal_min"], header["cal_max"] = 0, 1
    header.set_intent("label", name=label)
    image_class = nib.Nifti2Image if isinstance(header, nib.Nifti2Header) else nib.Nifti1Image
    # affine=None: the header's own qform and sform are written unchanged
    image = image_class(np.asarray(mask, dtype=np.uint8), None, header=header)
    nib.save(image, str(path))


def normalise_intensity(data: np.ndarray) -> np.ndarray:
    """Per volume: the 1st..99.5th percentile range mapped to 0..1 (clipped), so scanners
    and scalings with different units look alike to the network."""
    import numpy as np

    low, high = np.percentile(data, [1, 99.5])
    scale = 1.0 / (high - low) if high > low else 0.0
    scaled: np.ndarray = np.clip((data - low) * scale, 0.0, 1.0).astype(np.float32)
    return scaled


def statistics(volume: Volume, mask: np.ndarray, label: str) -> dict[str, Any]:
    """Voxel count, volume in mL (from the voxel sizes) and slices that hold the mask per
    anatomical direction (from the affine, so any storage orientation is named right)."""
    import nibabel as nib
    import numpy as np

    info = volume.info
    voxels = int(np.count_nonzero(mask))
    codes = nib.aff2axcodes(volume.affine)
    with_mask: dict[str, int] = {}
    total: dict[str, int] = {}
    for axis, code in enumerate(codes):
        name = AXIS_NAMES.get(code or "", f"axis{axis}")
        others = tuple(a for a in range(3) if a != axis)
        with_mask[name] = int(np.count_nonzero(mask.any(axis=others)))
        total[name] = int(mask.shape[axis])
    return {
        "voxels": voxels,
        "volume_ml": round(voxels * info.voxel_volume_ml, 3),
        f"slices_with_{label}": with_mask,
        "slices": total,
        "shape": list(info.spatial_shape),
        "input_shape": list(info.shape),
        "voxel_size_mm": [round(v, 6) for v in info.voxel_size_mm],
        "orientation": "".join(c or "?" for c in codes),
        "input_dtype": info.dtype,
    }


def write_preview(
    volume: Volume, mask: np.ndarray, path: Path, height: int = 320
) -> dict[str, int]:
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
    views: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, float]]] = {
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


def _to_file_axes(
    ras: dict[str, int], orientation: np.ndarray, shape: tuple[int, ...]
) -> dict[str, int]:
    """Turn slice indices in the RAS view back into indices of the file's own axes."""
    out = {}
    for name, ras_axis in (("sagittal", 0), ("coronal", 1), ("axial", 2)):
        file_axis = int(next(i for i, o in enumerate(orientation) if int(o[0]) == ras_axis))
        index = ras[name]
        if orientation[file_axis][1] < 0:
            index = shape[ras_axis] - 1 - index
        out[name] = index
    return out
