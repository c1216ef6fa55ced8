"""What a worker node serves (`modelgallery worker --groups/--models`), and the settings
the distributed mode needs: refused at start with a sentence naming what is missing. How a
node process adopts a change to its models in place (a version made live, an unload), keeps
the older version for the jobs submitted to it, and restarts only when it must."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from modelgallery.core.settings import Settings
from modelgallery.jobs.distributed.cluster import RESTARTS, UNLOADED
from modelgallery.jobs.distributed.node import NodeSelectionError, hosted
from modelgallery.jobs.held import OLDER_KEPT, HeldModels
from modelgallery.jobs.lifecycle.executor import ModelState
from modelgallery.jobs.runner import ModelReport
from modelgallery.store.records import Job
from modelgallery.vision.registry import ModelSpec, Registry, load_registry
from modelgallery.vision.spec import WeightFile
from tests.support.node_models import eventually, node_models
from tests.support.server import REPO, TOY_REGISTRY


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return load_registry(TOY_REGISTRY, tmp_path)


def test_groups_and_models_choose_what_a_node_serves(registry: Registry) -> None:
    by_group = hosted(registry, ["toyq"], ["toy"])
    assert by_group == {"toy": ["toy"], "toyq": ["toy-queue", "toy-batch"]}
    assert set(hosted(registry, [], [])) == set(registry.groups)
    with pytest.raises(NodeSelectionError, match="not in the registry: gpu"):
        hosted(registry, ["gpu"], [])


def test_the_distributed_mode_names_what_it_lacks() -> None:
    with pytest.raises(ValidationError, match="needs REDIS_URL and MONGODB_URI"):
        Settings(executor="celery")
    with pytest.raises(ValidationError, match="needs MONGODB_URI"):
        Settings(executor="celery", redis_url="redis://localhost:6379/0")


def test_a_worker_node_without_the_distributed_mode_says_how_to_set_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "modelgallery", "worker", "--groups", "toy"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "MODELS_FILE": str(TOY_REGISTRY), "EXECUTOR": "local"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "set EXECUTOR=celery, REDIS_URL and MONGODB_URI" in result.stderr


# --- a node process's models, adopted in place ---------------------------------------------


def _version(spec: ModelSpec, number: int, folder: Path, factor: str) -> ModelSpec:
    """`spec` at version `number`, whose weights file holds the toy's brightness factor."""
    path = folder / f"factor-{spec.name}-{number}.txt"
    path.write_text(factor)
    return spec.model_copy(
        update={
            "version": f"{spec.name}-v{number}",
            "version_number": number,
            "weights": [WeightFile(file=path.name)],
            "weight_paths": [path],
        }
    )


def test_a_new_version_loads_beside_the_old_one_and_siblings_are_untouched(
    registry: Registry, tmp_path: Path
) -> None:
    toy, sibling = registry.models["toy"], registry.models["toy-limited"]
    versions = {n: _version(toy, n, tmp_path, f"0.{n}") for n in (1, 2, 3, 4)}
    held = HeldModels()
    loads: list[str] = []

    def report(outcome: ModelReport) -> None:
        assert outcome.status == "loaded", outcome
        loads.append(f"{outcome.name}@{outcome.load_ms is not None}")

    held.adopt([versions[1], sibling], report)
    first, neighbour = held.live["toy"], held.live["toy-limited"]
    assert len(loads) == 2
    changed = held.adopt([versions[2], sibling], report)
    assert [s.version for s in changed] == ["toy-v2"] and len(loads) == 3  # only toy loaded
    assert held.live["toy-limited"] is neighbour
    assert held.live["toy"].spec.version_number == 2
    assert held.live["toy"].factor == 0.2
    assert held.older("toy-v1") is first  # kept for the jobs submitted to version 1
    # Back to version 1 while it is still held: nothing loads, the same model serves.
    held.adopt([versions[1], sibling], report)
    assert held.live["toy"] is first and len(loads) == 4  # reported again, not loaded
    held.adopt([versions[3], sibling], report)
    held.adopt([versions[4], sibling], report)
    # Bounded: the least recently used (version 2) went.
    assert OLDER_KEPT == 2 and held.older_versions == ["toy-v1", "toy-v3"]
    # A version no longer held loads again for a job of it, and is kept.
    model, reason = held.load_older(versions[2])
    assert reason is None and model is not None and model.factor == 0.2
    assert held.older("toy-v2") is model and held.older_versions == ["toy-v3", "toy-v2"]
    # A model left out (unloaded, disabled, removed) goes, with its older versions.
    held.adopt([sibling], report)
    assert set(held.live) == {"toy-limited"} and held.older_versions == []
    assert held.live["toy-limited"] is neighbour


