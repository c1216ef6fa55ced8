"""Whether a user's correction fits the result it corrects: a class the model has for a
classification, boxes inside the image with a class (or a gender) for detections and faces,
items that exist, a file of the batch. Each refusal is a sentence for the person who sent it."""

from __future__ import annotations

from ...store.feedback_records import Correction
from ..errors import Invalid
from .results import BOXES, GENDERS, Picture

_NOT_CORRECTABLE = (
    "Only classifications, detections and faces take a correction; say what is wrong in the "
    "note instead."
)


def picture_for(pictures: list[Picture], file: int | None, batch: bool) -> Picture | None:
    """The image a flag names: a batch's file by its index (None: the whole batch), or a
    one-image job's only image."""
    if not batch:
        if file not in (None, 0):
            raise Invalid("This prediction has one file: leave out `file`, or give 0.")
        return pictures[0] if pictures else None
    if file is None:
        return None
    if not 0 <= file < len(pictures):
        raise Invalid(f"`file` {file} is not a file of this batch: give 0 to {len(pictures) - 1}.")
    return pictures[file]


def check(
    correction: Correction,
    kind: str,
    picture: Picture | None,
    classes: list[str] | None,
    batch: bool,
) -> None:
    """Raise Invalid unless `correction` fits the image it is for (`picture`, from
    `picture_for`) in a result of item kind `kind`; `classes`: what the model could answer
    (None: not known, any class is taken)."""
    if correction.empty:
        return
    if kind != "classification" and kind not in BOXES:
        raise Invalid(_NOT_CORRECTABLE)
    if picture is None:
        what = "file" if batch else "image"
        raise Invalid(f"Say which {what} of the batch the correction is for (`file`).")
    if picture.error is not None:
        raise Invalid(
            f"The model could not read file {picture.index} ({picture.name}): there is no "
            "result to correct."
        )
    if kind == "classification":
        _check_class(correction, classes)
    else:
        _check_boxes(correction, kind, picture, classes)


def _check_class(correction: Correction, classes: list[str] | None) -> None:
    if correction.boxes or correction.wrong:
        raise Invalid("A classification is corrected with its right class (`label`), not boxes.")
    if correction.label is None:
        raise Invalid("Give the right class (`label`).")
    _known(correction.label, classes, "class")


def _check_boxes(
    correction: Correction, kind: str, picture: Picture, classes: list[str] | None
) -> None:
    if correction.label is not None:
        raise Invalid(
            "Boxes are corrected box by box: mark the wrong ones (`wrong`) and give the right "
            "ones with their class (`boxes`); `label` is for classifications."
        )
    count = len(picture.items)
    for index in correction.wrong:
        if not 0 <= index < count:
            raise Invalid(
                f"`wrong` names item {index}, but the result has {count} item"
                f"{'' if count == 1 else 's'} (0 to {count - 1})."
                if count
                else f"`wrong` names item {index}, but the model found nothing here."
            )
    if len(set(correction.wrong)) != len(correction.wrong):
        raise Invalid("`wrong` names an item more than once.")
    width, height = picture.width, picture.height
    for number, box in enumerate(correction.boxes, start=1):
        if kind == "faces":
            if box.label not in GENDERS:
                raise Invalid(f"Box {number}: a face's label is 'woman' or 'man'.")
        else:
            _known(box.label, classes, f"Box {number}: class")
        x1, y1, x2, y2 = box.box
        if not (x1 < x2 and y1 < y2):
            raise Invalid(f"Box {number} must have x1 < x2 and y1 < y2.")
        known = width is not None and height is not None
        if known and (x1 < 0 or y1 < 0 or x2 > (width or 0) or y2 > (height or 0)):
            raise Invalid(
                f"Box {number} ({x1:g}, {y1:g}, {x2:g}, {y2:g}) is outside the image, "
                f"which is {width} x {height} pixels."
            )


def _known(label: str, classes: list[str] | None, what: str) -> None:
    if classes is None or label in classes:
        return
    shown = ", ".join(f"'{c}'" for c in classes[:12]) + (", ..." if len(classes) > 12 else "")
    raise Invalid(f"{what.capitalize()} '{label}' is not one of the model's classes ({shown}).")
