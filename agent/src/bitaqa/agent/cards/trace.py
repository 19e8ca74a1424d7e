"""APDU counting and the debug-level APDU trace, shared by every transport.

The trace logs each command and response at DEBUG on the ``bitaqa.agent.cards.apdu`` logger.  The
data field of commands that carry PINs or PUKs -- VERIFY (``20``), CHANGE REFERENCE DATA (``24``)
and RESET RETRY COUNTER (``2C``) -- is never formatted: only its length is (invariant 6).

:class:`ApduCounter` counts commands, bytes sent and received, and commands per instruction byte;
benchmarks and tests read it through ``transport.counter``.
"""

from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass, field

__all__ = ["ApduCounter", "ApduCounts", "describe_command", "log_exchange"]

_LOGGER = logging.getLogger("bitaqa.agent.cards.apdu")
_SECRET_INSTRUCTIONS = frozenset({0x20, 0x24, 0x2C})


@dataclass(frozen=True)
class ApduCounts:
    """A snapshot of an :class:`ApduCounter`."""

    commands: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    by_instruction: dict[int, int] = field(default_factory=dict)

    def __sub__(self, earlier: ApduCounts) -> ApduCounts:
        """The traffic between ``earlier`` and this snapshot."""
        instructions = collections.Counter(self.by_instruction)
        instructions.subtract(earlier.by_instruction)
        return ApduCounts(
            self.commands - earlier.commands,
            self.bytes_sent - earlier.bytes_sent,
            self.bytes_received - earlier.bytes_received,
            {ins: n for ins, n in instructions.items() if n},
        )


class ApduCounter:
    """Thread-safe running totals of the APDUs a transport exchanged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._commands = 0
        self._sent = 0
        self._received = 0
        self._by_instruction: collections.Counter[int] = collections.Counter()

    def record(self, command: bytes | bytearray, response: bytes) -> None:
        """Count one command and its response."""
        with self._lock:
            self._commands += 1
            self._sent += len(command)
            self._received += len(response)
            if len(command) >= 2:
                self._by_instruction[command[1]] += 1

    def snapshot(self) -> ApduCounts:
        """The totals so far."""
        with self._lock:
            return ApduCounts(
                self._commands, self._sent, self._received, dict(self._by_instruction)
            )


def describe_command(command: bytes | bytearray) -> str:
    """Hex of ``command`` for the trace, with PIN-bearing data replaced by its length."""
    if len(command) > 4 and command[1] in _SECRET_INSTRUCTIONS:
        return f"{bytes(command[:4]).hex(' ')} <{len(command) - 4} bytes redacted>"
    return bytes(command).hex(" ")


def log_exchange(
    reader: str, command: bytes | bytearray, response: bytes, elapsed_seconds: float
) -> None:
    """Write one exchange to the DEBUG trace (cheap no-op when DEBUG is off)."""
    if _LOGGER.isEnabledFor(logging.DEBUG):
        _LOGGER.debug(
            "%s > %s < %s (%.1f ms)",
            reader,
            describe_command(command),
            response.hex(" "),
            elapsed_seconds * 1000,
        )
