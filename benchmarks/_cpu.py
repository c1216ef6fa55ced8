"""CPU time as Linux counts it, for the benchmarks: a process's (every thread's), the
processes it started, and the whole machine's idle share over a stretch of time."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cpu:
    """CPU ms of a process (every thread), user and system, from /proc/<pid>/stat."""

    user: float
    system: float

    @classmethod
    def of(cls, pid: int) -> Cpu:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ms_per_tick = 1000 / os.sysconf("SC_CLK_TCK")
        return cls(int(fields[11]) * ms_per_tick, int(fields[12]) * ms_per_tick)

    @classmethod
    def here(cls) -> Cpu:
        """This process's, every thread's."""
        used = resource.getrusage(resource.RUSAGE_SELF)
        return cls(used.ru_utime * 1000, used.ru_stime * 1000)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.user - other.user, self.system - other.system)

    def __truediv__(self, count: float) -> Cpu:
        return Cpu(self.user / count, self.system / count)

    @property
    def total(self) -> float:
        return self.user + self.system


def children(pid: int) -> list[int]:
    """The processes `pid` started (its workers), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def machine_ticks() -> tuple[int, int]:
    """Every CPU's ticks since boot, all of them and the idle ones (idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values), values[3] + values[4]
