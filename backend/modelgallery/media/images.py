"""Decoding and encoding still images: what the models read, and the annotated JPEGs they
and the API write."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

_JPEG_QUALITY = 90


def decode_image(data: bytes) -> Any:
    """BGR uint8, EXIF orientation applied; ValueError when it is not a readable image."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a readable image")
    return image


def write_jpeg(path: Path, image: Any) -> None:
    """Written to a temporary name and renamed: a reader never sees half a file."""
    import cv2

    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the annotated image")
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        partial.write_bytes(encoded.tobytes())
    except BaseException:  # a full disk leaves no half file taking space
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
