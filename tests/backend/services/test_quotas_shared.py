"""Jobs at once counted in Redis (a real redis-server): every API replica sees the same
count, and a job that ended anywhere (told by the job store) leaves it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from modelgallery.core.settings import Settings
from modelgallery.core.shared import SharedStateUnavailable
from modelgallery.services.errors import TooManyRequests
from modelgallery.services.quotas import Quotas, active_jobs
from modelgallery.store.records import User
from tests.support.redis_server import RedisTestServer


class Jobs:
    """What the job store says of each job: whether it is still queued or running."""

    def __init__(self) -> None:
        self.active: set[str] = set()
        self.asked: list[set[str]] = []

    async def still_active(self, job_ids: set[str]) -> set[str]:
        self.asked.append(set(job_ids))
        return job_ids & self.active


def replica(settings: Settings, jobs: Jobs) -> Quotas:
    return Quotas(settings, jobs.still_active, active=active_jobs(settings))


async def test_jobs_at_once_are_counted_across_replicas_and_released_when_they_end() -> None:
    user = User(email="ada@example.org", name="Ada", password_hash="-")
    jobs = Jobs()
    with RedisTestServer() as server:
        settings = Settings(
            redis_url=SecretStr(server.url), active_jobs_user=2, uploads_per_minute_user=0
        )
        first, second = replica(settings, jobs), replica(settings, jobs)
        for quotas, job_id in ((first, "job-1"), (second, "job-2")):
            await quotas.admit(user, "10.0.0.1", 100)
            quotas.charge(user, "10.0.0.1", job_id, 100)
            jobs.active.add(job_id)
        assert jobs.asked == []  # below the limit the store is not asked
        for quotas in (first, second):
            with pytest.raises(TooManyRequests, match="2 predictions waiting or running"):
                await quotas.admit(user, "10.0.0.1", 100)
        jobs.active.discard("job-1")  # it ended, on whichever node ran it
        await second.admit(user, "10.0.0.1", 100)
        second.charge(user, "10.0.0.1", "job-3", 100)
        jobs.active.add("job-3")
        with pytest.raises(TooManyRequests):
            await first.admit(user, "10.0.0.1", 100)
        assert jobs.asked[-1] == {"job-2", "job-3"}  # the ended one left the count for good


async def test_jobs_at_once_without_redis_is_a_clear_error_not_a_crash() -> None:
    jobs = Jobs()
    with RedisTestServer() as server:
        settings = Settings(redis_url=SecretStr(server.url), active_jobs_anonymous=3)
        quotas = replica(settings, jobs)
        server.stop()
        with pytest.raises(SharedStateUnavailable, match="cannot reach Redis"):
            await quotas.admit(None, "10.0.0.1", 100)
        server.start()
        await quotas.admit(None, "10.0.0.1", 100)


async def test_a_job_accepted_just_before_redis_went_away_is_not_refused_after_the_fact() -> None:
    jobs = Jobs()
    with RedisTestServer() as server:
        settings = Settings(redis_url=SecretStr(server.url), active_jobs_anonymous=3)
        quotas = replica(settings, jobs)
        await quotas.admit(None, "10.0.0.1", 100)
        server.stop()  # between the checks and the count: the job is queued already
        quotas.charge(None, "10.0.0.1", "job-1", 100)
