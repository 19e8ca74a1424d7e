"""Challenge nonces: generation and single-use stores bound to the browser session.

The portal issues one nonce per login attempt and stores it under the browser session's id; the
token is validated against the nonce it takes back out of the store, never against a nonce the
request carries.  ``get_and_remove`` removes the nonce *before* checking its expiry, as Web eID
does, so a nonce can be used at most once even when it has expired (``webeid.md`` §2.1).

:class:`MemoryNonceStore` serves one process;
:class:`~bitaqa.validator.redis_nonces.RedisNonceStore` serves several processes or machines
sharing one Redis.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bitaqa.validator.errors import NonceExpired, NonceNotFound

__all__ = [
    "DEFAULT_NONCE_TTL",
    "NONCE_BYTES",
    "MemoryNonceStore",
    "NonceStore",
    "check_session_id",
    "generate_challenge_nonce",
    "utc_now",
]

NONCE_BYTES = 32
"""Random bytes in a nonce (256 bits, as Web eID requires); base64 makes 44 characters."""
DEFAULT_NONCE_TTL = timedelta(minutes=5)
"""How long an issued nonce may be used."""
MAX_SESSION_ID_LENGTH = 512


def utc_now() -> datetime:
    """The current time as an aware UTC datetime (the default clock everywhere in the validator)."""
    return datetime.now(UTC)


def generate_challenge_nonce(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """Return a new challenge nonce: 32 random bytes in standard base64 (44 characters)."""
    data = random_bytes(NONCE_BYTES)
    if len(data) != NONCE_BYTES:
        raise ValueError("random_bytes returned the wrong number of bytes")
    return base64.b64encode(data).decode("ascii")


def check_session_id(session_id: str) -> str:
    """Return ``session_id`` if it is a non-empty string of at most 512 characters.

    Raises ``ValueError`` otherwise: a missing session id is the portal's bug, not the user's.
    """
    if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SESSION_ID_LENGTH:
        raise ValueError("session_id must be a non-empty string of at most 512 characters")
    return session_id


class NonceStore(Protocol):
    """Where a portal keeps the one outstanding challenge nonce of each browser session."""

    def issue(self, session_id: str) -> str:
        """Create a nonce for ``session_id``, replacing any earlier one, and return it."""

    def get_and_remove(self, session_id: str) -> str:
        """Remove and return the session's nonce.

        Raises :class:`NonceNotFound` if there is none (never issued or already used) and
        :class:`NonceExpired` if it had expired (it is removed all the same).
        """


@dataclass(frozen=True)
class _Entry:
    nonce: str
    expires_at: datetime


class MemoryNonceStore:
    """A thread-safe in-process :class:`NonceStore`.

    ``clock`` returns an aware datetime; ``random_bytes`` feeds :func:`generate_challenge_nonce`.
    Expired entries that are never taken back are swept out (at most once per ``ttl``) by
    ``issue``.
    """

    def __init__(
        self,
        *,
        ttl: timedelta = DEFAULT_NONCE_TTL,
        clock: Callable[[], datetime] = utc_now,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._ttl = ttl
        self._clock = clock
        self._random_bytes = random_bytes
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._next_purge = clock()

    def __len__(self) -> int:
        """The number of stored nonces, expired ones not yet purged included."""
        with self._lock:
            return len(self._entries)

    def issue(self, session_id: str) -> str:
        """See :meth:`NonceStore.issue`."""
        check_session_id(session_id)
        nonce = generate_challenge_nonce(self._random_bytes)
        now = self._clock()
        with self._lock:
            self._purge(now)
            self._entries[session_id] = _Entry(nonce, now + self._ttl)
        return nonce

    def get_and_remove(self, session_id: str) -> str:
        """See :meth:`NonceStore.get_and_remove`."""
        check_session_id(session_id)
        with self._lock:
            entry = self._entries.pop(session_id, None)
        if entry is None:
            raise NonceNotFound("no challenge nonce for this session")
        if self._clock() > entry.expires_at:
            raise NonceExpired("challenge nonce expired")
        return entry.nonce

    def _purge(self, now: datetime) -> None:
        # A full sweep at most once per ttl keeps issue() O(1) amortised.
        if now < self._next_purge:
            return
        self._next_purge = now + self._ttl
        expired = [key for key, entry in self._entries.items() if entry.expires_at < now]
        for key in expired:
            del self._entries[key]
