"""Redis Sentinel, for real (tests/support/redis_sentinel.py): each client library, given
REDIS_URL's redis+sentinel:// form through modelgallery.core.redis_conn, works before the
master is killed and again once the sentinels have promoted the replica, and finds there
what was written (and replicated) before."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from limits import parse as parse_limit
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic import SecretStr
from redis.asyncio.sentinel import SentinelConnectionPool

from modelgallery.core import redis_conn
from modelgallery.core.redis_conn import RedisTarget
from modelgallery.core.settings import Settings
from modelgallery.jobs.distributed.broker import celery_app as product_celery_app
from tests.support.redis_sentinel import RedisSentinelCluster

TIMEOUTS = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}


@pytest.fixture
def cluster() -> Iterator[RedisSentinelCluster]:
    with RedisSentinelCluster() as cluster:
        yield cluster


def target(cluster: RedisSentinelCluster) -> RedisTarget:
    return redis_conn.parse(cluster.url, sentinel_password=cluster.sentinel_password)


async def test_the_asyncio_client_and_its_subscriptions_follow_the_master(
    cluster: RedisSentinelCluster,
) -> None:
    async with redis_conn.async_client(target(cluster), decode_responses=True, **TIMEOUTS) as db:
        await db.set("mg:test", "before")
        pubsub = db.pubsub()
        await pubsub.subscribe("mg:job:1")
        assert (await pubsub.get_message(timeout=5) or {}).get("type") == "subscribe"

        _, new_port = await asyncio.to_thread(cluster.fail_over)

        assert await db.get("mg:test") == "before"
        assert await db.set("mg:test", "after")
        pool = db.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        assert pool.master_address is not None and pool.master_address[1] == new_port
        # A subscription does not move: it ends with an error, and subscribing again
        # reaches the new master (what RedisEventBus does when its reader loses Redis).
        with pytest.raises(redis.ConnectionError):
            await pubsub.get_message(timeout=5)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        pubsub = db.pubsub()
        await pubsub.subscribe("mg:job:1")
        assert (await pubsub.get_message(timeout=5) or {}).get("type") == "subscribe"
        await db.publish("mg:job:1", "done")
        assert (await pubsub.get_message(timeout=5) or {}).get("data") == "done"
        await pubsub.aclose()  # type: ignore[no-untyped-call]


def test_throttle_counts_in_limits_survive_a_failover(cluster: RedisSentinelCluster) -> None:
    uri, options = redis_conn.limits_storage(target(cluster), key_prefix="mg:limits", **TIMEOUTS)
    storage = storage_from_string(uri, **options)
    assert isinstance(storage, Storage)  # the synchronous one, as throttle_storage's
    limiter, rate = MovingWindowRateLimiter(storage), parse_limit("3/15 minutes")
    assert limiter.hit(rate, "login", "1.2.3.4", cost=2)

    cluster.fail_over()

    assert limiter.hit(rate, "login", "1.2.3.4")  # the third of three
    assert not limiter.test(rate, "login", "1.2.3.4")
    assert limiter.test(rate, "login", "5.6.7.8")


def celery_app(cluster: RedisSentinelCluster) -> Celery:
    """The product's Celery configuration (modelgallery.jobs.celery.celery_app)."""
    settings = Settings(
        redis_url=SecretStr(cluster.url),
        redis_sentinel_password=SecretStr(cluster.sentinel_password),
        visibility_timeout_s=600,
    )
    return product_celery_app(settings)


def test_celery_messages_queued_before_a_failover_are_consumed_after_it(
    cluster: RedisSentinelCluster,
) -> None:
    app = celery_app(cluster)
    try:
        app.send_task("mg.test", args=[1])
        assert consume(app, 1) == [[1]]
        app.send_task("mg.test", args=[2])

        cluster.fail_over()

        # The same app: its pooled producer connection went with the old master, and the
        # publish retry policy reconnects it (to the new one).
        app.send_task("mg.test", args=[3])
        assert consume(app, 2) == [[2], [3]]
    finally:
        app.close()


def consume(app: Celery, count: int) -> list[Any]:
    """Take `count` messages off the queue on a new connection (as a worker's consumer
    does after it lost the broker) and return their arguments."""
    received: list[Any] = []

    def on_message(body: Any, message: Any) -> None:
        received.append(body[0])
        message.ack()

    queue = app.amqp.queues[app.conf.task_default_queue]
    with (
        app.connection_for_read() as connection,
        connection.Consumer(queue, accept=["json"], callbacks=[on_message]),
    ):
        while len(received) < count:
            connection.drain_events(timeout=10)
    return received


def test_a_celery_worker_reconnects_to_the_new_master(cluster: RedisSentinelCluster) -> None:
    app = celery_app(cluster)
    ran: list[int] = []
    each = threading.Condition()

    @app.task(name="mg.test.record")
    def record(number: int) -> None:
        with each:
            ran.append(number)
            each.notify_all()

    def ran_by_now(numbers: list[int]) -> bool:
        with each:
            return each.wait_for(lambda: sorted(ran) == numbers, timeout=60)

    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            record.delay(1)
            assert ran_by_now([1])
            cluster.fail_over()
            record.delay(2)
            assert ran_by_now([1, 2])
    finally:
        app.close()
