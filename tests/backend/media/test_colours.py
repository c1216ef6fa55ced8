"""One colour per class name: the server draws boxes with the rule the web UI colours its
boxes, overlay and timeline with; both are held to the same examples
(frontend/src/lib/classColour.examples.json, read by the UI's test too)."""

from __future__ import annotations

import json
from pathlib import Path

from modelgallery.media.colours import FIXED, PALETTE, bgr, label_colour

EXAMPLES = Path(__file__).parents[3] / "frontend" / "src" / "lib" / "classColour.examples.json"


def test_the_server_follows_the_rule_the_web_ui_follows() -> None:
    shared = json.loads(EXAMPLES.read_text())
    assert list(PALETTE) == shared["palette"]
    assert shared["fixed"] == FIXED
    assert {label: label_colour(label) for label in shared["examples"]} == shared["examples"]


def test_a_name_keeps_its_colour_and_faces_have_theirs() -> None:
    assert label_colour("person") == label_colour("person") in PALETTE
    assert label_colour("woman") == FIXED["woman"] and label_colour("uncertain") == "#4b5563"
    assert bgr("#1d4ed8") == (0xD8, 0x4E, 0x1D)
