"""Small helpers the virtual-card tests share to build APDUs and read answers."""

from __future__ import annotations

from bitaqa.vcard.card import VirtualPivCard

PIN = b"123456\xff\xff"
PUK = b"12345678"


def transmit(card: VirtualPivCard, command: bytes | str) -> tuple[bytes, int]:
    """Send one APDU (bytes or hex) and return (data, status word)."""
    raw = bytes.fromhex(command) if isinstance(command, str) else command
    response = card.process_apdu(raw)
    assert len(response) >= 2
    return response[:-2], int.from_bytes(response[-2:], "big")


def short(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", *, le: int | None = None
) -> bytes:
    """A short APDU; ``le`` 256 is written as 00."""
    apdu = bytes([cla, ins, p1, p2])
    if data:
        apdu += bytes([len(data)]) + data
    if le is not None:
        apdu += bytes([le % 256])
    return apdu


def get_data(tag: int, le: int = 256) -> bytes:
    """GET DATA for the object with ``tag`` (one or three bytes)."""
    tag_bytes = tag.to_bytes(1 if tag < 0x100 else 3, "big")
    return short(0x00, 0xCB, 0x3F, 0xFF, bytes([0x5C, len(tag_bytes)]) + tag_bytes, le=le)


def read_object(card: VirtualPivCard, tag: int) -> tuple[bytes, int]:
    """GET DATA plus GET RESPONSE until the whole object is read."""
    data, sw = transmit(card, get_data(tag))
    while sw >> 8 == 0x61:
        more, sw = transmit(card, short(0x00, 0xC0, 0x00, 0x00, le=sw & 0xFF or 256))
        data += more
    return data, sw


def verify_pin(card: VirtualPivCard, pin: bytes = PIN) -> int:
    """VERIFY the application PIN; return the status word."""
    return transmit(card, short(0x00, 0x20, 0x00, 0x80, pin))[1]


def general_authenticate(
    card: VirtualPivCard, algorithm: int, reference: int, template: bytes
) -> tuple[bytes, int]:
    """GENERAL AUTHENTICATE with command chaining and GET RESPONSE as a host would do it."""
    data = template
    while len(data) > 255:
        _, sw = transmit(card, short(0x10, 0x87, algorithm, reference, data[:255]))
        assert sw == 0x9000
        data = data[255:]
    answer, sw = transmit(card, short(0x00, 0x87, algorithm, reference, data, le=256))
    while sw >> 8 == 0x61:
        more, sw = transmit(card, short(0x00, 0xC0, 0x00, 0x00, le=sw & 0xFF or 256))
        answer += more
    return answer, sw
