"""Skin segmentation on the Colin27 head MRI (ch2.nii.gz): the classical model in process,
the U-Net trained here by the repository's own script, and both through the real backend.

Figures measured on Colin27 (1 mm, 181×217×181), default parameters (3 mm shell):
286 mL of skin (286,325 voxels); 99.9 % of mask voxels within 3 mm of the outside air and
100 % within 4 mm; 92 % of the head's surface voxels covered (the rest is where the closing
bridges narrow folds such as the nostrils, so the surface there lies deeper than 3 mm);
rays from the head's centre meet the mask in 94 % of axial directions (the head touches the
left/right border of the field of view, where no skin is drawn along the cut) and 100 % of
upward directions; nothing within 40 mm of the centre. The U-Net, trained 2 epochs at
128 px on these slices with classical labels, reaches a Dice of about 0.77 with the
classical mask at full resolution."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import tomllib
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nibabel as nib
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage as ndi

from modelgallery.vision.families.skin_classical import ClassicalSkinSegmenter
from modelgallery.vision.model import InputItem
from modelgallery.vision.registry import RegistryError, load_registry
from tests.conftest import SAMPLES
from tests.support.jobs import submit
from tests.support.server import ONE_WORKER_EACH, REPO, BackendServer

pytestmark = pytest.mark.slow

CH2 = SAMPLES / "ch2.nii.gz"
REGISTRY = REPO / "models" / "models.toml"
OUR_MODELS = ("skin-segmentation", "skin-unet")
THICKNESS_MM = 3.0
UNET_DICE_MIN = 0.5  # measured 0.77; an all-head mask scores 0.13, a shell off by 3 mm ~0.
ARTIFACTS = {"skin_mask.nii.gz", "skin_preview.jpg", "skin_stats.json"}


@dataclass
class ClassicalRun:
    outdir: Path
    summary: dict[str, Any]
    mask: np.ndarray
    seconds: float


def toml_tables(tables: dict[str, dict[str, Any]]) -> str:
    """Enough of a TOML writer for registry tables (strings, numbers, booleans, lists and
    inline tables)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(i) for i in v) + "]"
        return "{ " + ", ".join(f"{k} = {value(i)}" for k, i in v.items()) + " }"

    lines = []
    for name, table in tables.items():
        lines.append(f"[models.{name}]")
        lines += [f"{key} = {value(v)}" for key, v in table.items()]
        lines.append("")
    return "\n".join(lines)


def our_registry(path: Path, changes: dict[str, dict[str, Any]] | None = None) -> Path:
    """Our tables as they stand in models/models.toml, with `changes` per model."""
    tables = tomllib.loads(REGISTRY.read_text())["models"]
    ours = {name: tables[name] | (changes or {}).get(name, {}) for name in OUR_MODELS}
    path.write_text(toml_tables(ours))
    return path


def ch2_reference() -> nib.Nifti1Image:
    return nib.load(str(CH2))


def outside_air(data: np.ndarray) -> np.ndarray:
    """An independent definition of "outside the head": dark voxels (below 5 % of the
    98th percentile) connected to the border of the volume."""
    dark = data < 0.05 * np.percentile(data, 98)
    labels, _ = ndi.label(dark)
    border = np.unique(np.concatenate([labels.take([0, -1], axis=a).ravel() for a in range(3)]))
    return np.isin(labels, border[border > 0])


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * np.count_nonzero(a & b) / max(np.count_nonzero(a) + np.count_nonzero(b), 1)


