"""PIN and PUK reference data with a retry counter (SP 800-73-4 Part 2 §3.2.1, §3.2.2, §3.2.3).

Values travel in the 8-byte PIV format: ASCII digits padded with 0xFF. Comparisons run in constant
time, and a value is never logged or echoed.
"""

from __future__ import annotations

import hmac
import re

from bitaqa.vcard.apdu import SW_BLOCKED, SW_INCORRECT_DATA, CardStatus

__all__ = ["ReferenceData", "pad_pin"]

_FORMAT = re.compile(rb"[0-9]{6,8}\xff{0,2}")


def pad_pin(value: str) -> bytes:
    """Return ``value`` (digits) in the 8-byte PIV format, padded with 0xFF."""
    return value.encode("ascii").ljust(8, b"\xff")


class ReferenceData:
    """One PIN or PUK: its value, the tries left and the maximum; blocked when no tries are left."""

    def __init__(self, value: str, max_tries: int, *, min_length: int = 6) -> None:
        self._value = pad_pin(value)
        self._min_length = min_length
        self.max_tries = max_tries
        self.tries_left = max_tries

    @property
    def blocked(self) -> bool:
        """True when the retry counter is exhausted."""
        return self.tries_left == 0

    def check_format(self, candidate: bytes) -> None:
        """Raise ``CardStatus(6A80)`` unless ``candidate`` is 8 bytes of digits + 0xFF padding."""
        if len(candidate) != 8 or not _FORMAT.fullmatch(candidate):
            raise CardStatus(SW_INCORRECT_DATA)
        if len(candidate.rstrip(b"\xff")) < self._min_length:
            raise CardStatus(SW_INCORRECT_DATA)

    def verify(self, candidate: bytes) -> None:
        """Compare ``candidate``; on a match reset the counter, else count down and raise 63Cx.

        A blocked reference raises 6983 without comparing.
        """
        if self.blocked:
            raise CardStatus(SW_BLOCKED)
        self.check_format(candidate)
        if hmac.compare_digest(candidate, self._value):
            self.tries_left = self.max_tries
            return
        self.tries_left -= 1
        raise CardStatus(0x63C0 | self.tries_left)

    def replace(self, new_value: bytes) -> None:
        """Set a new value (already in the padded format) and reset the retry counter."""
        self.check_format(new_value)
        self._value = bytes(new_value)
        self.tries_left = self.max_tries
