"""RedisNonceStore against a real redis-server: single use across several portal servers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis

from bitaqa.testing.pki import IssuedCertificate
from bitaqa.testing.tokens import make_auth_token
from bitaqa.validator import NonceExpired, NonceNotFound
from bitaqa.validator.redis_nonces import RedisNonceStore
from support.redis import RedisServer
from validator.values import NOW, ORIGIN, ValidatorFactory


@pytest.fixture
def clients(redis_server: RedisServer) -> Iterator[list[redis.Redis]]:
    """Two clients, as two portal server processes would have."""
    opened = [redis_server.client(), redis_server.client()]
    try:
        yield opened
    finally:
        for client in opened:
            client.close()


def test_nonce_is_returned_once(clients: list[redis.Redis]) -> None:
    """The issued nonce comes back once, then NonceNotFound."""
    store = RedisNonceStore(clients[0])
    nonce = store.issue("session-a")
    assert len(nonce) == 44
    assert store.get_and_remove("session-a") == nonce
    with pytest.raises(NonceNotFound):
        store.get_and_remove("session-a")


def test_key_has_a_redis_ttl(clients: list[redis.Redis]) -> None:
    """Abandoned nonces vanish by themselves: the key expires after ttl plus grace."""
    store = RedisNonceStore(clients[0], ttl=timedelta(minutes=5), key_prefix="portal:")
    store.issue("session-a")
    remaining_ms = clients[0].pttl("portal:session-a")
    assert timedelta(minutes=5) < timedelta(milliseconds=remaining_ms) <= timedelta(minutes=10)


def test_expired_nonce_is_refused_and_removed(clients: list[redis.Redis]) -> None:
    """A nonce taken after its ttl raises NonceExpired, and is gone afterwards."""
    now = [NOW]
    store = RedisNonceStore(clients[0], clock=lambda: now[0])
    store.issue("session-a")
    now[0] = NOW + timedelta(minutes=5, seconds=1)
    with pytest.raises(NonceExpired):
        store.get_and_remove("session-a")
    with pytest.raises(NonceNotFound):
        store.get_and_remove("session-a")


def test_nonce_used_on_one_server_cannot_be_used_on_another(
    clients: list[redis.Redis], make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """Two validator processes sharing Redis: a login on A burns the nonce for B."""
    server_a = (RedisNonceStore(clients[0]), make_validator())
    server_b = (RedisNonceStore(clients[1]), make_validator())
    nonce = server_a[0].issue("session-a")
    token_text = make_auth_token(holder, ORIGIN, nonce)

    store, validator = server_a
    holder_seen = validator.validate(validator.parse(token_text), store.get_and_remove("session-a"))
    assert holder_seen.national_id == "900101234"

    store, validator = server_b
    with pytest.raises(NonceNotFound):
        validator.validate(validator.parse(token_text), store.get_and_remove("session-a"))


def test_racing_servers_get_the_nonce_exactly_once(redis_server: RedisServer) -> None:
    """Eight clients racing GETDEL on one session: exactly one wins."""
    setup = redis_server.client()
    RedisNonceStore(setup).issue("session-a")
    setup.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        client = redis_server.client()
        try:
            barrier.wait()
            outcomes.append(RedisNonceStore(client).get_and_remove("session-a"))
        except NonceNotFound:
            outcomes.append("not found")
        finally:
            client.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("not found") == 7


def test_sessions_and_prefixes_are_separate(clients: list[redis.Redis]) -> None:
    """Another session, or another portal's prefix, cannot take the nonce."""
    portal = RedisNonceStore(clients[0], key_prefix="portal-a:")
    other_portal = RedisNonceStore(clients[1], key_prefix="portal-b:")
    nonce = portal.issue("session-a")
    with pytest.raises(NonceNotFound):
        portal.get_and_remove("session-b")
    with pytest.raises(NonceNotFound):
        other_portal.get_and_remove("session-a")
    assert portal.get_and_remove("session-a") == nonce


def test_unreadable_stored_value_is_not_found(clients: list[redis.Redis]) -> None:
    """A foreign value under the key is treated as no nonce, not a crash."""
    clients[0].set("bitaqa:nonce:session-a", "garbage")
    with pytest.raises(NonceNotFound):
        RedisNonceStore(clients[0]).get_and_remove("session-a")
