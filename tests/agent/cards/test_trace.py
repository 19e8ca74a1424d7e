"""The APDU trace redacts PIN-bearing commands; the counter adds up traffic."""

from __future__ import annotations

import pytest

from bitaqa.agent.cards.trace import ApduCounter, describe_command


@pytest.mark.parametrize("instruction", ["20", "24", "2c"])
def test_pin_bearing_commands_show_only_header_and_length(instruction):
    """VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER data never reach the trace."""
    command = bytes.fromhex(f"00{instruction}0080083132333435363738")
    text = describe_command(command)
    assert text == f"00 {instruction} 00 80 <9 bytes redacted>"
    assert "31 32" not in text


def test_other_commands_are_traced_in_full():
    """GET DATA is shown byte for byte; VERIFY without data (PIN status) too."""
    assert describe_command(bytes.fromhex("00cb3fff035c017e00")) == "00 cb 3f ff 03 5c 01 7e 00"
    assert describe_command(bytes.fromhex("00200080")) == "00 20 00 80"


def test_counter_snapshots_subtract_to_the_traffic_in_between():
    """A difference of snapshots counts commands, bytes and instructions of that span only."""
    counter = ApduCounter()
    counter.record(b"\x00\xa4\x04\x00", b"\x90\x00")
    before = counter.snapshot()
    counter.record(b"\x00\xcb\x3f\xff\x00", b"data\x90\x00")
    counter.record(bytearray(b"\x00\x20\x00\x80"), b"\x63\xc3")
    span = counter.snapshot() - before
    assert (span.commands, span.bytes_sent, span.bytes_received) == (2, 9, 8)
    assert span.by_instruction == {0xCB: 1, 0x20: 1}
