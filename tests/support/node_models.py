"""One worker node process's models (`NodeModels`) on the toy family, with a real SQLite
store, a real Redis and a loop thread, as `modelgallery worker` builds them: the model
`bright` in four versions (weights are the toy's brightness factor: version n is 0.n),
version 1 live, its sibling `plain` in the same group and `elsewhere` in another."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from modelgallery.core.settings import Settings
from modelgallery.jobs.distributed.cluster import GENERATION, Beat
from modelgallery.jobs.distributed.loop import LoopThread
from modelgallery.jobs.distributed.node_models import NodeModels
from modelgallery.store.model_records import ModelRecord, ModelVersion, StoredWeight, VersionState
from modelgallery.store.sqlite import SqliteStore
from tests.support.redis_server import RedisTestServer
from tests.support.server import TOY_REGISTRY

TOY = "tests.support.toy_models:ToyInvert"


def _stored(folder: Path, name: str, factor: str) -> StoredWeight:
    (folder / name).write_text(factor)
    return StoredWeight(file=name, sha256=hashlib.sha256(factor.encode()).hexdigest())


def _record(name: str, group: str, live: str) -> ModelRecord:
    return ModelRecord(
        id=name, title=name, task="image-to-image", family=TOY, group=group, live_version=live
    )


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@dataclass
class NodeSetup:
    node: NodeModels
    beat: Beat
    store: SqliteStore
    loop: LoopThread
    redis: aioredis.Redis
    bright: list[ModelVersion]  # versions 1 to 4
    told: list[tuple[str, bool]]  # what the node was told to consume (model, wanted)

    def change(self, *commands: Awaitable[object]) -> None:
        """As the API announces a change: the store's commands, then the generation in
        Redis; returns once the process has adopted it."""
        for command in commands:
            self.loop.call(command)
        generation = int(self.loop.call(self.redis.incr(GENERATION)))
        eventually(lambda: self.beat.generation == generation, "the change to be adopted")


@contextmanager
def node_models(tmp_path: Path) -> Iterator[NodeSetup]:
    """The process's models, not started (`node.start()`), closed at the end."""
    folder = tmp_path / "models"
    folder.mkdir()
    bright = [
        ModelVersion(
            model="bright", number=n, state=VersionState.ready,
            weights=[_stored(folder, f"bright-{n}.txt", f"0.{n}")],
        )
        for n in (1, 2, 3, 4)
    ]  # fmt: skip
    plain = ModelVersion(model="plain", number=1, state=VersionState.live)
    other = ModelVersion(model="elsewhere", number=1, state=VersionState.live)
    settings = Settings(
        data_dir=tmp_path, models_file=TOY_REGISTRY, models_dir=folder, node_heartbeat_s=0.05
    )
    loop = LoopThread()
    store = SqliteStore(tmp_path / "app.sqlite")
    loop.call(store.open())
    records = [
        _record("bright", "toy", bright[0].id),
        _record("plain", "toy", plain.id),
        _record("elsewhere", "toyq", other.id),  # another group: never loaded here
    ]
    for record in records:
        loop.call(store.models.create(record))
    for version in [*bright, plain, other]:
        loop.call(store.versions.create(version))
    with RedisTestServer() as server:
        redis = aioredis.Redis.from_url(server.url, decode_responses=True)
        beat = Beat(node="n", host="h", group="toy", worker="n/toy pid 1", pid=1, started_at=0)
        told: list[tuple[str, bool]] = []
        node = NodeModels(
            settings, beat, None, loop, redis, store, None, lambda m, on: told.append((m, on))
        )
        try:
            yield NodeSetup(node, beat, store, loop, redis, bright, told)
        finally:
            node.close()
            loop.call(redis.aclose())
            loop.call(store.close())
