"""`image-classification`: a user's own image classifier, served from its weights with no
code (ONNX, TFLite, Keras, TorchScript or OpenVINO IR; `runtimes/generic_net.py`).

Registry options (`[models.NAME.options]`):
    preprocess   how an image becomes the network's input (`preprocess.Preprocessing`:
                 size, resize, mean, std, scale, channels, colour, layout, dtype, pad);
                 what the weights say themselves fills in the rest.
    labels       a list, or the name of a file among the weights with one label a line;
                 default: the weights' metadata, else "class 0" ... "class N-1".
    multi_label  false (default): one answer per image, the scores made probabilities by a
                 softmax; true: each class on its own, by a sigmoid, kept from `threshold`.
    output       "auto" (default): a softmax or sigmoid only where the scores are not
                 probabilities already; "logits" or "probabilities" to say which they are.

Items are the `top_k` classes, best first: `{label, class_id, probability}`. The summary
says the answer: `category` (the top label, or "uncertain" when its probability is below
`min_probability`, or for several labels below `threshold`), `uncertain` (why), and
`prediction` (the ranked list again, the shape this project's first design answered)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..declarations import Param, ResultKind, RuntimeName
from ..params import with_defaults
from ..pipelines.image import ImagePipeline, ImageResult, Item
from ..runtimes.generic_net import ALL_RUNTIMES, Network, open_network
from ..runtimes.selection import thread_budget

if TYPE_CHECKING:
    import numpy as np

UNCERTAIN = "uncertain"
_OUTPUTS = ("auto", "logits", "probabilities")
_LISTED_CLASSES = 100  # more labels than this are left out of every result (see result_facts)


@dataclass(frozen=True)
class ClassifySettings:
    top_k: int
    min_probability: float
    threshold: float


class Ranking(list[Item]):
    """One image's ranked items, with the answer drawn from them (read by `summarise`)."""

    def __init__(self, items: list[Item], category: str, uncertain: list[str], above: list[str]):
        super().__init__(items)
        self.category = category
        self.uncertain = uncertain
        self.above = above  # multi-label: the labels at or above the threshold

    def __reduce__(self) -> tuple[type[list[Item]], tuple[list[Item]]]:
        # A plain list once it leaves the worker (a result's summary is pickled to the API).
        return list, (list(self),)


