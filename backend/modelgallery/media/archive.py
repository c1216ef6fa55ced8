"""ZIP archives of images: the limits, the upload check, and reading the images back out
one at a time (a worker never unpacks the archive to disk or holds it whole)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .sniff import MediaError, sniff

MAX_ZIP_MEMBERS = 500
MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024

# (the member's name, a function that returns its bytes)
ArchiveImage = tuple[str, Callable[[], bytes]]


def check_archive(path: Path) -> None:
    """Raise MediaError unless the ZIP opens, is within the limits and holds an image."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if not members:
                raise MediaError("The ZIP archive is empty.")
            if len(members) > MAX_ZIP_MEMBERS:
                raise MediaError(
                    f"The ZIP archive holds {len(members)} files; {MAX_ZIP_MEMBERS} at most."
                )
            if sum(m.file_size for m in members) > MAX_ZIP_TOTAL_BYTES:
                raise MediaError("The ZIP archive unpacks to more than 1 GB.")
            for member in members:
                with archive.open(member) as fh:
                    if sniff(fh.read(64)).kind == "image":
                        return
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise MediaError(f"The ZIP archive is damaged or unsupported ({exc}).") from None
    raise MediaError("The ZIP archive holds no images (JPEG, PNG, WebP, BMP or TIFF).")


def archive_images(path: Path) -> Iterator[ArchiveImage]:
    """Every image member (by its first bytes), skipping folders, macOS metadata, hidden
    files and members over the per-file limit. Raises MediaError past the archive limits."""
    with zipfile.ZipFile(path) as archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and not m.filename.startswith("__MACOSX/")
            and not Path(m.filename).name.startswith(".")
        ]
        if len(members) > MAX_ZIP_MEMBERS:
            raise MediaError(f"the ZIP holds {len(members)} files; {MAX_ZIP_MEMBERS} at most")
        if sum(m.file_size for m in members) > MAX_ZIP_TOTAL_BYTES:
            raise MediaError("the ZIP unpacks to more than 1 GB")
        for member in members:
            if member.file_size > MAX_ZIP_MEMBER_BYTES:
                continue
            with archive.open(member) as fh:
                head = fh.read(64)
            if sniff(head).kind != "image":
                continue

            def load(member: zipfile.ZipInfo = member) -> bytes:
                with zipfile.ZipFile(path) as again, again.open(member) as fh:
                    return fh.read(MAX_ZIP_MEMBER_BYTES + 1)

            yield member.filename, load
