"""JPEG and PNG uploads proved whole by their structure, without decoding them: what the
check accepts the worker's decoder reads, and a file cut short anywhere is refused."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from modelgallery.media.check import MAX_IMAGE_PIXELS, check, check_upload
from modelgallery.media.image_structure import Damaged, TooLarge, check_jpeg, check_png
from modelgallery.media.images import decode_image
from modelgallery.media.sniff import MediaError


def pillow(fmt: str, mode: str = "RGB", size: tuple[int, int] = (40, 30), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal" if mode in ("RGB", "RGBA", "P") else 90).save(
        buffer, fmt, **options
    )
    return buffer.getvalue()


def write(tmp_path: Path, data: bytes, name: str = "upload-0.part") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


JPEGS = {
    "baseline": pillow("JPEG"),
    "progressive": pillow("JPEG", size=(300, 200), progressive=True),
    "grey": pillow("JPEG", "L"),
    "cmyk": pillow("JPEG", "CMYK"),
    "restart markers": pillow("JPEG", size=(200, 120), restart_marker_blocks=1),
    "with EXIF": pillow("JPEG", exif=Image.Exif()),
}
PNGS = {
    "rgb": pillow("PNG"),
    "rgba": pillow("PNG", "RGBA"),
    "grey": pillow("PNG", "L"),
    "16-bit grey": pillow("PNG", "I;16"),
    "palette": pillow("PNG", "P"),
    "one bit": pillow("PNG", "1"),
}


@pytest.mark.parametrize("name", JPEGS)
def test_whole_jpegs_are_accepted_and_the_worker_reads_them(tmp_path: Path, name: str) -> None:
    data = JPEGS[name]
    size = Image.open(io.BytesIO(data)).size
    assert check_jpeg(write(tmp_path, data), MAX_IMAGE_PIXELS) == size
    assert decode_image(data).shape[:2] == size[::-1]


@pytest.mark.parametrize("name", PNGS)
def test_whole_pngs_are_accepted_and_the_worker_reads_them(tmp_path: Path, name: str) -> None:
    data = PNGS[name]
    size = Image.open(io.BytesIO(data)).size
    assert check_png(write(tmp_path, data), MAX_IMAGE_PIXELS) == size
    assert decode_image(data).shape[:2] == size[::-1]


def test_the_real_samples_are_accepted(samples: Path) -> None:
    assert check_jpeg(samples / "bus.jpg", MAX_IMAGE_PIXELS) == (810, 1080)
    assert check_jpeg(samples / "zidane.jpg", MAX_IMAGE_PIXELS) == (1280, 720)


@pytest.mark.parametrize("name", ["baseline", "progressive", "restart markers"])
def test_a_jpeg_cut_short_anywhere_is_refused(tmp_path: Path, name: str) -> None:
    data = JPEGS[name]
    for length in range(len(data) - 1):  # up to its last byte, half of the end marker
        with pytest.raises(Damaged):
            check_jpeg(write(tmp_path, data[:length] or b"\xff"), MAX_IMAGE_PIXELS)


@pytest.mark.parametrize("name", ["rgb", "palette"])
def test_a_png_cut_short_anywhere_is_refused(tmp_path: Path, name: str) -> None:
    data = PNGS[name]
    for length in range(1, len(data)):
        with pytest.raises(Damaged):
            check_png(write(tmp_path, data[:length]), MAX_IMAGE_PIXELS)


def test_a_cut_real_photo_is_refused(samples: Path, tmp_path: Path) -> None:
    data = (samples / "bus.jpg").read_bytes()
    for length in (2, 600, 30_000, len(data) // 2, len(data) - 2):
        with pytest.raises(Damaged, match="ends early"):
            check_jpeg(write(tmp_path, data[:length]), MAX_IMAGE_PIXELS)


def test_bytes_after_the_end_marker_are_ignored_as_decoders_do(tmp_path: Path) -> None:
    data = JPEGS["baseline"] + b"camera maker's trailer"
    assert check_jpeg(write(tmp_path, data), MAX_IMAGE_PIXELS) == (40, 30)
    assert decode_image(data).shape[:2] == (30, 40)


def test_a_png_chunk_with_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    data = bytearray(PNGS["rgb"])
    data[-20] ^= 0xFF  # inside the image data chunk, before the end chunk
    with pytest.raises(Damaged, match="'IDAT' chunk is corrupt"):
        check_png(write(tmp_path, bytes(data)), MAX_IMAGE_PIXELS)


def test_a_png_without_image_data_or_header_is_refused(tmp_path: Path) -> None:
    signature = b"\x89PNG\r\n\x1a\n"
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
    with pytest.raises(Damaged, match="no image data"):
        check_png(write(tmp_path, signature + header + chunk(b"IEND", b"")), 10**6)
    with pytest.raises(Damaged, match="header chunk is missing"):
        check_png(write(tmp_path, signature + chunk(b"IEND", b"")), 10**6)
    bad_depth = chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 3, 2, 0, 0, 0))
    with pytest.raises(Damaged, match="malformed"):
        check_png(write(tmp_path, signature + bad_depth), 10**6)


def _sof(marker: int, width: int, height: int) -> bytes:
    body = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body


def test_jpeg_headers_are_judged_before_the_data(tmp_path: Path) -> None:
    start = b"\xff\xd8"
    with pytest.raises(TooLarge):
        check_jpeg(write(tmp_path, start + _sof(0xC0, 20000, 20000)), MAX_IMAGE_PIXELS)
    with pytest.raises(Damaged, match="no pixels"):
        check_jpeg(write(tmp_path, start + _sof(0xC0, 0, 10)), MAX_IMAGE_PIXELS)
    with pytest.raises(Damaged, match="lossless or hierarchical"):
        check_jpeg(write(tmp_path, start + _sof(0xC3, 10, 10)), MAX_IMAGE_PIXELS)
    with pytest.raises(Damaged, match="no image data"):
        check_jpeg(write(tmp_path, start + _sof(0xC0, 10, 10) + b"\xff\xd9"), MAX_IMAGE_PIXELS)
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x12\x34" + b"\xff\xd9"
    with pytest.raises(Damaged, match="before the frame header"):
        check_jpeg(write(tmp_path, start + scan), MAX_IMAGE_PIXELS)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Damaged, match="empty"):
        check_jpeg(write(tmp_path, b""), MAX_IMAGE_PIXELS)


def test_check_names_the_damage_in_a_sentence_without_server_paths(
    samples: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, (samples / "bus.jpg").read_bytes()[:50_000])
    with pytest.raises(MediaError) as caught:
        check(path, ["image"])
    assert str(caught.value) == "The JPEG image is damaged and cannot be read (it ends early)."
    huge = write(tmp_path, b"\xff\xd8" + _sof(0xC2, 15000, 10000))
    with pytest.raises(MediaError) as caught:
        check(huge, ["image"])
    assert str(caught.value) == "The image is too large (more than 120,000,000 pixels)."


UPLOADS = [
    ("whole.jpg", JPEGS["progressive"], None),
    ("whole.png", PNGS["palette"], None),
    ("whole.webp", pillow("WEBP"), None),  # decoded, in a thread
    ("cut.jpg", JPEGS["baseline"][:-40], "The JPEG image is damaged and cannot be read"),
    ("cut.png", PNGS["rgb"][:-20], "The PNG image is damaged and cannot be read"),
    ("text.jpg", b"not an image\n", "This model takes images"),
]


@pytest.mark.parametrize(("name", "data", "refusal"), UPLOADS, ids=[u[0] for u in UPLOADS])
async def test_check_upload_answers_as_check_does(
    tmp_path: Path, name: str, data: bytes, refusal: str | None
) -> None:
    path = write(tmp_path, data)
    if refusal is None:
        assert await check_upload(path, ["image"], len(data)) == check(path, ["image"])
        return
    with pytest.raises(MediaError, match=refusal):
        await check_upload(path, ["image"], len(data))
    with pytest.raises(MediaError, match=refusal):
        check(path, ["image"])


async def test_check_upload_of_a_large_file_gives_the_same_answer(samples: Path) -> None:
    path = samples / "bus.jpg"
    found = await check_upload(path, ["image"], 10**9)  # as if past the in-loop size
    assert found == check(path, ["image"])
