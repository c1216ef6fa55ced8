"""Records from before a job carried its result kind get it once, at start-up, from their
model's declaration (`generic` for a model no longer in the registry), so that nothing that
reads a job has to fill it in."""

from __future__ import annotations

import logging

from ...media.sniff import kind_of
from ...store.base import JobRepo
from ...vision.registry import Registry

log = logging.getLogger(__name__)

_BATCH = 200


async def fill_result_kinds(jobs: JobRepo, registry: Registry) -> int:
    """Returns how many records were completed."""
    filled = 0
    while batch := await jobs.without_result_kind(_BATCH):
        for job in batch:
            spec = registry.models.get(job.model)
            kinds = [kind_of(f.media_type) for f in job.inputs]
            kind = spec.result_kind_for(kinds) if spec else "generic"
            await jobs.update(job.id, {"result_kind": kind})
        filled += len(batch)
    if filled:
        log.info("recorded the result kind of %d job(s) from before result kinds", filled)
    return filled
