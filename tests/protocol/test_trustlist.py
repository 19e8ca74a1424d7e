"""The trust list: shared vectors, rollback, expiry, local policy and the merge rule."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.protocol.errors import ErrorCode, TrustListError
from bitaqa.protocol.signed_request import (
    MemoryReplayCache,
    encode_signed_request,
    verify_signed_request,
)
from bitaqa.protocol.trustlist import (
    LocalPolicy,
    TrustList,
    TrustListReason,
    TrustListRejectedError,
    choose_trust_list,
    effective_trust_list,
    encode_trust_list,
    parse_local_policy,
    parse_trust_list,
    public_jwk,
)

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "protocol/vectors/trust-lists.json").read_text()
)
AUTHORITY_KEYS: dict[str, Any] = {
    kid: jwt.PyJWK(entry["publicJwk"]).key for kid, entry in VECTORS["authorityKeys"].items()
}
NOW = 1_800_000_000
AUTHORITY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
PORTAL = ec.derive_private_key(0xF00D, ec.SECP256R1())
INTRANET = ec.derive_private_key(0xBEEF, ec.SECP384R1())


def entry(origin: str, key: Any = PORTAL, kid: str = "portal-1", **changes: Any) -> dict[str, Any]:
    return {
        "origin": origin,
        "name": {"ar": "البوابة", "en": "The portal"},
        "keys": [public_jwk(key.public_key(), kid)],
        "operations": ["authenticate", "sign"],
        "authenticateRequiresSignedRequest": False,
    } | changes


def signed_list(*entries: dict[str, Any], version: int = 3) -> TrustList:
    token = encode_trust_list(
        version=version,
        issued_at=NOW - 60,
        expires_at=NOW + 3600,
        entries=entries,
        private_key=AUTHORITY,
        kid="authority",
    )
    return parse_trust_list(token, authority_keys={"authority": AUTHORITY.public_key()}, now=NOW)


SAFE = 2**53 - 1
ENTRY_MEMBERS = ["origin", "name", "keys", "operations", "authenticateRequiresSignedRequest"]


def run_vector(vector: dict[str, Any]) -> TrustList:
    keys = {kid: AUTHORITY_KEYS[kid] for kid in vector["authorityKeys"]}
    parsed = parse_trust_list(vector["token"], authority_keys=keys, now=vector["now"])
    return choose_trust_list(vector["currentVersion"], parsed)


VALID = [vector for vector in VECTORS["vectors"] if vector["expect"]["valid"]]
INVALID = [vector for vector in VECTORS["vectors"] if not vector["expect"]["valid"]]
POLICIES = VECTORS["localPolicies"]


@pytest.mark.parametrize("vector", VALID, ids=[vector["name"] for vector in VALID])
def test_valid_vector_is_accepted_with_its_entries(vector: dict[str, Any]) -> None:
    """Each valid list yields its version, its origins in order and each origin's key ids."""
    trust_list = run_vector(vector)
    expect = vector["expect"]
    assert trust_list.version == expect["version"]
    assert [item.origin for item in trust_list.entries] == expect["origins"]
    for origin, kids in expect["keyIds"].items():
        found = trust_list.entry_for(origin)
        assert found is not None
        assert [key.kid for key in found.keys] == kids
        assert set(found.request_keys) == set(kids)


@pytest.mark.parametrize("vector", INVALID, ids=[vector["name"] for vector in INVALID])
def test_invalid_vector_is_refused_with_its_reason(vector: dict[str, Any]) -> None:
    """Each invalid list is refused with ORIGIN_NOT_ALLOWED and the vector's reason."""
    with pytest.raises(TrustListRejectedError) as caught:
        run_vector(vector)
    assert caught.value.code.name == vector["expect"]["error"]
    assert caught.value.reason.value == vector["expect"]["reason"]


