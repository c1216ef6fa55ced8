"""Records from before result kinds get theirs once, from their model's declaration, on both
stores; a second start finds nothing to do."""

from __future__ import annotations

from modelgallery.jobs.lifecycle.backfill import fill_result_kinds
from modelgallery.store.base import Store
from modelgallery.store.records import InputFile, Job
from modelgallery.vision.registry import load_registry
from tests.support.server import TOY_REGISTRY


def _job(model: str, result_kind: str | None, media_type: str = "image/png") -> Job:
    image = InputFile(
        name="a.png", stored="input-0.png", size=3, sha256="0" * 64, media_type=media_type
    )
    return Job(model=model, inputs=[image], result_kind=result_kind)


async def test_old_records_get_their_result_kind_once(store: Store) -> None:
    registry = load_registry(TOY_REGISTRY, TOY_REGISTRY.parent)
    old = await store.jobs.create(_job("toy", None))
    gone = await store.jobs.create(_job("a-model-since-removed", None))
    new = await store.jobs.create(_job("toy", "image"))
    assert {j.id for j in await store.jobs.without_result_kind(10)} == {old.id, gone.id}
    assert await fill_result_kinds(store.jobs, registry) == 2
    assert await fill_result_kinds(store.jobs, registry) == 0
    expected = registry.models["toy"].result_kind_for(["image"])
    assert (await store.jobs.get(old.id)).result_kind == expected  # type: ignore[union-attr]
    assert (await store.jobs.get(gone.id)).result_kind == "generic"  # type: ignore[union-attr]
    assert (await store.jobs.get(new.id)).result_kind == "image"  # type: ignore[union-attr]
