"""One colour per class name, wherever a result is shown: the boxes drawn on an annotated image
or video here, and the web UI's boxes, video overlay and timeline legend
(frontend/src/lib/classColour.ts follows the same rule; a test holds both to the same
examples, frontend/src/lib/classColour.examples.json).

The rule: a few names have a colour of their own (a face's gender, "uncertain"); any other
name gets one of `PALETTE` by the FNV-1a hash of its UTF-8 bytes, so that a class keeps its
colour in every job and every model without a list of classes to agree on."""

from __future__ import annotations

# Twelve hues apart (red to slate), each dark enough to carry white label text at 4.5:1.
PALETTE = (
    "#b91c1c",
    "#c2410c",
    "#854d0e",
    "#4d7c0f",
    "#047857",
    "#0e7490",
    "#1d4ed8",
    "#4338ca",
    "#7c3aed",
    "#a21caf",
    "#be185d",
    "#475569",
)
FIXED = {"woman": "#be185d", "man": "#1d4ed8", "uncertain": "#4b5563", "face": "#047857"}

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def label_colour(label: str) -> str:
    """The colour of the class named `label`, as `#rrggbb`."""
    fixed = FIXED.get(label)
    if fixed is not None:
        return fixed
    digest = _FNV_OFFSET
    for byte in label.encode("utf-8"):
        digest = ((digest ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return PALETTE[digest % len(PALETTE)]


def bgr(colour: str) -> tuple[int, int, int]:
    """`#rrggbb` as OpenCV's (blue, green, red)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return blue, green, red
