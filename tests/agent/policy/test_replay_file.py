"""The on-disk replay cache: persisted before acceptance, purged after expiry, fail-closed."""

from __future__ import annotations

from bitaqa.agent.policy.replay import FileReplayCache


def test_a_jti_is_refused_after_reopening_until_it_expires(tmp_path):
    """A remembered jti survives a restart; after its expiry it is forgotten."""
    path = tmp_path / "replay.json"
    cache = FileReplayCache(path, now=1000)
    assert cache.check_and_remember("jti-one-0000000001", 1300, 1000)
    assert not cache.check_and_remember("jti-one-0000000001", 1300, 1001)
    reopened = FileReplayCache(path, now=1200)
    assert not reopened.check_and_remember("jti-one-0000000001", 1300, 1200)
    later = FileReplayCache(path, now=1301)
    assert len(later) == 0


def test_a_cache_that_cannot_be_persisted_refuses_and_forgets(tmp_path):
    """Writing into a path whose parent is a file fails: refused, and not remembered in memory."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = FileReplayCache(blocker / "replay.json", now=1000)
    assert not cache.check_and_remember("jti-two-0000000002", 1300, 1000)
    assert len(cache) == 0


def test_a_corrupt_cache_file_is_reported_and_replaced(tmp_path):
    """Garbage on disk: state 'unreadable', empty cache, the next write replaces it."""
    path = tmp_path / "replay.json"
    path.write_text("{not json")
    cache = FileReplayCache(path, now=1000)
    assert cache.state == "unreadable"
    assert cache.check_and_remember("jti-three-000000003", 1300, 1000)
    assert FileReplayCache(path, now=1000).state == "ok"
