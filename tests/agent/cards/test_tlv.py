"""BER-TLV parsing of card answers never fails with anything but a card error."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.agent.cards.errors import CardCommunicationError
from bitaqa.agent.cards.tlv import encode_tlv, find_tlv, parse_tlv

TAGS = st.sampled_from([0x53, 0x70, 0x7C, 0x82, 0x5FC105, 0x5F2F, 0x7F49])


@given(st.lists(st.tuples(TAGS, st.binary(max_size=70_000)), max_size=4))
def test_encoded_objects_parse_back_to_the_same_tags_and_values(items):
    """encode_tlv then parse_tlv is the identity, for every length form."""
    data = b"".join(encode_tlv(tag, value) for tag, value in items)
    assert parse_tlv(data) == items


@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_a_card_error(data):
    """Malformed card data raises CardCommunicationError, never IndexError or ValueError."""
    with contextlib.suppress(CardCommunicationError):
        parse_tlv(data)


def test_find_returns_the_first_matching_top_level_value():
    """find_tlv looks at top-level objects only and skips 00/FF padding."""
    data = b"\x00\xff" + encode_tlv(0x7C, encode_tlv(0x82, b"sig")) + encode_tlv(0x82, b"top")
    assert find_tlv(data, 0x82) == b"top"
    assert find_tlv(data, 0x81) is None


@pytest.mark.parametrize(
    "data",
    [b"\x53\x05abc", b"\x53\x84\x00\x00\x00\x01a", b"\x5f", b"\x5f\xc1", b"\x53", b"\x53\x80"],
)
def test_truncated_or_unsupported_encodings_are_card_errors(data):
    """Lengths past the end, four-byte lengths, indefinite lengths and cut tags are refused."""
    with pytest.raises(CardCommunicationError):
        parse_tlv(data)
