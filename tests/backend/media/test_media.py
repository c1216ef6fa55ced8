"""What an upload really is: sniffing by magic bytes, and proving images decode."""

from __future__ import annotations

import gzip
import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from modelgallery.media.check import check
from modelgallery.media.sniff import MediaError, Sniffed, kind_of, sniff

IMAGE_KINDS = "images (JPEG, PNG, WebP, BMP, TIFF)"


def pillow_bytes(fmt: str, size: tuple[int, int] = (20, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 240)).save(buffer, fmt)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG header (IHDR and the start of IDAT) declaring a size it does not hold: the
    first bytes of a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width * 3 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)


def nifti1_header(order: str = "<") -> bytes:
    header = bytearray(352)
    header[:4] = struct.pack(order + "i", 348)
    header[344:348] = b"n+1\x00"
    return bytes(header)


def zip_of(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, pillow_bytes("PNG"))
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- sniff -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("bus.jpg", Sniffed("image", "image/jpeg", "JPEG image")),
        ("zidane.jpg", Sniffed("image", "image/jpeg", "JPEG image")),
        ("people_movement.mp4", Sniffed("video", "video/mp4", "MP4 video")),
        ("ch2.nii.gz", Sniffed("nifti", "application/x-nifti+gzip", "NIfTI volume (gzip)")),
    ],
)
def test_sniff_real_samples(samples: Path, sample: str, expected: Sniffed) -> None:
    with (samples / sample).open("rb") as fh:
        head = fh.read(4096)
    assert sniff(head) == expected
    assert sniff((samples / sample).read_bytes()) == expected  # more than the head is fine


def test_an_uncompressed_nifti_is_recognised(samples: Path, tmp_path: Path) -> None:
    raw = gzip.decompress((samples / "ch2.nii.gz").read_bytes())
    path = write(tmp_path, "ch2.nii", raw)
    found = check(path, ["nifti"])
    assert found == Sniffed("nifti", "application/x-nifti", "NIfTI volume")
    assert found.extension == ".nii"
    assert check(samples / "ch2.nii.gz", ["nifti"]).extension == ".nii.gz"


@pytest.mark.parametrize(
    ("name", "make", "kind", "media_type", "label"),
    [
        ("png", lambda: pillow_bytes("PNG"), "image", "image/png", "PNG image"),
        ("jpeg", lambda: pillow_bytes("JPEG"), "image", "image/jpeg", "JPEG image"),
        ("webp", lambda: pillow_bytes("WEBP"), "image", "image/webp", "WebP image"),
        ("bmp", lambda: pillow_bytes("BMP"), "image", "image/bmp", "BMP image"),
        ("tiff", lambda: pillow_bytes("TIFF"), "image", "image/tiff", "TIFF image"),
        ("gif", lambda: pillow_bytes("GIF"), "other", "image/gif", "GIF image"),
        (
            "webm",
            lambda: b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\0" * 64,
            "video",
            "video/webm",
            "WebM video",
        ),
        (
            "mkv",
            lambda: b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + b"\0" * 64,
            "video",
            "video/x-matroska",
            "Matroska video",
        ),
        (
            "mov",
            lambda: b"\0\0\0\x14ftypqt  \0\0\0\0qt  " + b"\0" * 32,
            "video",
            "video/quicktime",
            "QuickTime video",
        ),
        (
            "heic",
            lambda: b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 32,
            "other",
            "image/heif",
            "HEIF/AVIF image",
        ),
        (
            "avi",
            lambda: b"RIFF\0\0\0\0AVI LIST" + b"\0" * 32,
            "video",
            "video/x-msvideo",
            "AVI video",
        ),
        ("zip", lambda: zip_of(["a.png"]), "zip", "application/zip", "ZIP archive"),
        (
            "nifti-big-endian",
            lambda: nifti1_header(">"),
            "nifti",
            "application/x-nifti",
            "NIfTI volume",
        ),
        (
            "nifti-small-gzip",
            lambda: gzip.compress(nifti1_header()),
            "nifti",
            "application/x-nifti+gzip",
            "NIfTI volume (gzip)",
        ),
        (
            "gzip",
            lambda: gzip.compress(b"not a volume" * 100),
            "other",
            "application/gzip",
            "gzip file",
        ),
        (
            "html",
            lambda: b"  <!DOCTYPE html>\n<html><body>hi</body></html>",
            "other",
            "text/html",
            "HTML page",
        ),
        (
            "script",
            lambda: b"<script>alert(document.cookie)</script>",
            "other",
            "text/html",
            "HTML page",
        ),
        (
            "svg",
            lambda: b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
            "other",
            "image/svg+xml",
            "SVG drawing",
        ),
        (
            "svg-with-script",
            lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
            "other",
            "image/svg+xml",
            "SVG drawing",
        ),
        (
            "pdf",
            lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            "other",
            "application/pdf",
            "PDF document",
        ),
        (
            "text",
            lambda: "plain words, naïve ones\n".encode() * 10,
            "other",
            "text/plain",
            "text file",
        ),
        ("empty", lambda: b"", "other", "application/x-empty", "empty file"),
        (
            "random",
            lambda: b"\x00\x9f" + random.Random(0).randbytes(4094),
            "other",
            "application/octet-stream",
            "file of an unknown binary format",
        ),
    ],
)
def test_sniff_generated_files(name, make, kind: str, media_type: str, label: str) -> None:
    found = sniff(make())
    assert found == Sniffed(kind, media_type, label), name


