"""The skin model's checks on the real Colin27 head (ch2.nii.gz) and on volumes made from it:
its brain alone (skull-stripped here), and its every second axial slice with 2 mm in the
header (anisotropic voxels). The synthetic cases (constant, noise, too small, no air) are
in tests/backend/vision/test_skin_checks.py.

Figures measured (default parameters, 3 mm layer):
- ch2: neighbour correlation 0.984; 41 % air; head 181 × 217 mm (left-right × front-back:
  the whole field of view, which cuts the head at its sides); bright band (skin and fat)
  7.5 mm deep, dark band (skull) 13.5 mm deep at 0.27 of its intensity; skin thickness
  median 2.83 mm (5th-95th percentile 2.24-3.0 mm), 100 % of the head's surface covered,
  one connected piece; no warnings.
- every second slice (1 × 1 × 2 mm): the same sizes and band; thickness median 2.83 mm
  (2.0-3.0 mm), 281 mL against 286 mL.
- the brain alone (1656 mL, 147 × 183 mm): no skin layer; the shell medians rise from 52 at
  its surface to 97 at 15 mm deep, with no dip; no mask written."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage as ndi

from modelgallery.vision.families.skin_classical import ClassicalSkinSegmenter
from modelgallery.vision.model import InputItem, Result
from tests.acceptance.test_skin import CH2, outside_air

pytestmark = pytest.mark.slow


def largest(mask: np.ndarray) -> np.ndarray:
    labels, _ = ndi.label(mask)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    found: np.ndarray = labels == sizes.argmax()
    return found


def brain_of(data: np.ndarray) -> np.ndarray:
    """Colin27's brain, simply: tissue between the dark CSF and the bright fat, eroded by
    6 voxels so that it comes apart from the scalp and the neck where the skull is thin,
    its largest piece grown back by 7 voxels within what is not dark, holes filled."""
    tissue = (data > 55) & (data < 170)
    core = largest(ndi.binary_erosion(tissue, iterations=6))
    brain = largest(ndi.binary_dilation(core, iterations=7) & (data > 30))
    filled: np.ndarray = ndi.binary_fill_holes(brain)
    return filled


def skull_stripped(path: Path) -> Path:
    """ch2 with everything outside its brain set to 0, as skull-stripping tools write it."""
    image = nib.load(str(CH2))
    data = np.asarray(image.dataobj, dtype=np.float32)
    brain = brain_of(data)
    nib.save(nib.Nifti1Image(np.where(brain, data, 0).astype(np.float32), image.affine), path)
    return path


def segment(path: Path, outdir: Path) -> Result:
    model = ClassicalSkinSegmenter(types.SimpleNamespace(name="skin", weight_paths=[]))
    model.load()
    params = {name: p.default for name, p in model.params.items()}
    outdir.mkdir(exist_ok=True)
    item = InputItem(path, path.name, "application/gzip", "nifti")
    return model.predict([item], params, outdir, lambda fraction, message: None)


def show(name: str, summary: dict[str, Any]) -> None:
    keys = ("skin_found", "finding", "volume_ml", "checks", "quality", "warnings")
    print(f"\n[skin checks] {name}: " + str({k: summary.get(k) for k in keys}))


@pytest.fixture(scope="module")
def ch2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    summary = segment(CH2, tmp_path_factory.mktemp("ch2")).summary
    show("ch2", summary)
    return summary


def test_the_real_head_passes_and_its_skin_is_plausible(ch2: dict[str, Any]) -> None:
    assert ch2["skin_found"] is True and ch2["warnings"] == []
    checks = ch2["checks"]
    assert checks["neighbour_correlation"] > 0.9
    assert 0.3 < checks["background_share"] < 0.6
    assert 140 <= checks["head_size_mm"]["left-right"] <= 190
    assert 170 <= checks["head_size_mm"]["front-back"] <= 220
    band = checks["skin_band"]
    assert band["dark_to_bright"] < 0.4 and band["bright_depth_mm"] < band["dark_depth_mm"]
    quality = ch2["quality"]
    thickness = quality["thickness_mm"]
    assert 2.5 <= thickness["median"] <= 3.0 and thickness["p95"] <= 3.0
    assert quality["surface_coverage"] > 0.95
    assert quality["components"] == 1 and quality["outside_head_share"] == 0.0


def test_every_second_slice_gives_the_same_measures_in_mm(
    ch2: dict[str, Any], tmp_path: Path
) -> None:
    image = nib.load(str(CH2))
    affine = image.affine.copy()
    affine[:, 2] *= 2  # the slices that are left are 2 mm apart
    data = np.asarray(image.dataobj, dtype=np.float32)[:, :, ::2]
    path = tmp_path / "coarse.nii.gz"
    nib.save(nib.Nifti1Image(data, affine), path)
    summary = segment(path, tmp_path / "out").summary
    show("every second slice", summary)
    assert summary["voxel_size_mm"] == [1.0, 1.0, 2.0]
    assert summary["skin_found"] is True and summary["warnings"] == []
    assert summary["checks"]["head_size_mm"] == ch2["checks"]["head_size_mm"]
    assert summary["checks"]["skin_band"] == ch2["checks"]["skin_band"]
    median = summary["quality"]["thickness_mm"]["median"]
    assert median == pytest.approx(ch2["quality"]["thickness_mm"]["median"], abs=0.3)
    assert summary["quality"]["surface_coverage"] > 0.95
    assert summary["volume_ml"] == pytest.approx(ch2["volume_ml"], rel=0.05)


def test_a_skull_stripped_brain_has_no_skin(tmp_path: Path) -> None:
    path = skull_stripped(tmp_path / "brain.nii.gz")
    data = np.asarray(nib.load(str(path)).dataobj, dtype=np.float32)
    brain = data > 0
    # the brain really is stripped: all of it lies deep under the original head's surface
    original = np.asarray(nib.load(str(CH2)).dataobj, dtype=np.float32)
    air = outside_air(original)
    under_surface = ndi.distance_transform_edt(~air)
    print(f"\n[skin checks] brain: {brain.sum() / 1000:.0f} mL")
    for z in range(20, 161, 20):
        head = int(np.count_nonzero(~air[:, :, z]))
        print(f"  axial slice {z}: brain {int(brain[:, :, z].sum())} voxels of {head} in the head")
    assert 1200 < brain.sum() / 1000 < 2000
    assert under_surface[brain].min() >= 8  # no scalp: 8 mm and more under the skin

    result = segment(path, tmp_path / "out")
    show("skull-stripped brain", result.summary)
    summary = result.summary
    assert summary["skin_found"] is False
    assert summary["finding"].startswith("No skin layer found: the volume looks skull-stripped")
    assert "skin_band" not in summary["checks"] and "quality" not in summary
    assert {a.name for a in result.artifacts} == {"skin_preview.jpg", "skin_stats.json"}
    assert not (tmp_path / "out" / "skin_mask.nii.gz").exists()
