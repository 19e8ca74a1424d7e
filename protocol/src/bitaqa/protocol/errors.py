"""The wire error codes and the protocol core's exception root.

Every failure a page can see is one :class:`ErrorCode`; the table is defined once in
``protocol/error-codes.json`` (shipped inside this package as ``error-codes.json``) and both the
Python core and the JS client check themselves against it.  See SPEC.md, "Errors".

Exception tree::

    ProtocolError                 any failure the core reports; carries an ErrorCode
    ├── MessageError              a frame or JSON-RPC object is malformed or over a limit
    ├── OriginError               an origin string is not a valid web origin
    ├── SignedRequestError        a signed request fails verification (signature, expiry, replay)
    ├── TrustListError            a trust list fails parsing or verification
    └── AuthTokenError            a web-eid:1.0 token is malformed

Parsers in the core raise only these; they never let a ``ValueError``, ``KeyError`` or a library
exception escape (the fuzz tests check this).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthTokenError",
    "ErrorCode",
    "MessageError",
    "OriginError",
    "ProtocolError",
    "SignedRequestError",
    "TrustListError",
]


class ErrorCode(enum.Enum):
    """A wire error: ``name`` goes into ``error.data.reason``, ``number`` into ``error.code``."""

    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    LIMIT_EXCEEDED = -32000
    USER_CANCELLED = 1001
    USER_TIMEOUT = 1002
    USER_DENIED = 1003
    RATE_LIMITED = 1004
    REQUEST_CANCELLED = 1005
    PCSC_UNAVAILABLE = 1101
    NO_READER = 1102
    NO_CARD = 1103
    UNKNOWN_CARD = 1104
    CARD_REMOVED = 1105
    CARD_ERROR = 1106
    PIN_INCORRECT = 1201
    PIN_BLOCKED = 1202
    CERTIFICATE_MISMATCH = 1203
    OPERATION_NOT_SUPPORTED = 1204
    ORIGIN_NOT_ALLOWED = 1301
    SIGNED_REQUEST_REQUIRED = 1302
    REQUEST_SIGNATURE_INVALID = 1303
    REQUEST_EXPIRED = 1304
    REQUEST_REPLAYED = 1305
    BUSY = 1401

    @property
    def number(self) -> int:
        """The JSON-RPC ``error.code`` for this failure."""
        return int(self.value)

    @classmethod
    def from_number(cls, number: int) -> ErrorCode:
        """Return the code with JSON-RPC number ``number``; unknown numbers are INTERNAL_ERROR."""
        try:
            return cls(number)
        except ValueError:
            return cls.INTERNAL_ERROR


class ProtocolError(Exception):
    """Root of every failure the protocol core reports.

    Args:
        code: the wire code the peer will see.
        message: a short English text for logs and developers; never card or key material.
        data: extra wire-visible fields (for example ``{"triesLeft": 2}``), already JSON-safe.
    """

    def __init__(
        self, code: ErrorCode, message: str = "", data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message or code.name)
        self.code = code
        self.message = message or code.name
        self.data: Mapping[str, Any] = dict(data or {})


class MessageError(ProtocolError):
    """A frame or JSON-RPC object is malformed or exceeds a limit.

    Args:
        code, message, data: as for :class:`ProtocolError`.
        request_id: the ``id`` of the request the error answers, when it could be read; the
            error response then carries it (JSON-RPC 2.0 §5), otherwise ``id`` is ``null``.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str = "",
        data: Mapping[str, Any] | None = None,
        *,
        request_id: int | str | None = None,
    ) -> None:
        super().__init__(code, message, data)
        self.request_id = request_id


class OriginError(ProtocolError):
    """An origin string is not a valid, normalisable web origin."""


class SignedRequestError(ProtocolError):
    """A signed request fails verification."""


class TrustListError(ProtocolError):
    """A trust list is malformed, wrongly signed, expired or a rollback."""


class AuthTokenError(ProtocolError):
    """A web-eid:1.0 authentication token is malformed."""
