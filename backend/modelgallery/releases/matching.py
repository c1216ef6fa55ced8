"""Agreement of the results that are lists of items (one image's, or one video frame's):
boxes matched one to one, and top-1 labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .figures import (
    BoxCounts,
    ClassificationAgreement,
    DetectionAgreement,
    FaceAgreement,
    LabelAgreement,
    NotComparable,
)

IOU_THRESHOLD = 0.5
NO_LABEL = "(none)"  # the top-1 label of a result that ranks nothing

Item = dict[str, Any]
Box = tuple[float, float, float, float]  # x1, y1, x2, y2


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match(
    baseline: Sequence[Item], candidate: Sequence[Item], threshold: float = IOU_THRESHOLD
) -> list[tuple[int, int]]:
    """(baseline index, candidate index) of the matched boxes: the candidate's, most
    confident first, each take the unmatched baseline box it overlaps most, from
    `threshold` IoU; one to one."""
    base_boxes = [_box(item) for item in baseline]
    order = sorted(range(len(candidate)), key=lambda i: -_confidence(candidate[i]))
    taken: set[int] = set()
    pairs = []
    for c in order:
        box = _box(candidate[c])
        best, best_iou = -1, 0.0
        for b, other in enumerate(base_boxes):
            if b in taken:
                continue
            overlap = iou(box, other)
            if overlap >= threshold and overlap > best_iou:
                best, best_iou = b, overlap
        if best >= 0:
            taken.add(best)
            pairs.append((best, c))
    return pairs


def detection_counts(baseline: Sequence[Item], candidate: Sequence[Item]) -> dict[str, BoxCounts]:
    """Per class name, the candidate's boxes matched against the baseline's of that class."""
    counts: dict[str, BoxCounts] = {}
    for name in sorted({_label(i) for i in baseline} | {_label(i) for i in candidate}):
        ours = [i for i in baseline if _label(i) == name]
        theirs = [i for i in candidate if _label(i) == name]
        tp = len(match(ours, theirs))
        counts[name] = BoxCounts(tp=tp, fp=len(theirs) - tp, fn=len(ours) - tp)
    return counts


def compare_detections(baseline: Sequence[Item], candidate: Sequence[Item]) -> DetectionAgreement:
    per_class = detection_counts(baseline, candidate)
    return DetectionAgreement(boxes=total(per_class.values()), per_class=per_class)


def compare_faces(baseline: Sequence[Item], candidate: Sequence[Item]) -> FaceAgreement:
    pairs = match(baseline, candidate)
    tp = len(pairs)
    return FaceAgreement(
        boxes=BoxCounts(tp=tp, fp=len(candidate) - tp, fn=len(baseline) - tp),
        genders=LabelAgreement.of(
            [(_gender(baseline[b]), _gender(candidate[c])) for b, c in pairs]
        ),
    )


def compare_classification(baseline: Item, candidate: Item) -> ClassificationAgreement:
    """Of two classification results (one image's summaries)."""
    return ClassificationAgreement(top1=LabelAgreement.of([(top1(baseline), top1(candidate))]))


def top1(result: Item) -> str:
    """The likeliest label of a classification result: its first ranked item, whether or
    not it cleared the model's `min_probability` (that is the `category`'s concern)."""
    ranked = result.get("items") or result.get("prediction") or []
    if ranked and isinstance(ranked[0], dict) and isinstance(ranked[0].get("label"), str):
        return str(ranked[0]["label"])
    return NO_LABEL


def total(counts: Iterable[BoxCounts]) -> BoxCounts:
    out = BoxCounts()
    for c in counts:
        out = out.plus(c)
    return out


def _box(item: Item) -> Box:
    try:
        x1, y1, x2, y2 = (float(v) for v in item["box"])
    except (KeyError, TypeError, ValueError):
        raise NotComparable("an item of the result has no box of four numbers") from None
    return x1, y1, x2, y2


def _confidence(item: Item) -> float:
    value = item.get("confidence")
    return float(value) if isinstance(value, int | float) else 0.0


def _label(item: Item) -> str:
    label = item.get("label")
    return label if isinstance(label, str) else str(item.get("class_id", NO_LABEL))


def _gender(item: Item) -> str:
    gender = item.get("gender")
    return gender if isinstance(gender, str) else NO_LABEL
