"""Where Redis is (REDIS_URL), for each client library. Either one Redis:

    redis://[[user]:password@]host:port/db   (also rediss:// and unix://)

or a Redis Sentinel deployment, named by its sentinels and the master's name:

    redis+sentinel://[[user]:password@]host[:port],host[:port],.../<master name>[/<db>]

The password is the Redis master's (and its replicas'); sentinels that have a password of
their own get it separately (REDIS_SENTINEL_PASSWORD). The sentinels' port is 26379 unless
given. The clients ask the sentinels for the master and ask again after a failover.

Each library spells Sentinel its own way: redis-py's `Sentinel.master_for` (asyncio),
kombu's `sentinel://…;sentinel://…` broker URL with transport options, and limits'
`redis+sentinel://` storage URI with options; the functions below translate."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import redis
import redis.asyncio as aioredis
import redis.sentinel
from redis.asyncio.retry import Retry as AsyncRetry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry

SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379
SENTINEL_TIMEOUT_S = 5.0
_SINGLE_SCHEMES = ("redis", "rediss", "unix")
# Sentinel's own names never need quoting, so each library can be given it as it is.
_MASTER_NAME = re.compile(r"[A-Za-z0-9._-]+")
FORMATS = (
    "redis://[[user]:password@]host:port/db, or for Redis Sentinel "
    "redis+sentinel://[[user]:password@]host[:port],host[:port],.../<master name>[/<db>]"
)


@dataclasses.dataclass(frozen=True)
class RedisTarget:
    """One Redis (`sentinels` empty: `url` says all) or a Sentinel deployment's master."""

    url: str = dataclasses.field(repr=False)
    sentinels: tuple[tuple[str, int], ...] = ()
    master_name: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    sentinel_password: str | None = dataclasses.field(default=None, repr=False)

    @property
    def uses_sentinel(self) -> bool:
        return bool(self.sentinels)


