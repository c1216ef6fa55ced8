"""How far two versions' results on one input agree, as JSON-ready records. Counts are
stored and ratios derived from them, so that many pairs add up exactly (`summary.py`).
Every record has a `disagreement` in [0, 1]: 0 when the versions agree fully."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, computed_field


class NotComparable(ValueError):
    """Two results cannot be compared (another kind, no result, a mask file gone); the
    message is a sentence for people."""


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class BoxCounts(BaseModel):
    """The candidate's boxes against the baseline's: `tp` matched, `fp` only the candidate
    found, `fn` only the baseline found. When neither found anything they agree fully
    (precision, recall and F1 are 1); a ratio with nothing to divide by is null."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float | None:
        return 1.0 if self._empty else _share(self.tp, self.tp + self.fp)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float | None:
        return 1.0 if self._empty else _share(self.tp, self.tp + self.fn)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        return 1.0 if self._empty else 2 * self.tp / (2 * self.tp + self.fp + self.fn)

    @property
    def _empty(self) -> bool:
        return self.tp + self.fp + self.fn == 0

    def plus(self, other: BoxCounts) -> BoxCounts:
        return BoxCounts(tp=self.tp + other.tp, fp=self.fp + other.fp, fn=self.fn + other.fn)


class LabelAgreement(BaseModel):
    """The labels both versions gave the same things (images, matched faces): how many
    agree, and the confusion between them, baseline label → candidate label → count."""

    compared: int = 0
    agreed: int = 0
    confusion: dict[str, dict[str, int]] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        return _share(self.agreed, self.compared)

    @classmethod
    def of(cls, pairs: list[tuple[str, str]]) -> LabelAgreement:
        """From (baseline label, candidate label) pairs."""
        out = cls()
        for baseline, candidate in pairs:
            out._count(baseline, candidate, 1)
        return out

    def plus(self, other: LabelAgreement) -> LabelAgreement:
        out = LabelAgreement.model_validate(self.model_dump(exclude={"rate"}))
        for baseline, row in other.confusion.items():
            for candidate, n in row.items():
                out._count(baseline, candidate, n)
        return out

    def _count(self, baseline: str, candidate: str, n: int) -> None:
        row = self.confusion.setdefault(baseline, {})
        row[candidate] = row.get(candidate, 0) + n
        self.compared += n
        self.agreed += n if baseline == candidate else 0


class MaskOverlap(BaseModel):
    """Two masks of one input, in voxels (pixels for an image): each one's size and their
    intersection. Two empty masks agree fully (Dice 1)."""

    intersection: int = 0
    baseline: int = 0
    candidate: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dice(self) -> float:
        total = self.baseline + self.candidate
        return 2 * self.intersection / total if total else 1.0

    def plus(self, other: MaskOverlap) -> MaskOverlap:
        return MaskOverlap(
            intersection=self.intersection + other.intersection,
            baseline=self.baseline + other.baseline,
            candidate=self.candidate + other.candidate,
        )


# --- one input's agreement, per result kind --------------------------------------------


class DetectionAgreement(BaseModel):
    """Boxes matched per class at IoU >= 0.5; for a video, over all its frames."""

    kind: Literal["detections", "video-detections"] = "detections"
    boxes: BoxCounts  # over all classes (micro)
    per_class: dict[str, BoxCounts]  # by class name
    frames: int | None = None  # a video's frames compared

    @computed_field  # type: ignore[prop-decorator]
    @property
    def disagreement(self) -> float:
        return 1.0 - self.boxes.f1


class FaceAgreement(BaseModel):
    """Faces matched by box at IoU >= 0.5, and the genders of the matched faces."""

    kind: Literal["faces"] = "faces"
    boxes: BoxCounts
    genders: LabelAgreement  # of the matched faces ("uncertain" is a label too)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def disagreement(self) -> float:
        """1 - F1 where only a matched face of the same gender counts as found by both."""
        faces = 2 * self.boxes.tp + self.boxes.fp + self.boxes.fn
        return 1.0 - 2 * self.genders.agreed / faces if faces else 0.0


class ClassificationAgreement(BaseModel):
    """The top-1 label of each version, and whether they agree."""

    kind: Literal["classification"] = "classification"
    top1: LabelAgreement

    @computed_field  # type: ignore[prop-decorator]
    @property
    def disagreement(self) -> float:
        return 1.0 - (self.top1.rate if self.top1.rate is not None else 1.0)


class MaskAgreement(BaseModel):
    """Two masks: Dice over everything that is not background, per class for an image's
    class mask, and the difference in size (candidate - baseline), in voxels (pixels for
    an image) and, where the voxel size is known, in ml."""

    kind: Literal["segmentation", "volume-mask"]
    overlap: MaskOverlap  # everything but the background
    per_class: dict[str, MaskOverlap] = Field(default_factory=dict)  # by class name
    voxel_ml: float | None = None  # the volume of one voxel

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dice(self) -> float:
        return self.overlap.dice

    @computed_field  # type: ignore[prop-decorator]
    @property
    def difference(self) -> int:
        return self.overlap.candidate - self.overlap.baseline

    @computed_field  # type: ignore[prop-decorator]
    @property
    def relative_difference(self) -> float | None:
        """Of the baseline's size; 0 when both are empty, null when only it is."""
        if self.overlap.baseline == 0:
            return 0.0 if self.overlap.candidate == 0 else None
        return self.difference / self.overlap.baseline

    @computed_field  # type: ignore[prop-decorator]
    @property
    def difference_ml(self) -> float | None:
        return None if self.voxel_ml is None else self.difference * self.voxel_ml

    @computed_field  # type: ignore[prop-decorator]
    @property
    def disagreement(self) -> float:
        return 1.0 - self.overlap.dice


ImageAgreement = Annotated[
    DetectionAgreement | FaceAgreement | ClassificationAgreement | MaskAgreement,
    Field(discriminator="kind"),
]
