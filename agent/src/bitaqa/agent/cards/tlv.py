"""BER-TLV as smart cards use it (ISO/IEC 7816-4 §5.2): parse card answers, build command data.

Tags are returned as integers of their encoded bytes (``0x5FC105`` stays ``0x5FC105``), which is
how PIV and ISO documents name them.  Card data is untrusted: any malformed encoding raises
:class:`~bitaqa.agent.cards.errors.CardCommunicationError`, never an ``IndexError``.
"""

from __future__ import annotations

from bitaqa.agent.cards.errors import CardCommunicationError

__all__ = ["encode_tlv", "find_tlv", "parse_tlv"]


def parse_tlv(data: bytes) -> list[tuple[int, bytes]]:
    """Split ``data`` into its top-level ``(tag, value)`` pairs, in order.

    Padding bytes ``00`` and ``FF`` between objects are skipped (ISO 7816-4 allows both).
    """
    items: list[tuple[int, bytes]] = []
    offset = 0
    end = len(data)
    while offset < end:
        if data[offset] in (0x00, 0xFF):
            offset += 1
            continue
        tag, offset = _read_tag(data, offset)
        length, offset = _read_length(data, offset)
        if offset + length > end:
            raise CardCommunicationError("TLV value runs past the end of the card's answer")
        items.append((tag, data[offset : offset + length]))
        offset += length
    return items


def find_tlv(data: bytes, tag: int) -> bytes | None:
    """The value of the first top-level object with ``tag``, or None."""
    for found, value in parse_tlv(data):
        if found == tag:
            return value
    return None


def encode_tlv(tag: int, value: bytes) -> bytes:
    """Encode one object with the shortest definite length form."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    length = len(value)
    if length < 0x80:
        length_bytes = bytes([length])
    elif length <= 0xFF:
        length_bytes = bytes([0x81, length])
    elif length <= 0xFFFF:
        length_bytes = b"\x82" + length.to_bytes(2, "big")
    else:
        length_bytes = b"\x83" + length.to_bytes(3, "big")
    return tag_bytes + length_bytes + value


def _read_tag(data: bytes, offset: int) -> tuple[int, int]:
    start = offset
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F == 0x1F:  # the tag number continues in the following bytes
        while True:
            if offset >= len(data) or offset - start >= 4:
                raise CardCommunicationError("TLV tag is truncated or too long")
            byte = data[offset]
            tag = (tag << 8) | byte
            offset += 1
            if not byte & 0x80:
                break
    return tag, offset


def _read_length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise CardCommunicationError("TLV length is missing")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    count = first & 0x7F
    if count == 0 or count > 3 or offset + count > len(data):
        raise CardCommunicationError("TLV length is indefinite, too large or truncated")
    return int.from_bytes(data[offset : offset + count], "big"), offset + count
