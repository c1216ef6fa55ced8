"""Threads on either side of the calling thread: a `source` that produces items ahead of it
and a `sink` that consumes them behind it, each through a small queue, so a few items at
most are held whatever the stream's length (the video pipeline's decoder and encoder)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from queue import Empty, Full, Queue
from typing import TypeVar

# Items waiting between two threads: enough to ride out a slow one, few enough that memory
# stays flat.
QUEUE_SIZE = 4
_POLL_S = 0.05  # how often a blocked hand-over looks whether the other side has stopped
_T = TypeVar("_T")


class _End:
    """What follows the last item through a queue."""


_END = _End()


class Handoff:
    """A thread's exception is raised on the calling thread at its next hand-over; leaving
    the `with` block (normally or not) stops and joins every thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []
        self._ends: list[Callable[[], None]] = []  # per sink: hands it the end

    def source(self, name: str, items: Iterable[_T]) -> Iterator[_T]:
        """`items`, iterated on a thread of its own, in order."""
        queue: Queue[_T | _End] = Queue(QUEUE_SIZE)

        def produce() -> None:
            for item in items:
                if not self._offer(queue, item):
                    return
            self._offer(queue, _END)

        self._start(name, produce)
        return self._drain(queue)

    def sink(self, name: str, consume: Callable[[_T], None]) -> Callable[[_T], None]:
        """A function that hands an item to `consume`, called on a thread of its own in the
        order given; `finish()` waits until it has taken every item."""
        queue: Queue[_T | _End] = Queue(QUEUE_SIZE)

        def run() -> None:
            while not isinstance(item := self._take(queue), _End):
                consume(item)

        self._start(name, run)
        self._ends.append(lambda: self._hand(queue, _END))
        return lambda item: self._hand(queue, item)

    def finish(self) -> None:
        """After the last item: waits for the threads to end; raises what one raised."""
        for end in self._ends:
            end()
        for thread in self._threads:
            thread.join()
        self._raise_failure()

    def __enter__(self) -> Handoff:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _start(self, name: str, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # raised again on the calling thread
                self._errors.append(exc)
                self._stop.set()

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    # On the calling thread: hand over and take, raising a thread's exception.

    def _drain(self, queue: Queue[_T | _End]) -> Iterator[_T]:
        while True:
            self._raise_failure()
            try:
                item = queue.get(timeout=_POLL_S)
            except Empty:
                continue
            if isinstance(item, _End):
                return
            yield item

    def _hand(self, queue: Queue[_T | _End], item: _T | _End) -> None:
        while True:
            self._raise_failure()
            try:
                queue.put(item, timeout=_POLL_S)
                return
            except Full:
                continue

    def _raise_failure(self) -> None:
        if self._errors:
            raise self._errors[0]

    # On the threads: the same, giving up once the handoff stops.

    def _offer(self, queue: Queue[_T | _End], item: _T | _End) -> bool:
        while not self._stop.is_set():
            try:
                queue.put(item, timeout=_POLL_S)
                return True
            except Full:
                continue
        return False

    def _take(self, queue: Queue[_T | _End]) -> _T | _End:
        while not self._stop.is_set():
            try:
                return queue.get(timeout=_POLL_S)
            except Empty:
                continue
        return _END
