"""Streaming multipart uploads: files go straight into a job's folder chunk by chunk, hashed
on the way, and the request is cut off as soon as it passes the model's size limit or the
data folder's free space falls below its reserve. The whole file is never held in memory,
and nothing is spooled twice."""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from pathlib import Path
from typing import BinaryIO, Protocol

from fastapi import Request
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import ClientDisconnect

from ..core.disk import out_of_space
from ..services.errors import InsufficientStorage
from ..services.intake import Received, UploadedFile
from .errors import ApiError

_MAX_FIELD_BYTES = 64 * 1024
_MAX_FIELDS = 50
# How much is written between two looks at the free space (a statvfs call each).
_SPACE_CHECK_BYTES = 1024 * 1024


class Destination(Protocol):
    """Where a body's files go, and its limits: a prediction's upload (`services.intake`), or
    a model version's weights."""

    @property
    def folder(self) -> Path: ...

    @property
    def max_bytes(self) -> int: ...

    @property
    def max_files(self) -> int: ...

    @property
    def declared_bytes(self) -> int | None: ...

    @property
    def file_fields(self) -> tuple[str, ...]: ...

    def check_room(self, incoming_bytes: int = 0) -> None: ...


def display_name(raw: str) -> str:
    """The user's file name as metadata: no folders, no control characters, bounded."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    )
    return name.strip()[:255] or "upload"


async def receive(request: Request, upload: Destination) -> Received:
    """Parse a multipart/form-data body into the upload's folder. Raises ApiError 413 past
    the model's limit (all files together, the declared length first), 400 for a malformed
    body. The free space is checked for the declared length before the body is read, then
    every `_SPACE_CHECK_BYTES` written (`upload.check_room`, 507); a write that finds the
    disk full raises InsufficientStorage too."""
    content_type = request.headers.get("content-type", "")
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise ApiError(415, "send the file as multipart/form-data (a form with a file field)")
    max_bytes = upload.max_bytes
    declared = upload.declared_bytes
    if declared is not None and declared > max_bytes + _MAX_FIELD_BYTES:
        raise ApiError(413, _too_large(max_bytes))
    upload.check_room(declared or 0)

    state = _PartState(upload, max_bytes)
    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": state.begin,
            "on_header_field": state.header_field,
            "on_header_value": state.header_value,
            "on_header_end": state.header_end,
            "on_headers_finished": state.headers_done,
            "on_part_data": state.data,
            "on_part_end": state.end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if parser.state not in (MultipartState.START, MultipartState.END):
            # python-multipart's finalize() does not check that the closing boundary came
            raise ApiError(400, "the form data ended before its closing boundary")
    except ClientDisconnect:
        raise ApiError(400, "the upload was interrupted before it finished") from None
    except (ApiError, InsufficientStorage):
        raise
    except Exception as exc:
        if out_of_space(exc):  # the server's disk, not the client's request
            raise InsufficientStorage() from exc
        # the parser's own errors: a malformed body
        raise ApiError(400, f"the form data could not be read ({exc})") from None
    finally:
        # end() closed every complete file; after an error, a buffer that cannot be flushed
        # (the disk is full) is dropped: the upload's folder goes with it
        with contextlib.suppress(OSError):
            state.close()
    return state.received


def _too_large(max_bytes: int) -> str:
    return f"The file is too large: this model accepts up to {max_bytes / 1024 / 1024:g} MB."


class _PartState:
    def __init__(self, into: Destination, max_bytes: int) -> None:
        self.folder, self.max_bytes, self.max_files = into.folder, max_bytes, into.max_files
        self.fields = into.file_fields
        self.check_room = into.check_room
        self.received = Received()
        self.total = 0
        self._unchecked = 0  # bytes written since the last look at the free space
        self._headers: dict[str, str] = {}
        self._field_name = b""
        self._field_value = b""
        self._name: str | None = None
        self._file: UploadedFile | None = None
        self._handle: BinaryIO | None = None
        self._hash = hashlib.sha256()
        self._text = bytearray()

    def begin(self) -> None:
        self._headers, self._name, self._file = {}, None, None
        self._text = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._field_value += data[start:end]

    def header_end(self) -> None:
        # latin-1 keeps the raw bytes: parse_options_header encodes back to latin-1, and
        # file names are decoded as UTF-8 afterwards (what browsers send)
        self._headers[self._field_name.decode("latin-1").lower()] = self._field_value.decode(
            "latin-1"
        )
        self._field_name, self._field_value = b"", b""

    def headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            if len(self.received.fields) >= _MAX_FIELDS:
                raise ApiError(400, "too many form fields")
            return
        if self._name not in self.fields:
            wanted = self.fields[0]
            raise ApiError(422, f"send files in the form field '{wanted}', not '{self._name}'")
        if len(self.received.files) >= self.max_files:
            raise ApiError(422, f"too many files: at most {self.max_files} per request")
        index = len(self.received.files)
        self._file = UploadedFile(
            name=display_name(filename.decode("utf-8", "replace")),
            path=self.folder / f"upload-{index}.part",
            size=0,
            sha256="",
            field=self._name,
        )
        self._handle = self._file.path.open("wb")
        self._hash = hashlib.sha256()
        self.received.files.append(self._file)

    def data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is None:
            self._text += chunk
            if len(self._text) > _MAX_FIELD_BYTES:
                raise ApiError(413, f"the form field '{self._name}' is too long")
            return
        self.total += len(chunk)
        if self.total > self.max_bytes:
            raise ApiError(413, _too_large(self.max_bytes))
        self._unchecked += len(chunk)
        if self._unchecked >= _SPACE_CHECK_BYTES:
            self._unchecked = 0
            self.check_room(0)
        assert self._handle is not None
        self._handle.write(chunk)
        self._hash.update(chunk)
        self._file.size += len(chunk)

    def end(self) -> None:
        if self._file is None:
            if self._name:
                self.received.fields[self._name] = self._text.decode("utf-8", "replace")
            return
        self._file.sha256 = self._hash.hexdigest()
        self.close()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