@pytest.mark.parametrize("vector", POLICIES, ids=[vector["name"] for vector in POLICIES])
def test_local_policy_vector(vector: dict[str, Any]) -> None:
    """Each local policy file parses to its origins or is refused with its reason."""
    if vector["expect"]["valid"]:
        policy = parse_local_policy(vector["policy"])
        assert [item.origin for item in policy.entries] == vector["expect"]["origins"]
        assert all(item.local for item in policy.entries)
    else:
        with pytest.raises(TrustListRejectedError) as caught:
            parse_local_policy(vector["policy"])
        assert caught.value.reason.value == vector["expect"]["reason"]


def test_vectors_cover_every_reason() -> None:
    """Every refusal reason appears in the vector file."""
    reasons = {
        vector["expect"]["reason"] for vector in INVALID + POLICIES if "reason" in vector["expect"]
    }
    assert reasons == {reason.value for reason in TrustListReason}


def test_entry_keys_verify_that_portals_signed_requests() -> None:
    """The keys a list pins for an origin are the ones its signed requests verify with."""
    trust_list = signed_list(entry("https://portal.example"))
    found = trust_list.entry_for("https://portal.example")
    assert found is not None
    token = encode_signed_request(
        {
            "origin": "https://portal.example",
            "op": "getSigningCertificate",
            "jti": "0123456789abcdef",
            "iat": NOW,
            "exp": NOW + 60,
        },
        PORTAL,
        "portal-1",
    )
    request = verify_signed_request(
        token,
        trusted_keys=found.request_keys,
        origin=found.origin,
        operation="getSigningCertificate",
        now=NOW,
        replay_cache=MemoryReplayCache(),
    )
    assert request.key_id == "portal-1"


def test_which_operations_need_a_signed_request() -> None:
    """sign and readIdentity always need one; authenticate only when the entry says so."""
    strict = signed_list(entry("https://a.example", authenticateRequiresSignedRequest=True))
    relaxed = signed_list(entry("https://a.example"))
    for trust_list, authenticate in ((strict, True), (relaxed, False)):
        found = trust_list.entry_for("https://a.example")
        assert found is not None
        assert found.requires_signed_request("sign")
        assert found.requires_signed_request("readIdentity")
        assert not found.requires_signed_request("getSigningCertificate")
        assert found.requires_signed_request("authenticate") is authenticate


def test_entry_for_unknown_origin_is_none() -> None:
    """Lookup is by exact normal-form origin."""
    trust_list = signed_list(entry("https://portal.example"))
    assert trust_list.entry_for("https://portal.example:443") is None
    assert trust_list.entry_for("https://other.example") is None


def test_rollback_rule_keeps_the_highest_version() -> None:
    """A first list is accepted; a lower version than the current one is refused as rollback."""
    candidate = signed_list(entry("https://portal.example"), version=5)
    assert choose_trust_list(None, candidate) is candidate
    assert choose_trust_list(5, candidate) is candidate
    with pytest.raises(TrustListRejectedError) as caught:
        choose_trust_list(6, candidate)
    assert caught.value.reason is TrustListReason.ROLLBACK
    assert caught.value.code is ErrorCode.ORIGIN_NOT_ALLOWED


def policy(**members: Any) -> LocalPolicy:
    return parse_local_policy(json.dumps(members))


def test_local_entries_are_added_only_when_allowed() -> None:
    """Local entries for new origins join the list only with allowLocalEntries."""
    signed = signed_list(entry("https://portal.example"))
    local = [entry("https://intranet.example", INTRANET, "intranet-1")]
    ignored = effective_trust_list(signed, policy(entries=local))
    assert [item.origin for item in ignored.entries] == ["https://portal.example"]
    merged = effective_trust_list(signed, policy(allowLocalEntries=True, entries=local))
    assert [item.origin for item in merged.entries] == [
        "https://portal.example",
        "https://intranet.example",
    ]
    added = merged.entry_for("https://intranet.example")
    assert added is not None
    assert added.local
    assert merged.version == 3


