"""A :class:`~bitaqa.validator.nonces.NonceStore` in Redis, shared by several portal processes.

Each nonce is one key ``<prefix><session id>`` holding ``<expiry>|<nonce>``, written with
``SET ... PX`` and taken with ``GETDEL`` (Redis 6.2+), which is atomic: when two servers race for
the same session's nonce, exactly one gets it.  The key's Redis TTL is the nonce's lifetime plus a
grace period, so Redis forgets abandoned nonces by itself while a nonce taken shortly after expiry
is still reported as :class:`~bitaqa.validator.errors.NonceExpired` rather than "not found".

The store needs only a client with redis-py's ``set(name, value, px=...)`` and ``getdel(name)``;
install the ``bitaqa-protocol[redis]`` extra for redis-py itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bitaqa.validator.errors import NonceExpired, NonceNotFound
from bitaqa.validator.nonces import (
    DEFAULT_NONCE_TTL,
    check_session_id,
    generate_challenge_nonce,
    utc_now,
)

__all__ = ["RedisCommands", "RedisNonceStore"]

_GRACE = timedelta(minutes=5)


class RedisCommands(Protocol):
    """The two Redis commands the store uses (a ``redis.Redis`` client provides them)."""

    def set(self, name: str, value: str, *, px: int) -> object:
        """``SET name value PX px``."""

    def getdel(self, name: str) -> bytes | str | None:
        """``GETDEL name``."""


class RedisNonceStore:
    """A :class:`~bitaqa.validator.nonces.NonceStore` backed by Redis.

    ``key_prefix`` separates this portal's keys from other users of the same Redis; ``clock``
    returns an aware datetime and should agree across servers (NTP) within a few seconds.
    """

    def __init__(
        self,
        client: RedisCommands,
        *,
        ttl: timedelta = DEFAULT_NONCE_TTL,
        key_prefix: str = "bitaqa:nonce:",
        clock: Callable[[], datetime] = utc_now,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._client = client
        self._ttl = ttl
        self._prefix = key_prefix
        self._clock = clock
        self._random_bytes = random_bytes

    def issue(self, session_id: str) -> str:
        """See :meth:`bitaqa.validator.nonces.NonceStore.issue`."""
        key = self._prefix + check_session_id(session_id)
        nonce = generate_challenge_nonce(self._random_bytes)
        expires_at = self._clock() + self._ttl
        lifetime_ms = int((self._ttl + _GRACE).total_seconds() * 1000)
        self._client.set(key, f"{expires_at.timestamp():.3f}|{nonce}", px=lifetime_ms)
        return nonce

    def get_and_remove(self, session_id: str) -> str:
        """See :meth:`bitaqa.validator.nonces.NonceStore.get_and_remove`."""
        key = self._prefix + check_session_id(session_id)
        stored = self._client.getdel(key)
        if stored is None:
            raise NonceNotFound("no challenge nonce for this session")
        text = stored.decode("ascii", "replace") if isinstance(stored, bytes) else stored
        expiry, _, nonce = text.partition("|")
        try:
            expires_at = datetime.fromtimestamp(float(expiry), UTC)
        except (ValueError, OverflowError):
            raise NonceNotFound("stored challenge nonce is unreadable") from None
        if not nonce:
            raise NonceNotFound("stored challenge nonce is unreadable")
        if self._clock() > expires_at:
            raise NonceExpired("challenge nonce expired")
        return nonce
