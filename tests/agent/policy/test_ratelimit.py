"""Per-origin token buckets and refusal back-off (pure logic, hand-driven clock)."""

from __future__ import annotations

import pytest

from bitaqa.agent.errors import RateLimited
from bitaqa.agent.policy.ratelimit import Bucket, RateLimiter, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


LIMITS = RateLimits(
    prompts=Bucket(capacity=3, per_second=1.0),
    card_operations=Bucket(capacity=2, per_second=0.5),
    first_backoff_seconds=5,
    max_backoff_seconds=20,
)


def test_prompt_bucket_empties_then_refills():
    """Three prompts pass, the fourth waits one second, then one more passes."""
    clock = Clock()
    limiter = RateLimiter(LIMITS, clock)
    for _ in range(3):
        limiter.allow_prompt("https://a.example")
    with pytest.raises(RateLimited) as limited:
        limiter.allow_prompt("https://a.example")
    assert limited.value.data == {"retryAfter": 1}
    clock.now += 1
    limiter.allow_prompt("https://a.example")


def test_limits_are_per_origin():
    """One origin's exhausted bucket does not limit another origin."""
    limiter = RateLimiter(LIMITS, Clock())
    for _ in range(2):
        limiter.allow_card_operation("https://a.example")
    with pytest.raises(RateLimited):
        limiter.allow_card_operation("https://a.example")
    limiter.allow_card_operation("https://b.example")


def test_refusals_double_the_backoff_up_to_the_ceiling_and_acceptance_clears_it():
    """Each refused dialog doubles the wait (5, 10, 20, 20 s); an accepted one resets it."""
    clock = Clock()
    limiter = RateLimiter(LIMITS, clock)
    waits = []
    for _ in range(4):
        limiter.prompt_refused("https://a.example")
        with pytest.raises(RateLimited) as limited:
            limiter.allow_prompt("https://a.example")
        waits.append(limited.value.data["retryAfter"])
        clock.now += waits[-1]
    assert waits == [5, 10, 20, 20]
    limiter.allow_prompt("https://a.example")
    limiter.prompt_accepted("https://a.example")
    limiter.prompt_refused("https://a.example")
    with pytest.raises(RateLimited) as limited:
        limiter.allow_prompt("https://a.example")
    assert limited.value.data == {"retryAfter": 5}
