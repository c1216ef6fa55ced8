"""Proving that an upload is what its first bytes say, by decoding it, before it is queued.
Images are decoded with Pillow here; archives, videos and volumes by their own modules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from . import archive, nifti, video
from .sniff import MediaError, Sniffed, kinds_in_words, sniff

# Large enough for any photo; small enough that a decompression bomb is refused.
MAX_IMAGE_PIXELS = 120_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

_SAID_WITH_A_VOWEL = ("HTML", "MP4", "SVG", "AVI", "empty")


def check(path: Path, kinds: list[str]) -> Sniffed:
    """Sniff `path`, make sure its kind is one of `kinds`, and prove it decodes."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    found = sniff(head)
    if found.kind not in kinds:
        wanted = kinds_in_words(kinds)
        article = "an" if found.label.startswith(_SAID_WITH_A_VOWEL) else "a"
        raise MediaError(f"This model takes {wanted}, but the file is {article} {found.label}.")
    _DECODERS[found.kind](path, found)
    return found


def _decode_image(path: Path, found: Sniffed) -> None:
    try:
        with Image.open(path) as img:
            # Pillow itself refuses only past twice MAX_IMAGE_PIXELS (and merely warns above it)
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{img.width}x{img.height}")
            img.verify()
        with Image.open(path) as img:
            if img.format == "JPEG":
                # Every byte of the compressed data is still read and decoded (a damaged or
                # truncated file is refused), but the pixels come out at 1/8 scale: the
                # worker decodes the image in full anyway, and this halves the check.
                img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))
            img.load()
            if img.width < 1 or img.height < 1:
                raise MediaError("The image has no pixels.")
    except Image.DecompressionBombError:
        raise MediaError(
            f"The image is too large (more than {MAX_IMAGE_PIXELS:,} pixels)."
        ) from None
    except UnidentifiedImageError:  # its message holds the server's path to the upload
        raise MediaError(f"The {found.label} is damaged and cannot be read.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"The {found.label} is damaged and cannot be read ({exc}).") from None


_DECODERS: dict[str, Callable[[Path, Sniffed], object]] = {
    "image": _decode_image,
    "zip": lambda path, found: archive.check_archive(path),
    "video": lambda path, found: video.probe_video(path, found.label),
    "nifti": lambda path, found: nifti.validate_nifti(path),
}
