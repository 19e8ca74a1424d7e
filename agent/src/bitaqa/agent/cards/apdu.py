"""Command and response APDUs (ISO/IEC 7816-3/-4) and the one exchange helper every driver uses.

:func:`exchange` turns one logical command into as few transmissions as the card allows: a single
extended-length APDU when the card supports it, otherwise command chaining (CLA bit ``0x10``) for
data over 255 bytes; it follows ``61xx`` with GET RESPONSE and repeats a command once on ``6Cxx``.
Nothing here knows what a PIV card is, and nothing here does I/O except through the transport.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bitaqa.agent.cards.base import ApduTransport
from bitaqa.agent.cards.errors import CardCommunicationError

__all__ = [
    "EXTENDED_MAX_LE",
    "SHORT_MAX_LE",
    "CommandApdu",
    "ResponseApdu",
    "exchange",
]

SHORT_MAX_LE = 256
EXTENDED_MAX_LE = 65536
_SHORT_MAX_LC = 255
_CHAINING_BIT = 0x10


@dataclass(frozen=True)
class CommandApdu:
    """One command APDU.

    ``le`` is the number of response bytes expected (1 to 65 536) or None for no Le field;
    ``SHORT_MAX_LE`` / ``EXTENDED_MAX_LE`` ask for "as much as there is".
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def encode(self, *, extended: bool) -> bytes:
        """Encode as a short APDU, or as an extended one when ``extended`` is True.

        Raises ValueError if a short APDU cannot carry the data or Le (use :func:`exchange`).
        """
        header = bytes([self.cla, self.ins, self.p1, self.p2])
        if extended:
            body = b""
            if self.data:
                body = b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                le_field = (self.le % EXTENDED_MAX_LE).to_bytes(2, "big")
                body += le_field if self.data else b"\x00" + le_field
            return header + body
        if len(self.data) > _SHORT_MAX_LC or (self.le is not None and self.le > SHORT_MAX_LE):
            raise ValueError("command does not fit a short APDU")
        body = bytes([len(self.data)]) + self.data if self.data else b""
        if self.le is not None:
            body += bytes([self.le % SHORT_MAX_LE])
        return header + body


@dataclass(frozen=True)
class ResponseApdu:
    """A response APDU split into data and status word."""

    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        """Split ``raw``; raises CardCommunicationError if it is shorter than a status word."""
        if len(raw) < 2:
            raise CardCommunicationError("card answer shorter than a status word")
        return cls(raw[:-2], int.from_bytes(raw[-2:], "big"))

    @property
    def ok(self) -> bool:
        """True for 9000."""
        return self.sw == 0x9000


def exchange(
    transport: ApduTransport, command: CommandApdu, *, extended_length: bool
) -> ResponseApdu:
    """Send ``command`` and return the complete response (all ``61xx`` parts joined).

    With ``extended_length`` the command goes as one extended APDU when it needs to; without, long
    data is chained in 255-byte parts and Le is capped at 256.  If a chained part is refused, that
    refusal is returned.  Transport errors propagate unchanged.
    """
    if extended_length:
        needs_extended = len(command.data) > _SHORT_MAX_LC or (command.le or 0) > SHORT_MAX_LE
        return _follow_up(transport, command, extended=needs_extended)
    le = None if command.le is None else min(command.le, SHORT_MAX_LE)
    data = command.data
    while len(data) > _SHORT_MAX_LC:
        part = CommandApdu(
            command.cla | _CHAINING_BIT, command.ins, command.p1, command.p2, data[:_SHORT_MAX_LC]
        )
        answer = ResponseApdu.parse(transport.transmit(part.encode(extended=False)))
        if not answer.ok:
            return answer
        data = data[_SHORT_MAX_LC:]
    last = CommandApdu(command.cla, command.ins, command.p1, command.p2, data, le)
    return _follow_up(transport, last, extended=False)


def _follow_up(transport: ApduTransport, command: CommandApdu, *, extended: bool) -> ResponseApdu:
    answer = ResponseApdu.parse(transport.transmit(command.encode(extended=extended)))
    if answer.sw >> 8 == 0x6C:  # wrong Le: the card says how many bytes it has
        exact = replace(command, le=answer.sw & 0xFF or SHORT_MAX_LE)
        answer = ResponseApdu.parse(transport.transmit(exact.encode(extended=extended)))
    collected = bytearray(answer.data)
    while answer.sw >> 8 == 0x61:  # more data waiting: GET RESPONSE
        cla = command.cla & ~_CHAINING_BIT & 0xFF
        get_response = CommandApdu(cla, 0xC0, 0x00, 0x00, le=answer.sw & 0xFF or SHORT_MAX_LE)
        answer = ResponseApdu.parse(transport.transmit(get_response.encode(extended=False)))
        collected += answer.data
    return ResponseApdu(bytes(collected), answer.sw)
