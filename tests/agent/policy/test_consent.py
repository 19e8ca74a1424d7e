"""The consent store: remembered decisions, HMAC tamper evidence, key sources."""

from __future__ import annotations

import json

from bitaqa.agent.policy.consent import ConsentStore, Decision, file_key

KEY = bytes(range(32))


def store(path, key=KEY):
    return ConsentStore(path, [("keyring", lambda: None), ("test", lambda: key)])


def test_allow_and_deny_survive_reloading_and_both_are_revocable(tmp_path):
    """allow and deny are written and read back; revoke forgets either, in the file too."""
    path = tmp_path / "consent.json"
    first = store(path)
    first.remember("https://a.example", Decision.ALLOW)
    first.remember("https://b.example", Decision.DENY)
    assert first.decision("https://b.example") is Decision.DENY
    assert json.loads(path.read_text())["decisions"] == {
        "https://a.example": "allow",
        "https://b.example": "deny",
    }
    second = store(path)
    assert second.state == "ok"
    assert second.key_storage == "test"
    assert second.remembered() == {
        "https://a.example": Decision.ALLOW,
        "https://b.example": Decision.DENY,
    }
    assert second.decision("https://b.example") is Decision.DENY
    assert second.allowed() == ["https://a.example"]
    assert second.blocked() == ["https://b.example"]
    second.revoke("https://b.example")
    assert second.decision("https://b.example") is None
    assert second.blocked() == []
    third = store(path)
    assert third.remembered() == {"https://a.example": Decision.ALLOW}
    third.revoke("https://a.example")
    assert store(path).remembered() == {}


def test_a_new_answer_replaces_the_remembered_one(tmp_path):
    """An origin has one decision: allowing a blocked site unblocks it, and the other way."""
    path = tmp_path / "consent.json"
    first = store(path)
    first.remember("https://a.example", Decision.DENY)
    first.remember("https://a.example", Decision.ALLOW)
    assert (store(path).allowed(), store(path).blocked()) == (["https://a.example"], [])
    first.remember("https://a.example", Decision.DENY)
    assert (store(path).allowed(), store(path).blocked()) == ([], ["https://a.example"])


def test_an_edited_file_is_reported_tampered_and_read_as_empty(tmp_path):
    """Changing a decision without the key breaks the MAC: state tampered, nothing remembered."""
    path = tmp_path / "consent.json"
    store(path).remember("https://a.example", Decision.ALLOW)
    document = json.loads(path.read_text())
    document["decisions"]["https://b.example"] = "allow"
    path.write_text(json.dumps(document))
    reopened = store(path)
    assert reopened.state == "tampered"
    assert reopened.remembered() == {}


def test_a_removed_deny_is_reported_tampered_and_read_as_empty(tmp_path):
    """Removing or flipping a stored deny without the key is tampering: reported, all asked."""
    path = tmp_path / "consent.json"
    original = store(path)
    original.remember("https://a.example", Decision.ALLOW)
    original.remember("https://b.example", Decision.DENY)
    document = json.loads(path.read_text())
    for edit in ("remove", "flip"):
        edited = json.loads(json.dumps(document))
        if edit == "remove":
            del edited["decisions"]["https://b.example"]
        else:
            edited["decisions"]["https://b.example"] = "allow"
        path.write_text(json.dumps(edited))
        reopened = store(path)
        assert reopened.state == "tampered", edit
        assert reopened.remembered() == {}, edit
        assert reopened.allowed() == reopened.blocked() == [], edit
        assert reopened.decision("https://b.example") is None, edit


def test_a_different_key_cannot_read_the_decisions(tmp_path):
    """A file made under another key (a copied file) is tampered for this install."""
    path = tmp_path / "consent.json"
    store(path, bytes(32)).remember("https://a.example", Decision.ALLOW)
    assert store(path).state == "tampered"


def test_garbage_files_are_unreadable_never_a_crash(tmp_path):
    """Non-JSON, wrong shapes and unknown decision values are 'unreadable' and empty."""
    path = tmp_path / "consent.json"
    for content in (
        b"\xff\x00",
        b"[]",
        b'{"decisions": [], "mac": 1}',
        b'{"decisions": {"x": 5}, "mac": ""}',
    ):
        path.write_bytes(content)
        reopened = store(path)
        assert reopened.state == "unreadable"
        assert reopened.remembered() == {}


def test_file_key_fallback_creates_a_private_key_file_once(tmp_path):
    """Without a keyring the key lives in a 0600 file and stays the same across starts."""
    key_path = tmp_path / "consent.key"
    first = file_key(key_path)()
    assert file_key(key_path)() == first
    assert len(first) == 32
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_listeners_hear_every_change_and_nothing_else(tmp_path):
    """Listeners (the tray's menu) hear remember and revoke, not a revoke that forgot nothing."""
    consent = store(tmp_path / "consent.json")
    changes: list[dict[str, Decision]] = []
    consent.subscribe(lambda: changes.append(consent.remembered()))
    consent.remember("https://a.example", Decision.DENY)
    consent.revoke("https://unknown.example")
    consent.revoke("https://a.example")
    assert changes == [{"https://a.example": Decision.DENY}, {}]


def test_decisions_signed_with_an_unavailable_keyring_are_kept_for_later(tmp_path):
    """A keyring that fails at start-up costs this run its memory, never the stored decisions."""
    path = tmp_path / "consent.json"
    first = ConsentStore(path, [("keyring", lambda: KEY)])
    first.remember("https://a.example", Decision.ALLOW)
    stored = path.read_bytes()

    fallback = ConsentStore(
        path, [("keyring", lambda: None), ("file", file_key(tmp_path / "consent.key"))]
    )
    assert fallback.state == "unavailable"
    assert fallback.decision("https://a.example") is None
    fallback.remember("https://b.example", Decision.DENY)
    assert fallback.decision("https://b.example") is Decision.DENY
    assert path.read_bytes() == stored

    again = ConsentStore(path, [("keyring", lambda: KEY)])
    assert again.state == "ok"
    assert again.remembered() == {"https://a.example": Decision.ALLOW}
