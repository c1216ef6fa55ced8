"""OpenVINO's compiled graphs are cached beside the graph, in a folder per OpenVINO version;
what other versions wrote (their folders, the blobs of the older flat layout) is removed
when a graph is compiled, also by two workers compiling at once. On a real ONNX detector."""

from __future__ import annotations

import logging
import multiprocessing
import shutil
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

ov = pytest.importorskip("openvino")

from modelgallery.vision.runtimes import openvino as ov_runtime  # noqa: E402
from modelgallery.vision.runtimes.openvino import OpenVinoNet  # noqa: E402
from tests.conftest import MIRROR  # noqa: E402

DETECTOR = MIRROR / "face_detection_yunet.onnx"


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    if not DETECTOR.is_file():
        pytest.fail(f"the shared model mirror lacks {DETECTOR.name} at {MIRROR}")
    return Path(shutil.copy(DETECTOR, tmp_path / DETECTOR.name))


def _stale_entries(cache: Path, files: int = 3) -> list[Path]:
    """What older OpenVINO versions left: a version folder, and loose blobs of the flat
    layout, read-only as OpenVINO writes them."""
    old = cache / "2024.6.0-17404-4c0f47d2335-releases-2024-6"
    old.mkdir(parents=True)
    loose = [cache / f"{n}98765.blob" for n in range(files)]
    for path in [*(old / f"{n}12345.blob" for n in range(files)), *loose]:
        path.write_bytes(b"compiled by another version")
        path.chmod(0o440)
    return [old, *loose]


def _from_cache(net: OpenVinoNet) -> bool:
    return bool(net._request.get_compiled_model().get_property("LOADED_FROM_CACHE"))


def test_other_versions_entries_go_and_the_current_ones_are_kept_and_read_back(
    graph: Path,
) -> None:
    cache = graph.parent / ".openvino-cache"
    stale = _stale_entries(cache)
    first = OpenVinoNet(graph, threads=1)
    assert not _from_cache(first)
    assert not any(path.exists() for path in stale)
    [folder] = cache.iterdir()  # the running version's, named by it
    assert folder.is_dir() and folder.name.startswith(ov.get_version().split("/")[0])
    blobs = sorted(folder.glob("*.blob"))
    assert len(blobs) == 1
    second = OpenVinoNet(graph, threads=1)  # another worker, or the next start
    assert _from_cache(second)
    assert sorted(folder.glob("*.blob")) == blobs and list(cache.iterdir()) == [folder]


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _compile_after(barrier: Barrier, graph: Path) -> None:
    """One worker process: compile when the other does; exit 1 on any warning (a removal
    that failed for another reason than the other worker having removed it first)."""
    warned = _Warnings()
    logging.getLogger(ov_runtime.__name__).addHandler(warned)
    barrier.wait()
    net = OpenVinoNet(graph, threads=1)
    raise SystemExit(1 if warned.records or "CACHE_DIR" not in net._config else 0)


def test_two_workers_compiling_at_once_both_remove_stale_entries_safely(graph: Path) -> None:
    cache = graph.parent / ".openvino-cache"
    stale = _stale_entries(cache, files=300)  # long enough for the two to overlap
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_compile_after, args=(barrier, graph)) for _ in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert not any(path.exists() for path in stale)
    [folder] = cache.iterdir()
    assert len(list(folder.glob("*.blob"))) == 1  # written once, or the same entry twice


def test_removing_what_another_worker_removed_first_is_not_an_error(tmp_path: Path) -> None:
    ov_runtime._remove(tmp_path / "gone")
    ov_runtime._remove(tmp_path / "gone.blob")
    assert list(tmp_path.iterdir()) == []
