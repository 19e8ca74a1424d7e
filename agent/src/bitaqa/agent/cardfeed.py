"""Card feeds: what reports readers and cards into the agent's :class:`CardState`.

* :class:`InProcessCardFeed` — the demo's virtual card inside the agent process
  (``--in-process-card PROFILE``): one reader, the card inserted at start, no pcscd.
* :class:`PcscCardFeed` — the real PC/SC service, through the card layer's monitor.

Both open a driver for each inserted card with the card layer's registry; a card no driver
recognises is reported as unknown (driver None).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bitaqa.agent.cards.base import CardDriver
from bitaqa.agent.cards.errors import CardError, UnknownCard
from bitaqa.agent.cards.inprocess import InProcessReaders
from bitaqa.agent.cards.registry import DriverRegistry, default_registry
from bitaqa.agent.cardstate import CardState
from bitaqa.agent.log import log_event

__all__ = ["IN_PROCESS_READER", "InProcessCardFeed", "PcscCardFeed"]

if TYPE_CHECKING:  # pyscard loads only when the PC/SC feed runs
    from bitaqa.agent.cards.pcsc import PcscConnector, PcscTransport

_logger = logging.getLogger("bitaqa.agent.cardfeed")

IN_PROCESS_READER = "Bitaqa In-Process Reader 00 00"


class InProcessCardFeed:
    """One in-process reader holding the virtual card built from ``profile``."""

    def __init__(self, profile: Path, registry: DriverRegistry | None = None) -> None:
        self._profile = profile
        self._registry = registry or default_registry()
        self.readers = InProcessReaders(IN_PROCESS_READER)

    async def run(self, state: CardState) -> None:
        """Insert the card, report it, then wait until cancelled."""
        from bitaqa.vcard.card import VirtualPivCard  # noqa: PLC0415  # only the demo needs it
        from bitaqa.vcard.profile import load_profile  # noqa: PLC0415

        card = VirtualPivCard(load_profile(self._profile))
        self.readers.insert(IN_PROCESS_READER, card)
        state.service_available(True)
        state.reader_attached(IN_PROCESS_READER)
        try:
            driver = await asyncio.to_thread(
                self._registry.open, self.readers.connect(IN_PROCESS_READER)
            )
        except UnknownCard:
            driver = None
        except CardError as error:
            log_event(_logger, logging.ERROR, "card-open-failed", code=error.code.name)
            driver = None
        state.card_inserted(IN_PROCESS_READER, driver, bytes(card.atr))
        await asyncio.Event().wait()


class PcscCardFeed:
    """Readers and cards from the PC/SC service (``bitaqa.agent.cards.monitor``).

    The monitor's thread blocks in ``SCardGetStatusChange``; its events arrive here on the event
    loop and are applied in order.  Each inserted card gets its own transport and driver, closed
    when the card is withdrawn, its reader detached, or the service lost.
    """

    def __init__(self, registry: DriverRegistry | None = None) -> None:
        self._registry = registry or default_registry()
        self._transports: dict[str, PcscTransport] = {}

    async def run(self, state: CardState) -> None:
        """Apply monitor events to ``state`` until cancelled."""
        from bitaqa.agent.cards import monitor  # noqa: PLC0415  # loads pyscard
        from bitaqa.agent.cards.pcsc import PcscConnector  # noqa: PLC0415

        connector = PcscConnector()
        events: asyncio.Queue[monitor.MonitorEvent] = asyncio.Queue()
        watcher = monitor.CardMonitor(asyncio.get_running_loop(), events.put_nowait)
        watcher.start()
        try:
            while True:
                event = await events.get()
                if isinstance(event, monitor.ServiceLost):
                    self._close_all()
                    state.service_available(False)
                elif isinstance(event, monitor.ServiceRestored):
                    state.service_available(True)
                elif isinstance(event, monitor.ReaderAttached):
                    state.reader_attached(event.reader)
                elif isinstance(event, monitor.ReaderDetached):
                    self._close(event.reader)
                    state.reader_detached(event.reader)
                elif isinstance(event, monitor.CardWithdrawn):
                    self._close(event.reader)
                    state.card_removed(event.reader)
                else:
                    driver = await asyncio.to_thread(self._open, connector, event.reader)
                    state.card_inserted(event.reader, driver, event.atr)
        finally:
            await asyncio.to_thread(watcher.stop)
            self._close_all()
            connector.close()

    def _open(self, connector: PcscConnector, reader: str) -> CardDriver | None:
        self._close(reader)
        try:
            transport = connector.connect(reader)
        except CardError as error:
            log_event(_logger, logging.WARNING, "card-connect-failed", code=error.code.name)
            return None
        self._transports[reader] = transport
        try:
            return self._registry.open(transport)
        except UnknownCard:
            return None
        except CardError as error:
            log_event(_logger, logging.WARNING, "card-open-failed", code=error.code.name)
            return None

    def _close(self, reader: str) -> None:
        transport = self._transports.pop(reader, None)
        if transport is not None:
            with contextlib.suppress(CardError):
                transport.close()

    def _close_all(self) -> None:
        for reader in list(self._transports):
            self._close(reader)