def test_a_node_process_adopts_changes_in_place_and_jobs_keep_their_version(
    tmp_path: Path,
) -> None:
    """A version made live, an unload and a reload, as the API announces them (the store,
    then the generation in Redis): the process adopts each between two jobs, loading only
    what changed; the job of an older version runs on it; only a reload, or a group left
    with nothing, restarts the process."""
    with node_models(tmp_path) as setup:
        node, beat, store, loop, redis = (
            setup.node,
            setup.beat,
            setup.store,
            setup.loop,
            setup.redis,
        )
        bright, told, change = setup.bright, setup.told, setup.change
        restarts: list[str] = []

        def restart(why: str) -> None:  # a fresh process would read the count at its start
            restarts.append(why)
            node._restarts = node._restart_count()

        node._restart = restart  # type: ignore[method-assign]
        states: list[tuple[str, str]] = []
        report = node._report

        def recording(name: str, state: ModelState) -> None:
            states.append((name, state.status))
            report(name, state)

        node._report = recording  # type: ignore[method-assign]

        node.start()
        assert beat.ready and beat.versions == {"bright": 1, "plain": 1}
        assert {n: m["status"] for n, m in beat.models.items()} == {
            "bright": "loaded",
            "plain": "loaded",
        }
        assert sorted(told) == [("bright", True), ("plain", True)]
        first, sibling = node.held.live["bright"], node.held.live["plain"]
        states.clear()

        # Version 2 made live: only it loads; its sibling never shows `loading`.
        change(store.models.update("bright", {"live_version": bright[1].id}))
        assert node.held.live["plain"] is sibling
        assert node.held.live["bright"].factor == 0.2
        assert beat.versions == {"bright": 2, "plain": 1}
        assert ("bright", "loading") in states and ("plain", "loading") not in states
        assert beat.models["bright"]["status"] == beat.models["plain"]["status"] == "loaded"
        with node.lock:  # a job submitted before the switch keeps version 1
            model, spec, error = node.model_for(Job(model="bright", model_version=bright[0].id))
        assert model is first and spec is not None and spec.version_number == 1, error

        # Version 3 made live, and its job taken before the heartbeat looked: the process
        # adopts it for that job.
        loop.call(store.models.update("bright", {"live_version": bright[2].id}))
        with node.lock:
            model, spec, error = node.model_for(Job(model="bright", model_version=bright[2].id))
        assert model is node.held.live["bright"] and model.factor == 0.3, error
        assert beat.versions["bright"] == 3 and node.held.live["plain"] is sibling
        # A version this process never held (not live) loads from the store for its job.
        with node.lock:
            model, spec, error = node.model_for(Job(model="bright", model_version=bright[3].id))
        assert model is not None and model.factor == 0.4, error
        assert spec is not None and spec.version_number == 4
        assert len(node.held.older_versions) == OLDER_KEPT

        # An unload drops the model and stops its queue; the sibling serves on.
        serving = node.held.live["bright"]
        change(redis.sadd(UNLOADED, "plain"))
        assert set(node.held.live) == {"bright"} and node.held.live["bright"] is serving
        assert beat.models["plain"]["status"] == "unloaded" and told[-1] == ("plain", False)
        assert restarts == []
        change(redis.hincrby(RESTARTS, "toy", 1))  # an administrator's reload
        assert restarts == ["an administrator reloaded its group's models"]
        change(redis.sadd(UNLOADED, "bright"))  # nothing left to run
        eventually(lambda: len(restarts) == 2, "the restart")  # once adopted
        assert restarts[-1] == "its group has no model left to run"
