"""Throttles counted in Redis (a real redis-server) are shared by every API replica."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from modelgallery.core.security import Throttle, throttle_storage
from modelgallery.core.settings import Settings
from modelgallery.core.shared import SharedStateUnavailable
from tests.support.redis_server import RedisTestServer


def test_throttles_on_one_redis_share_their_counts() -> None:
    with RedisTestServer() as server:
        settings = Settings(redis_url=SecretStr(server.url))
        replica_a = Throttle("login", "3/15 minutes", throttle_storage(settings))
        replica_b = Throttle("login", "3/15 minutes", throttle_storage(settings))
        other = Throttle("contact", "3/15 minutes", throttle_storage(settings))
        replica_a.hit("1.2.3.4", cost=2)
        replica_b.hit("1.2.3.4")
        assert replica_a.blocked_for("1.2.3.4") > 0
        assert replica_b.blocked_for("1.2.3.4") > 0
        assert replica_b.blocked_for("5.6.7.8") == 0  # another client
        assert other.blocked_for("1.2.3.4") == 0  # another throttle's count
        replica_b.clear("1.2.3.4")
        assert replica_a.blocked_for("1.2.3.4") == 0


def test_a_throttle_without_redis_says_so_and_counts_again_as_soon_as_it_is_back() -> None:
    with RedisTestServer(persist=True) as server:
        throttle = Throttle(
            "login",
            "3/15 minutes",
            throttle_storage(Settings(redis_url=SecretStr(server.url))),
            what="log-ins",
        )
        throttle.hit("1.2.3.4")
        server.stop()
        for call in (throttle.blocked_for, throttle.hit, throttle.clear):
            with pytest.raises(SharedStateUnavailable, match="log-ins cannot be checked"):
                call("1.2.3.4")
        server.start()
        assert throttle.blocked_for("1.2.3.4") == 0  # the first call after: no wait
        throttle.hit("1.2.3.4", cost=2)
        assert throttle.blocked_for("1.2.3.4") > 0  # the count survived (Redis persisted it)
