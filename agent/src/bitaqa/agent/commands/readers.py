"""``listReaders``: the readers and the cards in them, from the monitor's last report."""

from __future__ import annotations

import re

from bitaqa.agent.cardstate import CardSlot
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.base import Invocation
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.methods import Card, Reader, list_readers_result

__all__ = ["ListReadersCommand", "card_of"]

_PROFILE = re.compile(r"[a-z0-9][a-z0-9\-]{0,31}")


def card_of(slot: CardSlot) -> Card | None:
    """The wire description of the card in ``slot`` (profile ``unknown`` without a driver)."""
    if not slot.card_present or not 2 <= len(slot.atr) <= 33:
        return None
    name = slot.driver.driver_name if slot.driver is not None else "unknown"
    return Card(slot.atr, name if _PROFILE.fullmatch(name) else "unknown")


class ListReadersCommand:
    """``listReaders``: no card I/O, no dialog; the origin is trusted by the handshake."""

    immediate = True

    def __init__(self, services: Services) -> None:
        self._services = services

    async def run(self, invocation: Invocation) -> JSONValue:
        """Return ``{"readers": [...]}`` sorted by reader name."""
        slots = sorted(self._services.card_state.slots.values(), key=lambda slot: slot.reader)
        return list_readers_result([Reader(slot.reader, card_of(slot)) for slot in slots])
