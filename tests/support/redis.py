"""A real ``redis-server`` on a free loopback port, started for a test and stopped by its PID."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from support.ocsp import free_loopback_port, wait_for_log_line

__all__ = ["RedisServer", "redis_server"]


@dataclass(frozen=True)
class RedisServer:
    """A running server: connect with :meth:`client`."""

    port: int
    process: subprocess.Popen[bytes]

    def client(self) -> redis.Redis:
        """A new client; the caller closes it."""
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """``redis-server`` bound to 127.0.0.1 with persistence off, in its own temporary directory."""
    port = free_loopback_port()
    log = tmp_path / "redis.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                "redis-server",
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(tmp_path),
                "--daemonize", "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_log_line("Ready to accept connections", process, log)
        yield RedisServer(port, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
