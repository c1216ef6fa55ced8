"""The one handler that serves job files, for every route that downloads: nothing a user
uploaded can ever render as a page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import FileResponse

from ..services.predictions import Download
from .errors import ApiError

_INLINE = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/bmp",
    "video/webm",
    "video/mp4",
    "application/json",
}


def send_file(download: Download, attachment: bool) -> FileResponse:
    path, media_type, download_name = download.path, download.media_type, download.name
    if not path.is_file():  # removed from disk (deleted meanwhile, cleaned up): not a 500
        raise ApiError(404, "this file is no longer available")
    if media_type not in _INLINE:
        media_type, attachment = "application/octet-stream", True
    disposition = "attachment" if attachment else "inline"
    ascii_name = download_name.encode("ascii", "replace").decode().replace('"', "")
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Content-Disposition": (
                f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
