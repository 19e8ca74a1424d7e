"""Command APDU parsing: the four ISO 7816-4 cases in short and extended form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.vcard.apdu import CardStatus, CommandApdu, parse_command


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00A40400", CommandApdu(0, 0xA4, 4, 0)),
        ("00CB3FFF08", CommandApdu(0, 0xCB, 0x3F, 0xFF, le=8)),
        ("00CB3FFF00", CommandApdu(0, 0xCB, 0x3F, 0xFF, le=256)),
        ("0020008002AABB", CommandApdu(0, 0x20, 0, 0x80, b"\xaa\xbb")),
        ("0020008002AABB00", CommandApdu(0, 0x20, 0, 0x80, b"\xaa\xbb", le=256)),
        ("00CB3FFF000100", CommandApdu(0, 0xCB, 0x3F, 0xFF, le=256, extended=True)),
        ("00CB3FFF000000", CommandApdu(0, 0xCB, 0x3F, 0xFF, le=65536, extended=True)),
        ("00870711000002AABB", CommandApdu(0, 0x87, 7, 0x11, b"\xaa\xbb", extended=True)),
        (
            "00870711000002AABB0400",
            CommandApdu(0, 0x87, 7, 0x11, b"\xaa\xbb", le=1024, extended=True),
        ),
    ],
)
def test_the_four_cases_short_and_extended(raw, expected):
    """Each case is recognised with its data and Le (00 means 256, 0000 means 65536)."""
    assert parse_command(bytes.fromhex(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "00",
        "00A404",
        "0020008003AABB",
        "0020008002AABB0000",
        "00CB3FFF0000",
        "00CB3FFF00000001",
    ],
)
def test_inconsistent_lengths_give_6700(raw):
    """Anything whose length fields do not add up is refused with 6700."""
    with pytest.raises(CardStatus) as status:
        parse_command(bytes.fromhex(raw))
    assert status.value.sw == 0x6700


@given(st.binary(min_size=1, max_size=255), st.integers(1, 256))
def test_short_case_4_round_trips(data, le):
    """A short case-4 APDU built from data and Le parses back to them."""
    raw = bytes([0x00, 0x87, 0x07, 0x9A, len(data)]) + data + bytes([le % 256])
    command = parse_command(raw)
    assert (command.data, command.le, command.extended) == (data, le, False)


@given(st.binary(min_size=1, max_size=2000), st.integers(1, 65536))
def test_extended_case_4_round_trips(data, le):
    """An extended case-4 APDU built from data and Le parses back to them."""
    raw = (
        b"\x00\x87\x07\x9a\x00"
        + len(data).to_bytes(2, "big")
        + data
        + (le % 65536).to_bytes(2, "big")
    )
    command = parse_command(raw)
    assert (command.data, command.le, command.extended) == (data, le, True)