class ImageClassifier(ImagePipeline[ClassifySettings]):
    params: ClassVar[dict[str, Param]] = {
        "top_k": Param(
            type="int",
            default=5,
            min=1,
            max=20,
            label="Labels to list",
            description="How many of the likeliest labels to list.",
        ),
        "min_probability": Param(
            type="float",
            default=0.5,
            min=0.0,
            max=1.0,
            label="Minimum probability",
            description="One label per image: below this probability the answer is "
            "'uncertain' instead of a guess.",
        ),
        "threshold": Param(
            type="float",
            default=0.5,
            min=0.01,
            max=0.99,
            label="Label threshold",
            description="Several labels per image: a label applies from this probability.",
        ),
    }
    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **ImagePipeline.result_kinds,
        "image": "classification",
    }
    runtimes: ClassVar[tuple[RuntimeName, ...]] = ALL_RUNTIMES
    csv_columns: ClassVar[tuple[str, ...]] = ("category", "probability")

    network: Network
    labels: list[str]
    multi_label: bool

    def load(self) -> None:
        options = self.spec.options
        self.multi_label = bool(options.get("multi_label", False))
        self.output = str(options.get("output", "auto"))
        if self.output not in _OUTPUTS:
            raise ValueError(f"options.output '{self.output}': use {', '.join(_OUTPUTS)}")
        self.network = open_network(
            self.spec.weight_paths, options, self.spec.runtime or "auto", thread_budget()
        )
        self.runtime = self.network.runtime
        scores = self._raw(self.network.blank()).size
        count = 2 if scores == 1 and not self.multi_label else scores  # one score: binary
        self.labels = self.network.labels or [f"class {i}" for i in range(count)]
        self.classes = self.labels

    def check_loaded(self) -> None:
        """Raises ValueError, in a sentence, when the loaded network does not fit its entry:
        an input of another size (or channels, layout, type) than declared, an output of
        another class count than the labels. Run after `load` (`jobs.runner.load_checked`);
        a file that is not the format its name says already failed `load`."""
        self.network.check_input()
        scores = self._raw(self.network.blank()).size
        binary = scores == 1 and len(self.labels) == 2 and not self.multi_label
        if scores != len(self.labels) and not binary:
            given = f"{len(self.labels)} label{' was' if len(self.labels) == 1 else 's were'}"
            raise ValueError(
                f"the model gives {scores} scores but {given} given: "
                "give one label per score, in the order of the scores"
            )

    def use_threads(self, threads: int) -> None:
        self.network.use_threads(threads)

    def warmup(self) -> None:
        self.infer(self.network.blank(), ClassifySettings(1, 0.5, 0.5))

    def result_facts(self) -> dict[str, Any]:
        # A classifier answers with one of its labels, so they say what it cannot see too;
        # a thousand of them in every result is only weight: GET /api/models lists them.
        facts = super().result_facts()
        if len(self.labels) > _LISTED_CLASSES:
            facts.pop("model_classes", None)
        return facts

    def prepare(self, params: dict[str, Any]) -> ClassifySettings:
        values = with_defaults(self.spec.params or self.params, params)
        return ClassifySettings(
            int(values["top_k"]), float(values["min_probability"]), float(values["threshold"])
        )

    def infer(self, image: np.ndarray, settings: ClassifySettings) -> list[Item]:
        import numpy as np

        probs = probabilities(self._raw(image), self.multi_label, self.output, len(self.labels))
        order = np.argsort(-probs, kind="stable")[: settings.top_k]
        items = [
            {"label": self.labels[i], "class_id": int(i), "probability": round(float(probs[i]), 4)}
            for i in order
        ]
        return decide(items, self.multi_label, settings)

    def draw(self, image: np.ndarray, items: list[Item]) -> np.ndarray:
        category = items.category if isinstance(items, Ranking) else UNCERTAIN
        text = category if category == UNCERTAIN else f"{category} {items[0]['probability']:.2f}"
        return caption(image, text, certain=category != UNCERTAIN)

    def summarise(self, items: list[Item]) -> dict[str, Any]:
        if not isinstance(items, Ranking):  # not this family's items
            return {}
        summary: dict[str, Any] = {
            "category": items.category,
            "probability": items[0]["probability"] if items else None,
            "uncertain": items.uncertain,
            "multi_label": self.multi_label,
            "prediction": [dict(item) for item in items],
        }
        if self.multi_label:
            summary["labels"] = items.above
        return summary

    def csv_row(self, result: ImageResult) -> dict[str, Any]:
        return {key: result.summary.get(key) for key in self.csv_columns}

    def _raw(self, image: np.ndarray) -> np.ndarray:
        out, _ = self.network.run(image)
        return out.reshape(-1)


def probabilities(scores: np.ndarray, multi_label: bool, output: str, labels: int) -> np.ndarray:
    """The network's scores as a probability per label: a softmax (one label per image) or
    a sigmoid (several), unless they are probabilities already. One score for two labels
    is a binary classifier's: the probability of the second label."""
    import numpy as np

    x = scores.astype(np.float64).reshape(-1)
    in_range = bool(x.size) and float(x.min()) >= 0 and float(x.max()) <= 1
    if multi_label or (x.size == 1 and labels == 2):
        already = output == "probabilities" or (output == "auto" and in_range)
        p = x if already else 1 / (1 + np.exp(-x))
        return np.concatenate([1 - p, p]) if x.size == 1 and labels == 2 and not multi_label else p
    summed = in_range and abs(float(x.sum()) - 1) < 0.02
    if output == "probabilities" or (output == "auto" and summed):
        return x
    e = np.exp(x - x.max())
    return np.asarray(e / e.sum())


def decide(items: list[Item], multi_label: bool, settings: ClassifySettings) -> Ranking:
    """The answer from the ranked items, as the gender classifier tells it: the top label,
    or "uncertain" with the reason."""
    top = items[0]["probability"] if items else 0.0
    if multi_label:
        above = [item["label"] for item in items if item["probability"] >= settings.threshold]
        reasons = [] if above else ["below_threshold"]
        return Ranking(items, above[0] if above else UNCERTAIN, reasons, above)
    reasons = [] if items and top >= settings.min_probability else ["low_probability"]
    return Ranking(items, UNCERTAIN if reasons else items[0]["label"], reasons, [])


def caption(image: np.ndarray, text: str, certain: bool) -> np.ndarray:
    """A copy of `image` with `text` on a band at its top left (grey when uncertain)."""
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    scale, thickness = max(0.5, max(h, w) / 1200), max(1, round(max(h, w) / 600))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    colour = (40, 120, 40) if certain else (110, 110, 110)
    cv2.rectangle(out, (0, 0), (tw + 12, th + base + 12), colour, -1)
    cv2.putText(
        out,
        text,
        (6, th + 6),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (255, 255, 255),
        thickness,
        cv2.LINE_AA,
    )
    return out
