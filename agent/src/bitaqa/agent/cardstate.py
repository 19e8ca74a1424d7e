"""The agent's picture of readers and cards, fed by the card monitor, read by commands.

Each card *insertion* gets a new ``generation`` number.  A request that queued for a card is bound
to that insertion: when the card is withdrawn, every request bound to it fails with CARD_REMOVED
(even the ones still waiting), and a re-inserted card is a new insertion that later requests use.

Listeners (the controller) hear every change as a :class:`CardEvent`.  The composition root
translates the card layer's monitor events into calls of the ``reader_*`` / ``card_*`` methods.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from bitaqa.agent.cards.base import CardDriver

__all__ = ["CardEvent", "CardEventKind", "CardSlot", "CardState", "ServiceState"]


class ServiceState(enum.Enum):
    """Whether the smart card service can be reached."""

    UNKNOWN = "unknown"
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"


class CardEventKind(enum.Enum):
    """The notifications pages receive (ARCHITECTURE.md, notification names)."""

    READER_ATTACHED = "readerAttached"
    READER_DETACHED = "readerDetached"
    CARD_INSERTED = "cardInserted"
    CARD_REMOVED = "cardRemoved"


@dataclass(frozen=True)
class CardEvent:
    """One change; ``generation`` is the insertion a CARD_* event is about (0 for readers)."""

    kind: CardEventKind
    reader: str
    generation: int = 0
    recognised: bool = True


@dataclass
class CardSlot:
    """One reader and, if a card is in it, that insertion's driver (None: unknown card)."""

    reader: str
    card_present: bool = False
    generation: int = 0
    driver: CardDriver | None = None
    atr: bytes = b""


class CardState:
    """Readers and cards as last reported; notifies listeners of every change."""

    def __init__(self) -> None:
        self.service = ServiceState.UNKNOWN
        self.slots: dict[str, CardSlot] = {}
        self._generations = itertools.count(1)
        self._listeners: list[Callable[[CardEvent], None]] = []

    def subscribe(self, listener: Callable[[CardEvent], None]) -> None:
        """Call ``listener`` for every change from now on."""
        self._listeners.append(listener)

    def _emit(self, event: CardEvent) -> None:
        for listener in self._listeners:
            listener(event)

    def service_available(self, available: bool) -> None:
        """The smart card service appeared or went away (all readers are gone with it)."""
        self.service = ServiceState.AVAILABLE if available else ServiceState.UNAVAILABLE
        if not available:
            for reader in list(self.slots):
                self.reader_detached(reader)

    def reader_attached(self, reader: str) -> None:
        """A reader appeared."""
        self.service = ServiceState.AVAILABLE
        if reader not in self.slots:
            self.slots[reader] = CardSlot(reader)
            self._emit(CardEvent(CardEventKind.READER_ATTACHED, reader))

    def reader_detached(self, reader: str) -> None:
        """A reader went away (with any card in it)."""
        if reader in self.slots:
            self.card_removed(reader)
            del self.slots[reader]
            self._emit(CardEvent(CardEventKind.READER_DETACHED, reader))

    def card_inserted(self, reader: str, driver: CardDriver | None, atr: bytes = b"") -> None:
        """A card arrived in ``reader``; ``driver`` is None when no driver recognised it."""
        self.reader_attached(reader)
        slot = self.slots[reader]
        if slot.card_present:
            self.card_removed(reader)
        slot.card_present = True
        slot.generation = next(self._generations)
        slot.driver = driver
        slot.atr = atr
        self._emit(
            CardEvent(CardEventKind.CARD_INSERTED, reader, slot.generation, driver is not None)
        )

    def card_removed(self, reader: str) -> None:
        """The card left ``reader``; requests bound to that insertion fail with CARD_REMOVED."""
        slot = self.slots.get(reader)
        if slot is None or not slot.card_present:
            return
        generation = slot.generation
        slot.card_present = False
        slot.driver = None
        slot.atr = b""
        self._emit(CardEvent(CardEventKind.CARD_REMOVED, reader, generation))

    def is_current(self, reader: str, generation: int) -> bool:
        """True while insertion ``generation`` is still in ``reader``."""
        slot = self.slots.get(reader)
        return slot is not None and slot.card_present and slot.generation == generation
