"""Many pairs' agreement summed into one summary per kind: box and label counts add up
exactly, so the overall precision, recall, F1 and agreement rates come from the summed
counts, never from averaged ratios. Masks have no counts to pool per pair that mean the
same as a pair's Dice, so their mean Dice is over pairs (the pooled Dice beside it).

A batch (a ZIP of images) is compared file by file and is itself a summary of its files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, computed_field

from .figures import (
    BoxCounts,
    ClassificationAgreement,
    DetectionAgreement,
    FaceAgreement,
    ImageAgreement,
    LabelAgreement,
    MaskAgreement,
    MaskOverlap,
)

_Summed = TypeVar("_Summed", BoxCounts, LabelAgreement, MaskOverlap)


class MaskTotals(BaseModel):
    """Mask pairs summed: Dice (mean over pairs, and pooled over all voxels) and the size
    difference |candidate - baseline| per pair, in voxels, relative and in ml."""

    pairs: int = 0
    dice_sum: float = 0.0
    overlap: MaskOverlap = Field(default_factory=MaskOverlap)  # pooled over the pairs
    per_class: dict[str, MaskOverlap] = Field(default_factory=dict)
    abs_difference_sum: int = 0  # voxels
    relative_pairs: int = 0  # pairs whose baseline mask is not empty
    abs_relative_sum: float = 0.0
    ml_pairs: int = 0  # pairs whose voxel size is known
    abs_difference_ml_sum: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mean_dice(self) -> float | None:
        return self.dice_sum / self.pairs if self.pairs else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mean_abs_difference(self) -> float | None:
        return self.abs_difference_sum / self.pairs if self.pairs else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mean_abs_relative_difference(self) -> float | None:
        return self.abs_relative_sum / self.relative_pairs if self.relative_pairs else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mean_abs_difference_ml(self) -> float | None:
        return self.abs_difference_ml_sum / self.ml_pairs if self.ml_pairs else None

    def add(self, mask: MaskAgreement) -> None:
        self.pairs += 1
        self.dice_sum += mask.dice
        self.overlap = self.overlap.plus(mask.overlap)
        self.per_class = _merged(self.per_class, mask.per_class)
        self.abs_difference_sum += abs(mask.difference)
        if mask.overlap.baseline:
            self.relative_pairs += 1
            self.abs_relative_sum += abs(mask.difference) / mask.overlap.baseline
        if mask.difference_ml is not None:
            self.ml_pairs += 1
            self.abs_difference_ml_sum += abs(mask.difference_ml)

    def merge(self, other: MaskTotals) -> None:
        self.pairs += other.pairs
        self.dice_sum += other.dice_sum
        self.abs_difference_sum += other.abs_difference_sum
        self.relative_pairs += other.relative_pairs
        self.abs_relative_sum += other.abs_relative_sum
        self.ml_pairs += other.ml_pairs
        self.abs_difference_ml_sum += other.abs_difference_ml_sum
        self.overlap = self.overlap.plus(other.overlap)
        self.per_class = _merged(self.per_class, other.per_class)


class AgreementSummary(BaseModel):
    """The agreement of many pairs of one kind (a batch's files count as pairs of their
    own kind). `uncompared`: batch files that only one version has a result for."""

    kind: str | None = None  # of the pairs added, set by the first
    pairs: int = 0
    uncompared: int = 0
    disagreement_sum: float = 0.0
    boxes: BoxCounts | None = None  # detections and faces
    per_class: dict[str, BoxCounts] = Field(default_factory=dict)  # detections
    genders: LabelAgreement | None = None  # faces matched by both
    top1: LabelAgreement | None = None  # classification
    masks: MaskTotals | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mean_disagreement(self) -> float | None:
        return self.disagreement_sum / self.pairs if self.pairs else None

    def add(self, agreement: ImageAgreement | BatchAgreement) -> None:
        """Count one pair in (a batch: each of its files)."""
        if isinstance(agreement, BatchAgreement):
            self.merge(agreement.summary)
            return
        self._take_kind(agreement.kind)
        self.pairs += 1
        self.disagreement_sum += agreement.disagreement
        if isinstance(agreement, DetectionAgreement | FaceAgreement):
            self.boxes = agreement.boxes if self.boxes is None else self.boxes.plus(agreement.boxes)
        if isinstance(agreement, DetectionAgreement):
            self.per_class = _merged(self.per_class, agreement.per_class)
        elif isinstance(agreement, FaceAgreement):
            self.genders = _plus(self.genders, agreement.genders)
        elif isinstance(agreement, ClassificationAgreement):
            self.top1 = _plus(self.top1, agreement.top1)
        elif isinstance(agreement, MaskAgreement):
            self.masks = self.masks or MaskTotals()
            self.masks.add(agreement)

    def merge(self, other: AgreementSummary) -> None:
        """Count another summary's pairs in."""
        if other.kind is not None:
            self._take_kind(other.kind)
        self.pairs += other.pairs
        self.uncompared += other.uncompared
        self.disagreement_sum += other.disagreement_sum
        if other.boxes is not None:
            self.boxes = _plus(self.boxes, other.boxes)
        self.per_class = _merged(self.per_class, other.per_class)
        if other.genders is not None:
            self.genders = _plus(self.genders, other.genders)
        if other.top1 is not None:
            self.top1 = _plus(self.top1, other.top1)
        if other.masks is not None:
            self.masks = self.masks or MaskTotals()
            self.masks.merge(other.masks)

    def _take_kind(self, kind: str) -> None:
        if self.kind is None:
            self.kind = kind
        elif self.kind != kind:
            raise ValueError(f"a summary of {self.kind} results cannot count {kind} results")


