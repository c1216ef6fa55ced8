"""The annotated WebM of a video result, drawn after its job rather than during it: from the
upload and the job's `detections.jsonl`, in a process of its own
(`modelgallery.vision.pipelines.render`, started by name and never imported here: the API
process stays free of PyAV). The job starts one at the lowest priority as soon as its
detections are written, so that the file is usually there before anyone asks for it; a
download that comes first starts one at a raised priority (it waits for the background one
when that one is drawing already: a lock file in the job's folder lets one process draw
it). Either way the file appears whole (written under a temporary name, then renamed)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

RENDERER = "modelgallery.vision.pipelines.render"
TARGET = "annotated.webm"
# The job's other outputs that the drawing reads, beside the target.
READS = ("detections.jsonl", "summary.json")
# A download waits this long for the drawing (below the proxy's 330 s for /api/), then is
# told to come back: a long video takes about as long as it lasts.
WAIT_S = 120.0
RETRY_AFTER_S = 30
_ITEM_KINDS = {"video-detections": "detections"}  # what each frame's items are drawn as
_QUIET = ((0, os.O_RDONLY), (1, os.O_WRONLY))  # stdin and stdout: nothing
_started: list[int] = []  # the pids of background drawings, reaped as they end
_waited: set[asyncio.Task[tuple[bytes, bytes]]] = set()  # asked-for ones no longer waited on


class StillDrawing(Exception):  # noqa: N818 - a state, not an error
    """The drawing goes on; the file is not there yet."""


def can_draw(result_kind: str) -> bool:
    return result_kind in _ITEM_KINDS


def command(source: Path, folder: Path, result_kind: str, background: bool) -> list[str]:
    kind = _ITEM_KINDS[result_kind]
    line = [sys.executable, "-m", RENDERER, str(source), str(folder), "--kind", kind]
    return [*line, "--background"] if background else line


def start_in_background(source: Path, folder: Path, result_kind: str) -> None:
    """Draw `folder`/annotated.webm at the lowest priority, without waiting for it (its
    errors go to this process's stderr, as a worker's log). Those that ended are reaped
    here, at the next start: no thread waits for them."""
    _started[:] = [pid for pid in _started if _running(pid)]
    line = command(source, folder, result_kind, background=True)
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, flags, 0) for fd, flags in _QUIET]
    _started.append(os.posix_spawn(line[0], line, os.environ, file_actions=quiet))


def _running(pid: int) -> bool:
    """Whether a drawing started here runs still (else it is reaped now)."""
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:  # reaped already
        return False


async def draw(source: Path, target: Path, result_kind: str, wait_s: float = WAIT_S) -> None:
    """Draw `target` (an annotated.webm) now, waiting up to `wait_s`. Raises StillDrawing
    when it takes longer (the drawing goes on), ValueError with the reason when it fails."""
    process = await asyncio.create_subprocess_exec(
        *command(source, target.parent, result_kind, background=False),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    done = asyncio.ensure_future(process.communicate())
    try:
        _, stderr = await asyncio.wait_for(asyncio.shield(done), wait_s)
    except TimeoutError:
        _waited.add(done)  # reaped when it ends
        done.add_done_callback(_waited.discard)
        raise StillDrawing(
            "The annotated video is still being made (it takes about as long as the video "
            "lasts); please try again in a minute."
        ) from None
    if process.returncode != 0 or not await asyncio.to_thread(target.is_file):
        reason = stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else "the drawing process failed")


async def settle() -> None:
    """Until the drawings that no download waits for any more have ended (at shutdown)."""
    while _waited:
        await asyncio.gather(*_waited, return_exceptions=True)
