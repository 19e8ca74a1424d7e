"""Property tests: no input makes a parser raise anything but ProtocolError; round trips hold."""

from __future__ import annotations

import base64
import contextlib
import json
import string
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from bitaqa.protocol.codec import JSONValue, decode_json, encode_json
from bitaqa.protocol.errors import ErrorCode, ProtocolError
from bitaqa.protocol.jsonrpc import (
    ErrorObject,
    ErrorResponse,
    Request,
    Response,
    parse_response,
    serialize,
)
from bitaqa.protocol.limits import CLIENT_LIMITS, MAX_SAFE_INTEGER
from bitaqa.protocol.methods import METHODS, parse_call, parse_params
from bitaqa.protocol.origin import parse_origin

integers = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
json_values: st.SearchStrategy[JSONValue] = st.recursive(
    st.none() | st.booleans() | integers | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)
request_ids = integers | st.text(min_size=1, max_size=64)
param_names = st.sampled_from(["challengeNonce", "reader", "lang", "signedRequest", "id", "x"])
base64_text = st.binary(min_size=33, max_size=96).map(lambda data: base64.b64encode(data).decode())
param_values = json_values | base64_text | st.sampled_from(["ar", "en", "a.b.c", "R 0"])
hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)


def only_protocol_errors(action: Callable[[], object]) -> None:
    with contextlib.suppress(ProtocolError):
        action()


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_any_parser(data: bytes) -> None:
    """Random bytes give a value or a ProtocolError, for requests, responses and origins."""
    only_protocol_errors(lambda: parse_call(data))
    only_protocol_errors(lambda: parse_response(data))
    only_protocol_errors(lambda: parse_origin(data.decode("utf-8", "replace")))


@given(st.text(alphabet=string.printable + '[]{}"\\:,٠١بé\ud800', max_size=200))
def test_arbitrary_text_never_crashes_any_parser(text: str) -> None:
    """Random text rich in JSON punctuation gives a value or a ProtocolError."""
    only_protocol_errors(lambda: parse_call(text))
    only_protocol_errors(lambda: parse_response(text))
    only_protocol_errors(lambda: parse_origin(text, allow_insecure_localhost=True))


@given(json_values)
def test_encode_then_decode_is_identity(value: JSONValue) -> None:
    """Every value the protocol can carry survives encode_json then decode_json."""
    assert decode_json(encode_json(value), CLIENT_LIMITS) == value
    assert json.loads(encode_json(value)) == value


@given(
    request_ids, st.sampled_from(METHODS), st.dictionaries(param_names, param_values, max_size=4)
)
def test_requests_with_arbitrary_params_parse_or_fail_cleanly(
    request_id: int | str, method: str, params: dict[str, JSONValue]
) -> None:
    """Any params object gives typed params that round-trip, or a ProtocolError."""
    frame = serialize(Request(request_id, method, params))
    try:
        call = parse_call(frame)
    except ProtocolError as error:
        refusal = error.code
    else:
        assert call.request.id == request_id
        assert parse_params(method, call.params.to_wire()) == call.params
        return
    if refusal is ErrorCode.SIGNED_REQUEST_REQUIRED:  # SPEC.md §14.1
        assert method in {"sign", "readIdentity"}
        assert "signedRequest" not in params
        return
    assert refusal in {ErrorCode.INVALID_PARAMS, ErrorCode.LIMIT_EXCEEDED}


@given(request_ids, json_values)
def test_responses_round_trip(request_id: int | str, result: JSONValue) -> None:
    """A response parses back to itself."""
    assert parse_response(serialize(Response(request_id, result))) == Response(request_id, result)


@given(st.none() | request_ids, st.sampled_from(list(ErrorCode)), st.none() | st.integers(0, 255))
def test_error_responses_round_trip(
    request_id: int | str | None, code: ErrorCode, tries: int | None
) -> None:
    """An error response parses back to itself."""
    data: dict[str, JSONValue] = {} if tries is None else {"triesLeft": tries}
    message = ErrorResponse(request_id, ErrorObject(code, "m", data))
    assert parse_response(serialize(message)) == message


@given(hosts, st.none() | st.integers(1, 65535), st.booleans())
def test_normalised_origins_are_fixed_points(host: str, port: int | None, upper: bool) -> None:
    """Normalising a normalised origin changes nothing."""
    text = f"https://{host.upper() if upper else host}" + ("" if port is None else f":{port}")
    try:
        origin = parse_origin(text)
    except ProtocolError:
        return
    assert parse_origin(origin.serialize()) == origin
    assert origin.host == host


SCHEMAS = Path(__file__).resolve().parents[2] / "protocol" / "schemas"
REQUEST_SCHEMAS = {
    method: Draft202012Validator(
        json.loads((SCHEMAS / f"{method}.request.schema.json").read_text())
    )
    for method in METHODS
}
base64_alphabet = string.ascii_letters + string.digits + "+/"
nonces = st.builds(
    lambda body, padding: body + padding,
    st.text(alphabet=base64_alphabet + "-_", min_size=38, max_size=132),
    st.sampled_from(["", "=", "==", "===", "\n"]),
)
readers = st.text(alphabet=st.sampled_from("Rr 0\x00\x1f\x7f\x9f\xa0é"), min_size=0, max_size=130)
jws_parts = st.text(alphabet=string.ascii_letters + "-_=+.", min_size=0, max_size=6)
signed_requests = st.lists(jws_parts, min_size=1, max_size=4).map(".".join)
edge_params = st.fixed_dictionaries(
    {},
    optional={
        "challengeNonce": base64_text | nonces | integers,
        "reader": st.just("R 0") | readers,
        "lang": st.sampled_from(["ar", "en", "ar", "en", "AR", "", None]),
        "signedRequest": st.just("aGVhZGVy.cGF5bG9hZA.c2ln") | signed_requests | st.none(),
        "id": request_ids | st.none() | st.booleans() | st.text(max_size=70),
    },
)


@given(st.sampled_from(METHODS), edge_params)
def test_request_schemas_and_parser_agree(method: str, params: dict[str, JSONValue]) -> None:
    """For params near every bound, the JSON Schema accepts exactly what parse_call accepts."""
    frame: dict[str, JSONValue] = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    try:
        parse_call(encode_json(frame))
    except ProtocolError:
        accepted = False
    else:
        accepted = True
    assert REQUEST_SCHEMAS[method].is_valid(frame) == accepted