@pytest.fixture(scope="module")
def classical(tmp_path_factory: pytest.TempPathFactory) -> ClassicalRun:
    """The registry's default skin model, in process, on ch2."""
    folder = tmp_path_factory.mktemp("skin-classical")
    registry = load_registry(our_registry(folder / "models.toml"), folder / "models")
    spec = registry.models["skin-segmentation"]
    assert spec.enabled and spec.group == "cpu" and spec.legacy_route == "skinseg"
    assert not registry.models["skin-unet"].enabled  # until someone trains weights
    model = ClassicalSkinSegmenter(spec)
    model.load()
    model.warmup()
    params = {name: p.default for name, p in spec.params.items()}
    item = InputItem(CH2, "ch2.nii.gz", "application/x-nifti+gzip", "nifti")
    outdir = folder / "out"
    outdir.mkdir()
    messages: list[tuple[float, str]] = []
    started = time.perf_counter()
    result = model.predict([item], params, outdir, lambda f, m: messages.append((f, m)))
    seconds = time.perf_counter() - started
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(messages) >= 8
    assert {a.name for a in result.artifacts} == ARTIFACTS
    mask = np.asarray(nib.load(str(outdir / "skin_mask.nii.gz")).dataobj) > 0
    print(
        f"\n[skin] classical on ch2: {result.summary['segment_ms'] / 1000:.2f} s segmentation, "
        f"{seconds:.2f} s with reading and writing; {result.summary['volume_ml']} mL; "
        f"peak RSS of this process {result.summary['worker_peak_rss_mb']} MB"
    )
    return ClassicalRun(outdir, result.summary, mask, seconds)


def test_classical_mask_has_the_input_geometry(classical: ClassicalRun) -> None:
    written = nib.load(str(classical.outdir / "skin_mask.nii.gz"))
    reference = ch2_reference()
    assert written.shape == reference.shape == (181, 217, 181)
    assert np.allclose(written.affine, reference.affine)
    assert nib.aff2axcodes(written.affine) == nib.aff2axcodes(reference.affine)
    assert int(written.header["sform_code"]) == int(reference.header["sform_code"])
    assert written.get_data_dtype() == np.uint8
    assert set(np.unique(np.asarray(written.dataobj))) == {0, 1}


def test_classical_mask_lies_on_the_head_surface(classical: ClassicalRun) -> None:
    data = np.asarray(ch2_reference().dataobj, dtype=np.float32)
    mask = classical.mask
    air = outside_air(data)
    head = ~air
    depth = ndi.distance_transform_edt(~air)  # mm from the outside air (1 mm voxels)

    # the mask is a layer at the surface: measured 99.9 % within 3 mm, 100 % within 4 mm
    assert np.mean(depth[mask] <= THICKNESS_MM + 0.01) >= 0.98
    assert np.mean(depth[mask] <= THICKNESS_MM + 1) >= 0.999
    # and it covers the surface: head voxels touching the air (measured 92 %)
    surface = head & ndi.binary_dilation(air)
    assert mask[surface].mean() >= 0.85

    # the brain is not in it: nothing within 40 mm of the head's centre
    where = np.argwhere(head)
    centre = (where.min(axis=0) + where.max(axis=0)) // 2
    grid = np.ogrid[tuple(slice(0, n) for n in mask.shape)]
    ball = sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) <= 40**2
    assert not mask[tuple(centre)] and not mask[ball].any()

    # a shell around it: skin on every axial slice through the head, and rays from the
    # centre meet it in most directions (measured 94 % axial, 100 % upward)
    through_head = [z for z in range(mask.shape[2]) if head[:, :, z].sum() > 500]
    assert len(through_head) > 150
    assert all(mask[:, :, z].any() for z in through_head)
    assert rays_hitting(mask, centre, axial=True) >= 0.9
    assert rays_hitting(mask, centre, axial=False) >= 0.98

    # a plausible volume: ~900 cm² of head, face and upper neck × 0.3 cm ≈ 270 mL
    assert 150 <= classical.summary["volume_ml"] <= 450


