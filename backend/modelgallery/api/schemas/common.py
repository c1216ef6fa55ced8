"""What every route shares: the error body and the OpenAPI `responses` that describe it;
and the health checks' answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    detail: str
    code: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors a route can answer, all shaped like ErrorOut."""
    return {status: {"model": ErrorOut, "description": _ERROR_TEXT[status]} for status in statuses}


def json_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The same, for a route whose success is not JSON (an event stream): its errors are."""
    schema = {"$ref": "#/components/schemas/ErrorOut"}
    return {
        status: {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": schema}},
        }
        for status in statuses
    }


_ERROR_TEXT = {
    400: "The request's body could not be read (malformed JSON or form data)",
    401: "Not logged in, or the session has ended",
    403: "Administrators only",
    404: "Not found",
    409: "Conflict with the current state",
    410: "The prediction's files have expired (the retention period passed) or were deleted",
    413: "The upload is larger than the model accepts",
    415: "The file is not of a kind the model accepts, or is damaged",
    422: "Invalid request; `detail` names the field",
    429: "Too many attempts; see Retry-After",
    503: (
        "The model is unavailable or busy, or Redis (which API replicas share) is away; "
        "see Retry-After"
    ),
    507: "The server is out of storage space; try again later",
}


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(
        description="What was checked (database, workers, storage): 'ok' or what is wrong"
    )
    store: str = Field(description="The store the server records to")
