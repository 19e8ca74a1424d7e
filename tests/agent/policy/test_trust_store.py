"""Loading trust lists from the policy folders: versions, rollback, fallback, local entries."""

from __future__ import annotations

import json

from bitaqa.agent.policy.trust import TrustLocations, TrustStore

NOW = 2_000_000_000


def locations(tmp_path, authority):
    system, user = tmp_path / "system", tmp_path / "user"
    (system / "authority-keys").mkdir(parents=True)
    (system / "authority-keys" / f"{authority.authority_kid}.pem").write_bytes(
        authority.authority_pem()
    )
    user.mkdir()
    return TrustLocations(system, user)


def write_list(path, authority, version, entries=None, **options):
    path.write_text(authority.trust_list(version, entries, issued_at=NOW - 100, **options))


def test_the_highest_valid_candidate_wins_and_is_remembered(tmp_path, trust_authority):
    """System v2 and user v3: v3 is used, its version and a copy are kept."""
    where = locations(tmp_path, trust_authority)
    write_list(where.system_dir / "trust-list.jws", trust_authority, 2)
    write_list(where.user_dir / "trust-list.jws", trust_authority, 3)
    store = TrustStore(where, lambda: NOW)
    assert store.report == {"version": 3, "state": "ok", "problems": {}}
    assert json.loads(where.state.read_text()) == {"highestVersion": 3}
    assert where.last_good.read_text() == (where.user_dir / "trust-list.jws").read_text()
    assert "https://portal.example" in store.origins()
    assert store.entry("https://portal.example").name.en.startswith("Test portal")


def test_rollback_falls_back_to_the_last_good_list(tmp_path, trust_authority):
    """After v4 was accepted, a lone v3 is refused and the stored v4 is used."""
    where = locations(tmp_path, trust_authority)
    candidate = where.system_dir / "trust-list.jws"
    write_list(candidate, trust_authority, 4)
    TrustStore(where, lambda: NOW)
    write_list(candidate, trust_authority, 3, [trust_authority.entry("https://rollback.example")])
    store = TrustStore(where, lambda: NOW)
    assert store.report["version"] == 4
    assert store.report["state"] == "fallback"
    assert store.report["problems"] == {"version 3": "ROLLBACK"}
    assert "https://rollback.example" not in store.origins()


def test_without_any_valid_list_only_local_entries_apply(tmp_path, trust_authority):
    """A list signed by an unknown key is refused; IT's local entries still work when allowed."""
    where = locations(tmp_path, trust_authority)
    (where.keys / f"{trust_authority.authority_kid}.pem").unlink()
    write_list(where.system_dir / "trust-list.jws", trust_authority, 1)
    policy = {"allowLocalEntries": True, "entries": [trust_authority.entry("https://it.example")]}
    where.policy.write_text(json.dumps(policy))
    store = TrustStore(where, lambda: NOW)
    assert store.report["state"] == "none"
    assert store.origins() == frozenset({"https://it.example"})


def test_an_expiring_list_is_reloaded_on_use(tmp_path, trust_authority):
    """When the accepted list expires while running, the next lookup reloads and reports it."""
    where = locations(tmp_path, trust_authority)
    write_list(where.system_dir / "trust-list.jws", trust_authority, 1, lifetime=200)
    clock = [NOW]
    store = TrustStore(where, lambda: clock[0])
    assert "https://portal.example" in store.origins()
    clock[0] = NOW + 200
    assert store.origins() == frozenset()
    assert store.report["state"] == "none"
    assert set(store.report["problems"].values()) == {"EXPIRED"}


def test_an_invalid_policy_file_is_reported_not_fatal(tmp_path, trust_authority):
    """An invalid policy.json is reported as POLICY_INVALID; the signed list still works."""
    where = locations(tmp_path, trust_authority)
    write_list(where.system_dir / "trust-list.jws", trust_authority, 1)
    where.policy.write_text('{"surprise": true}')
    store = TrustStore(where, lambda: NOW)
    assert store.report["problems"] == {str(where.policy): "POLICY_INVALID"}
    assert "https://portal.example" in store.origins()