def rays_hitting(mask: np.ndarray, centre: np.ndarray, axial: bool) -> float:
    """The share of rays from `centre` that meet the mask before leaving the volume: in the
    axial plane (360 directions) or over the upper hemisphere (400 random directions)."""
    if axial:
        angles = np.linspace(0, 2 * np.pi, 360, endpoint=False)
        directions = np.stack([np.cos(angles), np.sin(angles), np.zeros_like(angles)], axis=1)
    else:
        directions = np.random.default_rng(0).normal(size=(400, 3))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        directions[:, 2] = np.abs(directions[:, 2])
    steps = np.arange(0, 300, 0.5)
    hits = 0
    for direction in directions:
        points = np.round(centre + steps[:, None] * direction).astype(int)
        inside = np.all((points >= 0) & (points < mask.shape), axis=1)
        points = points[inside]
        hits += bool(mask[points[:, 0], points[:, 1], points[:, 2]].any())
    return hits / len(directions)


def test_classical_preview_and_statistics(classical: ClassicalRun) -> None:
    with Image.open(classical.outdir / "skin_preview.jpg") as preview:
        assert preview.format == "JPEG"
        pixels = np.asarray(preview.convert("RGB"), dtype=np.int16)
    # three panels, separated by two white bands (columns all near white)
    white = np.all(pixels > 235, axis=(0, 2))
    bands = np.count_nonzero(np.diff(white.astype(np.int8)) == 1)
    assert bands == 2, f"{bands} separators"
    reddish = (pixels[..., 0] > 150) & (pixels[..., 1] < 100) & (pixels[..., 2] < 100)
    assert reddish.sum() > 1000  # the mask is drawn

    stats = json.loads((classical.outdir / "skin_stats.json").read_text())
    voxels = int(np.count_nonzero(classical.mask))
    assert stats["voxels"] == voxels
    assert stats["volume_ml"] == pytest.approx(voxels * 1.0 / 1000, abs=1e-3)
    assert stats["shape"] == [181, 217, 181] and stats["voxel_size_mm"] == [1.0, 1.0, 1.0]
    assert stats["orientation"] == "RAS"
    axial = int(np.count_nonzero(classical.mask.any(axis=(0, 1))))
    assert stats["slices_with_skin"]["axial"] == axial
    assert stats["model"] == "skin-segmentation" and stats["method"].startswith("classical")
    assert stats["params"]["thickness_mm"] == THICKNESS_MM
    assert "note" not in stats  # a 3D volume
    assert stats["skin_found"] is True and stats["warnings"] == []  # see test_skin_checks.py


def test_any_storage_orientation_gives_the_same_skin(
    classical: ClassicalRun, tmp_path: Path
) -> None:
    """ch2 stored as ILA (axes swapped and flipped, the affine saying so): the mask follows
    the file's own voxel order and affine, and the skin and the preview are the same."""
    order = np.array([[1, -1], [2, 1], [0, -1]])  # input axis → output axis, flipped?
    turned = ch2_reference().as_reoriented(order)
    assert nib.aff2axcodes(turned.affine) == ("I", "L", "A")
    nib.save(turned, str(tmp_path / "ila.nii.gz"))
    model = ClassicalSkinSegmenter(types.SimpleNamespace(name="skin", weight_paths=[]))
    model.load()
    params = {name: p.default for name, p in model.params.items()}
    item = InputItem(tmp_path / "ila.nii.gz", "ila.nii.gz", "application/x-nifti+gzip", "nifti")
    result = model.predict([item], params, tmp_path, lambda fraction, message: None)

    written = nib.load(str(tmp_path / "skin_mask.nii.gz"))
    assert written.shape == (181, 181, 217) and np.allclose(written.affine, turned.affine)
    expected = nib.orientations.apply_orientation(classical.mask, order)
    assert np.array_equal(np.asarray(written.dataobj) > 0, expected)
    assert result.summary["orientation"] == "ILA"
    assert result.summary["slices_with_skin"] == classical.summary["slices_with_skin"]
    with (
        Image.open(tmp_path / "skin_preview.jpg") as turned_preview,
        Image.open(classical.outdir / "skin_preview.jpg") as preview,
    ):
        assert np.array_equal(np.asarray(turned_preview), np.asarray(preview))


