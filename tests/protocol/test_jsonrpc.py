"""JSON-RPC envelopes: parsing on both sides, serialisation, and error answers."""

from __future__ import annotations

import json

import pytest

from bitaqa.protocol.errors import ErrorCode, MessageError, OriginError, ProtocolError
from bitaqa.protocol.jsonrpc import (
    ErrorObject,
    ErrorResponse,
    Notification,
    Request,
    Response,
    error_response,
    parse_request,
    parse_response,
    serialize,
)


def test_request_without_params_has_empty_params() -> None:
    """params may be left out; it reads as an empty object."""
    assert parse_request('{"jsonrpc":"2.0","id":1,"method":"status"}') == Request(1, "status", {})


def test_envelope_error_after_the_id_carries_the_id() -> None:
    """Once the id is known the error answer can name it."""
    with pytest.raises(MessageError) as caught:
        parse_request('{"jsonrpc":"2.0","id":"a","method":"status","params":[]}')
    assert (caught.value.code, caught.value.request_id) == (ErrorCode.INVALID_PARAMS, "a")


def test_envelope_error_before_the_id_has_no_id() -> None:
    """A refused id is not echoed back."""
    with pytest.raises(MessageError) as caught:
        parse_request('{"jsonrpc":"2.0","id":true,"method":"status"}')
    assert (caught.value.code, caught.value.request_id) == (ErrorCode.INVALID_REQUEST, None)


@pytest.mark.parametrize(
    "message",
    [
        Request(3, "sign", {"signedRequest": "a.b.c"}),
        Request("x", "status", {}),
        Notification("cardRemoved", {"reader": "R"}),
        Response(7, {"cancelled": True}),
        Response("y", None),
        ErrorResponse(7, ErrorObject(ErrorCode.PIN_INCORRECT, "PIN incorrect", {"triesLeft": 2})),
        ErrorResponse(None, ErrorObject(ErrorCode.PARSE_ERROR, "Parse error")),
    ],
)
def test_serialize_then_parse_gives_the_same_message(
    message: Request | Notification | Response | ErrorResponse,
) -> None:
    """Every message survives a round trip through its wire form."""
    parse = parse_request if isinstance(message, Request) else parse_response
    assert parse(serialize(message)) == message


def test_error_wire_form() -> None:
    """An error carries the number, a short English message and the reason name."""
    wire = json.loads(
        serialize(error_response(ProtocolError(ErrorCode.RATE_LIMITED, "x", {"retryAfter": 30}), 4))
    )
    assert wire == {
        "jsonrpc": "2.0",
        "id": 4,
        "error": {
            "code": 1004,
            "message": "Rate limited",
            "data": {"reason": "RATE_LIMITED", "retryAfter": 30},
        },
    }


def test_error_response_keeps_no_internal_detail() -> None:
    """Only triesLeft and retryAfter leave the agent; the developer message stays in the log."""
    error = ProtocolError(
        ErrorCode.CARD_ERROR, "SW 6A82 reading 5FC105", {"statusWord": "6A82", "triesLeft": 1}
    )
    answer = error_response(error, 9)
    assert answer.error == ErrorObject(ErrorCode.CARD_ERROR, "Card error", {"triesLeft": 1})
    assert "6A82" not in serialize(answer)


def test_error_response_prefers_the_id_the_error_carries() -> None:
    """A MessageError raised after the id was read answers that id."""
    assert error_response(MessageError(ErrorCode.INVALID_PARAMS, request_id=5), 1).id == 5
    assert error_response(MessageError(ErrorCode.PARSE_ERROR), 1).id == 1
    assert error_response(OriginError(ErrorCode.ORIGIN_NOT_ALLOWED)).id is None


def test_error_object_without_message_uses_the_default() -> None:
    """The message is never empty on the wire."""
    assert ErrorObject(ErrorCode.NO_CARD).to_wire()["message"] == "No card"


@pytest.mark.parametrize(
    "frame",
    [
        '{"jsonrpc":"2.0","method":1,"params":{}}',
        '{"jsonrpc":"2.0","method":"x","params":1}',
        '{"jsonrpc":"2.0","id":1,"error":[]}',
        '{"jsonrpc":"2.0","id":1,"error":{"code":true,"message":"","data":{"reason":"X"}}}',
        '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":2,"data":{"reason":"X"}}}',
        '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"","data":[]}}',
        '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"","data":{"reason":1}}}',
        '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"","data":{"reason":"X","retryAfter":86401}}}',
        '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"","data":{"reason":"X","triesLeft":false}}}',
        '{"jsonrpc":"2.0","id":1}',
        '{"jsonrpc":"2.0","id":1,"result":1,"method":"x"}',
    ],
)
def test_malformed_agent_frames_are_invalid(frame: str) -> None:
    """A client refuses anything that is not a response, an error response or a notification."""
    with pytest.raises(MessageError) as caught:
        parse_response(frame)
    assert caught.value.code is ErrorCode.INVALID_REQUEST


def test_notification_without_params_reads_as_empty_params() -> None:
    """An agent notification may leave params out."""
    assert parse_response('{"jsonrpc":"2.0","method":"x"}') == Notification("x", {})


def test_error_data_other_members_are_ignored_by_a_client() -> None:
    """Members a newer agent adds to error.data are dropped, not refused."""
    frame = (
        '{"jsonrpc":"2.0","id":1,"error":{"code":1201,"message":"",'
        '"data":{"reason":"PIN_INCORRECT","triesLeft":0,"hint":"x"}}}'
    )
    message = parse_response(frame)
    assert message == ErrorResponse(
        1, ErrorObject(ErrorCode.PIN_INCORRECT, "Pin incorrect", {"triesLeft": 0})
    )
    assert parse_response(serialize(message)) == message
