"""Train or fine-tune the skin U-Net (`families.skin_unet.build_unet`) on labelled NIfTI
volumes and write a `.weights.h5` for the `skin-unet` family.

    modelgallery train-skin-unet \\
        --input head1.nii.gz --labels head1_skin.nii.gz [--input ... --labels ...] \\
        --out models/skin_unet_effb0.weights.h5 [--epochs 3 --input-size 128]

    modelgallery train-skin-unet --folder DATA --out ...
        (DATA/images/NAME.nii.gz with DATA/labels/NAME.nii.gz)

    modelgallery train-skin-unet --input ch2.nii.gz --self-label --out ...
        (labels made by the classical segmenter)

What this is and is not: no labelled skin data set can be had here, so the repository's
own test trains on the axial slices of one head (Colin27) labelled by the classical
segmenter. That is a self-training demonstration: it proves the network, the weights file
and the inference path work end to end, and the network learns to reproduce the classical
mask; it is not a clinically trained or validated model. Train on expert-labelled volumes
for real use. It runs on CPU; GPUs are used by TensorFlow when present.

The slices are prepared exactly as at inference (`pipelines.volume.normalise_intensity`,
`families.skin_unet.to_network`); labels are shrunk with area averaging, i.e. to the fraction
of each network pixel that is skin, which keeps a shell of 2-3 voxels from vanishing at 128 px."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

NIFTI_SUFFIXES = (".nii", ".nii.gz")


def train(args: argparse.Namespace) -> int:
    """Run the training that `add_arguments`' options describe; returns the exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        pairs = _pairs(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    import keras
    import numpy as np

    from ..families.skin_unet import build_unet

    keras.utils.set_random_seed(args.seed)
    started = time.perf_counter()
    try:
        images, labels = _slices(pairs, args)
    except ValueError as exc:  # MediaError included: a file that is not a usable volume
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{len(pairs)} volume(s), {len(images)} axial slices at {args.input_size} px "
        f"({time.perf_counter() - started:.1f} s to prepare)",
        flush=True,
    )

    network = build_unet(args.input_size)
    if args.init:
        network.load_weights(str(args.init))
        print(f"fine-tuning from {args.init}", flush=True)
    network.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss=_bce_dice_loss,
        metrics=[_soft_dice],
        jit_compile=False,
    )
    started = time.perf_counter()
    history = network.fit(
        images,
        labels,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        verbose=2,
    )
    train_s = time.perf_counter() - started

    # Judge the network as it will run: inference mode, thresholded at 0.5
    predicted = network.predict(images, batch_size=max(args.batch_size, 8), verbose=0) >= 0.5
    truth = labels >= 0.5
    overlap = 2.0 * np.count_nonzero(predicted & truth)
    dice = overlap / max(int(np.count_nonzero(predicted) + np.count_nonzero(truth)), 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    network.save_weights(str(args.out))
    loss = history.history["loss"][-1]
    print(
        f"final loss {loss:.4f}, Dice {dice:.3f} (training slices, inference mode, "
        f"threshold 0.5); {train_s:.1f} s training; weights written to {args.out}",
        flush=True,
    )
    return 0


DESCRIPTION = "Train the skin U-Net (EfficientNet-B0 encoder) on labelled NIfTI volumes."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", action="append", type=Path, default=[], help="a volume")
    parser.add_argument(
        "--labels", action="append", type=Path, default=[], help="its skin mask (same order)"
    )
    parser.add_argument("--folder", type=Path, help="DIR with images/NAME and labels/NAME")
    parser.add_argument(
        "--self-label",
        action="store_true",
        help="label the --input volumes with the classical segmenter (a demonstration)",
    )
    parser.add_argument("--thickness-mm", type=float, default=3.0, help="for --self-label")
    parser.add_argument("--out", type=Path, required=True, help="the .weights.h5 to write")
    parser.add_argument("--init", type=Path, help="start from these weights (fine-tune)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--input-size", type=int, default=128, help="a multiple of 32")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--learning-rate", type=float, default=5e-3, help="from scratch; about 1e-3 with --init"
    )
    parser.add_argument("--seed", type=int, default=0)


def _pairs(args: argparse.Namespace) -> list[tuple[Path, Path | None]]:
    """(volume, labels) pairs; labels None means "make them with the classical method"."""
    if not str(args.out).endswith(".weights.h5"):
        raise ValueError("--out must end with .weights.h5 (what Keras' load_weights reads)")
    if args.input_size % 32:
        raise ValueError("--input-size must be a multiple of 32")
    pairs: list[tuple[Path, Path | None]] = []
    if args.self_label:
        if args.labels:
            raise ValueError("give either --labels or --self-label, not both")
        pairs += [(path, None) for path in args.input]
    elif len(args.input) != len(args.labels):
        raise ValueError("give one --labels per --input, in the same order (or --self-label)")
    else:
        pairs += list(zip(args.input, args.labels, strict=True))
    if args.folder:
        for image in sorted((args.folder / "images").iterdir()):
            if image.name.endswith(NIFTI_SUFFIXES):
                label = args.folder / "labels" / image.name
                if not label.is_file():
                    raise ValueError(f"{image} has no labels at {label}")
                pairs.append((image, label))
    if not pairs:
        raise ValueError("no training volumes: use --input/--labels, --self-label or --folder")
    for image, label in pairs:
        for path in (image, label):
            if path is not None and not path.is_file():
                raise ValueError(f"{path} does not exist")
    return pairs


def _slices(
    pairs: list[tuple[Path, Path | None]], args: argparse.Namespace
) -> tuple[np.ndarray, np.ndarray]:
    """All axial slices of all pairs, as network inputs and soft labels."""
    import numpy as np

    from ...media.nifti import read_volume
    from ..families.skin_classical import head_shell
    from ..families.skin_unet import axial_axis, to_network
    from ..pipelines.volume import normalise_intensity

    images, labels = [], []
    for image_path, label_path in pairs:
        volume = read_volume(image_path)
        if label_path is None:
            mask = head_shell(volume.data, volume.info.voxel_size_mm, args.thickness_mm)
        else:
            mask = read_volume(label_path).data > 0.5
            if mask.shape != volume.info.spatial_shape:
                raise ValueError(f"{label_path} does not have the shape of {image_path}")
        axis = axial_axis(volume.affine)
        image_slices = np.moveaxis(normalise_intensity(volume.data), axis, 0)
        label_slices = np.moveaxis(mask.astype(np.float32), axis, 0)
        images.append(to_network(image_slices, args.input_size))
        labels.append(to_network(label_slices, args.input_size)[..., :1] / 255.0)
    return np.concatenate(images), np.concatenate(labels)


def _soft_dice(y_true: Any, y_pred: Any) -> Any:
    from keras import ops

    overlap = ops.sum(y_true * y_pred)
    return (2.0 * overlap + 1.0) / (ops.sum(y_true) + ops.sum(y_pred) + 1.0)


def _bce_dice_loss(y_true: Any, y_pred: Any) -> Any:
    """Cross-entropy learns every pixel; the Dice term keeps the thin, rare skin class from
    being drowned by background (a few % of the pixels)."""
    from keras import losses, ops

    bce = ops.mean(losses.binary_crossentropy(y_true, y_pred))
    return bce + 1.0 - _soft_dice(y_true, y_pred)
