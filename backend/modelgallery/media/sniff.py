"""What a file is, from its first bytes: names and declared content types are never
trusted. `check.py` then proves it by decoding it."""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field

KIND_LABELS = {
    "image": "images (JPEG, PNG, WebP, BMP, TIFF)",
    "video": "videos (MP4, MOV, AVI, WebM, MKV)",
    "nifti": "NIfTI volumes (.nii, .nii.gz)",
    "zip": "ZIP archives of images",
}

# Every media type an upload may have, with the endings a file of that type may have in its
# name (GET /api/models shows them per model; the web UI checks names against them). The
# first is the one the server names its own copy with.
NAME_ENDINGS: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/bmp": (".bmp",),
    "image/tiff": (".tif", ".tiff"),
    "video/mp4": (".mp4", ".m4v"),
    "video/quicktime": (".mov",),
    "video/x-msvideo": (".avi",),
    "video/webm": (".webm",),
    "video/x-matroska": (".mkv",),
    "application/zip": (".zip",),
    "application/x-nifti": (".nii",),
    "application/x-nifti+gzip": (".nii.gz",),
}

EXTENSIONS = {media_type: endings[0] for media_type, endings in NAME_ENDINGS.items()}


class MediaError(ValueError):
    """The file is not what the model takes, or is damaged; the message is for people."""


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | video | nifti | zip | other
    media_type: str
    label: str  # what a person would call it
    extension: str = field(init=False)  # the one its stored copy is named with

    def __post_init__(self) -> None:
        object.__setattr__(self, "extension", EXTENSIONS.get(self.media_type, ".bin"))


def sniff(head: bytes) -> Sniffed:
    """Classify by magic bytes; `head` is the first 4 KiB or more."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg", "JPEG image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png", "PNG image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp", "WebP image")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "video/x-msvideo", "AVI video")
    if head.startswith(b"BM") and len(head) > 14:
        return Sniffed("image", "image/bmp", "BMP image")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "image/tiff", "TIFF image")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return Sniffed("video", "video/quicktime", "QuickTime video")
        if brand in (b"heic", b"heix", b"mif1", b"avif"):
            return Sniffed("other", "image/heif", "HEIF/AVIF image")
        return Sniffed("video", "video/mp4", "MP4 video")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head[:64]:
            return Sniffed("video", "video/webm", "WebM video")
        return Sniffed("video", "video/x-matroska", "Matroska video")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return Sniffed("zip", "application/zip", "ZIP archive")
    if _is_nifti_header(head):
        return Sniffed("nifti", "application/x-nifti", "NIfTI volume")
    if head.startswith(b"\x1f\x8b"):
        try:
            inner = gzip.decompress(head) if len(head) < 600 else _gunzip_head(head)
        except (OSError, EOFError, gzip.BadGzipFile):
            inner = b""
        if _is_nifti_header(inner):
            return Sniffed("nifti", "application/x-nifti+gzip", "NIfTI volume (gzip)")
        return Sniffed("other", "application/gzip", "gzip file")
    return _describe_other(head)


def _gunzip_head(data: bytes, size: int = 560) -> bytes:
    import zlib

    return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data, size)


def _is_nifti_header(head: bytes) -> bool:
    if len(head) >= 348:
        for order in "<>":
            if struct.unpack(order + "i", head[:4])[0] == 348 and head[344:348] == b"n+1\x00":
                return True
    if len(head) >= 540:
        for order in "<>":
            if struct.unpack(order + "i", head[:4])[0] == 540 and head[4:8] == b"n+2\x00":
                return True
    return False


def _describe_other(head: bytes) -> Sniffed:
    start = head.lstrip()[:256].lower()
    if head.startswith(b"%PDF"):
        return Sniffed("other", "application/pdf", "PDF document")
    if head.startswith(b"GIF8"):
        return Sniffed("other", "image/gif", "GIF image")
    if start.startswith((b"<!doctype html", b"<html")):
        return Sniffed("other", "text/html", "HTML page")
    if b"<svg" in start:  # before <script: an SVG with a script is still an SVG
        return Sniffed("other", "image/svg+xml", "SVG drawing")
    if b"<script" in start:
        return Sniffed("other", "text/html", "HTML page")
    if not head:
        return Sniffed("other", "application/x-empty", "empty file")
    try:
        head.decode("utf-8")
        return Sniffed("other", "text/plain", "text file")
    except UnicodeDecodeError:
        return Sniffed("other", "application/octet-stream", "file of an unknown binary format")


def kind_of(media_type: str) -> str:
    if media_type.startswith("image/"):
        return "image"
    if media_type.startswith("video/"):
        return "video"
    if media_type.startswith("application/x-nifti"):
        return "nifti"
    if media_type == "application/zip":
        return "zip"
    return "other"


def media_types_of(kinds: list[str]) -> list[str]:
    """Every media type an upload of these kinds may have."""
    return [media_type for media_type in EXTENSIONS if kind_of(media_type) in kinds]


def kinds_in_words(kinds: list[str]) -> str:
    """What a model takes, as its refusals and the web UI say it."""
    return " or ".join(KIND_LABELS.get(k, k) for k in kinds)


def extensions_of(kinds: list[str]) -> list[str]:
    """Every file name ending an upload of these kinds may have."""
    return [ending for media_type in media_types_of(kinds) for ending in NAME_ENDINGS[media_type]]
