"""Proving that an upload is what its first bytes say, before it is queued. JPEG and PNG
images, which the worker decodes anyway, are proved whole by their structure without
decoding a pixel (`image_structure.py`); the other images are decoded with Pillow here;
archives, videos and volumes are checked by their own modules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from . import archive, image_structure, nifti, video
from .sniff import MediaError, Sniffed, kinds_in_words, sniff

# Large enough for any photo; small enough that a decompression bomb is refused.
MAX_IMAGE_PIXELS = 120_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

_SAID_WITH_A_VOWEL = ("HTML", "MP4", "SVG", "AVI", "empty")
# A JPEG or PNG up to this size is checked in the event loop: its structure is read at
# about 2 GB/s, sooner than a thread could take it and hand it back.
_IN_LOOP_BYTES = 2 * 1024 * 1024


def check(path: Path, kinds: list[str]) -> Sniffed:
    """Sniff `path`, make sure its kind is one of `kinds`, and prove it readable."""
    found = _sniffed(path, kinds)
    _DECODERS[found.kind](path, found)
    return found


async def check_upload(path: Path, kinds: list[str], size: int) -> Sniffed:
    """`check` for a coroutine, of a file of `size` bytes: in the event loop when it is a
    quick look (the kind is wrong, or a JPEG or PNG up to `_IN_LOOP_BYTES` is read for its
    structure, well under a millisecond), else in a thread (a decode, a large file)."""
    found = _sniffed(path, kinds)
    if found.media_type in _STRUCTURE_CHECKS and size <= _IN_LOOP_BYTES:
        _check_image(path, found)
    else:
        await asyncio.to_thread(_DECODERS[found.kind], path, found)
    return found


def _sniffed(path: Path, kinds: list[str]) -> Sniffed:
    with path.open("rb") as fh:
        head = fh.read(4096)
    found = sniff(head)
    if found.kind not in kinds:
        wanted = kinds_in_words(kinds)
        article = "an" if found.label.startswith(_SAID_WITH_A_VOWEL) else "a"
        raise MediaError(f"This model takes {wanted}, but the file is {article} {found.label}.")
    return found


def _check_image(path: Path, found: Sniffed) -> None:
    structure = _STRUCTURE_CHECKS.get(found.media_type)
    if structure is None:
        _decode_image(path, found)
        return
    try:
        structure(path, MAX_IMAGE_PIXELS)
    except image_structure.TooLarge:
        raise MediaError(_too_large()) from None
    except image_structure.Damaged as exc:
        raise MediaError(f"The {found.label} is damaged and cannot be read ({exc}).") from None


_STRUCTURE_CHECKS = {
    "image/jpeg": image_structure.check_jpeg,
    "image/png": image_structure.check_png,
}


def _too_large() -> str:
    return f"The image is too large (more than {MAX_IMAGE_PIXELS:,} pixels)."


def _decode_image(path: Path, found: Sniffed) -> None:
    try:
        with Image.open(path) as img:
            # Pillow itself refuses only past twice MAX_IMAGE_PIXELS (and merely warns above it)
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{img.width}x{img.height}")
            img.verify()
        with Image.open(path) as img:
            img.load()
            if img.width < 1 or img.height < 1:
                raise MediaError("The image has no pixels.")
    except Image.DecompressionBombError:
        raise MediaError(_too_large()) from None
    except UnidentifiedImageError:  # its message holds the server's path to the upload
        raise MediaError(f"The {found.label} is damaged and cannot be read.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"The {found.label} is damaged and cannot be read ({exc}).") from None


_DECODERS: dict[str, Callable[[Path, Sniffed], object]] = {
    "image": _check_image,
    "zip": lambda path, found: archive.check_archive(path),
    "video": lambda path, found: video.probe_video(path, found.label),
    "nifti": lambda path, found: nifti.validate_nifti(path),
}
