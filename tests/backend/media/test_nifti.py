"""NIfTI validation and reading (`media/nifti.py`) and mask writing (`vision/pipelines/volume.py`),
on the Colin27 sample and on damaged or unusual files made here."""

from __future__ import annotations

import gzip
import json
import struct
import types
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from modelgallery.media import nifti
from modelgallery.media.check import check
from modelgallery.media.sniff import MediaError
from modelgallery.vision.model import InputItem
from modelgallery.vision.pipelines.volume import save_mask
from tests.conftest import SAMPLES

CH2 = SAMPLES / "ch2.nii.gz"

# byte offsets in a NIfTI-1 header
DIM = 40  # int16[8]
DATATYPE = 70  # int16
PIXDIM = 76  # float32[8]


def write_nifti(path: Path, data: np.ndarray, zooms=(1.0, 1.0, 1.0), patch=None) -> Path:
    """Save with nibabel, optionally patch header bytes (nibabel would otherwise rewrite
    fields such as pixdim from the affine), and gzip when the name ends in .gz."""
    plain = path.with_name(path.name.removesuffix(".gz"))
    affine = np.diag([*zooms, 1.0])
    affine[:3, 3] = [-10.0, -20.0, -30.0]
    nib.save(nib.Nifti1Image(data, affine), str(plain))
    raw = bytearray(plain.read_bytes())
    if patch:
        patch(raw)
    if path.name.endswith(".gz"):
        plain.unlink()
        path.write_bytes(gzip.compress(bytes(raw)))
    else:
        path.write_bytes(bytes(raw))
    return path


def refused(path: Path) -> str:
    with pytest.raises(MediaError) as caught:
        nifti.validate_nifti(path)
    return str(caught.value)


def test_colin27_validates_and_reads_like_nibabel() -> None:
    info = nifti.validate_nifti(CH2)
    assert info.shape == (181, 217, 181)
    assert info.voxel_size_mm == (1.0, 1.0, 1.0)
    assert info.dtype == "uint8"
    assert (info.n_volumes, info.is_4d, info.format, info.compressed) == (1, False, "NIfTI-1", True)

    volume = nifti.read_volume(CH2)
    reference = nib.load(str(CH2))
    assert volume.data.dtype == np.float32
    assert np.array_equal(volume.data, np.asarray(reference.dataobj, dtype=np.float32))
    assert np.allclose(volume.affine, reference.affine)


def test_the_name_does_not_matter(tmp_path: Path) -> None:
    """Uploads are checked as `upload-0.part`: content decides, not the extension."""
    renamed = tmp_path / "upload-0.part"
    renamed.write_bytes(CH2.read_bytes())
    assert nifti.validate_nifti(renamed).shape == (181, 217, 181)
    plain = write_nifti(tmp_path / "small.nii", np.ones((8, 9, 10), dtype=np.int16))
    (tmp_path / "other.part").write_bytes(plain.read_bytes())
    info = nifti.validate_nifti(tmp_path / "other.part")
    assert (info.shape, info.compressed, info.dtype) == ((8, 9, 10), False, "int16")


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    cut = tmp_path / "cut.nii.gz"
    data = CH2.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    message = refused(cut)
    assert "damaged" in message and "cut short" in message


def test_corrupt_gzip_checksum_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nii.gz"
    data = CH2.read_bytes()
    bad.write_bytes(data[:-8] + b"\0" * 8)  # the CRC and length of the gzip trailer
    assert "damaged" in refused(bad)


def test_file_cut_inside_the_header_is_refused(tmp_path: Path) -> None:
    path = write_nifti(tmp_path / "head.nii", np.ones((4, 4, 4), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:200])
    assert "ends inside its header" in refused(path)


def test_header_of_a_hdr_img_pair_is_refused(tmp_path: Path) -> None:
    def pair(raw: bytearray) -> None:
        raw[344:348] = b"ni1\0"

    path = write_nifti(tmp_path / "pair.nii", np.ones((4, 4, 4), np.uint8), patch=pair)
    assert "without its data (a .hdr/.img pair)" in refused(path)


def test_uncompressed_file_shorter_than_its_header_says(tmp_path: Path) -> None:
    path = write_nifti(tmp_path / "short.nii", np.ones((20, 20, 20), dtype=np.float32))
    path.write_bytes(path.read_bytes()[:-1000])
    message = refused(path)
    assert "incomplete" in message and "32,000 bytes" in message


