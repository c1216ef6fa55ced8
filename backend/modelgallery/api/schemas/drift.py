"""A model version's drift report (`releases/drift.py`, `services/drift.py`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ...releases.drift import DriftReport
from ...services.drift import DriftView
from ...store.model_records import VersionState


class DriftVersionOut(BaseModel):
    id: str
    number: int
    state: VersionState
    live: bool


class DriftOut(DriftReport):
    """Per statistic: the reference and recent windows' mean and size, the PSI between them,
    the threshold (0.2), the PSI chance alone exceeds once in 1000 at these sizes, and the
    verdict (`drift` warns; `not_enough_data` gives none); its mean per hour or day for the
    chart. `versions`: the model's, for choosing another."""

    versions: list[DriftVersionOut] = Field(description="The model's versions, by number")

    @classmethod
    def of(cls, view: DriftView) -> DriftOut:
        return cls(
            **view.report.model_dump(),
            versions=[
                DriftVersionOut(
                    id=v.id, number=v.number, state=v.state, live=v.id == view.live_version
                )
                for v in view.versions
            ],
        )
