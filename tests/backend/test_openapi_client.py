"""The web UI's typed client is generated from frontend/openapi.json; this keeps that copy
equal to what the backend serves (the UI's own test then checks the generated types)."""

from __future__ import annotations

import json
from pathlib import Path

from modelgallery.app import create_app

FRONTEND_SCHEMA = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def test_frontend_schema_matches_the_backend() -> None:
    served = create_app().openapi()
    saved = json.loads(FRONTEND_SCHEMA.read_text())
    assert saved == served, (
        "frontend/openapi.json is stale: run `make openapi` and commit the result"
    )
