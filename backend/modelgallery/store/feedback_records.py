"""Feedback as the store keeps it: a user's flag on a result they think is wrong, with a note
and, optionally, the right answer (a correction). Administrators list the flags and export a
flagged set as a dataset (`services/feedback/`).

A correction is relative to the model's own result: for a classification the right class;
for boxes (detections, faces) the predicted items that are wrong (by their index in the
result's `items`) and the boxes that should be there instead or as well. A box that is right
but has the wrong class is one of each: its item marked wrong, and the same box with the right
class. Boxes are (x1, y1, x2, y2) in the image's pixels, like the result's own."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, FiniteFloat

from .records import new_id, utcnow

NOTE_MAX_CHARS = 2000
LABEL_MAX_CHARS = 200
MAX_BOXES = 500


class FlagState(StrEnum):
    open = "open"  # waiting for an administrator
    resolved = "resolved"  # dealt with: e.g. exported and trained on
    dismissed = "dismissed"  # the result was right after all: never exported by default


class FlagBox(BaseModel):
    label: str = Field(min_length=1, max_length=LABEL_MAX_CHARS)  # the class, or a gender
    # x1, y1, x2, y2 in the image's pixels (a list: clients' generated types read it plainly)
    box: list[FiniteFloat] = Field(min_length=4, max_length=4)


class Correction(BaseModel):
    label: str | None = Field(None, min_length=1, max_length=LABEL_MAX_CHARS)
    boxes: list[FlagBox] = Field(default_factory=list, max_length=MAX_BOXES)
    wrong: list[int] = Field(default_factory=list, max_length=MAX_BOXES)  # items' indexes

    @property
    def empty(self) -> bool:
        return self.label is None and not self.boxes and not self.wrong


class Flag(BaseModel):
    id: str = Field(default_factory=new_id)
    job_id: str
    model: str
    model_version: str | None = None  # the version's id, as on the job
    model_version_number: int | None = None
    result_kind: str  # the job's
    # What one image's result holds: the job's result kind, or for a batch that of its files
    # (detections, faces, classification, ...).
    item_kind: str
    file: int | None = None  # which file of a batch (its index in the result's `per_file`)
    user_id: str | None = None
    user_email: str | None = None
    owner: str | None = None  # an anonymous visitor's: the sha256 of their owner token
    note: str = Field("", max_length=NOTE_MAX_CHARS)
    correction: Correction | None = None
    state: FlagState = FlagState.open
    created_at: datetime = Field(default_factory=utcnow)
    changed_at: datetime | None = None  # when an administrator last set its state
    changed_by: str | None = None  # their e-mail


class FlagQuery(BaseModel):
    model: str | None = None
    version: str | None = None  # the version's id
    state: FlagState | None = None
    job_id: str | None = None
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=10_000)
