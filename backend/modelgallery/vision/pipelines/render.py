"""Draws a video job's annotated WebM after the job, in a process of its own (started by
`media.deferred_video`): every frame of the upload with that frame's items from
`detections.jsonl` drawn on it (`media.annotate`, as the family draws an image), at the
size `summary.json` gives (`output_size`), in VP9.

    python -m modelgallery.vision.pipelines.render SOURCE FOLDER --kind detections
        [--background]

`--background`: at the lowest priority (nice 19 and, on Linux, SCHED_IDLE), one such
drawing at a time on the machine; the models' jobs always come first. Without it (a
download waits): nice 10, still behind the jobs. A lock file in FOLDER lets one process
draw; one that finds the file drawn when it gets the lock ends at once. A FOLDER removed
meanwhile (the job deleted, a worker node's scratch copy) ends the drawing quietly."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

TARGET = "annotated.webm"  # as media.deferred_video names it
_BACKGROUND_LOCK = "modelgallery-annotated-video.lock"  # one background drawing a machine
_CHECK_EVERY = 30  # frames between two looks whether the folder is still there


class _FolderGone(Exception):
    pass


def render(source: Path, folder: Path, kind: str) -> int:
    """Draw `folder`/annotated.webm; returns the number of frames."""
    from ...media.annotate import annotate
    from ...media.colours import class_colours
    from ...media.video import open_video
    from .handoff import Handoff
    from .webm import WebmWriter, fit

    summary = json.loads((folder / "summary.json").read_text())
    width, height = (int(v) for v in summary["output_size"])
    colours = class_colours(summary.get("counts", {}))  # the video's classes, as the web UI
    part = folder / f".{os.getpid()}.{TARGET}.part.webm"
    try:
        with (
            open_video(source) as video,
            (folder / "detections.jsonl").open() as lines,
            WebmWriter(part, video.info.fps, (width, height)) as writer,
            Handoff() as handoff,
        ):
            # The encoder, the slowest part, on a thread of its own (libvpx releases the GIL).
            write = handoff.sink("render-encode", writer.write)
            for index, (frame, line) in enumerate(zip(video, lines, strict=False)):
                if index % _CHECK_EVERY == 0 and not folder.is_dir():
                    raise _FolderGone()
                drawn = annotate(frame, kind, json.loads(line)["detections"], colours)
                write(fit(drawn, (width, height)))
            handoff.finish()
        os.replace(part, folder / TARGET)
    finally:
        part.unlink(missing_ok=True)
    return writer.frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--kind", default="detections")
    parser.add_argument("--background", action="store_true")
    args = parser.parse_args(argv)
    _lower_priority(args.background)
    folder: Path = args.folder
    try:
        with ExitStack() as locks:
            if args.background:
                locks.enter_context(_locked(Path(tempfile.gettempdir()) / _BACKGROUND_LOCK))
            if not folder.is_dir():
                return 0
            locks.enter_context(_locked(folder / f".{TARGET}.lock"))
            if not (folder / TARGET).is_file():
                render(args.source, folder, args.kind)
    except _FolderGone:
        return 0
    except (OSError, ValueError, KeyError) as exc:
        if not folder.is_dir():
            return 0
        print(f"the annotated video in {folder} was not drawn: {exc}", file=sys.stderr)
        return 1
    return 0


def _lower_priority(background: bool) -> None:
    os.nice(19 if background else 10)
    if background and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # not allowed here: nice 19 alone
            pass


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on `path` (made if missing; never removed: a process that
    waits for it may hold it next)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


if __name__ == "__main__":
    sys.exit(main())
