"""Job events over Redis pub/sub between processes' buses (a real redis-server): what one
publishes, another's subscriber receives, also after Redis restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from modelgallery.jobs.lifecycle.events import RedisEventBus
from modelgallery.store.records import Job, JobStatus
from tests.support.redis_server import RedisTestServer

_EVENT_WAIT_S = 10  # a bound against hanging, not a measured duration


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisTestServer]:
    with RedisTestServer() as server:
        yield server


Buses = tuple[RedisEventBus, RedisEventBus, dict[str, Job]]


@pytest.fixture
async def buses(redis_server: RedisTestServer) -> AsyncIterator[Buses]:
    """A replica following jobs (it reads `stored` after reconnecting), a worker node that
    only publishes, and the store the replica reads."""
    stored: dict[str, Job] = {}

    async def latest(job_id: str) -> Job | None:
        return stored.get(job_id)

    follower = RedisEventBus(redis_server.url, latest=latest)
    node = RedisEventBus(redis_server.url)
    yield follower, node, stored
    await follower.close()
    await node.close()


def _job(status: JobStatus = JobStatus.running, progress: float = 0.0) -> Job:
    return Job(model="toy", status=status, progress=progress)


async def _next(mailbox: asyncio.Queue[Job]) -> Job:
    return await asyncio.wait_for(mailbox.get(), _EVENT_WAIT_S)


async def test_a_subscriber_receives_what_another_process_publishes(
    buses: Buses,
) -> None:
    follower, node, _ = buses
    job, other = _job(), _job()
    async with follower.subscribe(job.id) as mailbox, follower.subscribe(job.id) as second:
        # Effective once entered: published right away, nothing is missed.
        await node.publish(job.model_copy(update={"progress": 0.5}))
        await node.publish(other)  # another job's event reaches neither mailbox
        await node.publish(job.model_copy(update={"status": JobStatus.succeeded}))
        for box in (mailbox, second):
            assert (await _next(box)).progress == 0.5
            ended = await _next(box)
            assert ended.id == job.id and ended.status == JobStatus.succeeded
            assert box.empty()


async def test_a_subscriber_follows_across_a_redis_restart(
    redis_server: RedisTestServer, buses: Buses
) -> None:
    follower, node, stored = buses
    job = _job()
    async with follower.subscribe(job.id) as mailbox:
        redis_server.restart()
        # Published while the follower was away is lost; after reconnecting it delivers
        # the stored state, then the events published since.
        stored[job.id] = job.model_copy(update={"progress": 0.25})
        assert (await _next(mailbox)).progress == 0.25
        await node.publish(job.model_copy(update={"status": JobStatus.succeeded}))
        assert (await _next(mailbox)).status == JobStatus.succeeded


async def test_publishing_without_redis_does_not_fail() -> None:
    with RedisTestServer() as server:
        url = server.url
    bus = RedisEventBus(url, connect_timeout_s=0.5)
    await bus.publish(_job())  # logged, not raised
    await bus.close()
