"""A job's next run as an executor takes it: the inputs as paths on this machine, its
parameters, where its outputs go and its time limit."""

from __future__ import annotations

from ...core.settings import Settings
from ...files.storage import JobFiles
from ...media.sniff import kind_of
from ...store.records import Job
from ...vision.model import InputItem
from ...vision.registry import ModelSpec
from .executor import JobRun


def time_limit(spec: ModelSpec, settings: Settings) -> float:
    return spec.timeout_s or settings.job_timeout_s


def run_of(job: Job, spec: ModelSpec, files: JobFiles, settings: Settings) -> JobRun:
    folder = files.folder(job.id)
    inputs = [
        InputItem(
            path=folder.inputs / f.stored,  # a name this server chose (`input-0.jpg`)
            name=f.name,
            media_type=f.media_type,
            kind=f.kind or kind_of(f.media_type),  # computed once, by the upload's check
        )
        for f in job.inputs
    ]
    return JobRun(
        job_id=job.id,
        model=job.model,
        inputs=inputs,
        params=job.params,
        outdir=folder.outputs,
        timeout_s=time_limit(spec, settings),
        attempts=job.attempts,
        version=job.model_version,
        background=job.lane.background,
    )
