"""A worker node process loads the candidate of an active release ahead, beside the live
version, as the local workers do: its first canary or shadow job does not wait for the load,
and a promotion takes the copy held as the live model instead of loading it again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelgallery.jobs import held, runner
from modelgallery.store.records import Job
from modelgallery.store.release_records import Release, ReleaseState
from modelgallery.vision.model import Model
from modelgallery.vision.registry import ModelSpec
from tests.support.node_models import node_models


def test_a_release_candidate_is_loaded_ahead_and_taken_when_promoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[str] = []

    def counting(
        specs: list[ModelSpec], report: Callable[[runner.ModelReport], None]
    ) -> dict[str, Model]:
        loads.extend(f"{s.name} {s.version_number}" for s in specs)
        return runner.load_models(specs, report)

    monkeypatch.setattr(held, "load_models", counting)
    with node_models(tmp_path) as setup:
        node, beat, store, bright = setup.node, setup.beat, setup.store, setup.bright
        node.start()
        assert beat.held == [] and loads == ["bright 1", "plain 1"]

        release = Release(
            model="bright",
            candidate=bright[1].id,
            candidate_number=2,
            baseline=bright[0].id,
            baseline_number=1,
            canary_share=0.5,
        )
        setup.change(store.releases.create(release))  # as the API announces a release
        assert beat.held == [bright[1].id] and loads[-1] == "bright 2"
        assert beat.versions == {"bright": 1, "plain": 1}  # version 1 still serves

        loaded = len(loads)
        with node.lock:  # its first canary job: nothing loads
            candidate, spec, error = node.model_for(Job(model="bright", model_version=bright[1].id))
        assert candidate is not None and candidate.factor == 0.2, error
        assert len(loads) == loaded

        setup.change(  # promoted: the copy held goes live as it is
            store.models.update("bright", {"live_version": bright[1].id}),
            store.releases.update(release.id, {"state": ReleaseState.promoted}),
        )
        assert node.held.live["bright"] is candidate and len(loads) == loaded
        assert beat.versions == {"bright": 2, "plain": 1}
        assert bright[1].id not in beat.held
