"""Cards in-process: an APDU transport over any object with ``atr`` and ``process_apdu``.

This runs the agent (the demo, and driver tests) with the virtual card in the same process and no
pcscd.  :class:`InProcessReaders` plays the part of the PC/SC service: named readers into which a
test or the demo inserts and from which it removes a card.  A transport belongs to one insertion:
after the card is removed (even if it is inserted again) it raises CardRemoved, as a PC/SC handle
does.  Reader names, counting and the APDU trace behave as with pcscd.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from bitaqa.agent.cards.errors import CardCommunicationError, CardRemoved, NoCard, NoReader
from bitaqa.agent.cards.trace import ApduCounter, log_exchange

__all__ = ["InProcessReaders", "InProcessTransport", "SimulatedCard"]


@runtime_checkable
class SimulatedCard(Protocol):
    """A card object: its ATR and a pure APDU handler (``bitaqa.vcard.card.VirtualPivCard``)."""

    @property
    def atr(self) -> bytes:
        """The answer to reset."""
        ...

    def process_apdu(self, apdu: bytes) -> bytes:
        """Answer one command APDU with response data + SW1 SW2."""
        ...


@runtime_checkable
class _PoweredCard(SimulatedCard, Protocol):
    def power_on(self) -> None: ...


class _Slot:
    def __init__(self) -> None:
        self.card: SimulatedCard | None = None
        self.insertion = 0
        self.lock = threading.Lock()  # guards card and insertion
        self.transaction_lock = threading.RLock()


class InProcessReaders:
    """In-process readers; implements :class:`~bitaqa.agent.cards.base.ReaderConnector`."""

    def __init__(self, *reader_names: str) -> None:
        self._slots = {name: _Slot() for name in reader_names}
        self.counter = ApduCounter()

    def list_readers(self) -> list[str]:
        """The reader names given at construction."""
        return list(self._slots)

    def insert(self, reader_name: str, card: SimulatedCard) -> None:
        """Put ``card`` into the reader (powering it on if it can be); replaces any card there."""
        slot = self._slot(reader_name)
        with slot.lock:
            if isinstance(card, _PoweredCard):
                card.power_on()
            slot.card = card
            slot.insertion += 1

    def remove(self, reader_name: str) -> None:
        """Take the card out; transports of that insertion fail with CardRemoved from now on."""
        slot = self._slot(reader_name)
        with slot.lock:
            slot.card = None
            slot.insertion += 1

    def connect(self, reader_name: str) -> InProcessTransport:
        """A transport to the card now in ``reader_name``; NoReader or NoCard if there is none."""
        slot = self._slot(reader_name)
        with slot.lock:
            if slot.card is None:
                raise NoCard(f"no card in {reader_name}")
            return InProcessTransport(reader_name, slot, slot.card, self.counter)

    def _slot(self, reader_name: str) -> _Slot:
        try:
            return self._slots[reader_name]
        except KeyError:
            raise NoReader(f"no reader named {reader_name}") from None


class InProcessTransport:
    """:class:`~bitaqa.agent.cards.base.ApduTransport` to one insertion of an in-process card."""

    def __init__(
        self, reader_name: str, slot: _Slot, card: SimulatedCard, counter: ApduCounter
    ) -> None:
        self._reader_name = reader_name
        self._slot = slot
        self._card = card
        self._insertion = slot.insertion
        self._atr = bytes(card.atr)
        self._closed = False
        self.counter = counter

    @property
    def reader_name(self) -> str:
        """The reader's name."""
        return self._reader_name

    @property
    def atr(self) -> bytes:
        """The card's ATR at connection time."""
        return self._atr

    def transmit(self, command: bytes | bytearray) -> bytes:
        """Hand ``command`` to the card; CardRemoved if the card was removed since connecting."""
        with self._slot.lock:
            if self._closed:
                raise CardCommunicationError(f"connection to {self._reader_name} is closed")
            if self._slot.insertion != self._insertion:
                raise CardRemoved(f"card removed from {self._reader_name}")
            started = time.perf_counter()
            response = bytes(self._card.process_apdu(bytes(command)))
        self.counter.record(command, response)
        log_exchange(self._reader_name, command, response, time.perf_counter() - started)
        return response

    def close(self) -> None:
        """Stop using the card; later transmits fail with CardCommunicationError."""
        with self._slot.lock:
            self._closed = True

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the reader for the calls inside (re-entrant)."""
        with self._slot.transaction_lock:
            with self._slot.lock:
                if self._slot.insertion != self._insertion:
                    raise CardRemoved(f"card removed from {self._reader_name}")
            yield
