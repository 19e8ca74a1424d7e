"""PC/SC through pyscard: the only module that imports ``smartcard`` (STYLE.md rule 2).

Three objects, each on top of the raw ``smartcard.scard`` calls so that every pcsclite / WinSCard
return code is seen and translated here, once, into :mod:`bitaqa.agent.cards.errors`:

* :class:`PcscConnector` -- lists readers and connects (shared mode, T=1 or T=0).  It re-creates
  its context when the service was restarted.
* :class:`PcscTransport` -- an :class:`~bitaqa.agent.cards.base.ApduTransport`: ``transmit``,
  re-entrant ``transaction`` (SCardBeginTransaction / SCardEndTransaction), counting and the
  redacted DEBUG trace of :mod:`bitaqa.agent.cards.trace`.
* :class:`StatusWatcher` -- one context for one thread that blocks in ``SCardGetStatusChange`` on
  every reader plus ``\\\\?PnP?\\Notification`` (reader attach/detach); ``cancel`` wakes it from
  another thread.  :mod:`bitaqa.agent.cards.monitor` runs it.

Return codes and what they become: service gone (NO_SERVICE, SERVICE_STOPPED, a context made
invalid by a restart) -> PcscUnavailable; no readers -> NoReader (or an empty list); unknown or
vanished reader -> NoReader when connecting, ReaderRemoved during an operation; no card /
removed card -> NoCard when connecting, CardRemoved during an operation; a transmit failure with
the card no longer present -> CardRemoved; anything else -> CardCommunicationError.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from smartcard import scard

from bitaqa.agent.cards.errors import (
    CardCommunicationError,
    CardError,
    CardRemoved,
    NoCard,
    NoReader,
    PcscUnavailable,
    ReaderRemoved,
)
from bitaqa.agent.cards.trace import ApduCounter, log_exchange

__all__ = ["PcscConnector", "PcscTransport", "ReaderStatus", "StatusWatcher"]

_PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
_SERVICE_GONE = frozenset(
    {
        scard.SCARD_E_NO_SERVICE,
        scard.SCARD_E_SERVICE_STOPPED,
        scard.SCARD_E_INVALID_HANDLE,
        scard.SCARD_F_COMM_ERROR,
    }
)
_READER_GONE = frozenset({scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE})
_CARD_GONE = frozenset({scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD})
_MAYBE_REMOVED = frozenset(
    {
        scard.SCARD_E_NOT_TRANSACTED,
        scard.SCARD_W_UNRESPONSIVE_CARD,
        scard.SCARD_W_UNPOWERED_CARD,
        scard.SCARD_E_COMM_DATA_LOST,
    }
)


def _message(code: int) -> str:
    return f"{scard.SCardGetErrorMessage(code).strip()} (0x{code & 0xFFFFFFFF:08X})"


def _service_error(code: int) -> PcscUnavailable | None:
    if code in _SERVICE_GONE:
        return PcscUnavailable(_message(code))
    return None


class PcscConnector:
    """Lists readers and connects to cards; implements ``base.ReaderConnector``.

    ``counter`` counts the APDUs of every transport this connector made.  Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: Any = None
        self.counter = ApduCounter()

    def list_readers(self) -> list[str]:
        """Reader names now; [] when none; PcscUnavailable when the service is not running."""
        code, readers = self._call(lambda context: scard.SCardListReaders(context, []))
        if code in (scard.SCARD_E_NO_READERS_AVAILABLE, scard.SCARD_E_READER_UNAVAILABLE):
            return []
        if code != scard.SCARD_S_SUCCESS:
            raise CardCommunicationError(_message(code))
        return list(readers)

    def connect(self, reader_name: str) -> PcscTransport:
        """Connect in shared mode to the card in ``reader_name``.

        Raises NoReader, NoCard, PcscUnavailable or CardCommunicationError.
        """
        code, handle, protocol = self._call(
            lambda context: scard.SCardConnect(
                context,
                reader_name,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T1 | scard.SCARD_PROTOCOL_T0,
            )
        )
        if code in _READER_GONE or code == scard.SCARD_E_NO_READERS_AVAILABLE:
            raise NoReader(f"{reader_name}: {_message(code)}")
        if code in _CARD_GONE or code in (scard.SCARD_W_UNPOWERED_CARD, scard.SCARD_E_TIMEOUT):
            raise NoCard(f"{reader_name}: {_message(code)}")
        if code != scard.SCARD_S_SUCCESS:
            raise CardCommunicationError(f"{reader_name}: {_message(code)}")
        return PcscTransport(reader_name, handle, protocol, self.counter)

    def close(self) -> None:
        """Release the context (transports made from it stop working)."""
        with self._lock:
            if self._context is not None:
                scard.SCardReleaseContext(self._context)
                self._context = None

    def _call(self, operation: Callable[[Any], Any]) -> Any:
        """Run ``operation(context)``; after a service restart, once more with a new context."""
        result = self._attempt(operation)
        if result[0] in _SERVICE_GONE:
            result = self._attempt(operation)
        if result[0] in _SERVICE_GONE:
            raise PcscUnavailable(_message(result[0]))
        return result

    def _attempt(self, operation: Callable[[Any], Any]) -> Any:
        with self._lock:
            if self._context is None:
                self._context = _establish()
            context = self._context
        result = operation(context)
        if result[0] in _SERVICE_GONE:
            with self._lock:
                if self._context is context:
                    scard.SCardReleaseContext(context)
                    self._context = None
        return result


