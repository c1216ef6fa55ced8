"""Two versions compared (`services/comparison.py`), for administrators, and a user's two
results of one upload."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ...releases.agreement import Agreement
from ...releases.summary import AgreementSummary
from ...services.comparison import Compared, VersionFigures
from .jobs import JobPublic


class VersionFiguresOut(BaseModel):
    version: str
    number: int | None
    predictions: int = Field(description="Live predictions it ended over the period")
    failed: int
    latency_ms: dict[str, float] = Field(
        description="p50, p90, p99 of the time from the upload to the end (a release's live "
        "predictions), or from when a worker took the job (a replay's)"
    )
    model_ms: dict[str, float] = Field(description="p50, p90, p99 of the model's own time")

    @classmethod
    def of(cls, figures: VersionFigures) -> VersionFiguresOut:
        return cls(**vars(figures))


class PairOut(BaseModel):
    baseline: JobPublic
    candidate: JobPublic
    agreement: Agreement


class ComparisonOut(BaseModel):
    baseline: VersionFiguresOut
    candidate: VersionFiguresOut
    summaries: dict[str, AgreementSummary] = Field(
        description="The agreement of the pairs, one summary per result kind"
    )
    pairs: int = Field(description="Pairs of results of the same inputs compared")
    not_compared: dict[str, int] = Field(description="Why some pairs were not, and how many")
    worst: list[PairOut] = Field(
        description="The pairs that disagree most, most first, one per input (a file sent "
        "several times shows once)"
    )
    shadow_skipped: int | None = Field(
        None,
        description="A release's shadow copies not made because the background lane was "
        "full (none for a replay)",
    )

    @classmethod
    def of(cls, compared: Compared) -> ComparisonOut:
        return cls(
            baseline=VersionFiguresOut.of(compared.baseline),
            candidate=VersionFiguresOut.of(compared.candidate),
            summaries=compared.summaries,
            pairs=compared.pairs,
            not_compared=compared.not_compared,
            worst=[
                PairOut(
                    baseline=JobPublic.of(p.baseline, admin=True),
                    candidate=JobPublic.of(p.candidate, admin=True),
                    agreement=p.agreement,
                )
                for p in compared.worst
            ],
            shadow_skipped=compared.shadow_skipped,
        )


class RunAgainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(description="The model to run the same upload on")
    version: str | None = Field(
        None, description="One of its validated versions (its id); its live one when left out"
    )


class AgreementOut(BaseModel):
    agreement: Agreement
