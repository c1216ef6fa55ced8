"""What a generic network takes, and one image made into its input.

An entry declares its preprocessing (`options.preprocess`, a `Preprocessing`); what the
weights say of themselves (`weight_facts.read_facts`) fills in the rest, and a declared
value wins, but a size, channel count or layout the graph fixes cannot be changed.
`resolve` gives the complete `NetInput`, or says in a sentence what is missing or does not
fit (`check_fits`). `to_batch` makes a BGR uint8 image (as the pipelines decode it) into a
batch of one in the network's layout, and says where the image lies in it (`Placement`),
so that a per-pixel output can be mapped back onto the image (`to_image`).

Pixels go through `x * scale`, then `(x - mean) / std`, per channel in the order the
network takes them. `scale` defaults to 1/255, or to 1 when a mean is above 1 (given on
0..255 pixels, e.g. Caffe's [103.9, 116.8, 123.7]). A graph that takes uint8 gets the
pixels as they are: its own quantisation or first layers normalise them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError

from .weight_facts import InputType, Layout, WeightsFacts

if TYPE_CHECKING:
    import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1


class Preprocessing(BaseModel):
    """`options.preprocess` as an entry writes it; every field is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    size: tuple[PositiveInt, PositiveInt] | None = None  # width, height
    # stretch: to the size as it is; letterbox: the whole image, padded with `pad`;
    # center-crop: the shorter side to the size, the middle kept.
    resize: Literal["stretch", "letterbox", "center-crop"] = "stretch"
    mean: tuple[float, ...] | None = None
    std: tuple[PositiveFloat, ...] | None = None
    scale: PositiveFloat | None = None
    channels: Literal["rgb", "bgr"] = "rgb"  # the order of colour channels
    colour: Literal["rgb", "grayscale"] | None = None  # default: from the graph's channels
    layout: Layout | None = None
    dtype: InputType | None = None
    pad: int = Field(0, ge=0, le=255)  # the letterbox's grey level


def preprocessing_of(options: Mapping[str, Any]) -> Preprocessing:
    """The entry's `options.preprocess`; ValueError naming the field that is wrong."""
    try:
        return Preprocessing.model_validate(options.get("preprocess") or {})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"options.preprocess field '{field}': {error['msg']}") from None


@dataclass(frozen=True)
class NetInput:
    """The complete preprocessing of one network."""

    size: tuple[int, int]  # width, height
    resize: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    scale: float
    channels: str
    grayscale: bool
    layout: Layout
    dtype: InputType
    pad: int


@dataclass(frozen=True)
class Placement:
    """`inner` of the network's input (x0, y0, x1, y1 in its pixels) shows `source` of the
    image (in the image's pixels); the rest of the input is padding."""

    inner: Box
    source: Box
    size: tuple[int, int]  # the network's input, width and height
    image: tuple[int, int]  # the image's width and height


@dataclass(frozen=True)
class Prepared:
    batch: np.ndarray
    placement: Placement


def resolve(declared: Preprocessing, facts: WeightsFacts) -> NetInput:
    """The declaration completed by what the weights say. Raises ValueError with a
    sentence when the size is missing or something does not fit the graph."""
    size = declared.size or facts.fixed_size() or facts.size
    if size is None:
        why = (
            "a TorchScript file never says it"
            if facts.format == "torchscript"
            else "its graph takes any size and its metadata does not say"
        )
        raise ValueError(
            f"{facts.path.name}: the input size is unknown ({why}): declare it in the entry's "
            "options, e.g. options.preprocess.size = [224, 224] (width, height)"
        )
    depth = facts.channels()
    grayscale = declared.colour == "grayscale" if declared.colour else depth == 1
    channels = 1 if grayscale else 3
    mean = _per_channel(declared.mean or facts.mean or (0.0,), channels, "mean", facts)
    std = _per_channel(declared.std or facts.std or (1.0,), channels, "std", facts)
    if min(std) <= 0:
        raise ValueError(f"{facts.path.name}: every std must be above 0 (got {list(std)})")
    usual: Layout = "nhwc" if facts.format in ("tflite", "keras") else "nchw"
    net_input = NetInput(
        size=(int(size[0]), int(size[1])),
        resize=declared.resize,
        mean=mean,
        std=std,
        scale=declared.scale or (1.0 if max(mean) > 1 else 1 / 255),
        channels=declared.channels,
        grayscale=grayscale,
        layout=declared.layout or facts.layout() or usual,
        dtype=declared.dtype or facts.dtype or "float32",
        pad=declared.pad,
    )
    check_fits(net_input, facts)
    return net_input