@pytest.fixture(scope="module")
def unet_weights(tmp_path_factory: pytest.TempPathFactory, classical: ClassicalRun) -> Path:
    """Weights trained by the repository's script: 2 epochs on ch2's axial slices at 128 px,
    labelled by the classical model (a self-training demonstration)."""
    models_dir = tmp_path_factory.mktemp("skin-models")
    out = models_dir / "skin_unet_effb0.weights.h5"
    command = [
        sys.executable,
        *("-m", "modelgallery", "train-skin-unet"),
        *("--input", str(CH2), "--labels", str(classical.outdir / "skin_mask.nii.gz")),
        *("--out", str(out), "--epochs", "2", "--input-size", "128"),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=400, cwd=REPO)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = re.search(r"final loss ([\d.]+), Dice ([\d.]+)", done.stdout)
    assert found, done.stdout
    print(f"\n[skin] U-Net training: {seconds:.1f} s, {found.group(0)}")
    assert float(found.group(2)) > UNET_DICE_MIN
    assert out.stat().st_size > 1_000_000
    return out


@pytest.mark.timeout(600)  # the first to need the weights pays for training them
def test_the_unet_on_openvino_agrees_with_tensorflow(unet_weights: Path) -> None:
    from modelgallery.media.nifti import read_volume
    from modelgallery.vision.families.skin_unet import UnetSkinSegmenter, axial_axis, to_network
    from modelgallery.vision.pipelines.volume import normalise_intensity

    registry = unet_weights.parent / "agreement.toml"
    registry.write_text(
        '[models.unet]\ntitle = "U-Net"\ntask = "skin-segmentation"\nfamily = "skin-unet"\n'
        'group = "tf"\noptions = { input_size = 128, batch_size = 4 }\n'
        f'weights = [{{ file = "{unet_weights.name}" }}]\n'
    )
    spec = load_registry(registry, unet_weights.parent).models["unet"]
    volume = read_volume(CH2)
    slices = np.moveaxis(normalise_intensity(volume.data), axial_axis(volume.affine), 0)
    middle = slices.shape[0] // 2
    batch = to_network(slices[middle - 2 : middle + 2], 128)
    maps = {}
    for runtime in ("tensorflow", "openvino"):
        model = UnetSkinSegmenter(spec.model_copy(update={"runtime": runtime}))
        model.load()
        assert model.runtime is not None and model.runtime.chosen == runtime
        maps[runtime] = np.asarray(model.network(batch))
    assert maps["openvino"].shape == maps["tensorflow"].shape == (4, 128, 128, 1)
    assert float(np.abs(maps["openvino"] - maps["tensorflow"]).max()) < 1e-3
    assert len(list(unet_weights.parent.glob("skin_unet_effb0*.128.openvino"))) == 1


def start_server(folder: Path, env: dict[str, str]) -> BackendServer:
    env = {"QUEUE_SIZE": "8", "MAX_WAIT_S": "300", **env}
    return BackendServer(folder, env).start(timeout_s=240)


@pytest.fixture(scope="module")
def skin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """The backend on the repository's models/models.toml (other teams' models show as
    unavailable without their weights); on our tables alone if that file does not load yet
    (a family module another team is writing is missing)."""
    folder = tmp_path_factory.mktemp("skin-backend")
    registry = REGISTRY
    try:
        load_registry(REGISTRY, folder / "models")
    except RegistryError as exc:
        print(f"\n[skin] models.toml does not load ({exc}); serving our tables alone")
        registry = our_registry(folder / "skin-models.toml")
    env = {"MODELS_FILE": str(registry), "MODELS_DIR": str(folder / "models")}
    server = start_server(folder, env | {"WORKER_GROUPS": ONE_WORKER_EACH})
    try:
        yield server
    finally:
        server.stop()


