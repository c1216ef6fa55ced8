"""Skin segmentation of head MRI volumes (NIfTI): the outer surface layer of the head.

`ClassicalSkinSegmenter` (the default model) needs no training data and no weights:
thresholding and morphology, explained in its docstring. It works on T1-weighted scans such
as Colin27. The deep alternative is `skin_unet.UnetSkinSegmenter`. The pipeline (reading,
mask, preview, statistics) is `pipelines.volume.VolumePipeline`'s.

numpy and scipy are imported inside functions: the API process imports this module to read
the declarations only."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from ...media.nifti import Volume
from ..declarations import Output, Param
from ..model import Progress
from ..pipelines.volume import Segmentation, VolumePipeline, volume_outputs
from .skin_checks import HeadSurvey, measure_skin, survey_head

if TYPE_CHECKING:
    import numpy as np


class SkinSegmenter(VolumePipeline):
    """What every skin model shares: the label and the names of its three files, and the
    checks around the model (`skin_checks`): before it, whether the volume looks like a
    head with a skin layer (if not, the job succeeds with that finding and no mask); after
    it, measures of the mask and warnings where they are implausible."""

    mask_label: ClassVar[str] = "skin"
    outputs: ClassVar[tuple[Output, ...]] = volume_outputs("skin")

    @abstractmethod
    def segment_skin(
        self, volume: Volume, survey: HeadSurvey, params: dict[str, Any], progress: Progress
    ) -> np.ndarray:
        """The skin mask of a volume that passed the checks (`survey` holds the head)."""

    def head_params(self, params: dict[str, Any]) -> tuple[float, float]:
        """Threshold fraction and closing radius of the head mask the checks use."""
        return 0.1, 4.0

    def segment(self, volume: Volume, params: dict[str, Any], progress: Progress) -> Segmentation:
        threshold_fraction, closing_mm = self.head_params(params)
        spacing = volume.info.voxel_size_mm

        def head() -> np.ndarray:
            found = head_mask(
                volume.data,
                spacing,
                threshold_fraction,
                closing_mm,
                lambda f, m: progress(0.4 * f, m),
            )
            progress(0.4, "checking the head: its size and the layers under its surface")
            return found

        progress(0.0, "checking that the volume is an image")
        survey = survey_head(volume, head)
        if survey.finding is not None:
            progress(1.0, "no skin layer found")
            return Segmentation(
                None,
                {
                    "skin_found": False,
                    "nothing_found": True,  # the outcome clients show (`predictions.outcome`)
                    "finding": survey.finding,
                    "checks": survey.measures,
                },
            )
        mask = self.segment_skin(volume, survey, params, lambda f, m: progress(0.45 + 0.45 * f, m))
        progress(0.92, "measuring the mask")
        measures = measure_skin(mask, survey)
        return Segmentation(mask, {"skin_found": True, "checks": survey.measures} | measures)


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
            label="Skin thickness (mm)",
            description="How deep the skin layer reaches, measured inward from the head's surface.",
        ),
        "threshold_fraction": Param(
            type="float",
            default=0.1,
            min=0.02,
            max=0.5,
            label="Head and air threshold",
            description="Where the head starts and the air around it ends, as a fraction "
            "of the volume's intensity range.",
        ),
        "closing_mm": Param(
            type="float",
            default=4.0,
            min=0.0,
            max=15.0,
            label="Gap bridging (mm)",
            description="Radius of the morphological closing that bridges gaps in the head's "
            "surface.",
        ),
    }

    def load(self) -> None:
        import scipy.ndimage  # noqa: F401 - fail at load, not in the first job

    def warmup(self) -> None:
        import numpy as np

        grid = np.mgrid[:24, :24, :24] - 11.5
        ball = (np.sqrt((grid**2).sum(axis=0)) < 9).astype(np.float32) * 100
        head_shell(ball, (1.0, 1.0, 1.0), 2.0, 0.1, 2.0)

    def head_params(self, params: dict[str, Any]) -> tuple[float, float]:
        return float(params["threshold_fraction"]), float(params["closing_mm"])

    def segment_skin(
        self, volume: Volume, survey: HeadSurvey, params: dict[str, Any], progress: Progress
    ) -> np.ndarray:
        # the checks made the head with this model's parameters, and its depth map: step 6
        assert survey.head is not None and survey.depth is not None
        thickness_mm = float(params["thickness_mm"])
        progress(0.0, f"taking the outer {thickness_mm:g} mm")
        shell: np.ndarray = survey.head & (survey.depth <= thickness_mm)
        return shell


def head_shell(
    data: np.ndarray,
    voxel_size_mm: tuple[float, float, float],
    thickness_mm: float,
    threshold_fraction: float = 0.1,
    closing_mm: float = 4.0,
    progress: Progress | None = None,
) -> np.ndarray:
    """The classical method (see `ClassicalSkinSegmenter`); returns a boolean mask."""
    from scipy import ndimage as ndi

    report = progress or (lambda fraction, message: None)
    head = head_mask(data, voxel_size_mm, threshold_fraction, closing_mm, report)
    report(0.85, f"taking the outer {thickness_mm:g} mm")
    depth = ndi.distance_transform_edt(head, sampling=voxel_size_mm)
    shell: np.ndarray = head & (depth <= thickness_mm)
    return shell


def head_mask(
    data: np.ndarray,
    voxel_size_mm: tuple[float, float, float],
    threshold_fraction: float = 0.1,
    closing_mm: float = 4.0,
    progress: Progress | None = None,
) -> np.ndarray:
    """Steps 1-5 of the classical method: the filled head (boolean), all zeros when no
    voxel stands out of the background."""
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
    return head


def _closing(
    mask: np.ndarray, radius_mm: float, spacing: np.ndarray, halfway: Callable[[], None]
) -> np.ndarray:
    """Dilation then erosion by a Euclidean ball of `radius_mm`, through distance maps
    (exact for any voxel size, and faster than a large structuring element)."""
    from scipy import ndimage as ndi

    dilated: np.ndarray = ndi.distance_transform_edt(~mask, sampling=spacing) <= radius_mm
    halfway()  # the two distance maps are the slowest steps: a chance to cancel between
    if dilated.all():
        return dilated
    closed: np.ndarray = mask | (ndi.distance_transform_edt(dilated, sampling=spacing) > radius_mm)
    return closed


def _fill_holes(mask: np.ndarray, axis: int | None) -> np.ndarray:
    """Fill background regions that do not reach the border: in 3D (`axis` None) or in
    every slice across `axis` at once (one labelling with in-plane connectivity only,
    instead of a Python loop over slices)."""
    import numpy as np
    from scipy import ndimage as ndi

    if axis is None:
        structure = ndi.generate_binary_structure(3, 1)
        faces: tuple[int, ...] = (0, 1, 2)
    else:
        structure = np.zeros((3, 3, 3), dtype=bool)
        index: list[slice | int] = [slice(None)] * 3
        index[axis] = 1
        structure[tuple(index)] = ndi.generate_binary_structure(2, 1)
        faces = tuple(a for a in range(3) if a != axis)
    labels, count = ndi.label(~mask, structure=structure)
    touching = np.zeros(count + 1, dtype=bool)
    touching[0] = True  # label 0 is the mask itself
    for face in faces:
        touching[np.unique(labels.take([0, -1], axis=face))] = True
    filled: np.ndarray = mask | ~touching[labels]
    return filled