def _establish() -> Any:
    code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if code != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable(_message(code))
    return context


class PcscTransport:
    """One shared-mode connection to one card insertion (see ``base.ApduTransport``)."""

    def __init__(self, reader_name: str, handle: Any, protocol: int, counter: ApduCounter) -> None:
        self._reader_name = reader_name
        self._handle = handle
        self._protocol = protocol
        self._lock = threading.RLock()
        self._depth = 0
        self.counter = counter
        code, _name, _state, _protocol, atr = scard.SCardStatus(handle)
        if code != scard.SCARD_S_SUCCESS:
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
            self._raise_for(code)
        self._atr = bytes(atr)

    @property
    def reader_name(self) -> str:
        """The reader's name."""
        return self._reader_name

    @property
    def atr(self) -> bytes:
        """The card's ATR read when connecting."""
        return self._atr

    def transmit(self, command: bytes | bytearray) -> bytes:
        """Send one APDU; see ``base.ApduTransport.transmit`` for the errors."""
        pci = (
            scard.SCARD_PCI_T1 if self._protocol == scard.SCARD_PROTOCOL_T1 else scard.SCARD_PCI_T0
        )
        with self._lock:
            started = time.perf_counter()
            code, response = scard.SCardTransmit(self._handle, pci, list(command))
            elapsed = time.perf_counter() - started
            self._raise_for(code)
        answer = bytes(response)
        self.counter.record(command, answer)
        log_exchange(self._reader_name, command, answer, elapsed)
        return answer

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """SCardBeginTransaction for the outermost level; nested levels only count."""
        with self._lock:
            if self._depth == 0:
                self._begin()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    # The card may be gone already; ending is then moot, not an error.
                    scard.SCardEndTransaction(self._handle, scard.SCARD_LEAVE_CARD)

    def close(self) -> None:
        """Disconnect, leaving the card as it is (a failure means it is gone already)."""
        with self._lock:
            scard.SCardDisconnect(self._handle, scard.SCARD_LEAVE_CARD)

    def _begin(self) -> None:
        code = scard.SCardBeginTransaction(self._handle)
        if code == scard.SCARD_W_RESET_CARD:
            # Another application reset the card: reconnect; the driver re-selects its applet
            # at the start of every transaction anyway.
            code, self._protocol = scard.SCardReconnect(
                self._handle,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T1 | scard.SCARD_PROTOCOL_T0,
                scard.SCARD_LEAVE_CARD,
            )
            self._raise_for(code)
            code = scard.SCardBeginTransaction(self._handle)
        self._raise_for(code)

    def _raise_for(self, code: int) -> None:
        if code == scard.SCARD_S_SUCCESS:
            return
        error: CardError | None = _service_error(code)
        if error is None:
            if code in _READER_GONE:
                error = ReaderRemoved(f"{self._reader_name}: {_message(code)}")
            elif code in _CARD_GONE or (code in _MAYBE_REMOVED and not self._card_present()):
                error = CardRemoved(f"{self._reader_name}: {_message(code)}")
            else:
                error = CardCommunicationError(f"{self._reader_name}: {_message(code)}")
        raise error

    def _card_present(self) -> bool:
        code, _name, state, _protocol, _atr = scard.SCardStatus(self._handle)
        return code == scard.SCARD_S_SUCCESS and bool(state & scard.SCARD_PRESENT)


