"""Redis Sentinel for tests: Debian's `redis-server` as a master and one replica, and three
`redis-sentinel` processes watching them (quorum 2), each on a free port, all in one
temporary folder. Passwords as in production: the Redis servers have one, the sentinels
their own (both with characters a URL must encode).

A failover takes a few seconds: a sentinel calls the master down after `down_after_ms`
without an answer, the others agree, one of them is elected and promotes the replica.
`fail_over()` kills the master and waits on the event (`wait_for_failover`): until every
sentinel names the new master and that server says it is one. `restart(port)` brings the
old master back as the new master's replica, ready for the next failover.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from tests.support.managed import ManagedServer
from tests.support.server import free_port, terminate

MASTER_NAME = "mg-redis"
PASSWORD = "m@ster:pw/1%"
SENTINEL_PASSWORD = "s#ntinel pw"
_HOST = "127.0.0.1"


def _binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return found


def _quoted(text: str) -> str:
    """A redis.conf argument (double quotes, backslash escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RedisSentinelCluster(ManagedServer):
    def __init__(
        self,
        *,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 4000,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.startup_timeout_s = startup_timeout_s
        self.redis_ports = [free_port(), free_port()]  # the first starts as the master
        self.sentinel_ports = [free_port(), free_port(), free_port()]
        self._dir = tempfile.TemporaryDirectory(prefix="redis-sentinel-")
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self._killed: set[int] = set()

    @property
    def folder(self) -> Path:
        return Path(self._dir.name)

    @property
    def url(self) -> str:
        """REDIS_URL in the redis+sentinel:// form (database 0)."""
        sentinels = ",".join(f"{_HOST}:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://:{quote(PASSWORD, safe='')}@{sentinels}/{MASTER_NAME}/0"

    @property
    def sentinel_password(self) -> str:
        return SENTINEL_PASSWORD

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> str:
        master, replica = self.redis_ports
        self._start_redis(master)
        self._start_redis(replica, "--replicaof", _HOST, str(master))
        self._wait(lambda: self._replica_synced(replica), "the replica to sync with the master")
        ids = {port: secrets.token_hex(20) for port in self.sentinel_ports}
        for port in self.sentinel_ports:
            self._start_sentinel(port, master, replica, ids)
        self._wait(self._sentinels_ready, "the sentinels to know each other and the replica")
        return self.url

    def stop(self) -> None:
        processes, self._processes = self._processes, {}
        for process in processes.values():
            if process.poll() is None:
                terminate(process)

    # --- failover --------------------------------------------------------------------

    def master_port(self) -> int:
        """The master's port as the sentinels agree on it (every running sentinel)."""
        ports = {self._sentinel_master(port) for port in self._running(self.sentinel_ports)}
        if len(ports) != 1 or None in ports:
            raise RuntimeError(f"the sentinels disagree on the master: {ports}")
        (port,) = ports
        assert port is not None
        return port

    def kill_master(self) -> int:
        """SIGKILL the master's redis-server (no shutdown, no goodbye to its clients);
        returns its port."""
        port = self.master_port()
        process = self._processes[port]
        self._killed.add(port)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        return port

    def wait_for_failover(self, old_port: int, timeout_s: float = 60.0) -> int:
        """Wait until every sentinel names another master than `old_port` and that server
        reports itself master; returns its port."""

        def promoted() -> bool:
            ports = {self._sentinel_master(p) for p in self._running(self.sentinel_ports)}
            if len(ports) != 1 or None in ports or old_port in ports:
                return False
            (port,) = ports
            assert port is not None
            return self._role(port) == "master"

        self._wait(
            promoted, f"the sentinels to promote a new master in place of {old_port}", timeout_s
        )
        return self.master_port()

    def fail_over(self) -> tuple[int, int]:
        """Once what the master acknowledged has reached the replica, kill the master and
        wait for the sentinels to promote the replica: (old port, new port)."""
        self.wait_replicated()
        old = self.kill_master()
        return old, self.wait_for_failover(old)

    def restart(self, port: int) -> None:
        """Start a killed redis-server again as the master's replica (the sentinels would
        make it one too, but only after some 10 s); returns once it has synced."""
        self._killed.discard(port)
        self._start_redis(port, "--replicaof", _HOST, str(self.master_port()))
        self._wait(lambda: self._replica_synced(port), f"redis-server on port {port} to sync")

    def wait_replicated(self, timeout_s: float = 30.0) -> None:
        """Until every write the master acknowledged has reached the replicas. Redis
        replicates asynchronously: a master killed before that loses those writes."""
        self._wait(self._replicated, "the replica to catch up with the master", timeout_s)

    def _replicated(self) -> bool:
        master = self.master_port()
        replicas = [port for port in self._running(self.redis_ports) if port != master]
        offset = int(str(self._info(master)["master_repl_offset"]))
        # At least: the sentinels' hello messages keep adding to it.
        return all(int(str(self._info(p).get("slave_repl_offset", -1))) >= offset for p in replicas)

    def log(self) -> str:
        parts = []
        for path in sorted(self.folder.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)

    # --- the processes ---------------------------------------------------------------

    def _start_redis(self, port: int, *extra: str) -> None:
        folder = self.folder / f"redis-{port}"
        folder.mkdir(exist_ok=True)
        # The password is written to a config file: on the command line `ps` would show it.
        config = folder / "redis.conf"
        config.write_text(
            f"requirepass {_quoted(PASSWORD)}\n"
            f"masterauth {_quoted(PASSWORD)}\n"  # a demoted master syncs with the new one
            "repl-diskless-sync-delay 0\n"  # 5 s by default, for more replicas to join
        )
        command = [
            _binary("redis-server", "redis-server"), str(config),
            "--port", str(port),
            "--bind", _HOST,
            "--dir", str(folder),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(self.folder / f"redis-{port}.log"),
            *extra,
        ]  # fmt: skip
        self._processes[port] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self._wait(lambda: self._answers(port), f"redis-server on port {port} to answer")

    def _start_sentinel(self, port: int, master: int, replica: int, ids: dict[int, str]) -> None:
        # Each sentinel rewrites its own config file with what it learns. It is told its
        # peers and the replica from the start: found on its own (hello messages, the
        # master's INFO every 10 s), they take several seconds.
        known = "".join(
            f"sentinel known-sentinel {MASTER_NAME} {_HOST} {other} {ids[other]}\n"
            for other in self.sentinel_ports
            if other != port
        )
        config = self.folder / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\n"
            f"bind {_HOST}\n"
            f"dir {self.folder}\n"
            f"logfile {self.folder / f'sentinel-{port}.log'}\n"
            f"requirepass {_quoted(SENTINEL_PASSWORD)}\n"
            f"sentinel monitor {MASTER_NAME} {_HOST} {master} 2\n"
            f"sentinel auth-pass {MASTER_NAME} {_quoted(PASSWORD)}\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} {self.down_after_ms}\n"
            f"sentinel failover-timeout {MASTER_NAME} {self.failover_timeout_ms}\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
            f"sentinel myid {ids[port]}\n"
            f"sentinel known-replica {MASTER_NAME} {_HOST} {replica}\n"
            f"{known}"
        )
        command = [_binary("redis-sentinel", "redis-sentinel"), str(config)]
        self._processes[port] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self._wait(lambda: self._answers(port), f"redis-sentinel on port {port} to answer")

    def _running(self, ports: list[int]) -> list[int]:
        return [p for p in ports if p in self._processes and self._processes[p].poll() is None]

    def _wait(
        self, condition: Callable[[], bool], what: str, timeout_s: float | None = None
    ) -> None:
        deadline = time.monotonic() + (timeout_s or self.startup_timeout_s)
        while time.monotonic() < deadline:
            for port, process in self._processes.items():
                if port not in self._killed and process.poll() is not None:
                    raise RuntimeError(f"the server on port {port} exited:\n{self.log()}")
            if condition():
                return
            time.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {what}:\n{self.log()}")

    # --- asking them -----------------------------------------------------------------

    def _client(self, port: int) -> redis.Redis:
        password = SENTINEL_PASSWORD if port in self.sentinel_ports else PASSWORD
        return redis.Redis(
            host=_HOST,
            port=port,
            password=password,
            socket_timeout=2,
            socket_connect_timeout=2,
            decode_responses=True,
        )

    def _answers(self, port: int) -> bool:
        try:
            with self._client(port) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def _info(self, port: int) -> dict[str, object]:
        with self._client(port) as client:
            info: dict[str, object] = client.info("replication")
            return info

    def _role(self, port: int) -> str | None:
        try:
            return str(self._info(port)["role"])
        except redis.RedisError:
            return None

    def _replica_synced(self, port: int) -> bool:
        try:
            return self._info(port).get("master_link_status") == "up"
        except redis.RedisError:
            return False

    def _sentinel_master(self, port: int) -> int | None:
        try:
            with self._client(port) as client:
                address = client.sentinel_get_master_addr_by_name(MASTER_NAME)
        except redis.RedisError:
            return None
        return int(address[1]) if address else None

    def _sentinels_ready(self) -> bool:
        for port in self.sentinel_ports:
            try:
                with self._client(port) as client:
                    state = client.sentinel_master(MASTER_NAME)
            except redis.RedisError:
                return False
            if state["num-other-sentinels"] != 2 or state["num-slaves"] != 1:
                return False
        return True