def check_fits(net_input: NetInput, facts: WeightsFacts) -> None:
    """Raises ValueError, in a sentence, where the input made for the network is not what
    its graph takes: another fixed size, channel count, layout or type."""
    name, fixed, depth, layout = (
        facts.path.name,
        facts.fixed_size(),
        facts.channels(),
        facts.layout(),
    )
    width, height = net_input.size
    if fixed and fixed != net_input.size:
        raise ValueError(
            f"{name} takes {fixed[0]}x{fixed[1]} images, but options.preprocess.size says "
            f"{width}x{height}: declare [{fixed[0]}, {fixed[1]}] or leave it out"
        )
    if depth is not None and depth != (1 if net_input.grayscale else 3):
        said = "grayscale (1 channel)" if net_input.grayscale else "rgb (3 channels)"
        raise ValueError(
            f"{name} takes images of {depth} channel{'s' if depth != 1 else ''}, but "
            f"options.preprocess.colour says {said}"
        )
    if layout and net_input.layout != layout:
        raise ValueError(
            f"{name} takes {layout.upper()} input, but options.preprocess.layout says "
            f"{net_input.layout}"
        )
    if facts.dtype and net_input.dtype != facts.dtype:
        raise ValueError(
            f"{name} takes {facts.dtype} input, but options.preprocess.dtype says {net_input.dtype}"
        )


def _per_channel(
    values: Sequence[float], channels: int, what: str, facts: WeightsFacts
) -> tuple[float, ...]:
    if len(values) == 1:
        return tuple(float(values[0]) for _ in range(channels))
    if len(values) != channels:
        raise ValueError(
            f"{facts.path.name}: the {what} has {len(values)} values for an input of "
            f"{channels} channel{'s' if channels != 1 else ''}: give one per channel, or one "
            f"(options.preprocess.{what})"
        )
    return tuple(float(v) for v in values)


def to_batch(image: np.ndarray, spec: NetInput) -> Prepared:
    """A BGR uint8 image as the network's batch of one, and where the image lies in it."""
    import numpy as np

    width, height = spec.size
    h, w = image.shape[:2]
    if spec.resize == "letterbox":
        ratio = min(width / w, height / h)
        new_w, new_h = max(1, round(w * ratio)), max(1, round(h * ratio))
        left, top = (width - new_w) // 2, (height - new_h) // 2
        placed = np.full((height, width, 3), spec.pad, np.uint8)
        placed[top : top + new_h, left : left + new_w] = _resized(image, new_w, new_h)
        inner, source = (left, top, left + new_w, top + new_h), (0, 0, w, h)
    elif spec.resize == "center-crop":
        ratio = max(width / w, height / h)
        new_w, new_h = max(width, round(w * ratio)), max(height, round(h * ratio))
        left, top = (new_w - width) // 2, (new_h - height) // 2
        placed = _resized(image, new_w, new_h)[top : top + height, left : left + width]
        inner = (0, 0, width, height)
        source = (
            round(left / ratio),
            round(top / ratio),
            min(w, round((left + width) / ratio)),
            min(h, round((top + height) / ratio)),
        )
    else:
        placed, inner, source = _resized(image, width, height), (0, 0, width, height), (0, 0, w, h)
    return Prepared(_tensor(placed, spec), Placement(inner, source, (width, height), (w, h)))


def _resized(image: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    # INTER_AREA averages when shrinking (as the antialiased resizes of training code do);
    # it is no better than bilinear when enlarging.
    shrinking = width <= w and height <= h
    return cv2.resize(
        image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    )


def _tensor(placed: np.ndarray, spec: NetInput) -> np.ndarray:
    import cv2
    import numpy as np

    if spec.grayscale:
        pixels = cv2.cvtColor(placed, cv2.COLOR_BGR2GRAY)[:, :, None]
    elif spec.channels == "rgb":
        pixels = placed[:, :, ::-1]
    else:
        pixels = placed
    if spec.dtype == "uint8":
        x: Any = pixels
    else:
        x = pixels.astype(np.float32)
        x *= np.float32(spec.scale)
        x -= np.asarray(spec.mean, np.float32)
        x /= np.asarray(spec.std, np.float32)
    if spec.layout == "nchw":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x[None])


def to_image(values: np.ndarray, placement: Placement, fill: int) -> np.ndarray:
    """A per-pixel map of the network's input (at any resolution: an output may be smaller
    than the input) on the image's own pixels, each pixel taking the value under its centre
    (nearest, so class ids stay class ids); what the input did not show is `fill`."""
    import numpy as np

    def nearest(start: int, end: int, source: int, length: int, out: int) -> np.ndarray:
        """For each of `source` image pixels, the index of the output cell under it."""
        at = start + (np.arange(source) + 0.5) * (end - start) / source  # in input pixels
        return np.clip((at * out / length).astype(np.int64), 0, out - 1)

    (x0, y0, x1, y1), (sx0, sy0, sx1, sy1) = placement.inner, placement.source
    rows = nearest(y0, y1, sy1 - sy0, placement.size[1], values.shape[0])
    cols = nearest(x0, x1, sx1 - sx0, placement.size[0], values.shape[1])
    shown: np.ndarray = values[rows[:, None], cols[None, :]]
    width, height = placement.image
    if (sx0, sy0, sx1, sy1) == (0, 0, width, height):
        return shown
    full = np.full((height, width), fill, values.dtype)
    full[sy0:sy1, sx0:sx1] = shown
    return full
