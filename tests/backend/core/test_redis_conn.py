"""REDIS_URL's two forms, one Redis and Redis Sentinel, translated for each client library
(no server: what each library makes of the translation; tests/backend/core/
test_redis_sentinel.py runs them against real sentinels)."""

from __future__ import annotations

import kombu
import pytest
from limits.storage import RedisSentinelStorage, RedisStorage, storage_from_string
from redis.asyncio.sentinel import SentinelConnectionPool

from modelgallery.core import redis_conn
from modelgallery.core.redis_conn import RedisTarget, parse

SENTINELS = "redis+sentinel://user:p%40ss%3Bw%2Frd@s1,s2:26380,[::1]:26381/mg-redis/2"


def test_a_single_redis_url_is_kept_as_it_is() -> None:
    target = parse("redis://:secret@redis:6379/0")
    assert not target.uses_sentinel
    assert target.url == "redis://:secret@redis:6379/0"
    assert redis_conn.celery_broker(target, socket_timeout=10) == (
        "redis://:secret@redis:6379/0",
        {"socket_timeout": 10},
    )
    assert redis_conn.limits_storage(target.url, key_prefix="mg") == (
        "redis://:secret@redis:6379/0",
        {"key_prefix": "mg"},
    )


def test_a_sentinel_url_names_the_sentinels_the_master_and_its_credentials() -> None:
    target = parse(SENTINELS, sentinel_password="sentinels' own")
    assert target == RedisTarget(
        url=SENTINELS,
        sentinels=(("s1", 26379), ("s2", 26380), ("::1", 26381)),
        master_name="mg-redis",
        db=2,
        username="user",
        password="p@ss;w/rd",
        sentinel_password="sentinels' own",
    )
    assert "p@ss" not in repr(target) and "own" not in repr(target)
    assert parse("redis+sentinel://s1/mg-redis") == RedisTarget(
        url="redis+sentinel://s1/mg-redis", sentinels=(("s1", 26379),), master_name="mg-redis"
    )


@pytest.mark.parametrize(
    "url",
    [
        "sentinel://s1:26379/mg-redis",  # kombu's form
        "redis-sentinel://s1/mg-redis",
        "s1:26379",
        "redis+sentinel://s1,s2",  # no master name
        "redis+sentinel://s1/",
        "redis+sentinel:///mg-redis",  # no sentinel
        "redis+sentinel://s1,/mg-redis",
        "redis+sentinel://s1:port/mg-redis",
        "redis+sentinel://s1/mg-redis/zero",
        "redis+sentinel://s1/mg-redis/0/1",
        "redis+sentinel://s1/mg redis",
        "redis+sentinel://:hunt?er2@s1/mg-redis",  # unencoded: read as an option
        "redis+sentinel://s1/mg-redis?ssl=true",
    ],
)
def test_other_urls_are_refused_with_the_formats(url: str) -> None:
    with pytest.raises(ValueError, match="redis\\+sentinel://") as raised:
        parse(url)
    assert "hunt" not in str(raised.value)


def test_a_password_for_sentinels_needs_a_sentinel_url() -> None:
    with pytest.raises(ValueError, match="not redis\\+sentinel://"):
        parse("redis://redis:6379/0", sentinel_password="secret")


def test_kombu_reads_the_broker_url_as_one_sentinel_each() -> None:
    target = parse(SENTINELS, sentinel_password="sentinels' own")
    url, options = redis_conn.celery_broker(target, visibility_timeout=7200, socket_timeout=10)
    assert url == (
        "sentinel://user:p%40ss%3Bw%2Frd@s1:26379/2;"
        "sentinel://user:p%40ss%3Bw%2Frd@s2:26380/2;"
        "sentinel://user:p%40ss%3Bw%2Frd@[::1]:26381/2"
    )
    assert options["visibility_timeout"] == 7200
    assert options["master_name"] == "mg-redis"
    sentinel_kwargs = options["sentinel_kwargs"]
    assert sentinel_kwargs["password"] == "sentinels' own"
    assert sentinel_kwargs["username"] is None
    assert sentinel_kwargs["socket_timeout"] == 10
    assert sentinel_kwargs["retry"].get_retries() == 0
    connection = kombu.Connection(url, transport_options=options)
    try:
        assert connection.transport_cls == "sentinel"
        assert len(connection.alt) == 3
        assert (connection.userid, connection.password) == ("user", "p@ss;w/rd")
        assert connection.virtual_host == "2"
    finally:
        connection.release()


def test_limits_gives_the_master_its_password_and_the_sentinels_theirs() -> None:
    target = parse(SENTINELS, sentinel_password="sentinels' own")
    uri, options = redis_conn.limits_storage(target, socket_timeout=2.0, key_prefix="mg")
    assert uri == "redis+sentinel://s1:26379,s2:26380,[::1]:26381/mg-redis"
    storage = storage_from_string(uri, **options)
    assert isinstance(storage, RedisSentinelStorage)
    assert storage.service_name == "mg-redis"
    assert not storage.use_replicas
    master = storage.sentinel.connection_kwargs
    assert (master["username"], master["password"], master["db"]) == ("user", "p@ss;w/rd", 2)
    assert master["socket_timeout"] == 2.0
    sentinels = storage.sentinel.sentinel_kwargs
    assert (sentinels["username"], sentinels["password"]) == (None, "sentinels' own")
    assert sentinels["socket_timeout"] == 2.0


def test_limits_without_a_password_for_sentinels_sends_them_none() -> None:
    uri, options = redis_conn.limits_storage("redis+sentinel://:secret@s1/mg-redis")
    storage = storage_from_string(uri, **options)
    assert isinstance(storage, RedisSentinelStorage)
    assert storage.sentinel.connection_kwargs["password"] == "secret"
    assert storage.sentinel.sentinel_kwargs["password"] is None


def test_limits_reads_a_unix_socket_url_as_its_own_scheme() -> None:
    uri, _ = redis_conn.limits_storage("unix:///run/redis.sock?db=1")
    assert uri == "redis+unix:///run/redis.sock?db=1"
    assert isinstance(storage_from_string(uri), RedisStorage)


async def test_the_asyncio_client_asks_the_sentinels_for_the_master() -> None:
    target = parse(SENTINELS, sentinel_password="sentinels' own")
    client = redis_conn.async_client(target, decode_responses=True, socket_connect_timeout=2)
    try:
        pool = client.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        assert pool.service_name == "mg-redis"
        kwargs = pool.connection_kwargs
        assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("user", "p@ss;w/rd", 2)
        assert kwargs["decode_responses"] is True
        sentinels = [s.connection_pool.connection_kwargs for s in pool.sentinel_manager.sentinels]
        assert [(s["host"], s["port"]) for s in sentinels] == list(target.sentinels)
        assert all(s["password"] == "sentinels' own" for s in sentinels)
        assert all(s["socket_connect_timeout"] == 2 for s in sentinels)
        # No read timeout given (a subscriber's), but a sentinel must answer in time.
        assert all(s["socket_timeout"] == 2 for s in sentinels)
        assert kwargs.get("socket_timeout") is None
    finally:
        await client.aclose()


async def test_the_asyncio_client_of_a_single_redis_is_redis_py_s() -> None:
    client = redis_conn.async_client("redis://:secret@redis:6379/3", decode_responses=True)
    try:
        assert client.connection_pool.connection_kwargs["db"] == 3
        assert client.connection_pool.connection_kwargs["password"] == "secret"
    finally:
        await client.aclose()
