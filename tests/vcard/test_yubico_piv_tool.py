"""yubico-piv-tool accepts the virtual card: status, signatures, PIN counting, blocking, PUK."""

from __future__ import annotations

import re

import pytest

from bitaqa.vcard.profile import load_profile
from bitaqa.vcard.tlv import find_tlv
from vcard.tools import piv_tool

pytestmark = pytest.mark.pcscd


def test_status_reads_chuid_ccc_slots_and_pin_tries(pcsc_environment, shared_ecc_card):
    """``-a status`` shows the card's CHUID and CCC, all four slots and ``PIN tries left: 3``."""
    output = piv_tool(pcsc_environment.env, shared_ecc_card.reader_name, "-a", "status").stdout
    guid = load_profile(shared_ecc_card.profile).guid
    chuid = re.search(r"CHUID:\s+([0-9a-f]+)", output)
    assert chuid is not None
    assert find_tlv(bytes.fromhex(chuid.group(1)), 0x34) == guid
    assert re.search(r"CCC:\s+f015a000000116ff02", output)
    for slot, algorithm in (
        ("9a", "ECCP256"),
        ("9c", "ECCP384"),
        ("9d", "ECCP256"),
        ("9e", "ECCP256"),
    ):
        block = output.split(f"Slot {slot}:")[1]
        assert re.match(rf"\s+Algorithm:\s+{algorithm}", block)
    assert re.search(r"PIN tries left:\s+3", output)


@pytest.mark.parametrize(
    ("profile", "slot"), [("ecc", "9a"), ("ecc", "9c"), ("rsa", "9a"), ("rsa", "9c")]
)
def test_verify_pin_and_test_signature(
    pcsc_environment, shared_ecc_card, virtual_card_factory, tmp_path, profile, slot
):
    """``-a verify-pin -a test-signature`` succeeds on 9A and 9C for both key families."""
    card = shared_ecc_card if profile == "ecc" else virtual_card_factory(profile)
    certificate = tmp_path / f"{slot}.pem"
    piv_tool(
        pcsc_environment.env,
        card.reader_name,
        "-a",
        "read-certificate",
        "-s",
        slot,
        "-o",
        str(certificate),
    )
    result = piv_tool(
        pcsc_environment.env, card.reader_name, "-a", "verify-pin", "-P", "123456",
        "-a", "test-signature", "-s", slot, "-i", str(certificate),
    )  # fmt: skip
    assert re.search(r"Successful (RSA|ECDSA) verification", result.stdout + result.stderr)


def test_ecdh_on_9d(pcsc_environment, shared_ecc_card, tmp_path):
    """``-a test-decipher -s 9d`` performs ECDH with the card."""
    certificate = tmp_path / "9d.pem"
    reader = shared_ecc_card.reader_name
    piv_tool(
        pcsc_environment.env, reader, "-a", "read-certificate", "-s", "9d", "-o", str(certificate)
    )
    result = piv_tool(
        pcsc_environment.env, reader, "-a", "verify-pin", "-P", "123456",
        "-a", "test-decipher", "-s", "9d", "-i", str(certificate),
    )  # fmt: skip
    assert "Successfully performed ECDH exchange with card" in result.stdout + result.stderr


def test_wrong_pins_count_down_block_and_the_puk_unblocks(pcsc_environment, virtual_card):
    """Wrong PINs say 2 then 1 tries left, the third blocks; the PUK unblocks with a new PIN."""
    env, reader = pcsc_environment.env, virtual_card.reader_name
    for expected in ("2 tries left", "1 tries left", "blocked"):
        result = piv_tool(env, reader, "-a", "verify-pin", "-P", "000000", check=False)
        assert result.returncode != 0
        assert expected in result.stdout + result.stderr
    assert virtual_card.status()["pin_tries_left"] == 0
    blocked = piv_tool(env, reader, "-a", "verify-pin", "-P", "123456", check=False)
    assert blocked.returncode != 0
    assert "blocked" in (blocked.stdout + blocked.stderr).lower()
    piv_tool(env, reader, "-a", "unblock-pin", "-P", "12345678", "-N", "654321")
    assert virtual_card.status()["pin_tries_left"] == 3
    result = piv_tool(env, reader, "-a", "verify-pin", "-P", "654321")
    assert "Successfully verified PIN" in result.stdout + result.stderr


def test_change_pin(pcsc_environment, virtual_card):
    """``-a change-pin`` replaces the PIN: the new one verifies, the old one does not."""
    env, reader = pcsc_environment.env, virtual_card.reader_name
    piv_tool(env, reader, "-a", "change-pin", "-P", "123456", "-N", "11223344")
    piv_tool(env, reader, "-a", "verify-pin", "-P", "11223344")
    assert piv_tool(env, reader, "-a", "verify-pin", "-P", "123456", check=False).returncode != 0
