"""Records from before result kinds get theirs once, from their model's declaration, on both
stores; the migration is recorded, so a later start does not look again."""

from __future__ import annotations

from modelgallery.jobs.lifecycle.backfill import MIGRATION, fill_result_kinds
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
    assert not await store.migrations.applied(MIGRATION)
    assert await fill_result_kinds(store, registry) == 2
    assert await store.migrations.applied(MIGRATION)
    await store.jobs.create(_job("toy", None))  # not looked for again
    assert await fill_result_kinds(store, registry) == 0
    expected = registry.models["toy"].result_kind_for(["image"])
    assert (await store.jobs.get(old.id)).result_kind == expected  # type: ignore[union-attr]
    assert (await store.jobs.get(gone.id)).result_kind == "generic"  # type: ignore[union-attr]
    assert (await store.jobs.get(new.id)).result_kind == "image"  # type: ignore[union-attr]
