"""What the API replicas share in Redis (throttles, quotas, events), and the one error for
all of it while Redis is away: the API answers 503 with Retry-After, never 500, and the
next request after Redis returns goes through again (redis-py reconnects per command)."""

from __future__ import annotations

from redis.exceptions import RedisError

# What a client of Redis raises when it is away: refused, reset, timed out.
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
RETRY_AFTER_S = 5


class SharedStateUnavailable(Exception):
    """Redis, which the replicas share, cannot be reached right now."""

    def __init__(self, consequence: str) -> None:
        super().__init__(
            f"The server cannot reach Redis, which its replicas share, right now, so "
            f"{consequence}; please try again in a few seconds."
        )
