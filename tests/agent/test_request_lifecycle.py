"""Request lifecycle on a real agent with the in-process ECC card: cancellation, dialogs one at a
time, the card queue bound, back-off after page-cancelled dialogs, ``hello`` first, and the
optional signed request of ``getSigningCertificate`` (SPEC.md §6.5, §6.8, §7.1, §8, §9)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from support.agent import OTHER_ORIGINS, STRICT_ORIGIN, TRUSTED_ORIGIN, nonce


def _frame(request_id: object, method: str, params: dict | None = None) -> str:
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}
    )


@pytest.fixture
def card_agent(start_agent, card_profiles):
    """An agent with the in-process ECC card, ready; the scripted UI allows once."""
    agent = start_agent(extra_arguments=["--in-process-card", str(card_profiles["ecc"])])
    agent.wait_for_card()
    return agent


async def _wait_for_prompts(agent, count: int, kind: str = "consent") -> None:
    async with asyncio.timeout(10):
        while len([p for p in agent.prompts() if p["kind"] == kind]) < count:
            await asyncio.sleep(0.02)


def test_a_request_cancelled_in_the_same_burst_is_answered_and_frees_its_id(card_agent):
    """request + cancel back to back: REQUEST_CANCELLED, then the cancel's result, 20 times with
    the same id; afterwards the id works again and the connection is not stuck at its limit."""
    card_agent.script(consent="allow-always", pins=["123456"])

    async def scenario() -> None:
        async with card_agent.connect() as page:
            assert "result" in await page.call("getSigningCertificate")  # consent remembered
            for cancel_id in range(100, 120):
                await page.connection.send(_frame(1, "getSigningCertificate"))
                await page.connection.send(_frame(cancel_id, "cancel", {"id": 1}))
                async with asyncio.timeout(5):
                    cancelled, answer = await page.receive(), await page.receive()
                assert cancelled["id"] == 1, cancelled
                assert cancelled["error"]["data"]["reason"] == "REQUEST_CANCELLED", cancelled
                assert answer == {"jsonrpc": "2.0", "id": cancel_id, "result": {"cancelled": True}}
            await page.connection.send(_frame(1, "getSigningCertificate"))
            async with asyncio.timeout(5):
                again = await page.receive()
            assert again["id"] == 1, again
            assert "certificate" in again["result"], again

    asyncio.run(scenario())


def test_concurrent_requests_never_show_two_dialogs_at_once(card_agent):
    """8 concurrent requests from one tab: consent dialogs open one after the other (SPEC §8.1)."""
    card_agent.script(consent="allow-once", pins=["123456"], delay=0.3)

    async def scenario() -> None:
        async with card_agent.connect(OTHER_ORIGINS[0]) as page:
            ids = [await page.send("getSigningCertificate") for _ in range(8)]
            async with asyncio.timeout(30):
                answers = [await page.receive() for _ in ids]
            assert sorted(a["id"] for a in answers) == ids
            assert all("certificate" in a["result"] for a in answers), answers

    asyncio.run(scenario())
    dialogs = [p for p in card_agent.prompts() if p["kind"] == "consent"]
    assert len(dialogs) == 8
    assert max(p["open"] for p in dialogs) == 1


def test_get_signing_certificate_verifies_a_signed_request_when_present(
    card_agent, trust_authority
):
    """A signedRequest is optional, but a bogus one is refused and a valid one is accepted."""
    card_agent.script(consent="allow-always", pins=["123456"])
    stranger = ec.generate_private_key(ec.SECP256R1())

    async def scenario() -> None:
        async with card_agent.connect() as page:
            bogus = trust_authority.signed_request("getSigningCertificate", key=stranger)
            answer = await page.call("getSigningCertificate", {"signedRequest": bogus})
            assert answer["error"]["data"]["reason"] == "REQUEST_SIGNATURE_INVALID", answer
            other_op = trust_authority.signed_request("authenticate")
            answer = await page.call("getSigningCertificate", {"signedRequest": other_op})
            assert "error" in answer, answer
            valid = trust_authority.signed_request("getSigningCertificate")
            answer = await page.call("getSigningCertificate", {"signedRequest": valid})
            assert "certificate" in answer["result"], answer
            replayed = await page.call("getSigningCertificate", {"signedRequest": valid})
            assert replayed["error"]["data"]["reason"] == "REQUEST_REPLAYED", replayed

    asyncio.run(scenario())


def test_dialogs_the_page_cancels_start_a_growing_back_off(card_agent):
    """Open a consent dialog, cancel it from the page: RATE_LIMITED, and the back-off doubles."""
    card_agent.script(consent="allow-once", pins=["123456"], delay=30)

    async def open_and_cancel(page, shown: int) -> None:
        request = await page.send("getSigningCertificate")
        await _wait_for_prompts(card_agent, shown)
        cancel = await page.send("cancel", {"id": request})
        async with asyncio.timeout(5):
            first, second = await page.receive(), await page.receive()
        assert first["id"] == request
        assert first["error"]["data"]["reason"] == "REQUEST_CANCELLED"
        assert second == {"jsonrpc": "2.0", "id": cancel, "result": {"cancelled": True}}

    async def retry_after(page) -> int:
        async with asyncio.timeout(5):
            answer = await page.call("getSigningCertificate")
        assert answer["error"]["data"]["reason"] == "RATE_LIMITED", answer
        return answer["error"]["data"]["retryAfter"]

    async def scenario() -> None:
        async with card_agent.connect(OTHER_ORIGINS[1]) as page:
            await open_and_cancel(page, 1)
            first = await retry_after(page)
            assert 1 <= first <= 5
            await asyncio.sleep(first + 0.2)
            await open_and_cancel(page, 2)
            second = await retry_after(page)
            assert second > first

    asyncio.run(scenario())
    assert len([p for p in card_agent.prompts() if p["kind"] == "consent"]) == 2


def test_the_thirty_third_waiting_request_for_a_card_is_busy(card_agent):
    """One request holds the card; 32 more wait (several tabs and origins); one more is BUSY."""
    origins = (TRUSTED_ORIGIN, *OTHER_ORIGINS, STRICT_ORIGIN)
    card_agent.script(consent="allow-always", pins=["123456"])

    async def scenario() -> None:
        for origin in origins:  # consent remembered: only the holder's PIN dialog will show
            async with card_agent.connect(origin) as page:
                assert "result" in await page.call("getSigningCertificate")
        card_agent.script(consent="allow-always", pins=["123456"], delay=30)
        async with (
            card_agent.connect(origins[0]) as holder,
            card_agent.connect(origins[1]) as tab1,
            card_agent.connect(origins[2]) as tab2,
            card_agent.connect(origins[3]) as tab3,
            card_agent.connect(origins[4]) as tab4,
        ):
            await holder.send("authenticate", {"challengeNonce": nonce()})  # PIN dialog open
            await _wait_for_prompts(card_agent, 1, "pin")
            for tab in (tab1, tab2, tab3, tab4):
                for _ in range(8):
                    await tab.send("getSigningCertificate")
            await asyncio.sleep(1.0)  # all 32 are waiting for the card
            async with asyncio.timeout(5):
                answer = await holder.call("getSigningCertificate")
            assert answer["error"]["data"]["reason"] == "BUSY", answer

    asyncio.run(scenario())


def _read_frame(stream: socket.socket, buffer: bytearray) -> bytes:
    """One unmasked server frame's payload from ``stream`` (``buffer`` keeps the leftovers)."""

    def need(count: int) -> None:
        while len(buffer) < count:
            chunk = stream.recv(65536)
            assert chunk, "connection closed"
            buffer.extend(chunk)

    need(2)
    length, offset = buffer[1] & 0x7F, 2
    if length == 126:
        need(4)
        length, offset = int.from_bytes(buffer[2:4], "big"), 4
    elif length == 127:
        need(10)
        length, offset = int.from_bytes(buffer[2:10], "big"), 10
    need(offset + length)
    payload = bytes(buffer[offset : offset + length])
    del buffer[: offset + length]
    return payload


def test_hello_is_the_first_frame_even_when_a_request_is_pipelined(card_agent):
    """A status frame sent in the same packet as the upgrade is answered after hello (§7.1)."""
    port = card_agent.ports["ws"]
    for _ in range(5):
        key = base64.b64encode(os.urandom(16)).decode()
        upgrade = (
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {TRUSTED_ORIGIN}\r\nSec-WebSocket-Protocol: bitaqa.v1\r\n\r\n"
        ).encode()
        payload = _frame(1, "status").encode()
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as stream:
            stream.sendall(upgrade + bytes([0x81, 0x80 | len(payload)]) + mask + masked)
            response = bytearray()
            deadline = time.monotonic() + 5
            while b"\r\n\r\n" not in response and time.monotonic() < deadline:
                response.extend(stream.recv(65536))
            head, _, rest = bytes(response).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101"), head
            buffer = bytearray(rest)
            first = json.loads(_read_frame(stream, buffer))
            second = json.loads(_read_frame(stream, buffer))
        assert first["method"] == "hello", first
        assert second["id"] == 1, second
        assert "result" in second, second