def test_garbage_data_with_nan_and_inf_is_refused(tmp_path: Path) -> None:
    path = write_nifti(tmp_path / "garbage.nii", np.zeros((32, 32, 32), dtype=np.float32))
    raw = path.read_bytes()
    noise = np.random.default_rng(0).bytes(32 * 32 * 32 * 4)
    path.write_bytes(raw[:352] + noise)
    assert "NaN or infinite" in refused(path)


def test_nan_values_are_refused(tmp_path: Path) -> None:
    data = np.ones((10, 10, 10), dtype=np.float32)
    data[3, 4, 5] = np.nan
    data[1, 1, 1] = np.inf
    path = write_nifti(tmp_path / "nan.nii.gz", data)
    assert refused(path) == "The NIfTI data holds 2 voxels that are NaN or infinite."


@pytest.mark.parametrize("size", [float("nan"), 0.0, -1.0, float("inf")])
def test_bad_voxel_sizes_are_refused(tmp_path: Path, size: float) -> None:
    def patch(raw: bytearray) -> None:
        struct.pack_into("<f", raw, PIXDIM + 4 * 2, size)  # pixdim[2]: the y voxel size

    path = write_nifti(tmp_path / "vox.nii.gz", np.ones((8, 8, 8), dtype=np.uint8), patch=patch)
    message = refused(path)
    assert "invalid voxel sizes" in message and "positive" in message


def test_voxel_sizes_are_converted_to_mm(tmp_path: Path) -> None:
    def in_meters(raw: bytearray) -> None:
        raw[123] = 1  # xyzt_units: NIFTI_UNITS_METER

    path = write_nifti(
        tmp_path / "m.nii", np.ones((8, 8, 8), np.uint8), (0.001, 0.001, 0.002), in_meters
    )
    assert nifti.validate_nifti(path).voxel_size_mm == pytest.approx((1.0, 1.0, 2.0))


def test_a_2d_image_is_refused(tmp_path: Path) -> None:
    path = write_nifti(tmp_path / "flat.nii.gz", np.ones((64, 64), dtype=np.uint8))
    assert refused(path) == "The NIfTI file holds a 2D image (64×64); a 3D volume is needed."
    single = write_nifti(tmp_path / "slice.nii.gz", np.ones((64, 64, 1), dtype=np.uint8))
    assert "2D image (64×64×1)" in refused(single)


def test_five_dimensions_are_refused(tmp_path: Path) -> None:
    path = write_nifti(tmp_path / "5d.nii", np.ones((4, 4, 4, 2, 3), dtype=np.uint8))
    assert "5 dimensions" in refused(path)


def test_unsupported_data_types_are_refused(tmp_path: Path) -> None:
    path = write_nifti(tmp_path / "complex.nii", np.ones((4, 4, 4), dtype=np.complex64))
    assert "data type 'complex64' is not supported" in refused(path)


def test_oversized_declared_shape_is_refused_before_reading(tmp_path: Path) -> None:
    def huge(raw: bytearray) -> None:
        struct.pack_into("<4h", raw, DIM, 3, 1000, 1000, 1000)

    path = write_nifti(tmp_path / "huge.nii.gz", np.ones((4, 4, 4), np.uint8), patch=huge)
    assert "too large (1000×1000×1000)" in refused(path)

    def many(raw: bytearray) -> None:  # each axis allowed, the product not
        struct.pack_into("<4h", raw, DIM, 3, 512, 512, 512)

    path = write_nifti(tmp_path / "many.nii", np.ones((4, 4, 4), np.uint8), patch=many)
    assert "134,217,728 voxels" in refused(path)


def test_empty_dimension_is_refused(tmp_path: Path) -> None:
    def empty(raw: bytearray) -> None:
        struct.pack_into("<4h", raw, DIM, 3, 8, 0, 8)

    path = write_nifti(tmp_path / "empty.nii", np.ones((8, 8, 8), np.uint8), patch=empty)
    assert "empty" in refused(path)


def test_text_named_nii_gz_is_not_nifti(tmp_path: Path) -> None:
    text = tmp_path / "notes.nii.gz"
    text.write_text("patient notes, not a scan\n" * 20)
    assert refused(text) == "The file is not a NIfTI volume (.nii or .nii.gz)."
    zipped = tmp_path / "text.nii.gz"
    zipped.write_bytes(gzip.compress(b"not a header" * 100))
    assert "gzip file, but what it holds is not a NIfTI volume" in refused(zipped)


