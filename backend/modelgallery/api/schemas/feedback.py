"""Feedback: a user's report that a result is wrong, and what administrators see of the
reports (flags) and the flagged predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ...media.sniff import kind_of
from ...store.feedback_records import (
    LABEL_MAX_CHARS,
    MAX_BOXES,
    NOTE_MAX_CHARS,
    Correction,
    Flag,
    FlagBox,
    FlagState,
)
from ...store.records import Job, JobStatus
from .jobs import JobPublic

ItemIndex = Annotated[int, Field(ge=0, le=1_000_000)]


class FeedbackIn(BaseModel):
    """What is wrong with a result. Everything is optional: a report alone says "wrong"."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(
        "", max_length=NOTE_MAX_CHARS, description="What is wrong, in the user's words"
    )
    file: int | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="Which file of a batch (its index in the result's `per_file`); leave it "
        "out for a one-image prediction, or to report the whole batch",
    )
    label: str | None = Field(
        None,
        min_length=1,
        max_length=LABEL_MAX_CHARS,
        description="A classification's right class: one of the model's classes",
    )
    boxes: list[FlagBox] = Field(
        default_factory=list,
        max_length=MAX_BOXES,
        description="Detections and faces: the boxes that should be there, each with its "
        "class (a face's: woman or man) and (x1, y1, x2, y2) in the image's pixels",
    )
    wrong: list[ItemIndex] = Field(
        default_factory=list,
        max_length=MAX_BOXES,
        description="Detections and faces: the predicted items that are wrong, by their index "
        "in the result's `items`. A right box with the wrong class: mark it here and give it "
        "again in `boxes` with the right class",
    )

    def correction(self) -> Correction | None:
        found = Correction(label=self.label, boxes=self.boxes, wrong=self.wrong)
        return None if found.empty else found


class FlagOut(BaseModel):
    id: str
    job_id: str
    model: str
    model_version: int | None = Field(None, description="The number of the version it ran on")
    result_kind: str = Field(description="The prediction's result kind")
    item_kind: str = Field(
        description="What one image's result holds (the result kind, or a batch's files' kind)"
    )
    file: int | None = Field(None, description="The file of a batch it is about; null: all")
    note: str
    correction: Correction | None
    state: FlagState
    created_at: datetime
    anonymous: bool = Field(description="Reported by a visitor without an account")
    # administrators only
    user_email: str | None = None
    changed_at: datetime | None = None
    changed_by: str | None = None

    @classmethod
    def of(cls, flag: Flag, admin: bool = False) -> FlagOut:
        return cls(
            id=flag.id,
            job_id=flag.job_id,
            model=flag.model,
            model_version=flag.model_version_number,
            result_kind=flag.result_kind,
            item_kind=flag.item_kind,
            file=flag.file,
            note=flag.note,
            correction=flag.correction,
            state=flag.state,
            created_at=flag.created_at,
            anonymous=flag.user_id is None,
            user_email=flag.user_email if admin else None,
            changed_at=flag.changed_at if admin else None,
            changed_by=flag.changed_by if admin else None,
        )


class FlaggedJobBrief(BaseModel):
    url: str = Field(description="The prediction (GET)")
    status: JobStatus
    input_name: str | None = Field(description="The first uploaded file's name")
    thumbnail: str | None = Field(
        description="An image to show for it: the uploaded image, a batch file's annotated "
        "image, a volume's preview; null when there is none or its files expired"
    )
    files_expired: bool

    @classmethod
    def of(cls, job: Job, file: int | None) -> FlaggedJobBrief:
        return cls(
            url=f"/api/predictions/{job.id}",
            status=job.status,
            input_name=job.inputs[0].name if job.inputs else None,
            thumbnail=None if job.files_expired_at else _thumbnail(job, file),
            files_expired=job.files_expired_at is not None,
        )


def _thumbnail(job: Job, file: int | None) -> str | None:
    base = f"/api/predictions/{job.id}"
    if len(job.inputs) == 1 and kind_of(job.inputs[0].media_type) == "image":
        return f"{base}/inputs/{job.inputs[0].stored}"
    per_file = (job.result or {}).get("per_file")
    if isinstance(per_file, list) and per_file:
        entry = per_file[file if file is not None and file < len(per_file) else 0]
        annotated = entry.get("annotated") if isinstance(entry, dict) else None
        if isinstance(annotated, str):
            return f"{base}/files/{annotated}"
    preview = next((a.name for a in job.artifacts if a.role == "preview"), None)
    return f"{base}/files/{preview}" if preview else None


class FlagListItem(FlagOut):
    job: FlaggedJobBrief | None = Field(description="The prediction; null once it was deleted")


class FlagListOut(BaseModel):
    data: list[FlagListItem]
    count: int


class FlaggedJobOut(BaseModel):
    job: JobPublic | None = Field(description="The prediction; null once it was deleted")
    flags: list[FlagOut] = Field(description="Its flags, newest first")


class FlagStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: FlagState
