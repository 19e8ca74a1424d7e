"""Message vectors: the JSON Schemas and the Python parsers give every vector the same verdict."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bitaqa.protocol.errors import MessageError
from bitaqa.protocol.jsonrpc import ErrorResponse, Notification, Response, parse_response
from bitaqa.protocol.methods import METHODS, NOTIFICATIONS, parse_call

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
VECTORS: list[dict[str, Any]] = json.loads((PROTOCOL / "vectors" / "messages.json").read_text())[
    "vectors"
]
SCHEMAS = {
    path.name.removesuffix(".schema.json"): Draft202012Validator(json.loads(path.read_text()))
    for path in (PROTOCOL / "schemas").glob("*.schema.json")
}


def frame_of(vector: dict[str, Any]) -> str | bytes:
    """The frame of a vector: literal text, base64 bytes, or prefix + repeat * times + suffix."""
    if "frameBase64" in vector:
        return base64.b64decode(vector["frameBase64"])
    if "build" in vector:
        build = vector["build"]
        return str(build["prefix"] + build["repeat"] * build["times"] + build["suffix"])
    return str(vector["frame"])


def by_direction(direction: str, *, with_schema: bool = False) -> list[Any]:
    return [
        pytest.param(vector, id=vector["name"])
        for vector in VECTORS
        if vector["direction"] == direction and (vector["schema"] is not None or not with_schema)
    ]


@pytest.mark.parametrize("vector", by_direction("toAgent"))
def test_agent_parser_gives_the_vector_verdict(vector: dict[str, Any]) -> None:
    """parse_call accepts ok vectors as parsed, and refuses the others with their reason and id."""
    if vector["verdict"] == "ok":
        call = parse_call(frame_of(vector))
        parsed = {"id": call.request.id, "method": call.request.method}
        assert {**parsed, "params": call.params.to_wire()} == vector["parsed"]
    else:
        with pytest.raises(MessageError) as caught:
            parse_call(frame_of(vector))
        assert caught.value.code.name == vector["reason"]
        assert caught.value.request_id == vector["id"]


@pytest.mark.parametrize("vector", by_direction("toClient"))
def test_client_parser_gives_the_vector_verdict(vector: dict[str, Any]) -> None:
    """parse_response accepts ok vectors as parsed, and refuses the others with their reason."""
    if vector["verdict"] == "error":
        with pytest.raises(MessageError) as caught:
            parse_response(frame_of(vector))
        assert caught.value.code.name == vector["reason"]
        return
    message = parse_response(frame_of(vector))
    parsed: dict[str, Any]
    if isinstance(message, Notification):
        parsed = {"kind": "notification", "method": message.method, "params": message.params}
    elif isinstance(message, Response):
        parsed = {"kind": "response", "id": message.id, "result": message.result}
    else:
        assert isinstance(message, ErrorResponse)
        error = message.error
        parsed = {"kind": "error", "id": message.id, "code": error.code.name, "data": error.data}
    assert parsed == vector["parsed"]


@pytest.mark.parametrize(
    "vector", by_direction("toAgent", with_schema=True) + by_direction("toClient", with_schema=True)
)
def test_schema_gives_the_vector_verdict(vector: dict[str, Any]) -> None:
    """The JSON Schema named by a vector accepts it exactly when the verdict is ok."""
    frame = frame_of(vector)
    value = json.loads(frame)
    assert SCHEMAS[vector["schema"]].is_valid(value) == (vector["verdict"] == "ok")


def test_vectors_without_a_schema_are_refused_before_schema_validation() -> None:
    """Only codec refusals and unknown methods are beyond what a message schema can decide."""
    reasons = {vector["reason"] for vector in VECTORS if vector["schema"] is None}
    assert reasons <= {"PARSE_ERROR", "LIMIT_EXCEEDED", "METHOD_NOT_FOUND"}


def test_every_message_has_a_schema_and_an_accepted_vector() -> None:
    """Each request, result, notification and the error response has a schema and an ok vector."""
    expected = {f"{method}.{kind}" for method in METHODS for kind in ("request", "result")}
    expected |= {*NOTIFICATIONS, "error"}
    assert set(SCHEMAS) == expected
    assert {vector["schema"] for vector in VECTORS if vector["verdict"] == "ok"} == expected


def test_vector_names_are_unique() -> None:
    """A failing vector can be found by its name."""
    names = [vector["name"] for vector in VECTORS]
    assert len(names) == len(set(names))
