"""Choosing the runtime a model serves on: the one the registry names, or with `auto` the
fastest of those that load, measured on the warm-up input. A runtime that fails to load
(its package missing, its export broken) is skipped with the reason, never fatal while
another one runs."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..model import RuntimeCandidate, RuntimeChoice, RuntimeName, RuntimeRequest

log = logging.getLogger(__name__)

Net = Callable[[Any], Any]  # a batch in, the network's raw output out
_TIMED_RUNS = 3


def choose(
    requested: RuntimeRequest,
    builders: Mapping[RuntimeName, Callable[[], Net]],
    sample: Any,
) -> tuple[Net, RuntimeChoice]:
    """The net to serve with, and the record of the choice. `builders` is in order of
    preference; the first is the fallback when the requested one cannot load."""
    names = list(builders) if requested == "auto" else [requested]
    fallback = next(iter(builders))
    if requested != "auto" and requested != fallback:
        names.append(fallback)
    tried: list[RuntimeCandidate] = []
    nets: dict[RuntimeName, Net] = {}
    for name in names:
        if requested != "auto" and nets:
            break
        try:
            net = builders[name]()
            ms = _median_ms(net, sample)
        except Exception as exc:  # any failure only rules this runtime out
            log.warning("runtime %s is not usable: %s", name, exc)
            tried.append(RuntimeCandidate(name=name, error=_short(exc)))
            continue
        nets[name] = net
        tried.append(RuntimeCandidate(name=name, ms=round(ms, 2)))
    if not nets:
        raise RuntimeError("; ".join(f"{c.name}: {c.error}" for c in tried))
    chosen = min(nets, key=lambda n: next(c.ms or 0.0 for c in tried if c.name == n))
    return nets[chosen], RuntimeChoice(requested=requested, chosen=chosen, candidates=tried)


def _median_ms(net: Net, sample: Any) -> float:
    net(sample)  # the first run pays for lazy initialisation
    times = []
    for _ in range(_TIMED_RUNS):
        started = time.perf_counter()
        net(sample)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 300 else text[:297] + "..."
