"""Per-origin rate limits on prompts and card operations, and the back-off after refusals.

Invariant 8: a page must not be able to flood the resident with dialogs or wear out the card.

* Prompts (consent and PIN dialogs) and card operations each have a token bucket per origin.
* After a dialog is cancelled, denied or left to time out, that origin may not open another
  dialog for a back-off period that doubles with every further refusal (up to a ceiling) and is
  reset when the resident accepts one.  So ``while (true) authenticate()`` shows one dialog, then
  answers RATE_LIMITED with ``retryAfter`` until the back-off ends.

The clock is injected (``time.monotonic`` in the agent), so tests drive time by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from bitaqa.agent.errors import RateLimited

__all__ = ["Bucket", "RateLimiter", "RateLimits"]


@dataclass(frozen=True)
class Bucket:
    """A token bucket: ``capacity`` at once, refilled at ``per_second``."""

    capacity: float
    per_second: float


@dataclass(frozen=True)
class RateLimits:
    """The agent's limits; defaults suit a resident clicking through a portal."""

    prompts: Bucket = Bucket(capacity=8, per_second=1 / 5)
    card_operations: Bucket = Bucket(capacity=30, per_second=2)
    first_backoff_seconds: float = 5
    max_backoff_seconds: float = 300


@dataclass
class _OriginState:
    tokens: dict[str, float] = field(default_factory=dict)
    updated: dict[str, float] = field(default_factory=dict)
    blocked_until: float = 0.0
    backoff: float = 0.0


class RateLimiter:
    """Decides, per origin, whether a prompt or card operation may start now."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self._limits = limits
        self._clock = clock
        self._origins: dict[str, _OriginState] = {}

    def _state(self, origin: str) -> _OriginState:
        return self._origins.setdefault(origin, _OriginState())

    def _take(self, origin: str, kind: str, bucket: Bucket) -> None:
        state = self._state(origin)
        now = self._clock()
        tokens = state.tokens.get(kind, bucket.capacity)
        elapsed = now - state.updated.get(kind, now)
        tokens = min(bucket.capacity, tokens + elapsed * bucket.per_second)
        state.updated[kind] = now
        if tokens < 1:
            state.tokens[kind] = tokens
            raise RateLimited(math.ceil((1 - tokens) / bucket.per_second))
        state.tokens[kind] = tokens - 1

    def allow_prompt(self, origin: str) -> None:
        """Consume one prompt for ``origin`` or raise :class:`RateLimited`."""
        state = self._state(origin)
        wait = state.blocked_until - self._clock()
        if wait > 0:
            raise RateLimited(math.ceil(wait))
        self._take(origin, "prompt", self._limits.prompts)

    def allow_card_operation(self, origin: str) -> None:
        """Consume one card operation for ``origin`` or raise :class:`RateLimited`."""
        self._take(origin, "card", self._limits.card_operations)

    def prompt_refused(self, origin: str) -> None:
        """A dialog for ``origin`` was cancelled, denied or timed out: start or double back-off."""
        state = self._state(origin)
        state.backoff = min(
            self._limits.max_backoff_seconds,
            state.backoff * 2 if state.backoff else self._limits.first_backoff_seconds,
        )
        state.blocked_until = self._clock() + state.backoff

    def prompt_accepted(self, origin: str) -> None:
        """The resident answered a dialog for ``origin`` positively: clear its back-off."""
        state = self._state(origin)
        state.backoff = 0.0
        state.blocked_until = 0.0