def parse(url: str, *, sentinel_password: str | None = None) -> RedisTarget:
    """Raises ValueError (naming the formats, never the password) for a URL that is
    neither form."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in (*_SINGLE_SCHEMES, SENTINEL_SCHEME):
        raise ValueError(f"a Redis URL is {FORMATS}")
    if scheme != SENTINEL_SCHEME:
        if sentinel_password:
            raise ValueError(
                "a password for sentinels is given, but the Redis URL is not redis+sentinel://"
            )
        return RedisTarget(url=url)
    if "?" in rest or "#" in rest:
        raise ValueError(
            f"a redis+sentinel:// URL takes no options (percent-encode ?, #, / and @ in "
            f"the password): {FORMATS}"
        )
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:
        user, _, secret = userinfo.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    sentinels = tuple(_address(location) for location in hosts.split(","))
    master_name, _, db = path.strip("/").partition("/")
    if not _MASTER_NAME.fullmatch(master_name):
        raise ValueError(
            f"a redis+sentinel:// URL names the master (letters, digits, ._-) after the "
            f"sentinels: {FORMATS}"
        )
    if db and not (db.isascii() and db.isdigit()):
        raise ValueError(f"the database of a redis+sentinel:// URL is a number: {FORMATS}")
    return RedisTarget(
        url=url,
        sentinels=sentinels,
        master_name=master_name,
        db=int(db or 0),
        username=username,
        password=password,
        sentinel_password=sentinel_password or None,
    )


def _address(location: str) -> tuple[str, int]:
    try:
        parts = urlsplit(f"//{location.strip()}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host:
        raise ValueError(f"a redis+sentinel:// URL lists each sentinel's host[:port]: {FORMATS}")
    return host, port or SENTINEL_PORT


def _as_target(target: RedisTarget | str) -> RedisTarget:
    return target if isinstance(target, RedisTarget) else parse(target)


def _sentinel_kwargs(target: RedisTarget, options: dict[str, Any], retry: object) -> dict[str, Any]:
    """The connections to the sentinels: the socket options given for Redis (as redis-py
    does when `sentinel_kwargs` is not given), the sentinels' own password, and no retries:
    redis-py's default would retry a sentinel that is down ten times before asking the next.
    A sentinel answers at once, so it gets a read timeout even where Redis has none (a
    subscriber's connection waits for messages)."""
    kwargs = {k: v for k, v in options.items() if k.startswith("socket_")}
    if kwargs.get("socket_timeout") is None:
        kwargs["socket_timeout"] = kwargs.get("socket_connect_timeout") or SENTINEL_TIMEOUT_S
    kwargs |= {"username": None, "password": target.sentinel_password, "retry": retry}
    return kwargs


class _SentinelMaster(aioredis.Redis):
    """The master's client, which also closes its connections to the sentinels."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        pool = self.connection_pool
        if isinstance(pool, SentinelConnectionPool):
            await pool.sentinel_manager.aclose()


def async_client(target: RedisTarget | str, **kwargs: Any) -> aioredis.Redis:
    """A redis-py asyncio client of the (current) master; `kwargs` as for `Redis.from_url`.
    With Sentinel, each new connection asks the sentinels where the master is: a command on
    a connection to a master that died fails (ConnectionError), the next ones go to the new
    master once the sentinels have promoted it."""
    target = _as_target(target)
    if not target.uses_sentinel:
        return aioredis.Redis.from_url(target.url, **kwargs)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.sentinels),
        sentinel_kwargs=_sentinel_kwargs(target, kwargs, AsyncRetry(NoBackoff(), 0)),
    )
    client: aioredis.Redis = sentinel.master_for(
        target.master_name,
        redis_class=_SentinelMaster,
        db=target.db,
        username=target.username,
        password=target.password,
        **kwargs,
    )
    return client


def sync_client(target: RedisTarget | str, **kwargs: Any) -> redis.Redis:
    """The same as `async_client`, for code that calls Redis synchronously."""
    target = _as_target(target)
    if not target.uses_sentinel:
        return redis.Redis.from_url(target.url, **kwargs)
    sentinel = redis.sentinel.Sentinel(  # type: ignore[no-untyped-call]
        list(target.sentinels),
        sentinel_kwargs=_sentinel_kwargs(target, kwargs, Retry(NoBackoff(), 0)),
    )
    client: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        target.master_name,
        db=target.db,
        username=target.username,
        password=target.password,
        **kwargs,
    )
    return client


def celery_broker(
    target: RedisTarget | str, **transport_options: Any
) -> tuple[str, dict[str, Any]]:
    """Celery's `broker_url` and `broker_transport_options` (the given ones, completed).
    With Sentinel, kombu's form: one `sentinel://` URL per sentinel joined by `;`, each
    with the master's password and database (kombu takes them from whichever URL it is
    on), the master's name and the sentinels' connection options."""
    target = _as_target(target)
    if not target.uses_sentinel:
        return target.url, dict(transport_options)
    auth = ""
    if target.username or target.password:
        auth = f"{quote(target.username or '', safe='')}:{quote(target.password or '', safe='')}@"
    url = ";".join(
        f"sentinel://{auth}{_netloc(host, port)}/{target.db}" for host, port in target.sentinels
    )
    options = dict(transport_options)
    options["master_name"] = target.master_name
    options["sentinel_kwargs"] = _sentinel_kwargs(target, options, Retry(NoBackoff(), 0))
    return url, options


def limits_storage(target: RedisTarget | str, **options: Any) -> tuple[str, dict[str, Any]]:
    """The `limits` storage URI and options for `storage_from_string(uri, **options)`.
    With Sentinel, limits takes the master's name from the URI's path (all of it: no
    database there, so it goes in the options) and gives the URI's password to the
    sentinels too: the credentials go in the options instead."""
    target = _as_target(target)
    if not target.uses_sentinel:
        url = target.url
        if url.lower().startswith("unix://"):
            url = "redis+unix://" + url.partition("://")[2]
        return url, dict(options)
    locations = ",".join(_netloc(host, port) for host, port in target.sentinels)
    uri = f"{SENTINEL_SCHEME}://{locations}/{target.master_name}"
    completed = dict(options)
    completed |= {
        "db": target.db,
        "password": target.password,
        # Throttles count on the master only: a replica's copy lags behind it.
        "use_replicas": False,
        "sentinel_kwargs": _sentinel_kwargs(target, options, Retry(NoBackoff(), 0)),
    }
    if target.username:
        completed["username"] = target.username
    return uri, completed


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
