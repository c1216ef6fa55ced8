"""Nodes of two releases side by side (a rolling upgrade): a heartbeat from a newer release
is read, not dropped, and a node of another cluster protocol is listed but not counted as
serving, since no job of this release's queues reaches it. What the API tells the nodes of a
change: the generation, and for a reload the restart count of the group."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict

from pydantic import SecretStr

from modelgallery.core.settings import Settings
from modelgallery.jobs.distributed.celery import CeleryExecutor
from modelgallery.jobs.distributed.cluster import GENERATION, PROTOCOL, RESTARTS, Beat, proc_key
from modelgallery.vision.registry import load_registry
from tests.support.redis_server import RedisTestServer
from tests.support.server import TOY_REGISTRY


def beat(node: str, protocol: int, **extra: object) -> str:
    fields = asdict(
        Beat(
            node=node, host="h", group="toy", worker=f"{node}/toy pid 1", pid=1,
            started_at=time.time(), models={"toy": {"status": "loaded"}}, ready=True,
            protocol=protocol,
        )
    )  # fmt: skip
    return json.dumps({**fields, **extra})


def test_a_newer_nodes_beat_is_read_and_an_older_one_has_protocol_1() -> None:
    newer = Beat.loads(beat("n", PROTOCOL, gpu="L4", queue_weights={"toy": 2}))
    assert newer.node == "n" and newer.protocol == PROTOCOL
    older = json.loads(beat("o", 1))
    del older["protocol"], older["version"]
    assert Beat.loads(json.dumps(older)).protocol == 1


async def test_a_node_of_another_protocol_is_listed_but_serves_nothing() -> None:
    with RedisTestServer() as redis:
        settings = Settings(
            executor="celery",
            redis_url=SecretStr(redis.url),
            mongodb_uri="mongodb://127.0.0.1:9/none",
            secret_key=SecretStr("a key for this test only"),
        )
        executor = CeleryExecutor(settings, load_registry(TOY_REGISTRY, TOY_REGISTRY.parent))
        try:
            await executor._redis.set(proc_key("old/toy pid 1"), beat("old", PROTOCOL - 1))
            await executor._refresh()
            assert [w.node for w in executor.workers()] == ["old"]
            assert executor.model_states()["toy"].status != "loaded"
            assert executor.ready()[0] is False
            await executor._redis.set(proc_key("new/toy pid 1"), beat("new", PROTOCOL))
            await executor._refresh()
            assert executor.model_states()["toy"].status == "loaded"
            assert {w.node: w.protocol for w in executor.workers()} == {
                "old": PROTOCOL - 1,
                "new": PROTOCOL,
            }
        finally:
            await executor.stop()


async def test_a_change_is_announced_to_the_nodes_and_only_a_reload_restarts_them() -> None:
    """Every change bumps the generation, which node processes adopt in place (a release
    begun or ended too: they load its candidate ahead); an
    administrator's reload of a model also counts a restart of its group's processes (which
    nodes of an earlier release, restarting at every change, ignore)."""
    with RedisTestServer() as redis:
        settings = Settings(
            executor="celery",
            redis_url=SecretStr(redis.url),
            mongodb_uri="mongodb://127.0.0.1:9/none",
            secret_key=SecretStr("a key for this test only"),
        )
        registry = load_registry(TOY_REGISTRY, TOY_REGISTRY.parent)
        executor = CeleryExecutor(settings, registry)
        try:

            async def announced() -> tuple[int, dict[str, str]]:
                generation = int(await executor._redis.get(GENERATION) or 0)
                return generation, await executor._redis.hgetall(RESTARTS)

            await executor.reload(registry)  # a version made live, a model added or edited
            assert await announced() == (1, {})
            await executor.reload(registry, announce=False)  # another replica announced it
            assert await announced() == (1, {})
            await executor.reload(registry, ["toy-queue", "toy-batch"])  # one group: toyq
            assert await announced() == (2, {"toyq": "1"})
            await executor.set_loaded("toy", False)
            assert await announced() == (3, {"toyq": "1"})
            executor.preload("toy", registry.models["toy"])  # a release began: nodes look again
            for _ in range(500):  # announced by a task of its own
                if (await announced())[0] == 4:
                    break
                await asyncio.sleep(0.01)
            assert await announced() == (4, {"toyq": "1"})
        finally:
            await executor.stop()
