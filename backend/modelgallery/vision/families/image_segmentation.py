"""`image-segmentation`: a user's own 2D semantic segmentation network (a class per pixel),
served from its weights with no code (ONNX, TFLite, Keras, TorchScript or OpenVINO IR;
`runtimes/generic_net.py`).

Registry options (`[models.NAME.options]`): `preprocess` and `labels` as for
`image-classification`; `background` (the class id that is no finding, 0 by default);
`threshold` (0.5: a one-channel output's foreground from this probability); `output`
("auto", "logits" or "probabilities", for `min_probability`).

The network's output may be scores per class, (N, C, H, W) or (N, H, W, C), of which the
best class is taken; one channel of foreground probability (or logit); or class ids. It is
mapped back onto the image (nearest, `preprocess.to_image`): what a centre crop left out
is background.

One image gives `mask.png` (8-bit palette PNG of class ids, the background transparent,
each class in the colour it has in every result), `annotated.jpg` (the mask blended at
half strength) and `result.json`; a batch gives `NNN-<name>-mask.png` beside each
`NNN-<name>.jpg`. Items: one per class found, `{label, class_id, pixels, fraction, color}`,
the largest first."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from ...media.annotate import class_colour
from ..declarations import Output, Param, ResultKind, RuntimeName
from ..params import with_defaults
from ..pipelines.artifacts import Artifacts
from ..pipelines.image import ImagePipeline, ImageResult, Item
from ..preprocess import to_image
from ..runtimes.generic_net import ALL_RUNTIMES, Network, open_network
from ..runtimes.selection import thread_budget

if TYPE_CHECKING:
    import numpy as np

_MAX_CLASSES = 256  # the mask is an 8-bit PNG
_OUTPUTS = ("auto", "logits", "probabilities")


@dataclass(frozen=True)
class SegmentSettings:
    min_probability: float


@dataclass(frozen=True)
class Decoding:
    """How a network's output becomes class ids (`class_ids`)."""

    axis: int | None  # of the scores per class; None: a map of ids or of one probability
    threshold: float = 0.5  # one channel: foreground from this probability
    output: str = "auto"  # logits, probabilities, or auto: told by their range
    background: int = 0


class Segmentation(list[Item]):
    """One image's items, with its class map (the image's size) for the mask and drawing."""

    def __init__(self, items: list[Item], class_map: np.ndarray, background_pixels: int):
        super().__init__(items)
        self.class_map = class_map
        self.background_pixels = background_pixels

    def __reduce__(self) -> tuple[type[list[Item]], tuple[list[Item]]]:
        # A plain list once it leaves the worker (a result's summary is pickled to the API).
        return list, (list(self),)


