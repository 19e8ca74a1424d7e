"""Reader and card events from PC/SC, delivered into asyncio.

Theory of operation.  One daemon thread owns a :class:`~bitaqa.agent.cards.pcsc.StatusWatcher`
and blocks in ``SCardGetStatusChange`` with no timeout: the call returns when a card or reader
changes, when pcscd dies (pcsclite answers at once with a transport error), or when
:meth:`CardMonitor.stop` cancels it.  There is no polling loop while the service runs.  After
each change the thread compares the new reader snapshot with the last one it reported
(:func:`changes`) and hands each event to the asyncio loop with ``loop.call_soon_threadsafe``, so
the callback always runs on the loop's thread, in the order the changes happened.

When the service goes away the thread reports every card withdrawn and every reader detached,
then :class:`ServiceLost`; it then tries to establish a new context with a backoff (50 ms doubling
to 1 s -- the only timed wait, and only while the service is down).  When that succeeds it reports
:class:`ServiceRestored` and the readers and cards it finds.  If the service is down when the
monitor starts, the first event is ServiceLost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bitaqa.agent.cards.errors import CardError, PcscUnavailable
from bitaqa.agent.cards.pcsc import ReaderStatus, StatusWatcher

__all__ = [
    "CardInserted",
    "CardMonitor",
    "CardWithdrawn",
    "MonitorEvent",
    "ReaderAttached",
    "ReaderDetached",
    "ServiceLost",
    "ServiceRestored",
    "changes",
]

_LOGGER = logging.getLogger(__name__)
_BACKOFF_FIRST, _BACKOFF_MAX = 0.05, 1.0


@dataclass(frozen=True)
class ReaderAttached:
    """A reader appeared."""

    reader: str


@dataclass(frozen=True)
class ReaderDetached:
    """A reader disappeared (any card in it is reported withdrawn first)."""

    reader: str


@dataclass(frozen=True)
class CardInserted:
    """A card was inserted into ``reader``; ``atr`` is its answer-to-reset."""

    reader: str
    atr: bytes


@dataclass(frozen=True)
class CardWithdrawn:
    """The card left ``reader``: drop its driver and certificate cache."""

    reader: str


@dataclass(frozen=True)
class ServiceLost:
    """The PC/SC service stopped (or is not running); readers are gone until it returns."""


@dataclass(frozen=True)
class ServiceRestored:
    """The PC/SC service is reachable again; reader and card events follow."""


MonitorEvent = (
    ReaderAttached | ReaderDetached | CardInserted | CardWithdrawn | ServiceLost | ServiceRestored
)


def changes(
    before: Mapping[str, ReaderStatus], after: Mapping[str, ReaderStatus]
) -> list[MonitorEvent]:
    """The events that turn snapshot ``before`` into ``after``, in a sensible order.

    A card that is present in both but whose ATR or pcsclite event count changed was swapped in
    between, and is reported withdrawn then inserted.
    """
    events: list[MonitorEvent] = []
    for name, old in before.items():
        if name not in after:
            if old.present:
                events.append(CardWithdrawn(name))
            events.append(ReaderDetached(name))
    for name, new in after.items():
        previous = before.get(name)
        if previous is None:
            events.append(ReaderAttached(name))
            if new.present:
                events.append(CardInserted(name, new.atr))
            continue
        swapped = (
            previous.present
            and new.present
            and (previous.atr != new.atr or previous.card_events != new.card_events)
        )
        if previous.present and (swapped or not new.present):
            events.append(CardWithdrawn(name))
        if new.present and (swapped or not previous.present):
            events.append(CardInserted(name, new.atr))
    return events


class CardMonitor:
    """Watches readers and cards in a thread and calls ``on_event`` on ``loop``'s thread.

    Args:
        loop: the running asyncio loop that receives events.
        on_event: called with each :data:`MonitorEvent`, on the loop's thread, in order.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, on_event: Callable[[MonitorEvent], object]
    ) -> None:
        self._loop = loop
        self._on_event = on_event
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watcher: StatusWatcher | None = None
        self._readers: dict[str, ReaderStatus] = {}
        self._available = False
        self._thread = threading.Thread(target=self._run, name="bitaqa-card-monitor", daemon=True)

    @property
    def readers(self) -> dict[str, ReaderStatus]:
        """The readers and cards as last reported (safe from any thread)."""
        with self._lock:
            return dict(self._readers)

    @property
    def available(self) -> bool:
        """Whether the PC/SC service was reachable at the last observation."""
        with self._lock:
            return self._available

    def start(self) -> None:
        """Start the monitor thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (milliseconds: the blocking call is cancelled).

        No event is delivered after this returns.  From a coroutine, call it through
        ``asyncio.to_thread``.
        """
        self._stopping.set()
        while self._thread.is_alive():
            with self._lock:
                watcher = self._watcher
            if watcher is not None:
                # Cancel again until the thread leaves: a cancel that lands just before it enters
                # SCardGetStatusChange would otherwise be lost.
                watcher.cancel()
            self._thread.join(0.05)

    def _run(self) -> None:
        delay = _BACKOFF_FIRST
        service_up: bool | None = None
        while not self._stopping.is_set():
            try:
                watcher = StatusWatcher()
            except CardError:
                if service_up is not False:
                    self._report({}, last=[ServiceLost()], available=False)
                service_up = False
                delay = self._pause(delay)
                continue
            first: list[MonitorEvent] = [ServiceRestored()] if service_up is False else []
            service_up = True
            with self._lock:
                self._watcher = watcher
            try:
                self._report(watcher.readers, first=first)
                delay = _BACKOFF_FIRST
                while not self._stopping.is_set():
                    if watcher.wait(None):
                        self._report(watcher.readers)
            except PcscUnavailable as error:
                _LOGGER.info("PC/SC service lost: %s", error)
                self._report({}, last=[ServiceLost()], available=False)
                service_up = False
            except CardError:
                _LOGGER.exception("unexpected PC/SC failure; re-establishing the context")
                delay = self._pause(delay)
            finally:
                with self._lock:
                    self._watcher = None
                watcher.close()

    def _pause(self, delay: float) -> float:
        """Wait ``delay`` (or until stopped) and return the next, doubled, delay."""
        self._stopping.wait(delay)
        return min(delay * 2, _BACKOFF_MAX)

    def _report(
        self,
        after: Mapping[str, ReaderStatus],
        *,
        first: Sequence[MonitorEvent] = (),
        last: Sequence[MonitorEvent] = (),
        available: bool = True,
    ) -> None:
        """Record ``after`` as the current state and deliver what changed, in order."""
        with self._lock:
            before, self._readers = self._readers, dict(after)
            self._available = available
        if self._stopping.is_set():
            return
        for event in [*first, *changes(before, after), *last]:
            try:
                self._loop.call_soon_threadsafe(self._on_event, event)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                self._stopping.set()
                return
