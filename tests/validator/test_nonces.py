"""Challenge nonces and the in-memory single-use store."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bitaqa.validator import (
    MemoryNonceStore,
    NonceExpired,
    NonceNotFound,
    generate_challenge_nonce,
)


class Clock:
    """A settable clock for expiry tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_nonce_is_32_random_bytes_in_standard_base64() -> None:
    """A nonce is 44 base64 characters encoding exactly the 32 bytes the source gave."""
    nonce = generate_challenge_nonce(lambda size: bytes(range(size)))
    assert len(nonce) == 44
    assert base64.b64decode(nonce, validate=True) == bytes(range(32))


def test_nonces_differ_with_the_default_source() -> None:
    """Two nonces from os.urandom are different."""
    assert generate_challenge_nonce() != generate_challenge_nonce()


def test_short_random_source_is_refused() -> None:
    """A random source that returns too few bytes is a programming error."""
    with pytest.raises(ValueError, match="wrong number of bytes"):
        generate_challenge_nonce(lambda size: b"\0" * (size - 1))


def test_issued_nonce_is_returned_once() -> None:
    """get_and_remove returns the issued nonce, then NonceNotFound."""
    store = MemoryNonceStore()
    nonce = store.issue("session-a")
    assert store.get_and_remove("session-a") == nonce
    with pytest.raises(NonceNotFound):
        store.get_and_remove("session-a")


def test_nonce_is_bound_to_its_session() -> None:
    """Another session cannot take a session's nonce."""
    store = MemoryNonceStore()
    store.issue("session-a")
    with pytest.raises(NonceNotFound):
        store.get_and_remove("session-b")


def test_reissuing_replaces_the_earlier_nonce() -> None:
    """A new login attempt in the same session replaces the old nonce."""
    store = MemoryNonceStore()
    store.issue("session-a")
    newer = store.issue("session-a")
    assert store.get_and_remove("session-a") == newer
    assert len(store) == 0


def test_expired_nonce_is_refused_and_removed() -> None:
    """After the ttl the nonce raises NonceExpired once, then NonceNotFound."""
    clock = Clock()
    store = MemoryNonceStore(ttl=timedelta(minutes=5), clock=clock)
    store.issue("session-a")
    clock.now += timedelta(minutes=5, seconds=1)
    with pytest.raises(NonceExpired):
        store.get_and_remove("session-a")
    with pytest.raises(NonceNotFound):
        store.get_and_remove("session-a")


def test_nonce_is_valid_until_the_ttl() -> None:
    """A nonce taken exactly at its expiry time is still accepted."""
    clock = Clock()
    store = MemoryNonceStore(ttl=timedelta(minutes=5), clock=clock)
    nonce = store.issue("session-a")
    clock.now += timedelta(minutes=5)
    assert store.get_and_remove("session-a") == nonce


def test_abandoned_nonces_are_purged() -> None:
    """Nonces never taken back are swept out by later issues once expired."""
    clock = Clock()
    store = MemoryNonceStore(ttl=timedelta(minutes=5), clock=clock)
    for index in range(100):
        store.issue(f"abandoned-{index}")
    clock.now += timedelta(minutes=6)
    store.issue("fresh")
    assert len(store) == 1


def test_concurrent_takers_get_the_nonce_exactly_once() -> None:
    """Of many threads racing for one session's nonce, exactly one wins."""
    store = MemoryNonceStore()
    store.issue("session-a")
    results: list[str] = []
    barrier = threading.Barrier(16)

    def take() -> None:
        barrier.wait()
        try:
            results.append(store.get_and_remove("session-a"))
        except NonceNotFound:
            results.append("not found")

    threads = [threading.Thread(target=take) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("not found") == 15


@pytest.mark.parametrize("session_id", ["", "x" * 513, None])
def test_missing_or_oversized_session_id_is_a_programming_error(session_id: object) -> None:
    """The session id must be a non-empty string of at most 512 characters."""
    store = MemoryNonceStore()
    with pytest.raises(ValueError, match="session_id"):
        store.issue(session_id)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="session_id"):
        store.get_and_remove(session_id)  # type: ignore[arg-type]


def test_non_positive_ttl_is_refused() -> None:
    """A zero ttl would make every nonce expire at once."""
    with pytest.raises(ValueError, match="ttl"):
        MemoryNonceStore(ttl=timedelta(0))
