"""Drawing labelled boxes from a result's items alone (`media/annotate.py`), as the families
do and as the API does when a deferred annotated image is first downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelgallery.media.annotate import (
    annotate,
    can_annotate,
    class_colour,
    draw_result,
    label_corner,
)
from modelgallery.media.colours import bgr, class_colours, label_colour
from modelgallery.media.images import decode_image

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

DETECTION = {"class_id": 2, "label": "car", "confidence": 0.91, "box": [10.2, 20.0, 60.7, 50.0]}
FACE = {"box": [30, 10, 70, 60], "gender": "woman", "probability": 0.88}
CAR = bgr(label_colour("car"))  # the class name's colour, as the web UI shows it


def test_boxes_are_drawn_on_a_copy_in_the_colour_of_their_class() -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    drawn = annotate(image, "detections", [DETECTION])
    assert not image.any()  # the input is untouched
    assert drawn.shape == image.shape
    assert tuple(drawn[50, 35]) == CAR  # the bottom edge of the box
    # by its name, whatever its id in one model or another
    other = annotate(image, "detections", [{**DETECTION, "class_id": 7}])
    assert np.array_equal(drawn, other)
    assert not drawn[75:, 80:].any()  # nothing outside the box and its label


def test_two_classes_of_one_image_that_share_a_colour_by_name_are_drawn_apart() -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    table = {**DETECTION, "label": "dining table", "box": [10, 10, 50, 50]}
    person = {**DETECTION, "label": "person", "box": [60, 10, 110, 90]}
    drawn = annotate(image, "detections", [table, person])
    colours = class_colours(["dining table", "person"])
    assert tuple(drawn[50, 30]) == bgr(colours["dining table"]) == bgr(label_colour("person"))
    assert tuple(drawn[90, 85]) == bgr(colours["person"]) != bgr(label_colour("person"))
    # a video's frames are drawn in the colours of all its classes
    video = annotate(image, "detections", [person], colours)
    assert tuple(video[90, 85]) == bgr(colours["person"])


def test_faces_are_labelled_by_gender() -> None:
    drawn = annotate(np.zeros((100, 120, 3), np.uint8), "faces", [FACE])
    assert tuple(drawn[60, 50]) == bgr(label_colour("woman"))


def test_classes_keep_distinct_colours() -> None:
    assert len({class_colour(c) for c in range(80)}) == 80
    assert class_colour(5) == class_colour(5)


def test_only_labelled_box_kinds_can_be_drawn() -> None:
    assert can_annotate("detections") and can_annotate("faces")
    assert not can_annotate("volume-mask") and not can_annotate("generic")


def test_a_result_is_drawn_once_from_its_input(tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    cv2.imwrite(str(source), np.full((100, 120, 3), 40, np.uint8))
    target = tmp_path / "annotated.jpg"
    draw_result(source, "detections", [DETECTION], target)
    first = target.read_bytes()
    assert decode_image(first).shape == (100, 120, 3)
    draw_result(source, "detections", [], target)  # drawn already: kept as it is
    assert target.read_bytes() == first
    assert not list(tmp_path.glob(".*.part"))


def test_an_uncertain_face_is_drawn_grey_without_gender_or_percentage() -> None:
    image = np.zeros((100, 240, 3), np.uint8)
    uncertain = {"box": [30, 40, 70, 90], "gender": "uncertain", "probability": 0.64}
    drawn = annotate(image, "faces", [{**uncertain, "uncertain": ["low_probability"]}])
    grey = bgr(label_colour("uncertain"))
    assert tuple(drawn[90, 50]) == grey  # the bottom edge of the box
    # The chip holds "uncertain" only: as wide as that text, the same whatever the probability.
    (width, height), base = cv2.getTextSize("uncertain", cv2.FONT_HERSHEY_SIMPLEX, 0.5, 2)
    row = 40 - height - base - 4 + 1
    assert tuple(drawn[row, 30 + width + 6]) == grey and not drawn[row, 30 + width + 8].any()
    again = annotate(image, "faces", [{**uncertain, "probability": 0.99}])
    assert np.array_equal(drawn, again)
    small = annotate(image, "faces", [{**uncertain, "uncertain": ["small_face"]}])
    (wide, _), _ = cv2.getTextSize("uncertain: small face", cv2.FONT_HERSHEY_SIMPLEX, 0.5, 2)
    assert tuple(small[row, 30 + wide + 6]) == grey


def test_a_label_stays_inside_the_image_at_its_edges() -> None:
    # above the box; inside it at the top; moved left at the right edge, up at the bottom
    assert label_corner((50, 40), (30, 12), (200, 100)) == (50, 28)
    assert label_corner((50, 5), (30, 12), (200, 100)) == (50, 5)
    assert label_corner((190, 40), (30, 12), (200, 100)) == (170, 28)
    assert label_corner((10, 95), (30, 12), (200, 100)) == (10, 83)
    # wider than the image: from its left edge
    assert label_corner((10, 40), (300, 12), (200, 100)) == (0, 28)


def test_the_label_of_a_box_at_the_right_edge_is_drawn_whole() -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    item = {**DETECTION, "box": [100, 40, 119, 80]}
    drawn = annotate(image, "detections", [item])
    (width, height), base = cv2.getTextSize("car 0.91", cv2.FONT_HERSHEY_SIMPLEX, 0.5, 2)
    row = 40 - height - base - 4 + 1
    colour = CAR
    # the chip ends at the image's right edge and starts its full width before it
    assert tuple(drawn[row, 119]) == colour
    assert tuple(drawn[row, 120 - width - 6]) == colour
