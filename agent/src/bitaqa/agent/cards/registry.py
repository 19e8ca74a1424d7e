"""Which driver handles a card: first by ATR (exact, then masked), then by probing.

A card family is one module that defines ``FAMILY`` (a :class:`CardFamily`); adding a family
means writing that module and naming it in ``_FAMILY_MODULES`` below.  :meth:`DriverRegistry.open`
tries the ATR tables of every family first (no APDU sent), then each family's probe in order; a
card that matches nothing raises :class:`~bitaqa.agent.cards.errors.UnknownCard`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bitaqa.agent.cards.base import ApduTransport, CardDriver
from bitaqa.agent.cards.errors import UnknownCard

__all__ = ["AtrPattern", "CardFamily", "DriverRegistry", "default_registry"]

_FAMILY_MODULES = ("bitaqa.agent.cards.piv_family",)


@dataclass(frozen=True)
class AtrPattern:
    """An ATR, or an ATR under a mask (bits set in ``mask`` must match), with what it means.

    Attributes:
        atr: the ATR bytes to compare.
        mask: None for an exact match, else as long as ``atr``.
        description: which card this is, and the source of the value.
        extended_length: whether the card takes extended-length APDUs.
    """

    atr: bytes
    description: str
    mask: bytes | None = None
    extended_length: bool = False

    def matches(self, atr: bytes) -> bool:
        """True when ``atr`` is this pattern (under the mask, if any)."""
        if len(atr) != len(self.atr):
            return False
        if self.mask is None:
            return atr == self.atr
        return all((a & m) == (b & m) for a, b, m in zip(atr, self.atr, self.mask, strict=True))


@dataclass(frozen=True)
class CardFamily:
    """One card family: how to recognise it and how to make its driver.

    Attributes:
        name: the driver name (``CardDriver.driver_name``).
        atrs: known ATRs, each with its own description.
        create: makes the driver for a transport; ``extended_length`` comes from the ATR entry
            (False after probing).
        probe: sends as few APDUs as possible and returns True if the card is of this family;
            None when the family cannot be probed.
    """

    name: str
    create: Callable[[ApduTransport, bool], CardDriver]
    atrs: Sequence[AtrPattern] = field(default_factory=tuple)
    probe: Callable[[ApduTransport], bool] | None = None


class DriverRegistry:
    """Card families in priority order."""

    def __init__(self, families: Sequence[CardFamily]) -> None:
        self._families = tuple(families)

    @property
    def families(self) -> tuple[CardFamily, ...]:
        """The registered families, in the order they are tried."""
        return self._families

    def open(self, transport: ApduTransport) -> CardDriver:
        """The driver for the card behind ``transport``; UnknownCard when nothing matches.

        Exact ATR entries win over masked ones; then probes run in family order.
        """
        atr = transport.atr
        for exact in (True, False):
            for family in self._families:
                for pattern in family.atrs:
                    if (pattern.mask is None) == exact and pattern.matches(atr):
                        return family.create(transport, pattern.extended_length)
        for family in self._families:
            if family.probe is not None and family.probe(transport):
                return family.create(transport, False)
        raise UnknownCard(f"no driver for ATR {atr.hex(' ')}")


def default_registry() -> DriverRegistry:
    """A registry with every family this agent ships, in ``_FAMILY_MODULES`` order."""
    families = [importlib.import_module(name).FAMILY for name in _FAMILY_MODULES]
    return DriverRegistry(families)
