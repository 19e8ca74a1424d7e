"""Many tabs, one card: per-card FIFO queue, cancellation and card removal (real stack)."""

from __future__ import annotations

import asyncio
import base64

import pytest

from support.agent import OTHER_ORIGINS, TRUSTED_ORIGIN, nonce

pytestmark = pytest.mark.pcscd


@pytest.fixture
def card_agent(start_agent, pcsc_environment, virtual_card):
    """An agent with the ECC virtual card, consent remembered for every test origin."""
    agent = start_agent(pcsc=pcsc_environment)
    agent.script(consent="allow-always", pins=["123456"])

    async def warm_up() -> None:
        for origin in (TRUSTED_ORIGIN, *OTHER_ORIGINS):
            async with agent.connect(origin) as page:
                for _ in range(100):
                    if "result" in await page.call("getCertificates"):
                        break
                    await asyncio.sleep(0.05)

    asyncio.run(warm_up())
    return agent


def test_fifty_connections_at_once_are_all_answered_correctly(card_agent):
    """50 simultaneous pages each get their own correct answers (status, readers, certificates);
    a certificate request beyond the card queue's bound (SPEC §8.1: 32 waiting) is BUSY."""
    origins = [(TRUSTED_ORIGIN, *OTHER_ORIGINS)[index % 4] for index in range(50)]

    async def one_tab(origin: str) -> tuple[str, dict, dict, dict]:
        async with card_agent.connect(origin) as page:
            ids = [await page.send(m) for m in ("status", "listReaders", "getCertificates")]
            answers = {}
            for _ in ids:
                answer = await page.receive()
                answers[answer["id"]] = answer
            assert sorted(answers) == ids  # each id answered exactly once
            certificates = answers[ids[2]]
            if "error" in certificates:
                assert certificates["error"]["data"]["reason"] == "BUSY", certificates
            return page.hello["params"]["origin"], *(answers[i].get("result") for i in ids)

    async def scenario() -> list[tuple[str, dict, dict, dict]]:
        async with asyncio.timeout(60):
            return await asyncio.gather(*(one_tab(origin) for origin in origins))

    results = asyncio.run(scenario())
    assert [result[0] for result in results] == origins
    served = [result[3] for result in results if result[3] is not None]
    assert len(served) >= 33  # one on the card and 32 waiting are never refused
    assert len({json_certificates(result) for result in served}) == 1  # all read the same card
    assert all(result[1]["card"] == "ready" for result in results)
    assert all(result[2]["readers"][0]["card"]["profile"] == "piv" for result in results)


def json_certificates(result: dict) -> tuple[str, ...]:
    return tuple(sorted(certificate["certificate"] for certificate in result["certificates"]))


def test_card_removed_while_requests_are_queued(card_agent, virtual_card):
    """Requests bound to the removed card get CARD_REMOVED; after re-insertion the next works."""
    card_agent.script(consent="allow-always", pins=["123456"], delay=30)

    async def scenario() -> None:
        async with card_agent.connect() as first, card_agent.connect(OTHER_ORIGINS[0]) as second:
            await first.send(
                "authenticate", {"challengeNonce": nonce()}
            )  # holds the card at its PIN dialog
            for _ in range(100):
                if card_agent.prompts()[-1]["kind"] == "pin":
                    break
                await asyncio.sleep(0.05)
            queued = [await second.send("getCertificates") for _ in range(3)]
            await asyncio.sleep(0.2)
            await asyncio.to_thread(virtual_card.remove)
            async with asyncio.timeout(10):
                answers = [await first.receive()] + [await second.receive() for _ in queued]
            assert [a["error"]["data"]["reason"] for a in answers] == ["CARD_REMOVED"] * 4
            card_agent.script(consent="allow-always", pins=["123456"])
            await asyncio.to_thread(virtual_card.insert)
            for _ in range(100):
                answer = await second.call("getCertificates")
                if "result" in answer:
                    break
                await asyncio.sleep(0.05)
            assert base64.b64decode(answer["result"]["certificates"][0]["certificate"])
            assert "result" in await first.call("authenticate", {"challengeNonce": nonce()})
            kinds = [n["method"] for n in first.notifications]
            assert "cardRemoved" in kinds
            assert "cardInserted" in kinds

    asyncio.run(scenario())


def test_queued_requests_are_cancellable_and_none_is_lost(card_agent):
    """cancel ends a queued request with REQUEST_CANCELLED; the others finish in FIFO order."""
    card_agent.script(consent="allow-always", pins=["123456"], delay=0.5)

    async def scenario() -> None:
        async with card_agent.connect() as page, card_agent.connect(OTHER_ORIGINS[0]) as other:
            running = await page.send("authenticate", {"challengeNonce": nonce()})
            await asyncio.sleep(0.1)
            queued = await page.send("getCertificates")
            later = await other.send("getCertificates")
            await asyncio.sleep(0.1)
            cancel = await page.send("cancel", {"id": queued})
            answers = {}
            async with asyncio.timeout(10):
                while len(answers) < 3:
                    answer = await page.receive()
                    answers[answer["id"]] = answer
                other_answer = await other.receive()
            assert answers[cancel]["result"] == {"cancelled": True}
            assert answers[queued]["error"]["data"]["reason"] == "REQUEST_CANCELLED"
            assert "result" in answers[running]
            assert other_answer["id"] == later
            assert "result" in other_answer
            assert (await page.call("cancel", {"id": queued}))["result"] == {"cancelled": False}

    asyncio.run(scenario())


def test_closing_a_tab_cancels_its_queue_and_in_flight_requests_are_bounded(card_agent):
    """A closed connection's queued requests go away; a connection may hold only 8 in flight."""
    card_agent.script(consent="allow-always", pins=["123456"], delay=1.0)

    async def scenario() -> None:
        async with card_agent.connect(OTHER_ORIGINS[1]) as survivor:
            async with card_agent.connect() as page:
                ids = [
                    await page.send("authenticate", {"challengeNonce": nonce()}) for _ in range(8)
                ]
                extra = await page.call("getCertificates")
                assert extra["error"]["data"]["reason"] == "LIMIT_EXCEEDED"
                assert extra["id"] == ids[-1] + 1
            card_agent.script(consent="allow-always", pins=["123456"])
            async with asyncio.timeout(10):
                answer = await survivor.call("getCertificates")
            assert "result" in answer
        pins = [p for p in card_agent.prompts() if p["kind"] == "pin"]
        assert len(pins) <= 2  # the closed tab's queued requests never reached a dialog

    asyncio.run(scenario())