def test_skin_segmentation_through_the_api(
    skin_server: BackendServer, classical: ClassicalRun, tmp_path: Path
) -> None:
    content = CH2.read_bytes()
    with client(skin_server) as http:
        models = {m["name"]: m for m in http.get("/api/models").json()}
        assert models["skin-segmentation"]["state"] == "loaded", models["skin-segmentation"]
        assert "skin-unet" not in models  # disabled in the registry

        started = time.perf_counter()
        response = submit(
            http,
            "skin-segmentation",
            content,
            "ch2.nii.gz",
            wait=120,
            content_type="application/gzip",
        )
        api_s = time.perf_counter() - started
        assert response.status_code == 200, response.text
        job = response.json()
        assert job["status"] == "succeeded", job
        assert job["inputs"][0]["media_type"] == "application/x-nifti+gzip"
        artifacts = {a["name"]: a for a in job["artifacts"]}
        assert set(artifacts) == ARTIFACTS
        assert artifacts["skin_mask.nii.gz"]["role"] == "mask"

        mask = load_nifti(http.get(artifacts["skin_mask.nii.gz"]["url"]), tmp_path / "api.nii.gz")
        reference = ch2_reference()
        assert mask.shape == reference.shape and np.allclose(mask.affine, reference.affine)
        assert np.array_equal(np.asarray(mask.dataobj) > 0, classical.mask)  # deterministic
        preview = http.get(artifacts["skin_preview.jpg"]["url"])
        assert preview.headers["content-type"] == "image/jpeg"
        Image.open(io.BytesIO(preview.content)).verify()
        stats = http.get(artifacts["skin_stats.json"]["url"]).json()
        assert stats["voxels"] == job["result"]["voxels"] == classical.summary["voxels"]
        print(
            f"\n[skin] API, classical: {api_s:.2f} s end to end (upload, check, queue, model, "
            f"answer); model {job['timings']['model_ms'] / 1000:.2f} s; worker peak RSS "
            f"{stats['worker_peak_rss_mb']} MB"
        )

        # the original design's routes
        legacy = http.post("/api/predict_skinseg", files={"file": ("ch2.nii.gz", content)})
        assert legacy.status_code == 200, legacy.text
        file_name = legacy.json()["file_name"]
        assert file_name == f"{legacy.json()['id']}_skin_mask.nii.gz"
        exported = http.get(f"/api/export_skinseg/{file_name}")
        assert exported.status_code == 200
        assert load_nifti(exported, tmp_path / "legacy.nii.gz").shape == reference.shape

        # damaged and mislabelled files are refused before any job is made
        cut = submit(http, "skin-segmentation", content[: len(content) // 3], "cut.nii.gz")
        assert cut.status_code == 415, cut.text
        assert cut.json()["detail"].startswith("'cut.nii.gz': The NIfTI file is damaged")
        assert "cut short" in cut.json()["detail"]
        jpeg = (SAMPLES / "bus.jpg").read_bytes()
        named = submit(
            http, "skin-segmentation", jpeg, "scan.nii.gz", content_type="application/gzip"
        )
        assert named.status_code == 415
        assert named.json()["detail"] == (
            "'scan.nii.gz': This model takes NIfTI volumes (.nii, .nii.gz), but the file is a "
            "JPEG image."
        )
        text = submit(http, "skin-segmentation", b"hello\n" * 100, "notes.nii")
        assert text.status_code == 415 and "text file" in text.json()["detail"]


def test_volumes_without_skin_through_the_api(skin_server: BackendServer, tmp_path: Path) -> None:
    """A skull-stripped brain: the job succeeds with the finding and no mask. A constant
    volume: the job fails with a message that says why."""
    from tests.acceptance.test_skin_checks import skull_stripped

    brain = skull_stripped(tmp_path / "brain.nii.gz").read_bytes()
    blank = tmp_path / "blank.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((64, 64, 64), dtype=np.uint8), np.eye(4)), blank)
    with client(skin_server) as http:
        response = submit(
            http,
            "skin-segmentation",
            brain,
            "brain.nii.gz",
            wait=120,
            content_type="application/gzip",
        )
        job = response.json()
        assert job["status"] == "succeeded", job
        assert job["result"]["skin_found"] is False
        assert job["outcome"] == "nothing_found"  # shown as such, not as a success
        assert job["result"]["finding"].startswith("No skin layer found: the volume looks skull")
        assert {a["name"] for a in job["artifacts"]} == {"skin_preview.jpg", "skin_stats.json"}
        legacy = http.post("/api/predict_skinseg", files={"file": ("brain.nii.gz", brain)})
        assert legacy.status_code == 200, legacy.text
        assert legacy.json()["file_name"].endswith("_skin_preview.jpg")  # no mask to name

        response = submit(
            http,
            "skin-segmentation",
            blank.read_bytes(),
            "blank.nii.gz",
            wait=120,
            content_type="application/gzip",
        )
        job = response.json()
        assert job["status"] == "failed", job
        assert job["error"] == (
            "The volume is empty: every voxel has the intensity 0, so there is nothing to segment."
        )
        assert job["artifacts"] == []


@pytest.mark.timeout(600)
def test_unet_trained_here_through_the_api(
    unet_weights: Path, classical: ClassicalRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The configured deep model: the registry's skin-unet entry, enabled and pointed at the
    weights trained above, runs in a TensorFlow worker."""
    folder = tmp_path_factory.mktemp("unet-backend")
    registry = our_registry(
        folder / "unet-models.toml",
        {"skin-unet": {"enabled": True, "options": {"input_size": 128, "batch_size": 16}}},
    )
    env = {
        "MODELS_FILE": str(registry),
        "MODELS_DIR": str(unet_weights.parent),
        "WORKER_GROUPS": ONE_WORKER_EACH,
        "WORKER_THREADS": "2",
    }
    server = start_server(folder, env)
    try:
        with client(server) as http:
            state = {m["name"]: m for m in http.get("/api/models").json()}["skin-unet"]
            assert state["state"] == "loaded", state
            times = {c["name"]: c["ms"] for c in state["runtime"]["candidates"]}
            assert set(times) == {"tensorflow", "openvino"} and all(times.values()), state
            started = time.perf_counter()
            response = submit(
                http,
                "skin-unet",
                CH2.read_bytes(),
                "ch2.nii.gz",
                wait=240,
                content_type="application/gzip",
            )
            api_s = time.perf_counter() - started
            job = response.json()
            assert job["status"] == "succeeded", job
            artifacts = {a["name"]: a for a in job["artifacts"]}
            assert set(artifacts) == ARTIFACTS
            mask_file = folder / "unet.nii.gz"
            written = load_nifti(http.get(artifacts["skin_mask.nii.gz"]["url"]), mask_file)
            stats = http.get(artifacts["skin_stats.json"]["url"]).json()
    finally:
        server.stop()

    reference = ch2_reference()
    assert written.shape == reference.shape and np.allclose(written.affine, reference.affine)
    score = dice(np.asarray(written.dataobj) > 0, classical.mask)
    assert stats["weights"] == "skin_unet_effb0.weights.h5" and stats["input_size"] == 128
    print(
        f"\n[skin] API, U-Net: {api_s:.2f} s end to end; "
        f"model {job['timings']['model_ms'] / 1000:.2f} s "
        f"(segmentation {stats['segment_ms'] / 1000:.2f} s); "
        f"Dice with the classical mask {score:.3f}; "
        f"worker peak RSS {stats['worker_peak_rss_mb']} MB"
    )
    assert score > UNET_DICE_MIN


def load_nifti(response: httpx.Response, path: Path) -> nib.Nifti1Image:
    assert response.status_code == 200, response.text
    path.write_bytes(response.content)
    image = nib.load(str(path))
    image.get_fdata()  # decodes
    return image


def client(server: BackendServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=300)  # jobs here take seconds, not ms
