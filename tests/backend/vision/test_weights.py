"""Fetching model weights from a mirror (a local folder or a URL prefix), always checked
against the registry's sha256; then `fetch-models` and a server that loads the model."""

from __future__ import annotations

import functools
import hashlib
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
from modelgallery.vision.weights import FetchError, fetch_spec, sha256_of
from tests.support.jobs import submit
from tests.support.server import REPO, TOY_REGISTRY, BackendServer

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