def test_extensions_follow_the_content() -> None:
    assert sniff(pillow_bytes("PNG")).extension == ".png"
    assert sniff(pillow_bytes("TIFF")).extension == ".tif"
    assert sniff(b"%PDF-1.4").extension == ".bin"  # never a name a browser would render


# --- check -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF"])
def test_check_accepts_images_that_decode(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, "upload.part", pillow_bytes(fmt))
    assert check(path, ["image"]).kind == "image"


def test_check_accepts_real_samples_of_each_kind(samples: Path, tmp_path: Path) -> None:
    assert check(samples / "bus.jpg", ["image"]).media_type == "image/jpeg"
    assert check(samples / "people_movement.mp4", ["image", "video"]).media_type == "video/mp4"
    assert check(samples / "ch2.nii.gz", ["nifti"]).kind == "nifti"
    archive = write(tmp_path, "batch.zip", zip_of(["a.png", "b.png"]))
    assert check(archive, ["zip"]).media_type == "application/zip"


@pytest.mark.parametrize(
    ("content", "kinds", "phrases"),
    [
        (b"hello, I am text\n", ["image"], [f"takes {IMAGE_KINDS}", "is a text file"]),
        (b"<html><body>", ["image"], ["is an HTML page"]),
        (
            b"%PDF-1.7\n",
            ["image", "video"],
            [f"takes {IMAGE_KINDS} or videos (MP4, MOV, AVI, WebM, MKV)", "PDF document"],
        ),
        (b"GIF89a" + b"\0" * 20, ["image"], ["GIF image"]),
        (
            b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm",
            ["nifti"],
            ["takes NIfTI volumes (.nii, .nii.gz)", "WebM video"],
        ),
        (b"PK\x03\x04", ["image"], ["ZIP archive"]),
        (b"", ["zip"], ["takes ZIP archives of images", "empty file"]),
    ],
)
def test_check_names_what_the_model_takes_and_what_the_file_is(
    tmp_path: Path, content: bytes, kinds: list[str], phrases: list[str]
) -> None:
    path = write(tmp_path, "upload.part", content)
    with pytest.raises(MediaError) as caught:
        check(path, kinds)
    message = str(caught.value)
    assert message.startswith("This model takes ")
    for phrase in phrases:
        assert phrase in message


def test_the_mp4_sample_is_not_an_image(samples: Path) -> None:
    with pytest.raises(MediaError, match=r"takes images .* but the file is an MP4 video"):
        check(samples / "people_movement.mp4", ["image"])


@pytest.mark.parametrize(
    ("name", "make"),
    [
        (
            "magic-then-garbage.jpg",
            lambda s: b"\xff\xd8\xff\xe0" + random.Random(1).randbytes(3000),
        ),
        ("half.jpg", lambda s: (s / "bus.jpg").read_bytes()[:30000]),
        ("half.png", lambda s: pillow_bytes("PNG", (300, 200))[:200]),
        ("header-only.webp", lambda s: b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 40),
        ("short.bmp", lambda s: b"BM" + b"\0" * 40),
    ],
)
def test_damaged_images_are_refused(samples: Path, tmp_path: Path, name: str, make) -> None:
    path = write(tmp_path, "upload-0.part", make(samples))
    with pytest.raises(MediaError) as caught:
        check(path, ["image"])
    message = str(caught.value)
    assert "is damaged and cannot be read" in message
    assert str(tmp_path) not in message and "upload-0.part" not in message  # no server paths


def test_damaged_and_empty_zips_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="ZIP archive is damaged"):
        check(write(tmp_path, "a.zip", b"PK\x03\x04" + b"\0" * 100), ["zip"])
    with pytest.raises(MediaError, match="ZIP archive is empty"):
        check(write(tmp_path, "b.zip", zip_of([])), ["zip"])


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(20000, 20000), (15000, 10000), (12000, 10001)])
def test_decompression_bombs_are_refused_by_their_declared_size(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """Past MAX_IMAGE_PIXELS (120 Mpx), whatever Pillow's own, laxer threshold (twice
    that) would let through."""
    path = write(tmp_path, "bomb.png", png_declaring(*size))
    with pytest.raises(MediaError) as caught:
        check(path, ["image"])
    assert str(caught.value) == "The image is too large (more than 120,000,000 pixels)."


def test_a_large_but_allowed_image_header_is_judged_on_its_data(tmp_path: Path) -> None:
    path = write(tmp_path, "big.png", png_declaring(12000, 10000))  # 120 Mpx: just allowed
    with pytest.raises(MediaError, match="damaged"):  # but only four rows of data
        check(path, ["image"])


def test_kind_of() -> None:
    assert kind_of("image/jpeg") == "image"
    assert kind_of("image/tiff") == "image"
    assert kind_of("video/x-matroska") == "video"
    assert kind_of("application/x-nifti") == "nifti"
    assert kind_of("application/x-nifti+gzip") == "nifti"
    assert kind_of("application/zip") == "zip"
    assert kind_of("application/pdf") == "other"
    assert kind_of("text/html") == "other"
