"""Small helpers for tests that submit predictions over HTTP."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
from PIL import Image


def png_bytes(
    size: tuple[int, int] = (32, 24), color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def submit(
    http: httpx.Client,
    model: str = "toy",
    content: bytes | None = None,
    name: str = "picture.png",
    params: dict[str, Any] | None = None,
    wait: float = 0,
    headers: dict[str, str] | None = None,
    content_type: str = "image/png",
) -> httpx.Response:
    files = {"file": (name, content if content is not None else png_bytes(), content_type)}
    data = {k: str(v) for k, v in (params or {}).items()}
    return http.post(
        f"/api/models/{model}/predictions",
        params={"wait": wait} if wait else None,
        files=files,
        data=data,
        headers=headers,
    )


def wait_for(
    http: httpx.Client,
    job_id: str,
    statuses: tuple[str, ...] = ("succeeded", "failed", "cancelled"),
    timeout_s: float = 60,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = http.get(f"/api/predictions/{job_id}", headers=headers).json()
        if job.get("status") in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.get('status')} after {timeout_s} s")
        time.sleep(0.05)
