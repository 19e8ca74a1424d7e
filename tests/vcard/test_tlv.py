"""BER-TLV encoding and parsing as the card uses it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.vcard.tlv import TlvError, encode_length, encode_tlv, find_tlv, parse_tlv

_TAGS = st.one_of(
    st.integers(0x01, 0x1E),  # one-byte tags
    st.integers(0x00, 0x7F).map(lambda low: 0x5F00 | low),  # two-byte tags (5Fxx)
    st.integers(0x00, 0x7F).map(lambda low: 0x5FC100 | low),  # three-byte tags (5FC1xx)
)


@given(st.lists(st.tuples(_TAGS, st.binary(max_size=70000)), max_size=3))
def test_encode_then_parse_round_trips(elements):
    """Any sequence of elements encodes and parses back to the same tags and values."""
    data = b"".join(encode_tlv(tag, value) for tag, value in elements)
    assert parse_tlv(data) == elements


@pytest.mark.parametrize(
    ("length", "encoded"),
    [(0, "00"), (127, "7F"), (128, "8180"), (255, "81FF"), (256, "820100"), (65536, "83010000")],
)
def test_length_forms(length, encoded):
    """Short form below 128, then 81, 82 and 83 long forms."""
    assert encode_length(length) == bytes.fromhex(encoded)


@pytest.mark.parametrize(
    "data",
    ["53", "5305AA", "5F", "5FC1", "5FC18101", "538401000000", "5380", "53820100"],
)
def test_malformed_input_raises_tlv_error(data):
    """Truncated tags, lengths and values and unsupported length forms raise TlvError."""
    with pytest.raises(TlvError):
        parse_tlv(bytes.fromhex(data))


@given(st.binary(max_size=64))
def test_arbitrary_bytes_parse_or_raise_tlv_error(data):
    """Parsing never fails with anything but TlvError, and values never overlap or overrun."""
    try:
        elements = parse_tlv(data)
    except TlvError:
        return
    assert sum(len(value) for _, value in elements) + 2 * len(elements) <= len(data)


def test_find_returns_the_first_match_or_none():
    """find_tlv looks at top-level elements only."""
    data = encode_tlv(0x7C, encode_tlv(0x82, b"x")) + encode_tlv(0x82, b"y")
    assert find_tlv(data, 0x82) == b"y"
    assert find_tlv(data, 0x81) is None
