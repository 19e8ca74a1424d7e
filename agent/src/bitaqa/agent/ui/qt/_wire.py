"""What the agent and the dialog process say to each other (no Qt here).

Request: one line of JSON on the child's stdin, with the prompt's fields, the language and the
timeout.  It never contains a PIN.  Closing stdin afterwards tells the child to close its dialog
and exit (the parent gave up, or the agent died).

Answer: one binary frame on the child's stdout: ``status`` (1 byte), ``length`` (1 byte),
``payload`` (``length`` bytes).  For a PIN the payload is the PIN's ASCII digits; the parent reads
it straight into a ``bytearray`` it owns, so no immutable copy exists in the agent.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass
from typing import IO, Any

from bitaqa.agent.ui.base import ConsentPrompt, Operation, PinPrompt, PortalName

__all__ = [
    "MAX_PAYLOAD",
    "MAX_REQUEST_BYTES",
    "DialogRequest",
    "Kind",
    "Status",
    "decode_request",
    "encode_frame",
    "encode_request",
]

MAX_PAYLOAD = 64
"""Longest payload an answer frame may carry (a PIN is at most a few dozen digits)."""

MAX_REQUEST_BYTES = 64 * 1024
"""Longest request line the child accepts."""


class Kind(enum.Enum):
    """Which dialog the child shows."""

    CONSENT = "consent"
    PIN = "pin"
    MESSAGE = "message"


class Status(enum.IntEnum):
    """The first byte of an answer frame."""

    PIN = ord("P")
    CONSENT = ord("C")
    CLOSED = ord("K")
    CANCELLED = ord("X")
    TIMED_OUT = ord("T")
    FAILED = ord("F")


@dataclass(frozen=True)
class DialogRequest:
    """Everything the child needs to draw one dialog.

    ``consent`` or ``pin`` is set for those kinds; ``title`` and ``body`` for a message.
    """

    kind: Kind
    language: str
    timeout_seconds: float
    consent: ConsentPrompt | None = None
    pin: PinPrompt | None = None
    title: str = ""
    body: str = ""


def _prompt_fields(prompt: ConsentPrompt | PinPrompt) -> dict[str, Any]:
    fields = asdict(prompt)
    fields["operation"] = prompt.operation.value
    return fields


def encode_request(request: DialogRequest) -> bytes:
    """Serialise ``request`` as one JSON line (UTF-8, newline-terminated)."""
    document: dict[str, Any] = {
        "kind": request.kind.value,
        "language": request.language,
        "timeoutSeconds": request.timeout_seconds,
        "title": request.title,
        "body": request.body,
    }
    if request.consent is not None:
        document["consent"] = _prompt_fields(request.consent)
    if request.pin is not None:
        document["pin"] = _prompt_fields(request.pin)
    return json.dumps(document, ensure_ascii=False).encode("utf-8") + b"\n"


def _portal(value: dict[str, Any]) -> PortalName:
    return PortalName(arabic=str(value["arabic"]), english=str(value["english"]))


def decode_request(stream: IO[bytes]) -> DialogRequest:
    """Read and parse one request line from ``stream``.

    Raises:
        ValueError: the line is missing, too long, not JSON or lacks a field.
    """
    line = stream.readline(MAX_REQUEST_BYTES + 1)
    if not line.endswith(b"\n") or len(line) > MAX_REQUEST_BYTES:
        raise ValueError("request line missing or too long")
    try:
        document = json.loads(line)
        kind = Kind(document["kind"])
        consent = pin = None
        if kind is Kind.CONSENT:
            fields = document["consent"]
            consent = ConsentPrompt(
                origin=str(fields["origin"]),
                portal=_portal(fields["portal"]),
                operation=Operation(fields["operation"]),
            )
        elif kind is Kind.PIN:
            fields = dict(document["pin"])
            fields["portal"] = _portal(fields["portal"])
            fields["operation"] = Operation(fields["operation"])
            pin = PinPrompt(**fields)
        return DialogRequest(
            kind=kind,
            language=str(document["language"]),
            timeout_seconds=float(document["timeoutSeconds"]),
            consent=consent,
            pin=pin,
            title=str(document.get("title", "")),
            body=str(document.get("body", "")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"malformed request: {error}") from None


def encode_frame(status: Status, payload: bytes | bytearray = b"") -> bytearray:
    """Build an answer frame in a new ``bytearray`` (the caller wipes it after writing).

    Raises:
        ValueError: the payload is longer than :data:`MAX_PAYLOAD`.
    """
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("answer payload too long")
    frame = bytearray(2 + len(payload))
    frame[0] = status
    frame[1] = len(payload)
    frame[2:] = payload
    return frame
