"""A bucket of object storage (S3 or compatible, Google Cloud Storage), named by
STORAGE_URL and reached with obstore; credentials and endpoint come from the provider's usual
environment variables (docs/settings.md). Files go up and come down streamed: a large file
is sent in parts and written to disk chunk by chunk, never held whole in memory."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from obstore.exceptions import BaseError, NotFoundError
from obstore.store import from_url

from .storage import ObjectStoreError

if TYPE_CHECKING:
    from obstore.store import ObjectStore

SCHEMES = ("s3", "gs")
PART_BYTES = 8 * 1024 * 1024  # a multipart upload's part, and a download's chunk
PARTS_AT_ONCE = 4  # parts of one file in flight: memory is about this many parts


class ObjectFiles:
    """Files under a bucket's prefix, by key (`jobs/<id>/input/<name>`)."""

    def __init__(self, url: str, store: ObjectStore, probe: ObjectStore) -> None:
        self.url = url
        self._store = store
        self._probe = probe  # the same bucket with few retries: start-up answers fast

    async def ping(self) -> None:
        """Raise ObjectStoreError unless the bucket answers a listing."""
        try:
            await self._probe.list_with_delimiter_async("jobs")
        except BaseError as exc:
            raise ObjectStoreError(
                f"STORAGE_URL {self.url} cannot be reached: {_first_line(exc)}"
            ) from None

    async def put(self, key: str, source: Path) -> None:
        """Upload a local file (in parts when larger than one part). Raises
        FileNotFoundError when there is no such file."""
        async with self._errors(key, missing=f"{source} does not exist"):
            await self._store.put_async(
                key, source, chunk_size=PART_BYTES, max_concurrency=PARTS_AT_ONCE
            )

    async def get(self, key: str, target: Path) -> None:
        """Download an object to `target`, which appears whole or not at all. Raises
        FileNotFoundError when there is no such object."""
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            async with self._errors(key):
                result = await self._store.get_async(key)
                with partial.open("wb") as out:
                    async for chunk in result.stream(min_chunk_size=PART_BYTES):
                        await asyncio.to_thread(out.write, chunk)
            partial.replace(target)
        finally:
            with suppress(FileNotFoundError):
                partial.unlink()

    async def list(self, prefix: str) -> list[str]:
        """The keys under `prefix` (whole path segments: `jobs/a` does not match `jobs/ab`)."""
        keys: list[str] = []
        async with self._errors(prefix):
            async for batch in self._store.list(prefix):
                keys.extend(meta["path"] for meta in batch)
        return keys

    async def delete_under(self, prefix: str) -> int:
        """Delete every object under `prefix`; returns how many there were."""
        keys = await self.list(prefix)
        if keys:
            async with self._errors(prefix):
                await self._store.delete_async(keys)
        return len(keys)

    @asynccontextmanager
    async def _errors(self, key: str, missing: str | None = None) -> AsyncIterator[None]:
        """A missing object as FileNotFoundError, any other failure as ObjectStoreError,
        each with the first line of obstore's message (the rest is a debug dump)."""
        try:
            yield
        except (FileNotFoundError, NotFoundError):
            raise FileNotFoundError(missing or f"{key} is not in {self.url}") from None
        except BaseError as exc:
            raise ObjectStoreError(f"STORAGE_URL {self.url}: {_first_line(exc)}") from None


def open_object_store(url: str) -> ObjectFiles:
    """The bucket STORAGE_URL names (nothing is sent until it is used: see `ping`). Raises
    ObjectStoreError for a URL that names no bucket of a known kind."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.netloc:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise ObjectStoreError(f"STORAGE_URL {url} is not a bucket URL ({known}bucket/prefix)")
    try:
        store = from_url(url)
        probe = from_url(
            url, retry_config={"max_retries": 1, "retry_timeout": timedelta(seconds=10)}
        )
    except BaseError as exc:
        raise ObjectStoreError(f"STORAGE_URL {url} cannot be used: {_first_line(exc)}") from None
    return ObjectFiles(url, store, probe)


def _first_line(exc: BaseException) -> str:
    """obstore's message without the debug dump and response body that follow, with the
    provider's error code (NoSuchBucket, AccessDenied…) when the body had one."""
    text = str(exc).strip()
    line = text.splitlines()[0].split(": <?xml")[0] if text else type(exc).__name__
    code = re.search(r"<Code>(\w+)</Code>", text)
    return f"{line} ({code.group(1)})" if code else line
