"""The skin models check their input and their mask (`families/skin_checks.py`), on volumes
built here: a layered head (bright skin and fat, dark skull, brain) in air at 2 mm, the same
head skull-stripped, at anisotropic voxels and cut to fill the field of view, a constant
volume, white noise and an object too small to be a head. The real Colin27 head and its
skull-stripped brain are in tests/acceptance/test_skin_checks.py."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.families.skin_checks import EmptyVolumeError, HeadSurvey, measure_skin
from modelgallery.vision.families.skin_classical import ClassicalSkinSegmenter
from modelgallery.vision.model import InputItem, Result

np = pytest.importorskip("numpy")
nib = pytest.importorskip("nibabel")
ndi = pytest.importorskip("scipy.ndimage")

SPACING = (2.0, 2.0, 2.0)
SHAPE = (100, 120, 110)  # 200 × 240 × 220 mm
RADII_MM = (75.0, 95.0, 90.0)  # a head 150 mm wide and 190 mm long
SKIN_MM, SKULL_MM = 6.0, 7.0  # skin with the fat under it, then the skull


def layered_head(skull_stripped: bool = False) -> Any:
    """Air (a little noise), skin and fat (bright), skull (dark), brain; smoothed by one
    voxel like a scan's partial volumes."""
    rng = np.random.default_rng(1)
    axes = [(np.arange(n) - (n - 1) / 2) * s for n, s in zip(SHAPE, SPACING, strict=True)]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    head = (x / RADII_MM[0]) ** 2 + (y / RADII_MM[1]) ** 2 + (z / RADII_MM[2]) ** 2 <= 1
    depth = ndi.distance_transform_edt(head, sampling=SPACING)
    data = np.where(depth > SKIN_MM + SKULL_MM, 90.0, np.where(depth > SKIN_MM, 20.0, 180.0))
    data[~head] = 0.0
    if skull_stripped:
        data[depth <= SKIN_MM + SKULL_MM] = 0.0
    data = ndi.gaussian_filter(data, 1.0) + np.abs(rng.normal(0, 3, SHAPE))
    return data.astype(np.float32)


def save(path: Path, data: Any, spacing: tuple[float, float, float] = SPACING) -> Path:
    nib.save(nib.Nifti1Image(data.astype(np.float32), np.diag([*spacing, 1.0])), str(path))
    return path


def segment(path: Path, outdir: Path, **params: Any) -> Result:
    model = ClassicalSkinSegmenter(types.SimpleNamespace(name="skin", weight_paths=[]))
    model.load()
    values = {name: p.default for name, p in model.params.items()} | params
    item = InputItem(path, path.name, "application/gzip", "nifti")
    outdir.mkdir(exist_ok=True)
    return model.predict([item], values, outdir, lambda fraction, message: None)


@pytest.fixture(scope="module")
def head_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(tmp_path_factory.mktemp("layered") / "head.nii.gz", layered_head())


@pytest.fixture(scope="module")
def head_result(head_file: Path) -> Result:
    return segment(head_file, head_file.parent / "out")


def test_a_head_with_skin_is_segmented_and_measured(head_result: Result) -> None:
    summary = head_result.summary
    assert summary["skin_found"] is True and "finding" not in summary
    assert {a.name for a in head_result.artifacts} == {
        "skin_mask.nii.gz",
        "skin_preview.jpg",
        "skin_stats.json",
    }
    checks = summary["checks"]
    assert checks["neighbour_correlation"] > 0.9
    widths = checks["head_size_mm"]  # the blur of the scan adds a voxel or two each side
    assert widths["left-right"] == pytest.approx(150, abs=8)
    assert widths["front-back"] == pytest.approx(190, abs=8)
    assert checks["skin_band"]["dark_to_bright"] < 0.3
    quality = summary["quality"]
    # the 3 mm layer at 2 mm voxels: the first voxel (2 mm) and diagonals up to 2.8 mm
    assert 2.0 <= quality["thickness_mm"]["median"] <= 3.0
    assert quality["surface_coverage"] == 1.0
    assert quality["components"] == 1 and quality["largest_component_share"] == 1.0
    assert quality["outside_head_share"] == 0.0
    assert summary["warnings"] == []


