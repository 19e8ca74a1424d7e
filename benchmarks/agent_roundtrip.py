"""The agent's cost on the wire: status round trip next to a bare echo server, authenticate through
the full stack, throughput with many connections, and idle RSS and CPU time.

    sudo .venv/bin/python benchmarks/agent_roundtrip.py [--round-trips 2000] [--connections 50]
                                                        [--idle-seconds 60] [--no-card]

Everything runs as separate processes, as in use: the real agent (``tests/support/scripted_ui.py``
launcher: the installed agent code with the scripted UI, consent remembered, PIN 123456), and a
bare ``websockets`` echo server started by this script with the same library, settings and Python.
The status frame and the echo frame are the same request bytes; both are timed one at a time over
one connection from this process, so the ratio is the agent's own overhead (parsing, dispatch,
status, serialisation).  With a card (root needed: private pcscd with the virtual ECC card, the
test harness in ``tests/support/pcsc.py``) authenticate is timed end to end: consent remembered,
PIN dialog answered at once by the scripted UI, PIN verify and signature by the virtual card over
PC/SC.  Idle: the agent process's RSS and user+system CPU seconds across ``--idle-seconds`` with
one page connected and nothing asked.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.agent import (
    OTHER_ORIGINS,
    TRUSTED_ORIGIN,
    AgentProcess,
    TrustAuthority,
    launch_agent,
)

ORIGINS = (TRUSTED_ORIGIN, *OTHER_ORIGINS)
STATUS = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "status", "params": {}})

_ECHO_SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from websockets.asyncio.server import serve

    async def echo(connection):
        async for message in connection:
            await connection.send(message)

    async def main():
        async with serve(echo, "127.0.0.1", 0, compression=None, max_size=16384) as server:
            print(server.sockets[0].getsockname()[1], flush=True)
            await asyncio.Event().wait()

    asyncio.run(main())
    """
)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    median = statistics.median(ordered) * 1e6
    p95 = ordered[int(len(ordered) * 0.95)] * 1e6
    return f"median {median:7.1f} µs  p95 {p95:7.1f} µs"


async def time_round_trips(url: str, frame: str, count: int, **options: object) -> list[float]:
    samples = []
    async with connect(url, compression=None, **options) as connection:
        if options.get("subprotocols"):
            await connection.recv()  # hello
        for _ in range(count // 10):  # warm-up
            await connection.send(frame)
            await connection.recv()
        for _ in range(count):
            started = time.perf_counter()
            await connection.send(frame)
            await connection.recv()
            samples.append(time.perf_counter() - started)
    return samples


async def throughput(agent: AgentProcess, connections: int, per_connection: int) -> float:

    async def tab(index: int) -> None:
        async with connect(
            agent.url(), origin=ORIGINS[index % 4], subprotocols=["bitaqa.v1"], compression=None
        ) as connection:
            await connection.recv()
            for _ in range(per_connection):
                await connection.send(STATUS)
                answer = json.loads(await connection.recv())
                assert "result" in answer, answer

    started = time.perf_counter()
    await asyncio.gather(*(tab(index) for index in range(connections)))
    return connections * per_connection / (time.perf_counter() - started)


async def authenticate_times(agent: AgentProcess, count: int) -> list[float]:
    """Time ``count`` authentications, rotating over the four test origins (prompt rate limit)."""
    samples = []
    async with contextlib.AsyncExitStack() as stack:
        pages = [await stack.enter_async_context(agent.connect(origin)) for origin in ORIGINS]
        for _ in range(50):
            if (await pages[0].call("status"))["result"]["card"] == "ready":
                break
            await asyncio.sleep(0.1)
        for page in pages:  # first use: consent, certificate read
            assert "result" in await page.call("authenticate", {"challengeNonce": _nonce()})
        for index in range(count):
            started = time.perf_counter()
            answer = await pages[index % len(pages)].call(
                "authenticate", {"challengeNonce": _nonce()}
            )
            samples.append(time.perf_counter() - started)
            assert "result" in answer, answer
    return samples


def _nonce() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def idle(agent: AgentProcess, seconds: float) -> tuple[float, float, float]:
    process = psutil.Process(agent.pid)
    async with agent.connect():
        await asyncio.sleep(1)
        before = process.cpu_times()
        await asyncio.sleep(seconds)
        after = process.cpu_times()
        rss = process.memory_info().rss / 2**20
    cpu = (after.user - before.user) + (after.system - before.system)
    return rss, cpu, seconds


def measure(
    agent: AgentProcess, echo_port: int, arguments: argparse.Namespace, *, with_card: bool
) -> None:
    """Run every measurement and print one line each."""
    bare = asyncio.run(
        time_round_trips(f"ws://127.0.0.1:{echo_port}", STATUS, arguments.round_trips)
    )
    status = asyncio.run(
        time_round_trips(
            agent.url(),
            STATUS,
            arguments.round_trips,
            origin=TRUSTED_ORIGIN,
            subprotocols=["bitaqa.v1"],
        )
    )
    print(f"bare websockets echo   {percentiles(bare)}")
    print(f"agent status           {percentiles(status)}")
    ratio = statistics.median(status) / statistics.median(bare)
    print(f"status / echo (median) {ratio:.2f}x")
    rate = asyncio.run(throughput(agent, arguments.connections, arguments.per_connection))
    print(
        f"throughput             {rate:,.0f} status/s over {arguments.connections} "
        f"connections x {arguments.per_connection}"
    )
    if with_card:
        times = asyncio.run(authenticate_times(agent, arguments.authentications))
        print(
            f"authenticate (full)    median {statistics.median(times) * 1e3:.1f} ms "
            f"(min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f}, n={len(times)})"
        )
    rss, cpu, seconds = asyncio.run(idle(agent, arguments.idle_seconds))
    print(
        f"idle                   RSS {rss:.1f} MiB, CPU {cpu * 1e3:.0f} ms "
        f"over {seconds:.0f} s ({cpu / seconds * 100:.3f} %)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--per-connection", type=int, default=100)
    parser.add_argument("--authentications", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--no-card", action="store_true", help="skip pcscd and authenticate")
    arguments = parser.parse_args()

    authority = TrustAuthority()
    with tempfile.TemporaryDirectory(prefix="bitaqa-bench-") as folder:
        base = Path(folder)
        environment = card = echo = agent = None
        try:
            if not arguments.no_card:
                from bitaqa.vcard.factory import build_profiles
                from support.pcsc import PcscEnvironment, VirtualCardProcess, free_port_pair

                environment = PcscEnvironment(base / "pcsc", free_port_pair())
                os.environ["PCSCLITE_CSOCK_NAME"] = str(environment.socket_path)
                environment.start_pcscd()
                profiles = build_profiles(base / "profiles")
                card = VirtualCardProcess(environment, profiles["ecc"])
                card.start()
            echo = subprocess.Popen([sys.executable, "-c", _ECHO_SERVER], stdout=subprocess.PIPE)
            agent = launch_agent(base / "agent", authority, pcsc=environment, log_level="warning")
            agent.script(consent="allow-always", pins=["123456"])
            measure(agent, int(echo.stdout.readline()), arguments, with_card=card is not None)
        finally:
            if agent is not None:
                agent.stop()
            if echo is not None:
                echo.terminate()
                echo.wait()
                echo.stdout.close()
            if card is not None:
                card.stop()
            if environment is not None:
                environment.stop_pcscd()
    return 0


if __name__ == "__main__":
    sys.exit(main())
