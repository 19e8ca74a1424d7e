"""The PIV card family for the registry: known ATRs and the probe (SELECT of the PIV AID)."""

from __future__ import annotations

from bitaqa.agent.cards.base import ApduTransport, CardDriver
from bitaqa.agent.cards.errors import UnknownCard
from bitaqa.agent.cards.piv import PivDriver, select_piv
from bitaqa.agent.cards.registry import AtrPattern, CardFamily

__all__ = ["FAMILY"]


def _create(transport: ApduTransport, extended_length: bool) -> CardDriver:
    return PivDriver(transport, extended_length=extended_length)


def _probe(transport: ApduTransport) -> bool:
    """One SELECT of the PIV application, in a transaction of its own."""
    try:
        with transport.transaction():
            select_piv(transport, extended_length=False)
    except UnknownCard:
        return False
    return True


FAMILY = CardFamily(
    name="piv",
    create=_create,
    atrs=(
        # Bitaqa's virtual PIV card (bitaqa.vcard.card.ATR): 3B 89 80 01 "BitaqaPIV" TCK, T=1;
        # it takes extended-length APDUs up to 65 536 bytes.
        AtrPattern(
            bytes.fromhex("3b89800142697461716150495669"),
            "Bitaqa virtual PIV card",
            extended_length=True,
        ),
        # Yubico YubiKey 4 over USB (historical bytes "Yubikey4"); PIV applet.
        AtrPattern(bytes.fromhex("3bf81300008131fe15597562696b657934d4"), "YubiKey 4"),
        # Yubico YubiKey 5 over USB (historical bytes "...YubiKey@"); PIV applet.
        AtrPattern(bytes.fromhex("3bfd1300008131fe158073c021c057597562694b657940"), "YubiKey 5"),
    ),
    probe=_probe,
)
