"""First come, first served access to each card, across every tab and connection.

A command that needs the card asks :meth:`CardQueue.choose` for the card to use (or the precise
reason there is none), then waits its turn with ``async with queue.turn(slot) as card``.  Turns
are granted in arrival order (``asyncio.Lock`` wakes waiters FIFO); at most ``max_waiting``
requests wait per card, more get BUSY.  Once its turn comes, a request whose card insertion is gone
fails with CARD_REMOVED instead of touching a different card.

Driver calls run on one worker thread per reader (:meth:`CardTurn.call`), so a request cancelled
while its call is still on the card cannot overlap with the next request's calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from bitaqa.agent.cards.base import CardDriver
from bitaqa.agent.cards.errors import CardRemoved, NoCard, NoReader, PcscUnavailable, UnknownCard
from bitaqa.agent.cardstate import CardSlot, CardState, ServiceState
from bitaqa.agent.errors import Busy

__all__ = ["MAX_WAITING_PER_CARD", "CardQueue", "CardTurn"]

#: Requests that may wait for one card, across every connection (SPEC.md §8.1, §9).
MAX_WAITING_PER_CARD = 32

_Result = TypeVar("_Result")


class CardTurn:
    """A request's exclusive use of one card insertion."""

    def __init__(self, slot: CardSlot, driver: CardDriver, executor: ThreadPoolExecutor) -> None:
        self.reader = slot.reader
        self.generation = slot.generation
        self.driver = driver
        self._executor = executor

    async def call(self, function: Callable[..., _Result], *arguments: object) -> _Result:
        """Run a blocking driver call on the reader's worker thread.

        The call is shielded: once submitted it runs to its end even if the request is
        cancelled meanwhile (a half-sent PIN or a thread racing a wipe would be worse), and its
        result is then dropped.
        """
        loop = asyncio.get_running_loop()
        return await asyncio.shield(loop.run_in_executor(self._executor, function, *arguments))


class CardQueue:
    """One FIFO lock and one worker thread per reader."""

    def __init__(self, state: CardState, max_waiting: int = MAX_WAITING_PER_CARD) -> None:
        self._state = state
        self._max_waiting = max_waiting
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._executors: dict[str, ThreadPoolExecutor] = {}

    def choose(self, reader: str | None = None) -> CardSlot:
        """The card to use: in ``reader`` if given, else in the first reader (by name) holding
        a recognised card.

        Raises PcscUnavailable, NoReader, NoCard or UnknownCard, whichever describes the machine.
        """
        if self._state.service is ServiceState.UNAVAILABLE:
            raise PcscUnavailable("smart card service unavailable")
        slots = sorted(self._state.slots.values(), key=lambda slot: slot.reader)
        if reader is not None:
            slots = [slot for slot in slots if slot.reader == reader]
        if not slots:
            raise NoReader("no reader")
        present = [slot for slot in slots if slot.card_present]
        if not present:
            raise NoCard("no card")
        for slot in present:
            if slot.driver is not None:
                return slot
        raise UnknownCard("no driver for the card")

    @asynccontextmanager
    async def turn(self, slot: CardSlot) -> AsyncIterator[CardTurn]:
        """Wait for ``slot``'s card in arrival order; raise Busy or CardRemoved."""
        reader, generation = slot.reader, slot.generation
        if self._waiting.get(reader, 0) >= self._max_waiting:
            raise Busy("card queue full")
        lock = self._locks.setdefault(reader, asyncio.Lock())
        self._waiting[reader] = self._waiting.get(reader, 0) + 1
        try:
            await lock.acquire()
        finally:
            self._waiting[reader] -= 1
        try:
            current = self._state.slots.get(reader)
            if (
                current is None
                or current.driver is None
                or not self._state.is_current(reader, generation)
            ):
                raise CardRemoved("card removed while the request waited")
            executor = self._executors.get(reader)
            if executor is None:
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card")
                self._executors[reader] = executor
            yield CardTurn(current, current.driver, executor)
        finally:
            lock.release()

    def close(self) -> None:
        """Stop the worker threads (after the server stopped)."""
        for executor in self._executors.values():
            executor.shutdown(wait=True, cancel_futures=True)
        self._executors.clear()
