"""The harness gives a private pcscd in which pyscard sees the virtual card."""

from __future__ import annotations

from smartcard.System import readers


def test_pyscard_sees_the_virtual_card_and_its_piv_application(pcsc_environment, virtual_card):
    """pyscard lists the harness readers, connects to the card and reads the Discovery object."""
    names = [str(reader) for reader in readers()]
    assert list(pcsc_environment.reader_names) == names
    connection = next(r for r in readers() if str(r) == virtual_card.reader_name).createConnection()
    connection.connect()
    try:
        data, sw1, sw2 = connection.transmit(list(bytes.fromhex("00CB3FFF035C017E00")))
    finally:
        connection.disconnect()
    assert (sw1, sw2) == (0x90, 0x00)
    assert bytes(data[:2]) == b"\x7e\x12"
