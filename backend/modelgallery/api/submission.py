"""Turning an upload into a queued job: the checks every prediction route shares."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from ..context import Context
from ..store.records import InputFile, Job, User, new_id
from ..vision import media
from ..vision.registry import ModelSpec, validate_param
from . import uploads
from .errors import ApiError


async def accept(
    request: Request, ctx: Context, spec: ModelSpec, user: User | None, wait_s: float
) -> Job:
    if ctx.settings.require_login and user is None:
        raise ApiError(
            401, "log in to use the models on this server", {"WWW-Authenticate": "Bearer"}
        )
    ctx.jobs.check_available(spec)
    ctx.jobs.check_capacity(spec)  # before reading the upload, not after

    files = ctx.jobs.files
    job_id = new_id()
    files.create(job_id)
    try:
        received = await uploads.receive(
            request, files.input_dir(job_id), spec.max_upload_bytes, spec.max_files
        )
        if not received.files:
            raise ApiError(422, "attach a file in the form field 'file'")
        inputs = [
            await _check_file(ctx, job_id, index, f, spec) for index, f in enumerate(received.files)
        ]
        job = Job(
            id=job_id,
            model=spec.name,
            user_id=user.id if user else None,
            user_email=user.email if user else None,
            inputs=inputs,
            params=_params(spec, received.fields),
            message="waiting for a worker",
        )
        await ctx.jobs.submit(job)
    except BaseException:
        files.remove(job_id)
        raise
    if wait_s > 0:
        job = await ctx.jobs.wait(job_id, min(wait_s, ctx.settings.max_wait_s)) or job
    return job


async def _check_file(
    ctx: Context, job_id: str, index: int, received: uploads.ReceivedFile, spec: ModelSpec
) -> InputFile:
    name = received.original_name
    if received.size == 0:
        raise ApiError(422, f"'{name}' is empty")
    try:
        found = await asyncio.to_thread(media.check, received.path, spec.kinds)
    except media.MediaError as exc:
        raise ApiError(415, f"'{name}': {exc}") from None
    stored = f"input-{index}{found.extension}"
    received.path.rename(ctx.jobs.files.input_path(job_id, stored))
    return InputFile(
        name=name,
        stored=stored,
        size=received.size,
        sha256=received.sha256,
        media_type=found.media_type,
    )


def _params(spec: ModelSpec, fields: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(spec.params))
    if unknown:
        known = ", ".join(spec.params) or "none"
        raise ApiError(422, f"unknown parameter '{unknown[0]}' (this model takes: {known})")
    values: dict[str, Any] = {}
    for key, param in spec.params.items():
        raw = fields.get(key)
        if raw is None or raw == "":
            values[key] = param.default
            continue
        try:
            values[key] = validate_param(param, raw)
        except ValueError as exc:
            raise ApiError(422, f"the parameter '{key}' {exc}") from None
    return values
