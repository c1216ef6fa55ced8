"""Whether a volume looks like a head with a skin layer, and how plausible a skin mask is.

Before a skin model runs, `survey_head` checks the volume in this order and stops at the
first that fails (the figures are explained in docs/models.md):
1. not constant: one intensity everywhere is no image (`EmptyVolumeError`, the job fails);
2. not noise: neighbouring voxels of a scan are alike (correlation of each voxel with the
   next along every axis, at least `MIN_NEIGHBOUR_CORRELATION`); in noise they are not;
3. a head on a clear background: the head mask is not empty and the air around it is at
   least `MIN_BACKGROUND_SHARE` of the volume;
4. the size of a head: its extent left-right and front-back (in mm, from the voxel sizes)
   within `HEAD_WIDTH_MM`;
5. a skin layer: the median intensity of thin shells at growing depth under the head's
   surface shows a bright band (skin and fat) and under it a dark one (the skull), darker
   than `DARK_BAND_RATIO` times the bright band. A skull-stripped brain has no such band.
A failed check 2-5 is a finding, not an error: the model says there is no skin to segment.

`measure_skin` then describes the mask a model drew: thickness, coverage of the head's
surface, connected pieces, and plain warnings where these are implausible for skin.

numpy, scipy and nibabel are imported inside functions (see `skin_classical.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ...media.nifti import Volume

MIN_NEIGHBOUR_CORRELATION = 0.5  # head scans: above 0.9; white noise: about 0
MIN_BACKGROUND_SHARE = 0.05  # of the volume outside the head (Colin27: 41 %)
HEAD_WIDTH_MM = (80.0, 250.0)  # left-right and front-back extent of the head
PROFILE_DEPTH_MM = 40.0  # how deep under the surface the intensity profile looks
BRIGHT_BAND_MM = 15.0  # the skin and fat peak lies within this depth
DARK_BAND_MM = 15.0  # and the skull within this distance under that peak
DARK_BAND_RATIO = 0.6  # skull / skin-and-fat intensity (Colin27: 0.27; skull-stripped: 1.0)
SKIN_THICKNESS_MM = (1.0, 8.0)  # skin and subcutaneous fat of the head
MIN_COVERAGE = 0.5  # of the head's surface under the mask
MIN_LARGEST_SHARE = 0.9  # the skin is one layer: its largest piece holds nearly all of it
MAX_OUTSIDE_SHARE = 0.1  # of mask voxels lying in the air around the head


class EmptyVolumeError(ValueError):
    """The volume has one intensity everywhere: there is no image to segment."""


@dataclass
class HeadSurvey:
    """What `survey_head` found. `finding` is None when the volume looks like a head with
    a skin layer; otherwise one sentence saying why there is no skin to segment."""

    finding: str | None
    measures: dict[str, Any] = field(default_factory=dict)
    head: np.ndarray | None = None  # the filled head, when one was found
    depth: np.ndarray | None = None  # mm from each head voxel to the air around it


def survey_head(volume: Volume, head_of: Callable[[], np.ndarray]) -> HeadSurvey:
    """Check `volume` (see the module's docstring); `head_of()` makes the head mask (the
    classical method's, so that a skin model and these checks see the same head).
    Raises EmptyVolumeError for a constant volume."""
    import numpy as np
    from scipy import ndimage as ndi

    data = volume.data
    low, high = float(data.min()), float(data.max())
    if high <= low:
        raise EmptyVolumeError(
            f"The volume is empty: every voxel has the intensity {low:g}, so there is "
            "nothing to segment."
        )
    measures: dict[str, Any] = {}
    correlation = neighbour_correlation(data)
    if correlation is not None:
        measures["neighbour_correlation"] = round(correlation, 3)
        if correlation < MIN_NEIGHBOUR_CORRELATION:
            return HeadSurvey(
                f"No skin layer found: the volume looks like noise, not a head (neighbouring "
                f"voxels are unrelated: correlation {correlation:.2f}, where scans have over "
                f"{MIN_NEIGHBOUR_CORRELATION:g}).",
                measures,
            )

    head: np.ndarray = head_of()
    background = 1.0 - float(np.count_nonzero(head)) / head.size
    measures["background_share"] = round(background, 3)
    if not head.any():
        return HeadSurvey(
            "No skin layer found: nothing large stands out of the background (a head is a "
            "bright object that fills a good part of its scan).",
            measures,
        )
    if background < MIN_BACKGROUND_SHARE:
        return HeadSurvey(
            f"No skin layer found: there is no clear background around the object (only "
            f"{background:.0%} of the volume is dark air); this does not look like a whole "
            f"head scanned in air.",
            measures,
        )

    widths = head_widths_mm(head, volume)
    measures["head_size_mm"] = widths
    low_mm, high_mm = HEAD_WIDTH_MM
    if not all(low_mm <= w <= high_mm for w in widths.values()):
        size = " × ".join(f"{w:.0f}" for w in widths.values())
        return HeadSurvey(
            f"No skin layer found: the object is {size} mm ({' × '.join(widths)}), not the "
            f"size of a head ({low_mm:.0f}-{high_mm:.0f} mm across).",
            measures,
        )

    spacing = volume.info.voxel_size_mm
    depth: np.ndarray = ndi.distance_transform_edt(head, sampling=spacing)
    step = max(1.0, min(spacing))
    profile = depth_profile(data, head, depth, step)
    measures["profile_step_mm"] = step
    measures["profile"] = [round(v, 1) for v in profile]
    band = skin_band(profile, step)
    survey = HeadSurvey(None, measures, head, depth)
    if band is None:
        start, end = profile[0], profile[min(len(profile), int(BRIGHT_BAND_MM / step)) - 1]
        survey.finding = (
            f"No skin layer found: the volume looks skull-stripped (a brain without scalp) or "
            f"is not an MRI of a head: under its surface there is no bright layer of skin "
            f"and fat over a dark band of skull (the median intensity goes from {start:.0f} "
            f"at the surface to {end:.0f} at {BRIGHT_BAND_MM:g} mm deep without such a dip)."
        )
    else:
        measures["skin_band"] = band
    return survey


def neighbour_correlation(data: np.ndarray) -> float | None:
    """The median over the axes of the correlation between each voxel and the next one
    along that axis (on every second voxel across it, which is plenty and halves the
    memory). None when no axis has two voxels or the values do not vary."""
    import numpy as np

    found = []
    for axis in range(3):
        if data.shape[axis] < 2:
            continue
        thin = tuple(slice(None) if a == axis else slice(None, None, 2) for a in range(3))
        sample = data[thin]
        first = np.take(sample, np.arange(sample.shape[axis] - 1), axis=axis).ravel()
        second = np.take(sample, np.arange(1, sample.shape[axis]), axis=axis).ravel()
        first = first - first.mean(dtype=np.float64)
        second = second - second.mean(dtype=np.float64)
        spread = float(np.sqrt(np.dot(first, first) * np.dot(second, second)))
        if spread > 0:
            found.append(float(np.dot(first, second)) / spread)
    return float(np.median(found)) if found else None


def head_widths_mm(head: np.ndarray, volume: Volume) -> dict[str, float]:
    """The head's extent along the axes that run left-right and front-back (named from
    the affine), in mm; the two axes other than the longest-in-mm if the affine says
    neither."""
    import nibabel as nib
    import numpy as np

    codes = nib.aff2axcodes(volume.affine)
    spacing = volume.info.voxel_size_mm
    where = np.argwhere(head)
    extent = (where.max(axis=0) - where.min(axis=0) + 1) * np.asarray(spacing)
    names = {"L": "left-right", "R": "left-right", "A": "front-back", "P": "front-back"}
    widths = {names[c]: round(float(extent[a]), 1) for a, c in enumerate(codes) if c in names}
    if len(widths) != 2:
        axes = np.argsort(extent)[:2]
        widths = {f"axis {a}": round(float(extent[a]), 1) for a in sorted(axes)}
    return widths


def depth_profile(
    data: np.ndarray, head: np.ndarray, depth: np.ndarray, step: float
) -> list[float]:
    """Median intensity of the head in shells `step` mm thick, from the surface inward to
    `PROFILE_DEPTH_MM` (shells with no voxel repeat the previous value)."""
    import numpy as np

    near = head & (depth <= PROFILE_DEPTH_MM)
    shell = np.ceil(depth[near] / step).astype(np.int64) - 1
    values = data[near]
    order = np.argsort(shell, kind="stable")
    shell, values = shell[order], values[order]
    count = int(np.ceil(PROFILE_DEPTH_MM / step))
    starts = np.searchsorted(shell, np.arange(count + 1))
    profile: list[float] = []
    for k in range(count):
        part = values[starts[k] : starts[k + 1]]
        profile.append(float(np.median(part)) if len(part) else (profile[-1] if profile else 0.0))
    return profile


def skin_band(profile: list[float], step: float) -> dict[str, float] | None:
    """The brightest shell within `BRIGHT_BAND_MM` of the surface (skin and fat) and the
    darkest within `DARK_BAND_MM` under it (the skull), when that one is darker than
    `DARK_BAND_RATIO` times the bright one; None when there is no such dip."""
    bright_end = max(1, int(round(BRIGHT_BAND_MM / step)))
    peak = max(range(bright_end), key=lambda k: profile[k])
    under = range(peak + 1, min(len(profile), peak + 1 + int(round(DARK_BAND_MM / step))))
    if not under or profile[peak] <= 0:
        return None
    dip = min(under, key=lambda k: profile[k])
    ratio = profile[dip] / profile[peak]
    if ratio > DARK_BAND_RATIO:
        return None
    return {
        "bright_depth_mm": round((peak + 0.5) * step, 1),
        "dark_depth_mm": round((dip + 0.5) * step, 1),
        "dark_to_bright": round(ratio, 2),
    }


def measure_skin(mask: np.ndarray, survey: HeadSurvey) -> dict[str, Any]:
    """Quality measures of a skin mask and warnings where they are implausible.

    - thickness: at each voxel of the mask's inner edge (next to head that is not mask),
      its distance to the air, in mm; median and 5th-95th percentiles;
    - coverage: the share of the head's surface voxels (next to the air) in the mask;
    - pieces: connected components (26-connected), and the largest one's share;
    - outside: the share of mask voxels in the air around the head."""
    import numpy as np
    from scipy import ndimage as ndi

    head, depth = survey.head, survey.depth
    assert head is not None and depth is not None  # a survey that found a head
    voxels = int(np.count_nonzero(mask))
    if voxels == 0:
        return {
            "quality": None,
            "warnings": [
                "The model found no skin, although the volume looks like a head with a skin layer."
            ],
        }
    inner_edge = mask & head & ndi.binary_dilation(head & ~mask)
    thickness = depth[inner_edge]
    surface = head & ndi.binary_dilation(~head)
    coverage = float(np.count_nonzero(surface & mask)) / max(int(np.count_nonzero(surface)), 1)
    labels, pieces = ndi.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
    largest = int(np.bincount(labels.ravel())[1:].max())
    outside = float(np.count_nonzero(mask & ~head)) / voxels
    del labels

    quality: dict[str, Any] = {
        "thickness_mm": None,
        "surface_coverage": round(coverage, 3),
        "components": int(pieces),
        "largest_component_share": round(largest / voxels, 3),
        "outside_head_share": round(outside, 3),
    }
    warnings = []
    if len(thickness):
        median, p5, p95 = (float(v) for v in np.percentile(thickness, [50, 5, 95]))
        quality["thickness_mm"] = {
            "median": round(median, 2),
            "p5": round(p5, 2),
            "p95": round(p95, 2),
        }
        low, high = SKIN_THICKNESS_MM
        if not low <= median <= high:
            warnings.append(
                f"The skin is {median:.1f} mm thick (median), outside the {low:g}-{high:g} mm "
                f"that skin and the fat under it measure on a head."
            )
    else:
        warnings.append("The mask has no inner edge inside the head, so its thickness is unknown.")
    if coverage < MIN_COVERAGE:
        warnings.append(
            f"The mask covers only {coverage:.0%} of the head's surface; skin covers nearly all "
            f"of it."
        )
    if largest / voxels < MIN_LARGEST_SHARE:
        warnings.append(
            f"The mask falls into {pieces} separate pieces, the largest holding only "
            f"{largest / voxels:.0%} of it; the skin of a head is one connected layer."
        )
    if outside > MAX_OUTSIDE_SHARE:
        warnings.append(f"{outside:.0%} of the mask lies in the air around the head, not on it.")
    return {"quality": quality, "warnings": warnings}