def test_media_check_runs_the_nifti_validation(tmp_path: Path) -> None:
    """The API's content check (media.check) now decodes volumes too."""
    found = check(CH2, ["nifti"])
    assert found.media_type == "application/x-nifti+gzip"
    cut = tmp_path / "upload-0.part"
    cut.write_bytes(CH2.read_bytes()[:100_000])
    with pytest.raises(MediaError, match="cut short"):
        check(cut, ["nifti"])


def test_mask_keeps_the_input_header(tmp_path: Path) -> None:
    volume = nifti.read_volume(CH2)
    mask = volume.data > 100
    save_mask(mask, volume, tmp_path / "mask.nii.gz", "skin")
    written = nib.load(str(tmp_path / "mask.nii.gz"))
    original = nib.load(str(CH2))
    assert written.shape == original.shape
    assert np.allclose(written.affine, original.affine)
    for field in ("qform_code", "sform_code", "quatern_b", "quatern_c", "quatern_d", "srow_x"):
        assert np.array_equal(written.header[field], original.header[field]), field
    assert np.array_equal(written.header["pixdim"][:4], original.header["pixdim"][:4])
    assert written.get_data_dtype() == np.uint8
    assert np.array_equal(np.asarray(written.dataobj), mask.astype(np.uint8))
    with pytest.raises(ValueError, match="shape"):
        save_mask(mask[1:], volume, tmp_path / "bad.nii.gz", "skin")


def test_4d_series_uses_the_first_volume_and_says_so(tmp_path: Path) -> None:
    """A 4D series: validated whole, the first volume segmented, the summary says so."""
    from modelgallery.vision.families.skin_classical import ClassicalSkinSegmenter

    sizes = np.array([1.5, 1.5, 2.0], dtype=np.float32).reshape(3, 1, 1, 1)
    grid = np.mgrid[:96, :100, :72].astype(np.float32) * sizes  # in mm
    centre = np.array([48, 50, 36], dtype=np.float32).reshape(3, 1, 1, 1) * sizes
    radius = np.sqrt(((grid - centre) ** 2).sum(axis=0))
    # a round head 130 mm across in the air: skin and fat (bright), skull (dark), brain
    # (the skin model checks that the volume looks like that: see test_skin_checks.py)
    head = np.select([radius < 52, radius < 59, radius < 65], [90.0, 30.0, 200.0], 0.0)
    head = head.astype(np.float32)
    series = np.stack([head, head * 0, head * 0.5], axis=-1)  # volumes 2 and 3 differ
    path = write_nifti(tmp_path / "series.nii.gz", series, zooms=(1.5, 1.5, 2.0))

    info = nifti.validate_nifti(path)
    assert (info.shape, info.n_volumes, info.is_4d) == ((96, 100, 72, 3), 3, True)
    assert np.array_equal(nifti.read_volume(path).data, head)

    model = ClassicalSkinSegmenter(types.SimpleNamespace(name="skin", weight_paths=[]))
    model.load()
    params = {name: p.default for name, p in model.params.items()}
    item = InputItem(path, "series.nii.gz", "application/x-nifti+gzip", "nifti")
    out = tmp_path / "out"
    out.mkdir()
    seen: list[float] = []
    result = model.predict([item], params, out, lambda fraction, message: seen.append(fraction))

    summary = json.loads((out / "skin_stats.json").read_text())
    assert summary == json.loads(json.dumps(result.summary))
    assert (
        summary["note"]
        == "The file is a 4D series of 3 volumes; only the first volume was segmented."
    )
    assert summary["input_shape"] == [96, 100, 72, 3] and summary["shape"] == [96, 100, 72]
    assert summary["voxel_size_mm"] == [1.5, 1.5, 2.0]
    mask = nib.load(str(out / "skin_mask.nii.gz"))
    assert mask.shape == (96, 100, 72)
    assert np.allclose(mask.affine, nib.load(str(path)).affine)
    voxels = int(np.count_nonzero(np.asarray(mask.dataobj)))
    assert summary["voxels"] == voxels > 0
    assert summary["volume_ml"] == pytest.approx(voxels * 1.5 * 1.5 * 2.0 / 1000, abs=1e-3)
    assert not np.asarray(mask.dataobj)[48, 50, 36]  # the centre of the ball is not skin
    assert seen == sorted(seen) and seen[-1] == 1.0