def test_anisotropic_voxels_give_the_same_measures_in_mm(head_file: Path, tmp_path: Path) -> None:
    """Every second slice, the header saying 4 mm: sizes and thickness in mm stay close (a
    5 mm layer, so that it holds at least one of the 4 mm voxels)."""
    coarse = save(tmp_path / "coarse.nii.gz", layered_head()[:, :, ::2], (2.0, 2.0, 4.0))
    summary = segment(coarse, tmp_path / "coarse", thickness_mm=5.0).summary
    fine = segment(head_file, tmp_path / "fine", thickness_mm=5.0).summary
    assert summary["skin_found"] is True and summary["warnings"] == []
    assert summary["checks"]["head_size_mm"] == fine["checks"]["head_size_mm"]
    thickness = summary["quality"]["thickness_mm"]["median"]
    assert thickness == pytest.approx(fine["quality"]["thickness_mm"]["median"], abs=0.6)
    assert summary["quality"]["surface_coverage"] > 0.95
    assert summary["volume_ml"] == pytest.approx(fine["volume_ml"], rel=0.15)


def test_a_skull_stripped_brain_has_no_skin(tmp_path: Path) -> None:
    result = segment(save(tmp_path / "brain.nii.gz", layered_head(True)), tmp_path / "out")
    summary = result.summary
    assert summary["skin_found"] is False
    assert summary["finding"].startswith("No skin layer found: the volume looks skull-stripped")
    assert "skin_band" not in summary["checks"]
    assert {a.name for a in result.artifacts} == {"skin_preview.jpg", "skin_stats.json"}
    assert not (tmp_path / "out" / "skin_mask.nii.gz").exists()  # no invented mask
    assert summary["voxels"] == 0 and "quality" not in summary
    stats = json.loads((tmp_path / "out" / "skin_stats.json").read_text())
    assert stats["finding"] == summary["finding"]


def test_a_constant_volume_is_refused(tmp_path: Path) -> None:
    path = save(tmp_path / "blank.nii.gz", np.full(SHAPE, 7.0))
    with pytest.raises(EmptyVolumeError, match="every voxel has the intensity 7"):
        segment(path, tmp_path / "out")
    assert not (tmp_path / "out" / "skin_mask.nii.gz").exists()


def test_noise_is_not_a_head(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).uniform(0, 100, SHAPE)
    summary = segment(save(tmp_path / "noise.nii.gz", noise), tmp_path / "out").summary
    assert summary["skin_found"] is False
    assert summary["finding"].startswith("No skin layer found: the volume looks like noise")
    assert abs(summary["checks"]["neighbour_correlation"]) < 0.1


def test_a_small_object_is_not_a_head(tmp_path: Path) -> None:
    data = layered_head()
    small = np.zeros_like(data)
    small[33:68, 43:78, 38:73] = data[33:68, 43:78, 38:73] + 100  # a 70 mm cube
    summary = segment(save(tmp_path / "small.nii.gz", small), tmp_path / "out").summary
    assert summary["skin_found"] is False
    assert "not the size of a head" in summary["finding"]
    assert summary["checks"]["head_size_mm"] == {"left-right": 70.0, "front-back": 70.0}


def test_a_volume_without_air_around_the_object(tmp_path: Path) -> None:
    """The middle of the head only: no background to find a surface against."""
    inside = layered_head()[30:70, 35:85, 30:80]
    summary = segment(save(tmp_path / "inside.nii.gz", inside), tmp_path / "out").summary
    assert summary["skin_found"] is False
    assert "no clear background" in summary["finding"]


def test_implausible_masks_are_warned_about() -> None:
    """The measures on hand-made masks of the layered head."""
    data = layered_head()
    head = data > 30
    head = ndi.binary_fill_holes(ndi.binary_closing(head, iterations=3))
    depth = ndi.distance_transform_edt(head, sampling=SPACING)
    survey = HeadSurvey(None, {}, head, depth)
    thin = head & (depth <= 3)

    half = thin.copy()
    half[:, : SHAPE[1] // 2 + 15] = False  # only the front of the head
    assert any("covers only" in w for w in measure_skin(half, survey)["warnings"])

    thick = head & (depth <= 20)
    measured = measure_skin(thick, survey)
    assert measured["quality"]["thickness_mm"]["median"] > 15
    assert any("mm thick (median)" in w for w in measured["warnings"])

    specks = thin & (np.random.default_rng(2).random(SHAPE) < 0.05)
    measured = measure_skin(specks, survey)
    assert measured["quality"]["components"] > 100
    assert any("separate pieces" in w for w in measured["warnings"])

    outside = ndi.binary_dilation(head, iterations=3) & ~head
    assert any("in the air" in w for w in measure_skin(outside, survey)["warnings"])

    empty = measure_skin(np.zeros(SHAPE, dtype=bool), survey)
    assert empty["quality"] is None and "found no skin" in empty["warnings"][0]
