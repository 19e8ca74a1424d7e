"""JSON-RPC 2.0 messages of protocol v1 as frozen dataclasses (SPEC.md §5).

The agent reads page frames with :func:`parse_request`; a client reads agent frames with
:func:`parse_response`; both sides write with :func:`serialize`.  Only the envelope is checked here
(members, ``jsonrpc``, ``id``, ``method``, object ``params``); the params of each method are checked
by :mod:`bitaqa.protocol.methods`.

Deviations from plain JSON-RPC 2.0, all refusals: no batches, no by-position params, no
notifications from the page, ``id`` is an integer within ±(2**53 - 1) or a string of 1 to 64
characters, and no envelope member other than those listed in the spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from bitaqa.protocol.codec import JSONValue, decode_json, encode_json
from bitaqa.protocol.errors import ErrorCode, MessageError, ProtocolError
from bitaqa.protocol.limits import AGENT_LIMITS, CLIENT_LIMITS, Limits

__all__ = [
    "MAX_ID_LENGTH",
    "ErrorObject",
    "ErrorResponse",
    "Message",
    "Notification",
    "Request",
    "RequestId",
    "Response",
    "error_response",
    "parse_request",
    "parse_response",
    "serialize",
]

RequestId: TypeAlias = int | str

#: Longest string ``id``, in characters.
MAX_ID_LENGTH = 64

# The name of an ErrorCode as written in error.data.reason; newer agents may send new names.
_REASON = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

# Members of error.data other than "reason" that a client keeps, with their bounds (SPEC.md §5.4).
_ERROR_DATA_FIELDS = {"triesLeft": 255, "retryAfter": 86_400}


@dataclass(frozen=True)
class Request:
    """A call from the page: ``{"jsonrpc": "2.0", "id", "method", "params"}``."""

    id: RequestId
    method: str
    params: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A message from the agent that needs no answer: ``{"jsonrpc": "2.0", "method", "params"}``."""

    method: str
    params: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorObject:
    """The ``error`` member: ``{"code": number, "message": text, "data": {"reason": NAME, ...}}``.

    Attributes:
        code: the wire code; its name is written as ``data.reason``.
        message: a short English text for developers (by default from the code's name); pages
            should show text of their own.
        data: the other members of ``data`` (``triesLeft``, ``retryAfter``), if any.
    """

    code: ErrorCode
    message: str = ""
    data: Mapping[str, JSONValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.message:
            object.__setattr__(self, "message", _default_message(self.code))

    @classmethod
    def from_error(cls, error: ProtocolError) -> ErrorObject:
        """The wire form of ``error``: its code and only the data fields the spec allows."""
        data = {key: error.data[key] for key in _ERROR_DATA_FIELDS if key in error.data}
        return cls(error.code, _default_message(error.code), data)

    def to_wire(self) -> dict[str, JSONValue]:
        """The JSON object sent as the ``error`` member."""
        data: dict[str, JSONValue] = {"reason": self.code.name, **self.data}
        return {
            "code": self.code.number,
            "message": self.message,
            "data": data,
        }


@dataclass(frozen=True)
class Response:
    """A successful answer: ``{"jsonrpc": "2.0", "id", "result"}``."""

    id: RequestId
    result: JSONValue


@dataclass(frozen=True)
class ErrorResponse:
    """A failed answer: ``{"jsonrpc": "2.0", "id", "error"}``; ``id`` is null if unreadable."""

    id: RequestId | None
    error: ErrorObject


Message: TypeAlias = Request | Notification | Response | ErrorResponse


def parse_request(frame: bytes | str, limits: Limits = AGENT_LIMITS) -> Request:
    """Read one frame a page sent to the agent.

    Raises:
        MessageError: ``PARSE_ERROR`` / ``LIMIT_EXCEEDED`` from the codec, ``INVALID_REQUEST``
            for a bad envelope, ``INVALID_PARAMS`` when ``params`` is not an object.  Once the
            ``id`` has been read it is set as ``request_id`` on the error.
    """
    message = _envelope(decode_json(frame, limits))
    if "id" not in message:
        raise MessageError(ErrorCode.INVALID_REQUEST, "notifications from the page are refused")
    request_id = _request_id(message["id"])
    if set(message) - {"jsonrpc", "id", "method", "params"} or "method" not in message:
        raise MessageError(
            ErrorCode.INVALID_REQUEST,
            "a request has jsonrpc, id, method, params",
            request_id=request_id,
        )
    method = message["method"]
    if not isinstance(method, str):
        raise MessageError(ErrorCode.INVALID_REQUEST, "method is a string", request_id=request_id)
    params = message.get("params", {})
    if not isinstance(params, dict):
        raise MessageError(ErrorCode.INVALID_PARAMS, "params is an object", request_id=request_id)
    return Request(request_id, method, params)


def parse_response(
    frame: bytes | str, limits: Limits = CLIENT_LIMITS
) -> Response | ErrorResponse | Notification:
    """Read one frame the agent sent to a page: an answer or a notification.

    Error codes the client does not know are read as ``INTERNAL_ERROR`` (SPEC.md §12).

    Raises:
        MessageError: ``PARSE_ERROR`` / ``LIMIT_EXCEEDED`` from the codec, ``INVALID_REQUEST``
            for anything that is not one of the three agent message shapes.
    """
    message = _envelope(decode_json(frame, limits))
    members = set(message) - {"jsonrpc"}
    if members in ({"method", "params"}, {"method"}):
        return _notification(message)
    if members == {"id", "result"}:
        return Response(_request_id(message["id"]), message["result"])
    if members == {"id", "error"}:
        request_id = None if message["id"] is None else _request_id(message["id"])
        return ErrorResponse(request_id, _error_object(message["error"]))
    raise MessageError(ErrorCode.INVALID_REQUEST, "not a response or notification")


def serialize(message: Message) -> str:
    """The compact JSON text of ``message``, ready to send as one text frame."""
    wire: dict[str, JSONValue] = {"jsonrpc": "2.0"}
    if isinstance(message, Request):
        wire.update(id=message.id, method=message.method, params=dict(message.params))
    elif isinstance(message, Notification):
        wire.update(method=message.method, params=dict(message.params))
    elif isinstance(message, Response):
        wire.update(id=message.id, result=message.result)
    else:
        wire.update(id=message.id, error=message.error.to_wire())
    return encode_json(wire)


def error_response(error: ProtocolError, request_id: RequestId | None = None) -> ErrorResponse:
    """The answer to send for ``error``: the id the error carries, else ``request_id``."""
    carried = error.request_id if isinstance(error, MessageError) else None
    return ErrorResponse(
        carried if carried is not None else request_id, ErrorObject.from_error(error)
    )


def _default_message(code: ErrorCode) -> str:
    return code.name.replace("_", " ").capitalize()


def _envelope(value: JSONValue) -> dict[str, JSONValue]:
    if not isinstance(value, dict):
        raise MessageError(ErrorCode.INVALID_REQUEST, "a message is one JSON object (no batches)")
    if value.get("jsonrpc") != "2.0":
        raise MessageError(ErrorCode.INVALID_REQUEST, 'jsonrpc must be "2.0"')
    return value


def _request_id(value: JSONValue) -> RequestId:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and 1 <= len(value) <= MAX_ID_LENGTH:
        return value
    raise MessageError(
        ErrorCode.INVALID_REQUEST,
        f"id is an integer or a string of 1 to {MAX_ID_LENGTH} characters",
    )


def _notification(message: dict[str, JSONValue]) -> Notification:
    method = message["method"]
    params = message.get("params", {})
    if not isinstance(method, str) or not isinstance(params, dict):
        raise MessageError(ErrorCode.INVALID_REQUEST, "notification method or params malformed")
    return Notification(method, params)


def _error_object(value: JSONValue) -> ErrorObject:
    if not isinstance(value, dict) or set(value) - {"code", "message", "data"}:
        raise MessageError(ErrorCode.INVALID_REQUEST, "error is {code, message, data}")
    number, message, data = value.get("code"), value.get("message"), value.get("data")
    if isinstance(number, bool) or not isinstance(number, int) or not isinstance(message, str):
        raise MessageError(ErrorCode.INVALID_REQUEST, "error code is a number, message a string")
    reason = data.get("reason") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(reason, str) or not _REASON.fullmatch(reason):
        raise MessageError(ErrorCode.INVALID_REQUEST, "error data is an object with a reason")
    kept: dict[str, JSONValue] = {}
    for key, bound in _ERROR_DATA_FIELDS.items():
        if key in data:
            count = data[key]
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= bound:
                raise MessageError(ErrorCode.INVALID_REQUEST, f"error data {key} out of range")
            kept[key] = count
    return ErrorObject(ErrorCode.from_number(number), message, kept)
