"""APDU encoding and the exchange helper (chaining, GET RESPONSE, 6Cxx) against the virtual card."""

from __future__ import annotations

import pytest

from bitaqa.agent.cards.apdu import (
    EXTENDED_MAX_LE,
    SHORT_MAX_LE,
    CommandApdu,
    ResponseApdu,
    exchange,
)
from bitaqa.agent.cards.errors import CardCommunicationError
from bitaqa.agent.cards.tlv import find_tlv

GET_CERTIFICATE_9A = bytes.fromhex("5c035fc105")


@pytest.mark.parametrize(
    ("command", "extended", "encoded"),
    [
        (CommandApdu(0x00, 0x20, 0x00, 0x80), False, "00200080"),
        (CommandApdu(0x00, 0xCB, 0x3F, 0xFF, b"\x5c\x01\x7e", 256), False, "00cb3fff035c017e00"),
        (CommandApdu(0x00, 0xC0, 0x00, 0x00, le=0x10), False, "00c0000010"),
        (
            CommandApdu(0x00, 0xCB, 0x3F, 0xFF, b"\x5c\x01\x7e", 65536),
            True,
            "00cb3fff0000035c017e0000",
        ),
        (CommandApdu(0x00, 0xCA, 0x00, 0x00, le=300), True, "00ca000000012c"),
        (CommandApdu(0x00, 0xDA, 0x00, 0x00, b"\x01"), True, "00da000000000101"),
    ],
)
def test_commands_encode_as_iso_7816_cases(command, extended, encoded):
    """Cases 1-4, short and extended, with Le 256 / 65536 encoded as zero."""
    assert command.encode(extended=extended).hex() == encoded


def test_a_short_apdu_refuses_data_it_cannot_carry():
    """More than 255 data bytes in a short APDU is a programming error, not a silent cut."""
    with pytest.raises(ValueError, match="short APDU"):
        CommandApdu(0x00, 0x87, 0x07, 0x9A, bytes(256)).encode(extended=False)


def test_a_response_shorter_than_a_status_word_is_a_card_error():
    """One byte from the card cannot be split into data and SW."""
    with pytest.raises(CardCommunicationError):
        ResponseApdu.parse(b"\x90")


@pytest.mark.parametrize("extended", [True, False])
def test_a_certificate_arrives_whole_with_extended_length_or_61xx_chaining(
    inprocess_card, extended
):
    """One extended GET DATA, or a short one followed by GET RESPONSE, give the same object."""
    card = inprocess_card("rsa")
    transport = card.readers.connect("In-process 00 00")
    before = card.readers.counter.snapshot()
    le = EXTENDED_MAX_LE if extended else SHORT_MAX_LE
    answer = exchange(
        transport,
        CommandApdu(0x00, 0xCB, 0x3F, 0xFF, GET_CERTIFICATE_9A, le),
        extended_length=extended,
    )
    used = card.readers.counter.snapshot() - before
    assert answer.ok
    assert find_tlv(answer.data, 0x53) is not None
    if extended:
        assert used.commands == 1
    else:
        assert used.commands > 1
        assert used.by_instruction[0xC0] == used.commands - 1


def test_long_data_is_chained_in_255_byte_parts_without_extended_length(inprocess_card):
    """A 300-byte command goes as a CLA 10 part and a final part; the card joins them."""
    card = inprocess_card("ecc")
    transport = card.readers.connect("In-process 00 00")
    before = card.readers.counter.snapshot()
    # A SELECT with 300 bytes of AID: the card must see it joined (and answers not-found).
    answer = exchange(
        transport, CommandApdu(0x00, 0xA4, 0x04, 0x00, b"\xa0" * 300), extended_length=False
    )
    assert (card.readers.counter.snapshot() - before).commands == 2
    assert answer.sw == 0x6A82


class _WrongLeCard:
    """A card that insists on an exact Le (6Cxx), as some T=0 cards do."""

    atr = bytes.fromhex("3b00")

    def process_apdu(self, apdu: bytes) -> bytes:
        if apdu[-1] != 4:
            return b"\x6c\x04"
        return b"abcd\x90\x00"


def test_6cxx_repeats_the_command_with_the_le_the_card_names():
    """On 6C04 the command is sent again with Le 4 and its answer returned."""
    from bitaqa.agent.cards.inprocess import InProcessReaders

    readers = InProcessReaders("r")
    readers.insert("r", _WrongLeCard())
    answer = exchange(
        readers.connect("r"), CommandApdu(0x00, 0xCA, 0x00, 0x00, le=256), extended_length=False
    )
    assert answer == ResponseApdu(b"abcd", 0x9000)
    assert readers.counter.snapshot().commands == 2
