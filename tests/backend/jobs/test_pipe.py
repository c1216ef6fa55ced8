"""The reading end of a worker's pipe in the event loop: every message arrives whole and in
order, whatever its size, and the end of the pipe or a message that cannot be read is the
worker's death."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import struct

from modelgallery.jobs.local.messages import Inbox, WorkerDied, WorkerReady
from modelgallery.jobs.local.pipe import PipeReader
from modelgallery.jobs.runner import Progressed


def _pipe() -> tuple:
    return multiprocessing.get_context("spawn").Pipe(duplex=True)


async def _next(inbox: asyncio.Queue[Inbox]) -> Inbox:
    return await asyncio.wait_for(inbox.get(), 10)


async def test_messages_of_every_size_arrive_whole_and_in_order() -> None:
    ours, theirs = _pipe()
    inbox: asyncio.Queue[Inbox] = asyncio.Queue()
    PipeReader(ours, inbox, asyncio.get_running_loop())
    # small ones share a write with their length; past 16 KiB the length goes first; past
    # the socket's buffer the payload arrives over several reads
    sent = [Progressed("a", 0.5, "x" * size) for size in (0, 10, 20_000, 3_000_000)]
    sent.append(WorkerReady())

    def send_all() -> None:
        for message in sent:
            theirs.send(message)

    await asyncio.to_thread(send_all)  # the loop reads meanwhile, or a large one blocks
    assert [await _next(inbox) for _ in sent] == sent
    theirs.close()
    assert await _next(inbox) == WorkerDied()
    ours.close()


async def test_the_closed_end_is_a_worker_death_even_with_a_message_cut_short() -> None:
    ours, theirs = _pipe()
    inbox: asyncio.Queue[Inbox] = asyncio.Queue()
    PipeReader(ours, inbox, asyncio.get_running_loop())
    theirs.send_bytes(b"")  # not a pickle: the reader says so and stops
    died = await _next(inbox)
    assert isinstance(died, WorkerDied) and died.reason is not None
    assert "could not be read" in died.reason
    theirs.close()
    ours.close()

    ours, theirs = _pipe()
    inbox = asyncio.Queue()
    PipeReader(ours, inbox, asyncio.get_running_loop())
    theirs.send(Progressed("b", 0.1, "running"))
    # the start of a frame, as a worker killed in the middle of a message leaves it
    os.write(theirs.fileno(), struct.pack("!i", 1000) + b"\x80\x04")
    theirs.close()
    assert await _next(inbox) == Progressed("b", 0.1, "running")
    assert await _next(inbox) == WorkerDied()
    ours.close()


async def test_closing_our_connection_leaves_the_reader_to_see_the_worker_end() -> None:
    """The slot closes its connection when it stops a worker; the death still arrives
    once the worker's end closes, as a thread blocked in `recv` saw it."""
    ours, theirs = _pipe()
    inbox: asyncio.Queue[Inbox] = asyncio.Queue()
    PipeReader(ours, inbox, asyncio.get_running_loop())
    ours.close()
    theirs.send(WorkerReady())
    assert await _next(inbox) == WorkerReady()
    theirs.close()
    assert await _next(inbox) == WorkerDied()
