"""A worker node's scratch folders, with object storage: each pool process keeps its jobs'
files in `DATA_DIR/scratch/<host>-<pid>`, so that no other process touches a job it runs,
even when several containers share one volume (each has its own pids, not its own host
name). A process that was killed (SIGKILL, Celery's hard time limit) leaves its folder:
the next process to start on the same host reclaims it."""

from __future__ import annotations

import logging
import os
import shutil
import socket
from pathlib import Path

log = logging.getLogger(__name__)


def scratch_folder(root: Path) -> Path:
    """This process's folder under `root`, empty, after removing those of this host's
    processes that are gone."""
    host = socket.gethostname()
    for gone in reclaim(root, host):
        log.info("removed the scratch folder of a process that is gone: %s", gone)
    folder = root / f"{host}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # a pid can be reused
    folder.mkdir(parents=True)
    return folder


def reclaim(root: Path, host: str) -> list[Path]:
    """Remove the folders of `host`'s processes that no longer run; returns them."""
    removed = []
    for folder in root.glob(f"{host}-*"):
        pid = folder.name.removeprefix(f"{host}-")
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
