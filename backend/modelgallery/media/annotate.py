"""Drawing a result on its image, from the items alone, for the result kinds whose items are
labelled boxes (`detections`, `faces`). The families draw with it, and so can the API when
an annotated image is first downloaded: a single-image job answers as soon as its items are
known, and nobody waits for a drawing that nobody may open."""

from __future__ import annotations

import colorsys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .colours import bgr, class_colours, label_colour
from .images import decode_image, write_jpeg

Colour = tuple[int, int, int]  # BGR
_WHITE: Colour = (255, 255, 255)
_GOLDEN_RATIO = 0.618033988749895  # successive classes get hues far apart on the circle


def class_colour(class_id: int) -> Colour:
    """A class id's colour in the segmentation masks (labelled boxes are coloured by their
    class name: `colours.label_colour`)."""
    red, green, blue = colorsys.hsv_to_rgb((class_id * _GOLDEN_RATIO) % 1.0, 0.85, 0.95)
    return round(blue * 255), round(green * 255), round(red * 255)


def _detection(item: dict[str, Any]) -> tuple[str, str]:
    label = str(item["label"])
    text = f"{label} {item['confidence']:.2f}"
    track = item.get("track_id")  # on a tracked video: which object it is
    return (text if track is None else f"#{track} {text}"), label


def _face(item: dict[str, Any]) -> tuple[str, str]:
    gender = str(item["gender"])
    if gender != "uncertain":
        return f"{gender} {item['probability']:.2f}", gender
    # "uncertain": no gender and no percentage drawn, so that it cannot be read as an answer.
    small = "small_face" in item.get("uncertain", [])
    return ("uncertain: small face" if small else "uncertain"), gender


# How each kind of item is captioned, and the class it is coloured as.
_LABELS: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "detections": _detection,
    "faces": _face,
}


def can_annotate(result_kind: str) -> bool:
    return result_kind in _LABELS


def annotate(
    image: Any,
    result_kind: str,
    items: list[dict[str, Any]],
    colours: Mapping[str, str] | None = None,
) -> Any:
    """A copy of `image` (BGR) with each item's box and label drawn, sized to the image, in
    the colours of the result's classes: `colours` (a video's, for all its frames), else
    those of the classes of `items` (`colours.class_colours`)."""
    import cv2

    label_of = _LABELS[result_kind]
    if colours is None:
        colours = class_colours(label_of(item)[1] for item in items)
    out = image.copy()
    h, w = out.shape[:2]
    thickness = max(2, round(max(h, w) / 500))
    font_scale = max(0.5, max(h, w) / 1600)
    for item in items:
        x1, y1, x2, y2 = (round(v) for v in item["box"])
        text, label = label_of(item)
        colour = bgr(colours.get(label) or label_colour(label))
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        left, top = label_corner((x1, y1), (tw + 6, th + base + 4), (w, h))
        cv2.rectangle(out, (left, top), (left + tw + 6, top + th + base + 4), colour, -1)
        cv2.putText(
            out,
            text,
            (left + 3, top + th + 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            _WHITE,
            thickness,
            cv2.LINE_AA,
        )
    return out


def label_corner(
    box_corner: tuple[int, int], label: tuple[int, int], image: tuple[int, int]
) -> tuple[int, int]:
    """Where a label of size `label` (width, height) goes for a box whose top left corner is
    `box_corner`: above the box, or inside it when the box touches the top of the image;
    moved left or up as far as needed to stay inside the image (a box at its right or
    bottom edge), never past its left or top edge."""
    (x, y), (width, height), (image_w, image_h) = box_corner, label, image
    top = y - height if y - height >= 0 else y
    return max(0, min(x, image_w - width)), max(0, min(top, image_h - height))


def draw_result(source: Path, result_kind: str, items: list[dict[str, Any]], target: Path) -> None:
    """The annotated JPEG of a one-image result, drawn from its input and its items, unless
    it was drawn already."""
    if target.is_file():
        return
    image = decode_image(source.read_bytes())
    write_jpeg(target, annotate(image, result_kind, items))
