"""A node process's scratch folder: its own, emptied at start, and the folders of this
host's processes that are gone (SIGKILLed) reclaimed when the next one starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from modelgallery.jobs.distributed.scratch import reclaim, scratch_folder


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_gone_process_folder_is_reclaimed_and_the_others_are_kept(tmp_path: Path) -> None:
    host = socket.gethostname()
    gone = tmp_path / f"{host}-{_dead_pid()}"
    alive = tmp_path / f"{host}-{os.getppid()}"
    elsewhere = tmp_path / f"another-host-{_dead_pid()}"  # a container sharing the volume
    for folder in (gone, alive, elsewhere):
        (folder / "job" / "input").mkdir(parents=True)
    assert reclaim(tmp_path, host) == [gone]
    assert not gone.exists() and alive.exists() and elsewhere.exists()


def test_a_process_gets_an_empty_folder_of_its_own(tmp_path: Path) -> None:
    mine = tmp_path / f"{socket.gethostname()}-{os.getpid()}"
    (mine / "left-over").mkdir(parents=True)  # a reused pid's
    assert scratch_folder(tmp_path) == mine
    assert list(mine.iterdir()) == []
