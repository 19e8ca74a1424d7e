"""Invariants 3 and 10 against the real agent: bounded frames, documented errors, no crash."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from support.agent import nonce

ERRORS = {
    "PARSE_ERROR": -32700,
    "INVALID_REQUEST": -32600,
    "METHOD_NOT_FOUND": -32601,
    "INVALID_PARAMS": -32602,
    "LIMIT_EXCEEDED": -32000,
}


@pytest.mark.parametrize(
    ("frame", "reason", "answer_id"),
    [
        ("{not json", "PARSE_ERROR", None),
        (b"\xff\xfe\x00garbage", "PARSE_ERROR", None),
        ('{"jsonrpc": "2.0", "id": 1, "id": 2, "method": "status"}', "PARSE_ERROR", None),
        ("[1, 2, 3]", "INVALID_REQUEST", None),
        ('{"jsonrpc": "1.0", "id": 1, "method": "status"}', "INVALID_REQUEST", None),
        ('{"jsonrpc": "2.0", "method": "status"}', "INVALID_REQUEST", None),
        ('{"jsonrpc": "2.0", "id": 7, "method": "signEverything"}', "METHOD_NOT_FOUND", 7),
        (
            '{"jsonrpc": "2.0", "id": 8, "method": "status", "params": {"x": 1}}',
            "INVALID_PARAMS",
            8,
        ),
        ('{"jsonrpc": "2.0", "id": 9, "method": "status", "params": [1]}', "INVALID_PARAMS", 9),
        ("[" * 40 + "]" * 40, "LIMIT_EXCEEDED", None),
        (
            '{"jsonrpc": "2.0", "id": 10, "method": "status", "params": {"a": "'
            + "x" * 9000
            + '"}}',
            "LIMIT_EXCEEDED",
            None,
        ),
    ],
)
def test_bad_frames_get_documented_errors_and_the_connection_survives(
    shared_agent, frame, reason, answer_id
):
    """Invariant 10: each bad frame gets its error code; the connection keeps working."""

    async def scenario() -> None:
        async with shared_agent.connect() as page:
            await page.connection.send(frame)
            answer = await page.receive()
            assert answer["id"] == answer_id
            assert answer["error"]["data"]["reason"] == reason
            assert answer["error"]["code"] == ERRORS[reason]
            assert (await page.call("status"))["result"]["agentVersion"] == "0.1.0"

    asyncio.run(scenario())


def test_deeply_nested_params_are_refused_before_parsing_them(shared_agent):
    """Invariant 10: nesting deeper than the limit inside a valid envelope is LIMIT_EXCEEDED."""
    nested = "[" * 20 + "]" * 20
    frame = '{"jsonrpc": "2.0", "id": 3, "method": "status", "params": {"a": ' + nested + "}}"

    async def scenario() -> None:
        async with shared_agent.connect() as page:
            await page.connection.send(frame)
            answer = await page.receive()
            assert answer["error"]["data"]["reason"] == "LIMIT_EXCEEDED"

    asyncio.run(scenario())


def test_oversized_frame_closes_only_that_connection(shared_agent):
    """Invariant 10: a frame over max_frame_bytes closes the connection with 1009; others go on."""

    async def scenario() -> None:
        async with shared_agent.connect() as bystander:
            async with shared_agent.connect() as page:
                limit = page.hello["params"]["limits"]["maxFrameBytes"]
                await page.connection.send("x" * (limit + 1))
                with pytest.raises(ConnectionClosed) as closed:
                    await page.connection.recv()
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == 1009
            assert (await bystander.call("status"))["result"]["agentVersion"] == "0.1.0"

    asyncio.run(scenario())


@pytest.mark.parametrize("member", ["origin", "hash", "digest", "message"])
def test_authenticate_refuses_an_origin_or_hash_from_the_message_body(shared_agent, member):
    """Invariant 3/4: no message member can name the origin or what the key signs."""

    async def scenario() -> None:
        async with shared_agent.connect() as page:
            answer = await page.call(
                "authenticate", {"challengeNonce": nonce(), member: "https://evil.example"}
            )
            assert answer["error"]["data"]["reason"] == "INVALID_PARAMS"

    asyncio.run(scenario())


def test_status_says_precisely_what_is_missing_without_pcscd(shared_agent):
    """status answers with no PC/SC service and says so; card operations name the same cause."""

    async def scenario() -> None:
        async with shared_agent.connect() as page:
            status = (await page.call("status"))["result"]
            assert status["pcscAvailable"] is False
            assert status["card"] == "pcscUnavailable"
            assert status["policy"]["trustList"] == {"version": 1, "state": "ok", "problems": []}
            answer = await page.call("getCertificates")
            assert answer["error"]["data"]["reason"] == "PCSC_UNAVAILABLE"

    asyncio.run(scenario())


def test_the_agent_survives_a_burst_of_garbage(shared_agent):
    """Invariant 10: many bad frames in a row are all answered and leave the agent serving."""

    async def scenario() -> None:
        async with shared_agent.connect() as page:
            for index in range(200):
                await page.connection.send(json.dumps({"jsonrpc": "2.0", "id": index, "method": 5}))
            answers = [await page.receive() for _ in range(200)]
            assert {answer["error"]["data"]["reason"] for answer in answers} == {"INVALID_REQUEST"}
            assert (await page.call("status"))["result"]["agentVersion"] == "0.1.0"

    asyncio.run(scenario())
