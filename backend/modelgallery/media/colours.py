"""One colour per class name, wherever a result is shown: the boxes drawn on an annotated image
or video here, and the web UI's boxes, video overlay and timeline legend
(frontend/src/lib/classColour.ts follows the same rule; a test holds both to the same
examples, frontend/src/lib/classColour.examples.json).

The rule: a few names have a colour of their own (a face's gender, "uncertain"); any other
name gets one of `PALETTE` by the FNV-1a hash of its UTF-8 bytes, so that a class keeps its
colour in every job and every model without a list of classes to agree on. Twelve colours
for many more names collide often (two of six classes share one in 3 results of 4), and
neighbouring hues look alike (person and bus: violet and fuchsia), so the classes of one
result are coloured together (`class_colours`): a class keeps its own colour unless an
earlier class took it or a neighbour of it, and two classes drawn side by side never share a
colour while there are colours left."""

from __future__ import annotations

from collections.abc import Iterable

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
_STEP = 5  # a taken colour's stand-ins: 5 of the 12 hues (150 degrees) on, then 10, 3, ...


def label_colour(label: str) -> str:
    """The colour of the class named `label`, as `#rrggbb`."""
    fixed = FIXED.get(label)
    if fixed is not None:
        return fixed
    digest = _FNV_OFFSET
    for byte in label.encode("utf-8"):
        digest = ((digest ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return PALETTE[digest % len(PALETTE)]


def class_colours(labels: Iterable[str]) -> dict[str, str]:
    """The colours of the classes one result names (its items' labels, or a video's
    classes). The names with a colour of their own take it first; then the others, in the
    order of their UTF-16 code units (as the web UI sorts them), each the first colour,
    from its own (`label_colour`) on in steps of `_STEP` hues, that is free with both its
    neighbours in `PALETTE`; else the first that is free; else its own."""
    ordered = sorted(set(labels), key=lambda name: (name not in FIXED, name.encode("utf-16-be")))
    size = len(PALETTE)
    taken: set[int] = set()  # indexes in PALETTE

    def clear(index: int) -> bool:
        return not {(index - 1) % size, index, (index + 1) % size} & taken

    colours: dict[str, str] = {}
    for name in ordered:
        colour = label_colour(name)
        if name not in FIXED:
            start = PALETTE.index(colour)
            free = [i for k in range(size) if (i := (start + _STEP * k) % size) not in taken]
            index = next((i for i in free if clear(i)), free[0] if free else start)
            colour = PALETTE[index]
        colours[name] = colour
        if colour in PALETTE:
            taken.add(PALETTE.index(colour))
    return colours


def bgr(colour: str) -> tuple[int, int, int]:
    """`#rrggbb` as OpenCV's (blue, green, red)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return blue, green, red