class ImageSegmenter(ImagePipeline[SegmentSettings]):
    params: ClassVar[dict[str, Param]] = {
        "min_probability": Param(
            type="float",
            default=0.0,
            min=0.0,
            max=0.99,
            label="Minimum probability",
            description="Pixels whose likeliest class is less likely than this count as "
            "background (0: every pixel gets its likeliest class).",
        ),
    }
    outputs: ClassVar[tuple[Output, ...]] = (
        Output(
            name="mask.png",
            media_type="image/png",
            role="mask",
            description="The class of every pixel, as an image of class numbers (PNG)",
        ),
        Output(
            name="annotated.jpg",
            media_type="image/jpeg",
            role="annotated",
            description="Your image with the classes coloured over it",
        ),
        Output(
            name="result.json",
            media_type="application/json",
            role="data",
            description="The classes found and the share of the image each covers (JSON)",
        ),
        Output(
            name="{NNN}-{file}-mask.png",
            media_type="image/png",
            role="mask",
            when="zip",
            description="The mask of each image, numbered in upload order (PNG)",
        ),
        *(o for o in ImagePipeline.outputs if o.when == "zip"),
    )
    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **ImagePipeline.result_kinds,
        "image": "segmentation",
    }
    runtimes: ClassVar[tuple[RuntimeName, ...]] = ALL_RUNTIMES
    csv_columns: ClassVar[tuple[str, ...]] = ("mask", "classes_found", "fractions")

    network: Network
    labels: list[str]

    def load(self) -> None:
        options = self.spec.options
        self.background = int(options.get("background", 0))
        output = str(options.get("output", "auto"))
        if output not in _OUTPUTS:
            raise ValueError(f"options.output '{output}': use {', '.join(_OUTPUTS)}")
        self.network = open_network(
            self.spec.weight_paths, options, self.spec.runtime or "auto", thread_budget()
        )
        self.runtime = self.network.runtime
        given = self.network.labels
        raw, _ = self.network.run(self.network.blank())
        axis = class_axis(raw.shape, len(given) if given else None, self.layout)
        threshold = float(options.get("threshold", 0.5))
        self.decoding = Decoding(axis, threshold, output, self.background)
        count = raw.shape[axis] if axis is not None else 2
        self.labels = given or [f"class {i}" for i in range(max(count, 2))]
        self.classes = self.labels

    @property
    def layout(self) -> str:
        return self.network.net_input.layout

    def check_loaded(self) -> None:
        """Raises ValueError, in a sentence, when the loaded network does not fit its entry:
        an output that is no map per pixel, another class count than the labels, more
        classes than an 8-bit mask holds, or a background outside the classes; and the
        input, as `ImageClassifier.check_loaded`."""
        self.network.check_input()
        raw, _ = self.network.run(self.network.blank())
        axis = class_axis(raw.shape, len(self.labels), self.layout)
        scores = raw.shape[axis] if axis is not None else None
        if scores not in (None, 1) and scores != len(self.labels):
            given = f"{len(self.labels)} label{' was' if len(self.labels) == 1 else 's were'}"
            raise ValueError(
                f"the model gives {scores} scores per pixel but {given} given: "
                "give one label per class, in the order of the scores"
            )
        if len(self.labels) > _MAX_CLASSES:
            raise ValueError(f"{len(self.labels)} classes: the mask holds at most {_MAX_CLASSES}")
        if not 0 <= self.background < len(self.labels):
            raise ValueError(
                f"options.background {self.background} is not a class id of this model "
                f"(0 to {len(self.labels) - 1})"
            )

    def use_threads(self, threads: int) -> None:
        self.network.use_threads(threads)

    def warmup(self) -> None:
        self.infer(self.network.blank(), SegmentSettings(0.0))

    def prepare(self, params: dict[str, Any]) -> SegmentSettings:
        values = with_defaults(self.spec.params or self.params, params)
        return SegmentSettings(float(values["min_probability"]))

    def infer(self, image: np.ndarray, settings: SegmentSettings) -> list[Item]:
        import numpy as np

        raw, placement = self.network.run(image)
        ids = class_ids(raw, self.decoding, settings.min_probability)
        if int(ids.max(initial=0)) >= _MAX_CLASSES:
            raise ValueError(f"the model gave class {int(ids.max())}: a mask holds 0 to 255")
        full = to_image(ids.astype(np.uint8), placement, self.background)
        counts = np.bincount(full.ravel(), minlength=len(self.labels))
        items: list[Item] = [
            {
                "label": self._label(i),
                "class_id": i,
                "pixels": int(n),
                "fraction": round(int(n) / full.size, 4),
                "color": colour_hex(i),
            }
            for i, n in enumerate(counts.tolist())
            if n and i != self.background
        ]
        items.sort(key=lambda item: -int(item["pixels"]))
        return Segmentation(items, full, int(counts[self.background]))

    def draw(self, image: np.ndarray, items: list[Item]) -> np.ndarray:
        import numpy as np

        if not isinstance(items, Segmentation):
            return image.copy()
        found = items.class_map != self.background
        colours = np.asarray(_palette(), np.uint16)  # BGR
        out = image.copy()
        out[found] = (image[found].astype(np.uint16) + colours[items.class_map[found]]) // 2
        return out

    def summarise(self, items: list[Item]) -> dict[str, Any]:
        if not isinstance(items, Segmentation):  # not this family's items
            return {}
        return {
            "classes_found": len(items),
            "background": self._label(self.background),
            "background_fraction": round(items.background_pixels / items.class_map.size, 4),
        }

    def csv_row(self, result: ImageResult) -> dict[str, Any]:
        return {
            "classes_found": len(result.items),
            "fractions": "; ".join(f"{i['label']}={i['fraction']}" for i in result.items),
        }

    def write_extras(
        self, image: np.ndarray, result: ImageResult, stem: str, artifacts: Artifacts
    ) -> dict[str, Any]:
        """The mask beside the annotated image: `mask.png`, or in a batch
        `NNN-<name>-mask.png`, named in that file's entry of results.json and CSV row."""
        if not isinstance(result.items, Segmentation):
            return {}
        name = f"{stem}-mask.png" if stem else "mask.png"
        artifacts.write_bytes(name, mask_png(result.items.class_map, self.background))
        return {"mask": name} if stem else {}

    def _label(self, class_id: int) -> str:
        return self.labels[class_id] if class_id < len(self.labels) else f"class {class_id}"


