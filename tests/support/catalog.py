"""Models managed through the API, as tests drive them: create one with the toy family, add
a version (a brightness factor as its weights) and wait until its validation has settled."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support.jobs import png_bytes

TOY = "tests.support.toy_models:ToyInvert"


def create_model(
    client: httpx.Client,
    headers: dict[str, str],
    name: str,
    group: str = "toy",
    family: str = TOY,
) -> httpx.Response:
    body = {"id": name, "title": "Brightener", "task": "image-to-image", "family": family}
    return client.post("/api/admin/catalog", json={**body, "group": group}, headers=headers)


def add_version(
    client: httpx.Client, headers: dict[str, str], name: str, factor: str, **fields: str
) -> dict[str, Any]:
    files = [
        ("weights", ("factor.txt", factor.encode(), "text/plain")),
        ("example", ("tile.png", png_bytes(), "image/png")),
    ]
    answer = client.post(
        f"/api/admin/catalog/{name}/versions", files=files, data=fields, headers=headers
    )
    assert answer.status_code == 202, answer.text
    return answer.json()


def settled(
    client: httpx.Client, headers: dict[str, str], name: str, number: int
) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        model = client.get(f"/api/admin/catalog/{name}", headers=headers).json()
        version = next(v for v in model["versions"] if v["number"] == number)
        if version["state"] != "validating":
            return version
        assert time.monotonic() < deadline, version
        time.sleep(0.2)


def ready_version(
    client: httpx.Client, headers: dict[str, str], name: str, factor: str
) -> dict[str, Any]:
    added = add_version(client, headers, name, factor)
    version = settled(client, headers, name, added["number"])
    assert version["state"] == "ready", version
    return version
