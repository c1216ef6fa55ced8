"""The reading end of a worker's pipe, in the event loop: what the worker sends is read as
it arrives and put in the slot's inbox, with no thread between the pipe and the loop (a
thread per worker cost two hand-offs of the interpreter per message). The end of the pipe
(the worker stopped) is noticed at once, as `WorkerDied`.

The messages are framed as `multiprocessing.Connection.send` writes them: a 4-byte signed
length (-1, then an 8-byte length, for a payload past 2 GiB) and the pickle."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler

from .messages import Inbox, WorkerDied

log = logging.getLogger("modelgallery.jobs.local.executor")

_CHUNK = 256 * 1024


class PipeReader:
    """Frames from the worker's end of a duplex `Connection` (a Unix socket pair), read
    without blocking when the loop says the socket is readable. The reader has a socket
    of its own on a duplicate of the descriptor, so that closing the connection (the slot
    stopping its worker) leaves it reading until the worker's end closes, as a thread
    blocked in `recv` did."""

    def __init__(
        self, conn: Connection, inbox: asyncio.Queue[Inbox], loop: asyncio.AbstractEventLoop
    ) -> None:
        self._sock = socket.socket(fileno=os.dup(conn.fileno()))
        self._inbox, self._loop = inbox, loop
        self._buffer = bytearray()
        loop.add_reader(self._sock.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            # MSG_DONTWAIT: non-blocking for this call only; the connection's own
            # descriptor, which the slot writes to, stays blocking.
            chunk = self._sock.recv(_CHUNK, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._end(WorkerDied())
            return
        self._buffer += chunk
        try:
            for message in self._frames():
                self._inbox.put_nowait(message)
        except Exception:
            log.exception("a worker sent a message that could not be read")
            self._end(WorkerDied("it sent a message that could not be read"))

    def _frames(self) -> list[Inbox]:
        """Every whole message in the buffer, taken out of it."""
        messages: list[Inbox] = []
        buffer = self._buffer
        while len(buffer) >= 4:
            size, header = int.from_bytes(buffer[:4], "big", signed=True), 4
            if size == -1:
                if len(buffer) < 12:
                    break
                size, header = int.from_bytes(buffer[4:12], "big"), 12
            if len(buffer) < header + size:
                break
            messages.append(ForkingPickler.loads(buffer[header : header + size]))
            del buffer[: header + size]
        return messages

    def _end(self, message: WorkerDied) -> None:
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._buffer.clear()
        self._inbox.put_nowait(message)
