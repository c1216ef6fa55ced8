"""Records from before a job carried its result kind get it from their model's declaration
(`generic` for a model no longer in the registry), so that nothing that reads a job has to
fill it in: a data migration, run at the first start that has it and recorded in the store,
so that later starts do not scan the jobs again."""

from __future__ import annotations

import logging

from ...media.sniff import kind_of
from ...store.base import Store
from ...vision.registry import Registry

log = logging.getLogger(__name__)

_BATCH = 200
MIGRATION = "result-kinds"


async def fill_result_kinds(store: Store, registry: Registry) -> int:
    """Returns how many records were completed (0 once the migration is recorded)."""
    if await store.migrations.applied(MIGRATION):
        return 0
    jobs, filled = store.jobs, 0
    while batch := await jobs.without_result_kind(_BATCH):
        for job in batch:
            spec = registry.models.get(job.model)
            kinds = [kind_of(f.media_type) for f in job.inputs]
            kind = spec.result_kind_for(kinds) if spec else "generic"
            await jobs.update(job.id, {"result_kind": kind})
        filled += len(batch)
    await store.migrations.record(MIGRATION)
    if filled:
        log.info("recorded the result kind of %d job(s) from before result kinds", filled)
    return filled