def test_signed_entry_wins_unless_policy_overrides() -> None:
    """A local entry cannot swap a signed origin's keys unless overrideSignedEntries is set."""
    signed = signed_list(entry("https://portal.example"))
    local = [entry("https://portal.example", INTRANET, "replacement")]
    kept = effective_trust_list(signed, policy(allowLocalEntries=True, entries=local))
    kept_entry = kept.entry_for("https://portal.example")
    assert kept_entry is not None
    assert [key.kid for key in kept_entry.keys] == ["portal-1"]
    replaced = effective_trust_list(
        signed, policy(allowLocalEntries=True, overrideSignedEntries=True, entries=local)
    )
    replaced_entry = replaced.entry_for("https://portal.example")
    assert replaced_entry is not None
    assert [key.kid for key in replaced_entry.keys] == ["replacement"]
    assert replaced_entry.local


def test_effective_list_without_signed_list_has_only_local_entries() -> None:
    """With no valid signed list, only local entries (if allowed) remain; version is 0."""
    development = entry("http://localhost:8443", operations=["authenticate"], keys=[])
    local = policy(allowLocalEntries=True, allowInsecureLocalhost=True, entries=[development])
    merged = effective_trust_list(None, local)
    assert (merged.version, merged.issued_at, merged.expires_at) == (0, 0, 0)
    assert [item.origin for item in merged.entries] == ["http://localhost:8443"]
    assert effective_trust_list(None, None).entries == ()


def test_public_jwk_round_trips_through_a_trust_list() -> None:
    """JWKs made by public_jwk for each allowed key type are accepted and keep their algorithm."""
    rsa_pem = json.loads(
        (Path(__file__).resolve().parents[2] / "protocol/vectors/signed-requests.json").read_text()
    )["keys"]["portal-rsa"]["privateKeyPem"]
    keys: dict[str, Any] = {
        "p256": PORTAL,
        "p384": INTRANET,
        "ed": AUTHORITY,
        "rsa": load_pem_private_key(rsa_pem.encode(), password=None),
    }
    documents = [public_jwk(key.public_key(), kid) for kid, key in keys.items()]
    trust_list = signed_list(entry("https://portal.example") | {"keys": documents})
    found = trust_list.entry_for("https://portal.example")
    assert found is not None
    assert [(key.kid, key.algorithm) for key in found.keys] == [
        ("p256", "ES256"),
        ("p384", "ES384"),
        ("ed", "EdDSA"),
        ("rsa", "PS256"),
    ]
    with pytest.raises(ValueError, match="not allowed"):
        public_jwk(ec.derive_private_key(3, ec.SECP521R1()).public_key(), "p521")


@given(st.one_of(st.text(max_size=400), st.binary(max_size=400), st.none(), st.integers()))
def test_arbitrary_input_raises_only_trust_list_errors(token: object) -> None:
    """Any value is refused with TrustListError, as a signed list or as a policy file."""
    with pytest.raises(TrustListError):
        parse_trust_list(token, authority_keys={"authority": AUTHORITY.public_key()}, now=NOW)
    if isinstance(token, str | bytes):
        with contextlib.suppress(TrustListError):
            parse_local_policy(token)


@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-SAFE, SAFE), st.text(max_size=20)),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [*ENTRY_MEMBERS, "kty", "crv", "x", "y", "kid", "ar", "en", "n", "e"]
                ),
                children,
                max_size=6,
            )
        ),
        max_leaves=20,
    )
)
def test_arbitrary_signed_entries_are_accepted_or_refused_cleanly(entries: Any) -> None:
    """Whatever the authority signs as entries, parsing returns a list or a TrustListError."""
    token = encode_trust_list(
        version=1,
        issued_at=NOW - 1,
        expires_at=NOW + 1,
        entries=[entries],
        private_key=AUTHORITY,
        kid="authority",
    )
    with contextlib.suppress(TrustListError):
        parse_trust_list(token, authority_keys={"authority": AUTHORITY.public_key()}, now=NOW)
