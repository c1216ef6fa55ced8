"""One colour per class name: the server draws boxes with the rule the web UI colours its
boxes, overlay and timeline with; both are held to the same examples
(frontend/src/lib/classColour.examples.json, read by the UI's test too)."""

from __future__ import annotations

import json
from pathlib import Path

from modelgallery.media.colours import FIXED, PALETTE, bgr, class_colours, label_colour

EXAMPLES = Path(__file__).parents[3] / "frontend" / "src" / "lib" / "classColour.examples.json"


def test_the_server_follows_the_rule_the_web_ui_follows() -> None:
    shared = json.loads(EXAMPLES.read_text())
    assert list(PALETTE) == shared["palette"]
    assert shared["fixed"] == FIXED
    assert {label: label_colour(label) for label in shared["examples"]} == shared["examples"]
    for result in shared["results"]:
        assert class_colours(result["labels"]) == result["colours"], result["labels"]


def test_a_name_keeps_its_colour_and_faces_have_theirs() -> None:
    assert label_colour("person") == label_colour("person") in PALETTE
    assert label_colour("woman") == FIXED["woman"] and label_colour("uncertain") == "#4b5563"
    assert bgr("#1d4ed8") == (0xD8, 0x4E, 0x1D)


def test_the_classes_of_one_result_never_share_a_colour_while_colours_are_left() -> None:
    names = ["tv", "dining table", "potted plant", "chair", "person", "refrigerator"]
    assert label_colour("dining table") == label_colour("person")  # by their names alone
    colours = class_colours(names)
    assert len(set(colours.values())) == len(names)
    # a class keeps its own colour when no class before it took it
    assert colours["dining table"] == label_colour("dining table")
    assert colours["tv"] == label_colour("tv")
    # nor does one next to a class whose own colour is a neighbouring hue
    assert PALETTE.index(label_colour("bus")) - PALETTE.index(label_colour("person")) == 1
    apart = class_colours(["person", "bus"])
    assert abs(PALETTE.index(apart["person"]) - PALETTE.index(apart["bus"])) > 1
    # the order the classes come in does not matter
    assert class_colours(reversed(names)) == colours
    twelve = [f"class {i}" for i in range(40)]
    assert len(set(class_colours(twelve[:12]).values())) == 12
    assert set(class_colours(twelve).values()) == set(PALETTE)  # then colours repeat


def test_names_with_a_colour_of_their_own_keep_it() -> None:
    assert class_colours(["woman", "man", "uncertain"]) == {
        name: FIXED[name] for name in ("woman", "man", "uncertain")
    }
