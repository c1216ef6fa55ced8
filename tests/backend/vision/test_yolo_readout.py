"""How a YOLO network's output becomes an image's items (`yolo_net.nms`): a box is of its
best class, which a class filter then keeps or drops; YOLOv5's objectness weighs that score;
boxes given in fractions of the input are scaled to it without touching the output the
runtime owns; and the output read as columns (YOLOv8's exports) or as rows (YOLOv5's) gives
the same items."""

from __future__ import annotations

import numpy as np

from modelgallery.vision.families.yolo_net import BoxFilter, Letterboxed, nms
from modelgallery.vision.pipelines.image import Item

NAMES = {0: "person", 1: "bus", 2: "car"}
# The letterboxed input is the image at half size, shifted 10 px right and 20 px down.
BOXED = Letterboxed(np.zeros((1, 3, 8, 8), np.float32), ratio=0.5, pad=(10.0, 20.0))
IMAGE = (400, 300, 3)


def _columns(*boxes: list[float]) -> np.ndarray:
    """The output as a network gives it in columns: one column per candidate box."""
    return np.array(boxes, np.float32).T.copy()


def _read(
    table: np.ndarray, keep: BoxFilter, objectness: bool = False, scale: int = 1
) -> list[Item]:
    return nms(table, keep, objectness, BOXED, IMAGE, NAMES, scale)


def test_a_box_is_of_its_best_class_and_a_filter_on_classes_keeps_or_drops_it_whole() -> None:
    table = _columns(
        [110, 120, 40, 20, 0.6, 0.9, 0.1],  # a bus, though it passes as a person too
        [160, 60, 20, 20, 0.8, 0.1, 0.1],  # a person, reaching past the image's right edge
    )
    every_class = _read(table, BoxFilter(conf=0.25, iou=0.45, class_ids=None))
    assert [(i["label"], i["confidence"]) for i in every_class] == [("bus", 0.9), ("person", 0.8)]
    people = _read(table, BoxFilter(conf=0.25, iou=0.45, class_ids=[0]))
    assert [(i["label"], i["confidence"]) for i in people] == [("person", 0.8)]
    # back in the image's own pixels, (x - 10) / 0.5 and (y - 20) / 0.5, within the image
    assert every_class[0]["box"] == [160.0, 180.0, 240.0, 220.0]
    assert people[0]["box"] == [280.0, 60.0, 300.0, 100.0]


def test_objectness_weighs_the_class_score() -> None:
    table = _columns(
        [50, 50, 10, 10, 0.5, 0.6, 0.0, 0.0],  # 0.30: kept
        [150, 150, 10, 10, 0.4, 0.0, 0.6, 0.0],  # 0.24: under the threshold
        [250, 250, 10, 10, 0.2, 0.0, 0.0, 1.0],  # an objectness under it: dropped first
    )
    items = _read(table, BoxFilter(conf=0.25, iou=0.45, class_ids=None), objectness=True)
    assert [(i["label"], i["confidence"]) for i in items] == [("person", 0.3)]


def test_boxes_in_fractions_of_the_input_are_scaled_to_it_and_the_output_stays_as_it_was() -> None:
    table = _columns([110 / 640, 120 / 640, 40 / 640, 20 / 640, 0.1, 0.9, 0.1])
    given = table.copy()
    items = _read(table, BoxFilter(conf=0.25, iou=0.45, class_ids=None), scale=640)
    assert [i["box"] for i in items] == [[160.0, 180.0, 240.0, 220.0]]
    assert np.array_equal(table, given)  # the runtime may own this memory


def test_columns_and_rows_give_the_same_items() -> None:
    rng = np.random.default_rng(7)
    count = 500
    centres = rng.uniform(0, 320, (count, 2))
    sizes = rng.uniform(4, 80, (count, 2))
    scores = rng.uniform(0, 1, (count, len(NAMES))) ** 4  # mostly low, as a network's are
    rows = np.concatenate((centres, sizes, scores), 1).astype(np.float32)
    keep = BoxFilter(conf=0.25, iou=0.45, class_ids=[0, 2])
    as_columns = _read(np.ascontiguousarray(rows.T), keep)
    assert as_columns  # some pass
    assert _read(rows.T, keep) == as_columns  # a view of rows, as YOLOv5's outputs are read
