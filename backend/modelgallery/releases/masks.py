"""Agreement of two masks of one input: an image's class mask (an 8-bit palette PNG of
class ids, the background transparent: `vision/families/image_segmentation.py`) or a volume's
mask (NIfTI, 0/1: `vision/pipelines/volume.py`). numpy, Pillow and nibabel are imported
inside the functions: the API process imports this module."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .figures import MaskAgreement, MaskOverlap, NotComparable

if TYPE_CHECKING:
    import numpy as np


def compare_class_masks(
    baseline: Path, candidate: Path, labels: dict[int, str] | None = None
) -> MaskAgreement:
    """Two class masks (PNG) of one image: Dice of everything but the background, and per
    class, named by `labels` (class id → name; "class N" for the others)."""
    import numpy as np

    base_ids, base_bg = read_class_mask(baseline)
    cand_ids, cand_bg = read_class_mask(candidate)
    _same_shape(base_ids.shape, cand_ids.shape)
    base_fg, cand_fg = base_ids != base_bg, cand_ids != cand_bg
    size = int(max(base_ids.max(initial=0), cand_ids.max(initial=0))) + 1
    in_base = np.bincount(base_ids[base_fg], minlength=size)
    in_cand = np.bincount(cand_ids[cand_fg], minlength=size)
    in_both = np.bincount(base_ids[base_fg & cand_fg & (base_ids == cand_ids)], minlength=size)
    per_class: dict[str, MaskOverlap] = {}
    for class_id in np.flatnonzero(in_base + in_cand).tolist():
        name = (labels or {}).get(class_id, f"class {class_id}")
        found = MaskOverlap(
            intersection=int(in_both[class_id]),
            baseline=int(in_base[class_id]),
            candidate=int(in_cand[class_id]),
        )
        per_class[name] = per_class[name].plus(found) if name in per_class else found
    return MaskAgreement(
        kind="segmentation", overlap=_overlap(base_fg, cand_fg), per_class=per_class
    )


def compare_volume_masks(
    baseline: Path | None, candidate: Path | None, voxel_ml: float | None = None
) -> MaskAgreement:
    """Two volume masks (NIfTI) of one volume; None for a side that wrote no mask because
    it found nothing to segment. The voxel size is read from the files, else `voxel_ml`."""
    import numpy as np

    masks: list[np.ndarray | None] = []
    for path in (baseline, candidate):
        mask = None
        if path is not None:
            mask, voxel_ml = _read_volume_mask(path)  # the file's voxel size comes first
        masks.append(mask)
    base, cand = masks
    if base is not None and cand is not None:
        _same_shape(base.shape, cand.shape)
        overlap = _overlap(base, cand)
    else:
        overlap = MaskOverlap(
            baseline=0 if base is None else int(np.count_nonzero(base)),
            candidate=0 if cand is None else int(np.count_nonzero(cand)),
        )
    return MaskAgreement(kind="volume-mask", overlap=overlap, voxel_ml=voxel_ml)


def read_class_mask(path: Path) -> tuple[np.ndarray, int]:
    """The class id of every pixel of a mask PNG, and the background's id: the palette
    entry the PNG makes transparent (0 for a greyscale PNG)."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            mode, alpha = image.mode, image.info.get("transparency")
            ids = np.asarray(image)
    except (OSError, UnidentifiedImageError) as exc:
        raise NotComparable(f"the mask {path.name} cannot be read as a PNG ({exc})") from None
    if mode not in ("P", "L", "I", "I;16"):
        raise NotComparable(f"the mask {path.name} is not an image of class ids (mode {mode})")
    background = 0
    if mode == "P" and isinstance(alpha, bytes) and b"\x00" in alpha:
        background = alpha.index(b"\x00")
    elif mode == "P" and isinstance(alpha, int):
        background = alpha
    return ids.astype(np.int64), background


def _read_volume_mask(path: Path) -> tuple[np.ndarray, float]:
    from ..media.nifti import read_volume

    try:
        volume = read_volume(path)
    except ValueError as exc:  # MediaError: a sentence already
        raise NotComparable(f"the mask {path.name} cannot be read: {exc}") from None
    mask: np.ndarray = volume.data > 0.5
    return mask, volume.info.voxel_volume_ml


def _overlap(baseline: np.ndarray, candidate: np.ndarray) -> MaskOverlap:
    import numpy as np

    return MaskOverlap(
        intersection=int(np.count_nonzero(baseline & candidate)),
        baseline=int(np.count_nonzero(baseline)),
        candidate=int(np.count_nonzero(candidate)),
    )


def _same_shape(baseline: tuple[int, ...], candidate: tuple[int, ...]) -> None:
    if baseline != candidate:
        raise NotComparable(
            f"the two masks differ in size ({'x'.join(map(str, baseline))} and "
            f"{'x'.join(map(str, candidate))} voxels): they are not of the same input"
        )
