"""Reader and card events from a real pcscd arrive in asyncio, in order, and survive restarts."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bitaqa.agent.cards.monitor import (
    CardInserted,
    CardMonitor,
    CardWithdrawn,
    ReaderAttached,
    ReaderDetached,
    ServiceLost,
    ServiceRestored,
    changes,
)
from bitaqa.agent.cards.pcsc import ReaderStatus

ATR = bytes.fromhex("3b89800142697461716150495669")


def _status(name, present=False, events=0, atr=ATR):
    return ReaderStatus(name, present, atr if present else b"", events)


def test_changes_report_detach_after_withdrawal_and_insert_after_attach():
    """A vanished reader first loses its card; a new reader is attached before its card."""
    before = {"A": _status("A", True, 1), "B": _status("B")}
    after = {"B": _status("B"), "C": _status("C", True, 1)}
    assert changes(before, after) == [
        CardWithdrawn("A"),
        ReaderDetached("A"),
        ReaderAttached("C"),
        CardInserted("C", ATR),
    ]


def test_a_card_swapped_between_two_observations_is_withdrawn_then_inserted():
    """Present before and after, but pcsclite counted two events: a different insertion."""
    before = {"A": _status("A", True, 1)}
    assert changes(before, {"A": _status("A", True, 3)}) == [
        CardWithdrawn("A"),
        CardInserted("A", ATR),
    ]
    assert changes(before, {"A": _status("A", True, 1)}) == []
    assert changes(before, {"A": _status("A", False, 2)}) == [CardWithdrawn("A")]


class _Recorder:
    """Collects monitor events on the loop, noting the thread each arrived on."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop_thread = threading.get_ident()
        self.events: list[object] = []
        self.times: list[float] = []
        self.threads: set[int] = set()
        self._changed = asyncio.Event()

    def __call__(self, event: object) -> None:
        self.events.append(event)
        self.times.append(time.monotonic())
        self.threads.add(threading.get_ident())
        self._changed.set()

    async def wait_for(self, event: object, *, after: int = 0, timeout: float = 10.0) -> int:
        """Wait until ``event`` has arrived at an index >= ``after``; return that index."""
        async with asyncio.timeout(timeout):
            while event not in self.events[after:]:
                self._changed.clear()
                await self._changed.wait()
        return self.events.index(event, after)


@pytest.mark.pcscd
def test_card_events_arrive_on_the_loop_in_order(pcsc_environment, virtual_card):
    """Start-up state, then removal and insertion, each once and in order, on the loop thread."""
    first, second = pcsc_environment.reader_names

    async def scenario() -> _Recorder:
        recorder = _Recorder(asyncio.get_running_loop())
        monitor = CardMonitor(asyncio.get_running_loop(), recorder)
        monitor.start()
        try:
            await recorder.wait_for(ReaderAttached(second))
            await asyncio.to_thread(virtual_card.remove)
            await recorder.wait_for(CardWithdrawn(first))
            await asyncio.to_thread(virtual_card.insert)
            await recorder.wait_for(CardInserted(first, ATR))
            assert monitor.readers[first].present
            assert monitor.available
        finally:
            await asyncio.to_thread(monitor.stop)
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.events == [
        ReaderAttached(first),
        CardInserted(first, ATR),
        ReaderAttached(second),
        CardWithdrawn(first),
        CardInserted(first, ATR),
    ]
    assert recorder.threads == {recorder.loop_thread}


@pytest.mark.pcscd
def test_pcscd_killed_and_restarted_readers_come_back_within_seconds(
    pcsc_environment, virtual_card
):
    """SIGKILL: card withdrawn, readers detached, ServiceLost; restart: ServiceRestored, readers
    and the card again.  The delay from pcscd listening again to the readers is printed."""
    first, second = pcsc_environment.reader_names

    async def scenario() -> tuple[_Recorder, float]:
        recorder = _Recorder(asyncio.get_running_loop())
        monitor = CardMonitor(asyncio.get_running_loop(), recorder)
        monitor.start()
        try:
            await recorder.wait_for(ReaderAttached(second))
            await asyncio.to_thread(pcsc_environment.stop_pcscd, kill=True)
            lost = await recorder.wait_for(ServiceLost())
            assert not monitor.available
            assert monitor.readers == {}
            await asyncio.to_thread(pcsc_environment.start_pcscd)
            started = time.monotonic()
            back = await recorder.wait_for(ReaderAttached(second), after=lost, timeout=5.0)
            await recorder.wait_for(CardInserted(first, ATR), after=lost, timeout=15)
        finally:
            await asyncio.to_thread(monitor.stop)
        return recorder, recorder.times[back] - started

    recorder, delay = asyncio.run(scenario())
    print(f"\nreaders seen again {delay * 1000:.0f} ms after pcscd listened again")
    lost = recorder.events.index(ServiceLost())
    assert recorder.events[3 : lost + 1] == [
        CardWithdrawn(first),
        ReaderDetached(first),
        ReaderDetached(second),
        ServiceLost(),
    ]
    assert recorder.events[lost + 1 : lost + 3] == [ServiceRestored(), ReaderAttached(first)]
    assert recorder.events.count(ServiceLost()) == 1


@pytest.mark.pcscd
def test_a_monitor_started_without_pcscd_reports_lost_then_restored(pcsc_environment):
    """No service at start: ServiceLost first; when pcscd starts, ServiceRestored and readers."""
    first, _second = pcsc_environment.reader_names

    async def scenario() -> _Recorder:
        recorder = _Recorder(asyncio.get_running_loop())
        await asyncio.to_thread(pcsc_environment.stop_pcscd)
        monitor = CardMonitor(asyncio.get_running_loop(), recorder)
        monitor.start()
        try:
            await recorder.wait_for(ServiceLost())
            await asyncio.to_thread(pcsc_environment.start_pcscd)
            await recorder.wait_for(ReaderAttached(first))
        finally:
            await asyncio.to_thread(monitor.stop)
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.events[:3] == [ServiceLost(), ServiceRestored(), ReaderAttached(first)]
