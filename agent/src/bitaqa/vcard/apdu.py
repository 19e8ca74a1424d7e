"""Command APDUs (ISO/IEC 7816-4 §5.1): parsing the four cases, short and extended length.

``parse_command`` turns raw bytes into a ``CommandApdu`` or raises ``CardStatus(0x6700)`` when the
length fields do not add up. ``CardStatus`` is how the applet reports any non-9000 outcome: it
carries the status word the card answers with.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "SW_BLOCKED",
    "SW_CLA_NOT_SUPPORTED",
    "SW_CONDITIONS_NOT_SATISFIED",
    "SW_INCORRECT_DATA",
    "SW_INS_NOT_SUPPORTED",
    "SW_LAST_COMMAND_EXPECTED",
    "SW_NOT_FOUND",
    "SW_OK",
    "SW_REFERENCE_NOT_FOUND",
    "SW_SECURITY_STATUS",
    "SW_WRONG_LENGTH",
    "SW_WRONG_P1P2",
    "CardStatus",
    "CommandApdu",
    "parse_command",
]

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_LAST_COMMAND_EXPECTED = 0x6883
SW_SECURITY_STATUS = 0x6982
SW_BLOCKED = 0x6983
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_INCORRECT_DATA = 0x6A80
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_REFERENCE_NOT_FOUND = 0x6A88
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00


class CardStatus(Exception):  # noqa: N818 - a status word is an outcome, not only an error
    """A command ended with status word ``sw`` (anything but 9000 and 61xx)."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


@dataclass(frozen=True)
class CommandApdu:
    """One command APDU. ``le`` is the expected response length (``None``: no Le field, which this
    card treats like the maximum of the encoding, 256 short or 65536 extended)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = False

    @property
    def max_response(self) -> int:
        """How many response bytes the reader accepts in one answer."""
        if self.le is not None:
            return self.le
        return 65536 if self.extended else 256


def parse_command(raw: bytes) -> CommandApdu:
    """Parse ``raw`` into a ``CommandApdu``; raise ``CardStatus(6700)`` when lengths are wrong."""
    if len(raw) < 4:
        raise CardStatus(SW_WRONG_LENGTH)
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    if not body:
        return CommandApdu(cla, ins, p1, p2)
    if len(body) == 1:
        return CommandApdu(cla, ins, p1, p2, le=body[0] or 256)
    if body[0] != 0:
        lc = body[0]
        if len(body) == 1 + lc:
            return CommandApdu(cla, ins, p1, p2, data=body[1:])
        if len(body) == 2 + lc:
            return CommandApdu(cla, ins, p1, p2, data=body[1:-1], le=body[-1] or 256)
        raise CardStatus(SW_WRONG_LENGTH)
    return _parse_extended(cla, ins, p1, p2, body)


def _parse_extended(cla: int, ins: int, p1: int, p2: int, body: bytes) -> CommandApdu:
    if len(body) == 3:
        return CommandApdu(
            cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or 65536, extended=True
        )
    if len(body) < 4:
        raise CardStatus(SW_WRONG_LENGTH)
    lc = int.from_bytes(body[1:3], "big")
    if lc == 0:
        raise CardStatus(SW_WRONG_LENGTH)
    if len(body) == 3 + lc:
        return CommandApdu(cla, ins, p1, p2, data=body[3:], extended=True)
    if len(body) == 5 + lc:
        le = int.from_bytes(body[-2:], "big") or 65536
        return CommandApdu(cla, ins, p1, p2, data=body[3:-2], le=le, extended=True)
    raise CardStatus(SW_WRONG_LENGTH)