class FileAgreement(BaseModel):
    """One file of a batch: its agreement, or why it was not compared."""

    file: str
    agreement: ImageAgreement | None = None
    missing: str = ""  # e.g. "only in the baseline's results", "failed in the candidate: ..."

    @computed_field  # type: ignore[prop-decorator]
    @property
    def disagreement(self) -> float:
        return 1.0 if self.agreement is None else self.agreement.disagreement


class BatchAgreement(BaseModel):
    """Two batches of the same images, compared file by file (matched by file name)."""

    kind: Literal["batch"] = "batch"
    files: list[FileAgreement]
    summary: AgreementSummary  # of the files compared on both sides

    @computed_field  # type: ignore[prop-decorator]
    @property
    def disagreement(self) -> float:
        """The mean over the files; a file only one side has a result for counts as 1."""
        return sum(f.disagreement for f in self.files) / len(self.files) if self.files else 0.0

    @classmethod
    def of(cls, image_kind: str, files: list[FileAgreement]) -> BatchAgreement:
        summary = AgreementSummary(kind=image_kind)
        for entry in files:
            if entry.agreement is None:
                summary.uncompared += 1
            else:
                summary.add(entry.agreement)
        return cls(files=files, summary=summary)


def summarise(agreements: Iterable[ImageAgreement | BatchAgreement]) -> dict[str, AgreementSummary]:
    """One summary per kind of the pairs (a batch's files count under their own kind)."""
    summaries: dict[str, AgreementSummary] = {}
    for agreement in agreements:
        kind = agreement.summary.kind if isinstance(agreement, BatchAgreement) else agreement.kind
        summaries.setdefault(kind or agreement.kind, AgreementSummary()).add(agreement)
    return summaries


def _plus(total: _Summed | None, more: _Summed) -> _Summed:
    return more if total is None else total.plus(more)


def _merged(total: dict[str, _Summed], more: dict[str, _Summed]) -> dict[str, _Summed]:
    out = dict(total)
    for name, value in more.items():
        out[name] = _plus(out.get(name), value)
    return out
