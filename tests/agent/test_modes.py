"""Start-up modes of the real agent: a taken port, the in-process demo card, no card yet."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from support.agent import launch_agent, nonce
from support.scripted_ui import write_script


def test_a_taken_port_is_reported_with_the_process_holding_it(tmp_path, trust_authority):
    """Exit status 1, and the log names the program and pid that hold the port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(RuntimeError, match="exited with 1"):
            launch_agent(
                tmp_path, trust_authority, extra_arguments=["--no-wss", "--ws-port", str(port)]
            )
    lines = (tmp_path / "config" / "logs" / "agent.log").read_text().splitlines()
    refusal = next(json.loads(line) for line in lines if '"ports-unavailable"' in line)
    assert f"{port} held by python" in refusal["detail"]
    assert "(pid " in refusal["detail"]


def test_the_in_process_demo_card_authenticates_without_pcscd(start_agent, card_profiles):
    """--in-process-card runs the virtual card inside the agent: ready, authenticate works."""
    agent = start_agent(extra_arguments=["--in-process-card", str(card_profiles["ecc"])])
    write_script(agent.script_path, consent="allow-once", pins=["123456"])

    async def scenario() -> None:
        async with agent.connect() as page:
            for _ in range(100):
                status = (await page.call("status"))["result"]
                if status["card"] == "ready":
                    break
                await asyncio.sleep(0.05)
            assert status["card"] == "ready"
            answer = await page.call("authenticate", {"challengeNonce": nonce()})
            assert answer["result"]["format"] == "web-eid:1.0"

    asyncio.run(scenario())


@pytest.mark.pcscd
def test_status_says_no_card_then_ready_when_one_arrives(
    start_agent, pcsc_environment, virtual_card_factory
):
    """With readers but no card, status says noCard; an inserted card is announced and ready."""
    agent = start_agent(pcsc=pcsc_environment)
    agent.wait_for_card("noCard")

    async def scenario() -> None:
        async with agent.connect() as page:
            assert (await page.call("status"))["result"]["card"] == "noCard"
            answer = await page.call("getCertificates")
            assert answer["error"]["data"]["reason"] == "NO_CARD"
            await asyncio.to_thread(virtual_card_factory, "ecc")
            for _ in range(100):
                if (await page.call("status"))["result"]["card"] == "ready":
                    break
                await asyncio.sleep(0.05)
            assert (await page.call("status"))["result"]["card"] == "ready"
            assert "cardInserted" in [n["method"] for n in page.notifications]

    asyncio.run(scenario())