@dataclass(frozen=True)
class ReaderStatus:
    """One reader as the service last reported it.

    Attributes:
        name: the reader name.
        present: a card is in the reader.
        atr: the card's ATR (empty without a card).
        card_events: pcsclite's per-reader count of insertions and removals; a change while
            ``present`` stays True means the card was swapped between two observations.
    """

    name: str
    present: bool
    atr: bytes
    card_events: int


class StatusWatcher:
    """Blocking reader and card status for one thread (``SCardGetStatusChange``).

    Create it in the thread that will wait; only :meth:`cancel` may be called from another
    thread.  Raises PcscUnavailable from the constructor or :meth:`wait` when the service is gone;
    the caller then closes it and makes a new one when the service is back.
    """

    def __init__(self) -> None:
        self._context = _establish()
        self._pnp_state = 0
        self._states: dict[str, int] = {}
        self._snapshot: dict[str, ReaderStatus] = {}
        self._pnp_supported = True
        try:
            self._refresh_readers()
        except CardError:
            self.close()
            raise

    @property
    def readers(self) -> dict[str, ReaderStatus]:
        """The state as of the last :meth:`wait` (or construction)."""
        return dict(self._snapshot)

    def wait(self, timeout_seconds: float | None) -> bool:
        """Block until a reader or card changes, the timeout passes or :meth:`cancel` is called.

        Returns True when :attr:`readers` changed.  ``None`` waits without a time limit.
        """
        timeout = scard.INFINITE if timeout_seconds is None else int(timeout_seconds * 1000)
        watched = [(name, state) for name, state in self._states.items()]
        if self._pnp_supported:
            watched.append((_PNP_NOTIFICATION, self._pnp_state))
        code, answers = scard.SCardGetStatusChange(self._context, timeout, watched)
        if code in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
            return False
        if code in _READER_GONE:
            # A reader vanished between two calls -- or, if none did, the service does not know
            # the PnP pseudo-reader: stop asking for it rather than spin.
            changed = self._refresh_readers()
            self._pnp_supported = self._pnp_supported and changed
            return changed
        error = _service_error(code)
        if error is not None:
            raise error
        if code != scard.SCARD_S_SUCCESS:
            raise CardCommunicationError(_message(code))
        readers_changed = False
        for name, event_state, atr in answers:
            if name == _PNP_NOTIFICATION:
                readers_changed = event_state != self._pnp_state
                self._pnp_supported = not event_state & scard.SCARD_STATE_UNKNOWN
                self._pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
            elif event_state & scard.SCARD_STATE_UNKNOWN:
                readers_changed = True
            else:
                self._record(name, event_state, atr)
        if readers_changed:
            self._refresh_readers()
        return True

    def cancel(self) -> None:
        """Wake a thread blocked in :meth:`wait` (safe from any thread)."""
        scard.SCardCancel(self._context)

    def close(self) -> None:
        """Release the context."""
        scard.SCardReleaseContext(self._context)

    def _record(self, name: str, event_state: int, atr: list[int]) -> None:
        self._states[name] = event_state & ~scard.SCARD_STATE_CHANGED
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        self._snapshot[name] = ReaderStatus(
            name, present, bytes(atr) if present else b"", (event_state >> 16) & 0xFFFF
        )

    def _refresh_readers(self) -> bool:
        """Re-list readers; fetch the state of new ones at once.  True if the list changed."""
        code, names = scard.SCardListReaders(self._context, [])
        error = _service_error(code)
        if error is not None:
            raise error
        current = list(names) if code == scard.SCARD_S_SUCCESS else []
        gone = set(self._states) - set(current)
        for name in gone:
            del self._states[name]
            self._snapshot.pop(name, None)
        new = [name for name in current if name not in self._states]
        if new:
            code, answers = scard.SCardGetStatusChange(
                self._context, 0, [(name, scard.SCARD_STATE_UNAWARE) for name in new]
            )
            error = _service_error(code)
            if error is not None:
                raise error
            for name, event_state, atr in answers:
                self._record(name, event_state, atr)
        return bool(gone or new)
