"""BER-TLV as PIV uses it (SP 800-73-4 Part 2 §3.3): tags of one to three bytes, definite lengths.

``encode_tlv`` builds one element; ``parse_tlv`` splits a byte string into ``(tag, value)`` pairs
and raises ``TlvError`` on anything truncated or malformed, so callers map it to status 6A80.
"""

from __future__ import annotations

__all__ = ["TlvError", "encode_length", "encode_tlv", "find_tlv", "parse_tlv"]


class TlvError(ValueError):
    """The bytes are not a well-formed sequence of BER-TLV elements."""


def encode_length(length: int) -> bytes:
    """Return the BER definite-length encoding of ``length`` (short form below 128)."""
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x81, length])
    if length <= 0xFFFF:
        return bytes([0x82]) + length.to_bytes(2, "big")
    return bytes([0x83]) + length.to_bytes(3, "big")


def encode_tlv(tag: int, value: bytes) -> bytes:
    """Return ``tag || length || value``; ``tag`` is written in as many bytes as it needs."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + encode_length(len(value)) + value


def parse_tlv(data: bytes) -> list[tuple[int, bytes]]:
    """Split ``data`` into its top-level ``(tag, value)`` elements, in order."""
    elements: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        tag, offset = _read_tag(data, offset)
        length, offset = _read_length(data, offset)
        if offset + length > len(data):
            raise TlvError("value runs past the end of the data")
        elements.append((tag, data[offset : offset + length]))
        offset += length
    return elements


def find_tlv(data: bytes, tag: int) -> bytes | None:
    """Return the value of the first top-level element with ``tag``, or None when there is none."""
    for element_tag, value in parse_tlv(data):
        if element_tag == tag:
            return value
    return None


def _read_tag(data: bytes, offset: int) -> tuple[int, int]:
    start, first = offset, data[offset]
    tag, offset = first, offset + 1
    if first & 0x1F == 0x1F:  # multi-byte tag: continuation bytes have bit 8 set
        while True:
            if offset >= len(data) or offset - start >= 3:
                raise TlvError("tag is truncated or longer than three bytes")
            byte = data[offset]
            tag, offset = (tag << 8) | byte, offset + 1
            if not byte & 0x80:
                break
    return tag, offset


def _read_length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise TlvError("length is missing")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count == 0 or count > 3 or offset + 1 + count > len(data):
        raise TlvError("length uses an unsupported or truncated long form")
    return int.from_bytes(data[offset + 1 : offset + 1 + count], "big"), offset + 1 + count
