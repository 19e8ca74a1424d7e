"""The registry picks the driver by ATR, then by probing; anything else is UnknownCard."""

from __future__ import annotations

import pytest

from bitaqa.agent.cards.errors import UnknownCard
from bitaqa.agent.cards.inprocess import InProcessReaders
from bitaqa.agent.cards.piv import PivDriver
from bitaqa.agent.cards.registry import AtrPattern, CardFamily, DriverRegistry, default_registry
from bitaqa.vcard.card import VirtualPivCard
from bitaqa.vcard.profile import load_profile


class _NotPiv:
    """A card without a PIV application: every SELECT is answered 6A82 (file not found)."""

    atr = bytes.fromhex("3b8f8001804f0ca000000306030001000000006a")

    def __init__(self) -> None:
        self.commands: list[bytes] = []

    def process_apdu(self, apdu: bytes) -> bytes:
        self.commands.append(apdu)
        return b"\x6a\x82"


class _OtherAtr:
    """The virtual PIV card behind an ATR no table lists, as an unlisted PIV card would be."""

    atr = bytes.fromhex("3b8c800150aabbccdd0000000000000000")

    def __init__(self, card: VirtualPivCard) -> None:
        self._card = card

    def process_apdu(self, apdu: bytes) -> bytes:
        return self._card.process_apdu(apdu)


def _connect(card):
    readers = InProcessReaders("r")
    readers.insert("r", card)
    return readers, readers.connect("r")


def test_the_virtual_card_is_recognised_by_its_atr_without_any_apdu(card_profiles):
    """An exact ATR entry selects the PIV driver with extended length and sends nothing."""
    readers, transport = _connect(VirtualPivCard(load_profile(card_profiles["ecc"])))
    driver = default_registry().open(transport)
    assert isinstance(driver, PivDriver)
    assert driver.driver_name == "piv"
    assert readers.counter.snapshot().commands == 0


def test_an_unlisted_piv_card_is_found_by_one_select(card_profiles):
    """Probing sends one SELECT of the PIV AID and then works without extended length."""
    card = _OtherAtr(VirtualPivCard(load_profile(card_profiles["rsa"])))
    readers, transport = _connect(card)
    driver = default_registry().open(transport)
    assert readers.counter.snapshot().by_instruction == {0xA4: 1}
    assert len(driver.authentication_certificate()) > 500  # read with 61xx chaining


def test_a_card_no_family_recognises_is_unknown_card():
    """The non-PIV card answers 6A82 to the probe: UnknownCard, after exactly one SELECT."""
    card = _NotPiv()
    _, transport = _connect(card)
    with pytest.raises(UnknownCard, match="3b 8f 80"):
        default_registry().open(transport)
    assert [command[:2] for command in card.commands] == [b"\x00\xa4"]


def test_exact_atr_entries_win_over_masked_ones_and_masks_compare_only_their_bits():
    """A masked pattern matches across the bits it ignores; an exact one takes precedence."""
    exact_atr = bytes.fromhex("3b0211aa")
    masked = AtrPattern(
        bytes.fromhex("3b021100"), "family with any last byte", bytes.fromhex("ffffff00")
    )
    assert masked.matches(exact_atr)
    assert masked.matches(bytes.fromhex("3b021101"))
    assert not masked.matches(bytes.fromhex("3b031100"))
    assert not masked.matches(bytes.fromhex("3b0211"))
    chosen = []

    def family(name, pattern):
        return CardFamily(name, lambda transport, extended: chosen.append(name), atrs=(pattern,))

    registry = DriverRegistry(
        [family("masked", masked), family("exact", AtrPattern(exact_atr, "one card"))]
    )
    readers = InProcessReaders("r")
    readers.insert("r", type("Card", (), {"atr": exact_atr, "process_apdu": None})())
    registry.open(readers.connect("r"))
    assert chosen == ["exact"]


def test_the_default_registry_lists_piv_and_every_atr_has_a_description():
    """Each shipped family names itself and describes each of its ATR entries."""
    families = default_registry().families
    assert [family.name for family in families] == ["piv"]
    for family in families:
        assert family.probe is not None
        for pattern in family.atrs:
            assert pattern.description
            assert pattern.mask is None or len(pattern.mask) == len(pattern.atr)