def class_axis(shape: tuple[int, ...], labels: int | None, layout: str) -> int | None:
    """Which axis of an output holds the classes' scores (None: the output is a map of
    class ids or of one probability); ValueError for an output that is no map per pixel."""
    if len(shape) in (2, 3):
        return None
    if len(shape) != 4:
        raise ValueError(
            f"the model gives an output of shape {list(shape)}, not a map per pixel "
            "(N, C, H, W), (N, H, W, C) or (N, H, W)"
        )
    if labels is not None and (shape[1] == labels) != (shape[3] == labels):
        return 1 if shape[1] == labels else 3
    return 1 if layout == "nchw" else 3


def class_ids(raw: np.ndarray, decoding: Decoding, min_probability: float = 0.0) -> np.ndarray:
    """The class id of every pixel of the network's output (at its own resolution)."""
    import numpy as np

    x = raw[0] if raw.ndim >= 3 else raw  # the batch of one
    if decoding.axis is not None:
        x = np.moveaxis(x, decoding.axis - 1, -1)  # H, W, C
        if x.shape[-1] == 1:
            x = x[..., 0]
    if x.ndim == 2:
        lowest, highest = float(x.min(initial=0)), float(x.max(initial=0))
        if lowest >= 0 and highest > 1 and bool(np.all(np.mod(x, 1) == 0)):  # ids already
            return np.asarray(x, np.int64)
        if decoding.output == "logits" or (
            decoding.output == "auto" and not 0 <= lowest <= highest <= 1
        ):
            x = 1 / (1 + np.exp(-x))
        return np.where(x >= decoding.threshold, 1, 0)
    ids = x.argmax(-1)
    if min_probability > 0:
        summed = float(x.min()) >= 0 and np.allclose(x.sum(-1), 1, atol=0.02)
        if decoding.output == "logits" or (decoding.output == "auto" and not summed):
            e = np.exp(x - x.max(-1, keepdims=True))
            x = e / e.sum(-1, keepdims=True)
        ids = np.where(x.max(-1) >= min_probability, ids, decoding.background)
    return np.asarray(ids, np.int64)


@cache
def _palette() -> tuple[tuple[int, int, int], ...]:
    """Each class id's colour (BGR): the one it has in every result of every model."""
    return tuple(class_colour(class_id) for class_id in range(_MAX_CLASSES))


def colour_hex(class_id: int) -> str:
    blue, green, red = class_colour(class_id)
    return f"#{red:02x}{green:02x}{blue:02x}"


def mask_png(class_map: np.ndarray, background: int) -> bytes:
    """An 8-bit palette PNG of the class ids, each in its class colour, the background
    transparent (the PNG's own transparency, so that it lays over the image as it is)."""
    from PIL import Image

    height, width = class_map.shape
    image = Image.frombytes("P", (width, height), class_map.astype("uint8").tobytes())
    image.putpalette([value for bgr in _palette() for value in reversed(bgr)])
    alpha = bytes(0 if i == background else 255 for i in range(_MAX_CLASSES))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=alpha, optimize=False)
    return buffer.getvalue()
