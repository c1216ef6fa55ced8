"""JPEG and PNG files proved readable by their structure, without decoding a pixel: the
worker decodes each image anyway, so the API only makes sure that what it queues is whole.

A JPEG must run from its start marker through a frame header (a coding the decoders read,
with pixels) and at least one scan to its end marker, every segment within the file; a PNG
must hold its header, at least one data chunk and its end chunk, every chunk whole and its
checksum right. A truncated file, garbage behind a valid start, or a header declaring more
than `max_pixels` is refused; bytes after the end marker are ignored, as decoders do."""

from __future__ import annotations

import contextlib
import mmap
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

_JPEG_START = b"\xff\xd8"
# Frame headers of the codings libjpeg-turbo (the worker's OpenCV) and Pillow both decode:
# baseline, extended and progressive Huffman, extended and progressive arithmetic.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC9, 0xCA}
# Every other start-of-frame marker: lossless and hierarchical codings.
_JPEG_OTHER_FRAMES = {0xC3, 0xC5, 0xC6, 0xC7, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_SCAN, _JPEG_END = 0xDA, 0xD9
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length
# Where a scan's entropy-coded data ends: a marker other than a stuffed 0xFF00 or a restart.
_JPEG_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JPEG_COMPONENTS = (1, 3, 4)  # grey, YCbCr or RGB, CMYK or YCCK

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Allowed bit depths per colour type (the PNG specification's table).
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


class Damaged(ValueError):
    """The file's structure is broken; the message says where, for people."""


class TooLarge(ValueError):
    """The header declares more pixels than allowed."""


def check_jpeg(path: Path, max_pixels: int) -> tuple[int, int]:
    """(width, height) of a whole JPEG; Damaged or TooLarge otherwise."""
    with _mapped(path) as data:
        if data[:2] != _JPEG_START:
            raise Damaged("it does not start with a JPEG marker")
        size: tuple[int, int] | None = None
        scans, pos, end = 0, 2, len(data)
        while True:
            if pos >= end or data[pos] != 0xFF:
                raise Damaged("it ends early" if pos >= end else "a marker is missing")
            while pos < end and data[pos] == 0xFF:  # fill bytes before a marker
                pos += 1
            if pos >= end:
                raise Damaged("it ends early")
            marker = data[pos]
            pos += 1
            if marker == _JPEG_END:
                break
            if marker in _JPEG_STANDALONE:
                continue
            if pos + 2 > end:
                raise Damaged("it ends early")
            length = (data[pos] << 8) | data[pos + 1]
            if length < 2 or pos + length > end:
                raise Damaged("it ends early" if length >= 2 else "a segment is malformed")
            if marker in _JPEG_FRAMES:
                size = _jpeg_frame(data[pos + 2 : pos + length], max_pixels)
            elif marker in _JPEG_OTHER_FRAMES:
                raise Damaged("its JPEG coding (lossless or hierarchical) is not supported")
            pos += length
            if marker == _JPEG_SCAN:
                if size is None:
                    raise Damaged("a scan comes before the frame header")
                scans += 1
                found = _JPEG_AFTER_SCAN.search(data, pos)
                if found is None:
                    raise Damaged("it ends early")
                pos = found.start()
        if size is None or scans == 0:
            raise Damaged("it holds no image data")
        return size


def _jpeg_frame(segment: bytes, max_pixels: int) -> tuple[int, int]:
    if len(segment) < 6:
        raise Damaged("its frame header is malformed")
    height, width, components = struct.unpack(">HHB", segment[1:6])
    if components not in _JPEG_COMPONENTS or len(segment) < 6 + 3 * components:
        raise Damaged("its frame header is malformed")
    return _sized(width, height, max_pixels)


def check_png(path: Path, max_pixels: int) -> tuple[int, int]:
    """(width, height) of a whole PNG; Damaged or TooLarge otherwise."""
    with _mapped(path) as data, memoryview(data) as view:
        if data[: len(_PNG_SIGNATURE)] != _PNG_SIGNATURE:
            raise Damaged("it does not start with the PNG signature")
        size: tuple[int, int] | None = None
        pos, end, image_data = len(_PNG_SIGNATURE), len(data), False
        while True:
            if pos + 12 > end:
                raise Damaged("it ends early")
            length, kind = struct.unpack(">I4s", view[pos : pos + 8])
            body_end = pos + 8 + length
            if body_end + 4 > end:
                raise Damaged("it ends early")
            (crc,) = struct.unpack(">I", view[body_end : body_end + 4])
            if zlib.crc32(view[pos + 4 : body_end]) != crc:
                raise Damaged(f"its {kind.decode('latin-1')!r} chunk is corrupt")
            if size is None:
                if kind != b"IHDR" or length != 13:
                    raise Damaged("its header chunk is missing")
                size = _png_header(bytes(view[pos + 8 : body_end]), max_pixels)
            elif kind == b"IDAT":
                image_data = True
            elif kind == b"IEND":
                break
            pos = body_end + 4
        if not image_data:
            raise Damaged("it holds no image data")
        return size


def _png_header(header: bytes, max_pixels: int) -> tuple[int, int]:
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    if depth not in _PNG_DEPTHS.get(colour, ()) or compression or filtering or interlace > 1:
        raise Damaged("its header chunk is malformed")
    return _sized(width, height, max_pixels)


def _sized(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    if width < 1 or height < 1:
        raise Damaged("the image has no pixels")
    if width * height > max_pixels:
        raise TooLarge(f"{width}x{height}")
    return width, height


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    """The file's bytes, mapped read-only: a large upload is never read into memory."""
    with path.open("rb") as fh:
        try:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            raise Damaged("it is empty") from None
    with mapped:
        yield mapped
