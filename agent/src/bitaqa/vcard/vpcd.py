"""The vpcd transport: connects a card object to the vpcd driver inside pcscd over TCP.

Wire format (vsmartcard ``vpcd.c``): every message in both directions is a 2-byte big-endian
length and a payload. From vpcd, a 1-byte payload is a control byte (00 power off, 01 power on,
02 reset: no answer; 04: answer with the ATR); anything longer is a command APDU, answered with
the response APDU. The card is "inserted" while the TCP connection is open.

Debian's vpcd 3.3 writes the length and the payload in two ``send`` calls without TCP_NODELAY, so
with delayed ACKs every APDU waits about 40 ms; re-arming TCP_QUICKACK before every ``recv`` (the
flag does not stick on Linux) brings a round trip down to a fraction of a millisecond.

``VpcdLink.run()`` blocks: it connects, serves, and reconnects with a backoff of 50 ms doubling to
500 ms while pcscd is away. ``remove()``, ``insert()`` and ``stop()`` are thread-safe.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Protocol

__all__ = ["CardApplication", "VpcdLink"]

_LOG = logging.getLogger(__name__)
_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0x00, 0x01, 0x02, 0x04
_BACKOFF_FIRST, _BACKOFF_MAX = 0.05, 0.5


class CardApplication(Protocol):
    """What the transport needs from a card: the ATR, power control and APDU processing."""

    @property
    def atr(self) -> bytes: ...

    def power_on(self) -> None: ...

    def reset(self) -> None: ...

    def process_apdu(self, apdu: bytes) -> bytes: ...


class VpcdLink:
    """Serves ``card`` to the vpcd driver listening on ``host:port`` until ``stop()``."""

    def __init__(
        self, card: CardApplication, host: str, port: int, *, quickack: bool = True
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.quickack = quickack and hasattr(socket, "TCP_QUICKACK")
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._inserted = True
        self._stopping = False
        self._socket: socket.socket | None = None
        self.card_lock = threading.Lock()
        """Held while the card processes an APDU; take it to read the card consistently."""

    @property
    def inserted(self) -> bool:
        """Whether the card should be in the reader (``remove()`` clears, ``insert()`` sets it)."""
        return self._inserted

    @property
    def connected(self) -> bool:
        """Whether a connection to vpcd is open right now."""
        return self._socket is not None

    def remove(self) -> None:
        """Take the card out: close the connection and stay away until ``insert()``."""
        with self._lock:
            self._inserted = False
            self._disconnect()
        self._wake.set()

    def insert(self) -> None:
        """Put the card back: connect again."""
        with self._lock:
            self._inserted = True
        self._wake.set()

    def stop(self) -> None:
        """Make ``run()`` return soon; safe to call from a signal handler or another thread."""
        self._stopping = True
        self._disconnect()
        self._wake.set()

    def run(self) -> None:
        """Connect, serve and reconnect until ``stop()``."""
        backoff = _BACKOFF_FIRST
        while not self._stopping:
            if not self._inserted:
                self._sleep(None)
                continue
            try:
                connection = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError:
                self._sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
                continue
            backoff = _BACKOFF_FIRST
            with self._lock:
                if self._stopping or not self._inserted:
                    connection.close()
                    continue
                self._socket = connection
            _LOG.info("connected to vpcd at %s:%d", self.host, self.port)
            try:
                self._serve(connection)
            except OSError as error:
                _LOG.info("vpcd connection lost: %s", error)
            finally:
                with self._lock:
                    self._socket = None
                connection.close()

    def _sleep(self, seconds: float | None) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _disconnect(self) -> None:
        connection = self._socket
        if connection is not None:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                _LOG.debug("vpcd socket already closed")

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(None)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            message = self._receive(connection)
            if message is None:
                _LOG.info("vpcd closed the connection")
                return
            answer = self._handle(message)
            if answer is not None:
                connection.sendall(len(answer).to_bytes(2, "big") + answer)

    def _handle(self, message: bytes) -> bytes | None:
        with self.card_lock:
            if len(message) != 1:
                return self.card.process_apdu(message)
            control = message[0]
            if control in (_POWER_OFF, _POWER_ON):
                self.card.power_on()
            elif control == _RESET:
                self.card.reset()
            elif control == _GET_ATR:
                return self.card.atr
            else:
                _LOG.warning("unknown vpcd control byte %02X", control)
            return None

    def _receive(self, connection: socket.socket) -> bytes | None:
        header = self._receive_exactly(connection, 2)
        if header is None:
            return None
        length = int.from_bytes(header, "big")
        if length == 0:
            return b""
        return self._receive_exactly(connection, length)

    def _receive_exactly(self, connection: socket.socket, count: int) -> bytes | None:
        chunks = bytearray()
        while len(chunks) < count:
            if self.quickack:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = connection.recv(count - len(chunks))
            if not chunk:
                return None
            chunks += chunk
        return bytes(chunks)
