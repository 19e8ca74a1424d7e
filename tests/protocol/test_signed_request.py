"""Signed requests: the shared vectors, the check order, the replay cache and PyJWT interop."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.protocol.errors import ErrorCode, ProtocolError, SignedRequestError
from bitaqa.protocol.signed_request import (
    AuthenticateDetails,
    Check,
    LocalizedText,
    MemoryReplayCache,
    PublicKey,
    ReadIdentityDetails,
    SignDetails,
    SignedRequest,
    SignedRequestRefusedError,
    algorithm_for_key,
    base64url_decode,
    encode_compact_jws,
    encode_signed_request,
    is_display_text,
    verify_signed_request,
)

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "protocol/vectors/signed-requests.json").read_text()
)
KEYS: dict[str, Any] = {
    kid: jwt.PyJWK(entry["publicJwk"]).key for kid, entry in VECTORS["keys"].items()
}
RSA_KEY = serialization.load_pem_private_key(
    VECTORS["keys"]["portal-rsa"]["privateKeyPem"].encode(), password=None
)
ORIGIN = "https://portal.example"
NOW = 1_800_000_000
P256 = ec.derive_private_key(0x1234, ec.SECP256R1())
P384 = ec.derive_private_key(0x5678, ec.SECP384R1())
ED25519 = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NONCE = "A" * 43 + "="


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "origin": ORIGIN,
        "op": "authenticate",
        "jti": "jti-0123456789abcdef",
        "iat": NOW,
        "exp": NOW + 120,
        "challengeNonce": NONCE,
    }
    return base | changes


def verify(token: object, **overrides: Any) -> SignedRequest:
    arguments: dict[str, Any] = {
        "trusted_keys": {"k1": P256.public_key()},
        "origin": ORIGIN,
        "operation": "authenticate",
        "now": NOW,
        "replay_cache": MemoryReplayCache(),
    }
    return verify_signed_request(token, **(arguments | overrides))


def run_vector(vector: dict[str, Any]) -> SignedRequest:
    return verify_signed_request(
        vector["token"],
        trusted_keys={kid: KEYS[kid] for kid in vector["trustedKeys"]},
        origin=vector["origin"],
        operation=vector["operation"],
        now=vector["now"],
        replay_cache=MemoryReplayCache(entries=vector["replayCache"]),
    )


def expected_details(
    operation: str, expected: dict[str, Any]
) -> AuthenticateDetails | SignDetails | ReadIdentityDetails | None:
    if operation == "authenticate":
        return AuthenticateDetails(expected["challengeNonce"])
    if operation == "readIdentity":
        return ReadIdentityDetails(tuple(expected["fields"]))
    if operation == "sign":
        return SignDetails(
            hash=base64.b64decode(expected["hash"]),
            hash_algorithm=expected["hashAlgorithm"],
            certificate_sha256=base64url_decode(expected["certificateSha256"]),
            text=LocalizedText(**expected["text"]),
            document_name=expected.get("documentName"),
        )
    return None


VALID = [vector for vector in VECTORS["vectors"] if vector["expect"]["valid"]]
INVALID = [vector for vector in VECTORS["vectors"] if not vector["expect"]["valid"]]


@pytest.mark.parametrize("vector", VALID, ids=[vector["name"] for vector in VALID])
def test_valid_vector_is_accepted_with_its_claims(vector: dict[str, Any]) -> None:
    """Each valid vector verifies and yields exactly the claims it carries."""
    request = run_vector(vector)
    expected = vector["expect"]["claims"]
    assert request == SignedRequest(
        origin=expected["origin"],
        operation=expected["op"],
        jti=expected["jti"],
        issued_at=expected["iat"],
        expires_at=expected["exp"],
        key_id=vector["expect"]["keyId"],
        algorithm=vector["expect"]["algorithm"],
        details=expected_details(expected["op"], expected),
    )


@pytest.mark.parametrize("vector", INVALID, ids=[vector["name"] for vector in INVALID])
def test_invalid_vector_is_refused_at_its_check(vector: dict[str, Any]) -> None:
    """Each invalid vector fails with its wire code, at the named check, saying nothing more."""
    with pytest.raises(SignedRequestRefusedError) as caught:
        run_vector(vector)
    assert caught.value.code.name == vector["expect"]["error"]
    assert caught.value.check.value == vector["expect"]["check"]
    assert caught.value.message in {
        "signed request refused",
        "signed request expired or not yet valid",
        "signed request already used",
    }


def test_vectors_cover_every_check_and_operation() -> None:
    """The vector file exercises every verification step and every operation."""
    assert {vector["expect"]["check"] for vector in INVALID} == {check.value for check in Check}
    assert {vector["operation"] for vector in VALID} == {
        "authenticate",
        "sign",
        "readIdentity",
        "getSigningCertificate",
    }


def test_accepted_jti_is_refused_the_second_time() -> None:
    """A verified request is remembered until exp + skew and replaying it is refused."""
    cache = MemoryReplayCache()
    token = encode_signed_request(claims(), P256, "k1")
    verify(token, replay_cache=cache)
    assert cache.entries == {"jti-0123456789abcdef": NOW + 150}
    with pytest.raises(SignedRequestRefusedError) as caught:
        verify(token, replay_cache=cache)
    assert caught.value.code is ErrorCode.REQUEST_REPLAYED


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        ({"now": NOW + 151}, Check.TIME),
        ({"origin": "https://other.example"}, Check.ORIGIN),
        ({"operation": "sign"}, Check.OPERATION),
        ({"trusted_keys": {"k1": P384.public_key()}}, Check.KEY),
    ],
)
def test_refused_request_does_not_burn_its_jti(overrides: dict[str, Any], check: Check) -> None:
    """A request refused before the replay step leaves the cache untouched."""
    cache = MemoryReplayCache()
    token = encode_signed_request(claims(), P256, "k1")
    with pytest.raises(SignedRequestRefusedError) as caught:
        verify(token, replay_cache=cache, **overrides)
    assert caught.value.check is check
    assert cache.entries == {}
    verify(token, replay_cache=cache)


def test_expired_request_code_differs_from_signature_code() -> None:
    """Time failures say REQUEST_EXPIRED; they are SignedRequestError and ProtocolError."""
    token = encode_signed_request(claims(), P256, "k1")
    with pytest.raises(SignedRequestError) as caught:
        verify(token, now=NOW - 31)
    assert isinstance(caught.value, ProtocolError)
    assert caught.value.code is ErrorCode.REQUEST_EXPIRED


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [(P256, "ES256"), (P384, "ES384"), (ED25519, "EdDSA"), (RSA_KEY, "PS256")],
)
def test_encoded_request_round_trips_and_pyjwt_agrees(key: Any, algorithm: str) -> None:
    """Our tokens verify with PyJWT, and PyJWT's tokens verify with us, for each algorithm."""
    public = key.public_key()
    ours = encode_signed_request(claims(), key, "k1")
    assert jwt.get_unverified_header(ours) == {
        "alg": algorithm,
        "typ": "bitaqa-request+jwt",
        "kid": "k1",
    }
    assert jwt.decode(
        ours, public, algorithms=[algorithm], options={"verify_exp": False, "verify_iat": False}
    ) == (claims())
    theirs = jwt.encode(
        claims(), key, algorithm=algorithm, headers={"typ": "bitaqa-request+jwt", "kid": "k1"}
    )
    request = verify(theirs, trusted_keys={"k1": public})
    assert (request.algorithm, request.key_id) == (algorithm, "k1")


@pytest.mark.parametrize("key", [P256, P384, ED25519])
def test_encoding_is_deterministic_for_ecdsa_and_eddsa(key: Any) -> None:
    """The same claims and key give the same token (RFC 6979 and Ed25519)."""
    assert encode_signed_request(claims(), key, "k1") == encode_signed_request(claims(), key, "k1")


def test_keys_outside_the_allowlist_are_not_usable() -> None:
    """P-521 and RSA below 2048 bits have no algorithm, so they cannot sign or be pinned."""
    p521 = ec.derive_private_key(5, ec.SECP521R1())
    small_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert algorithm_for_key(p521) is None
    assert algorithm_for_key(small_rsa.public_key()) is None
    with pytest.raises(ValueError, match="not allowed"):
        encode_compact_jws({}, p521, token_type="x", kid="k")
    pinned: dict[str, PublicKey] = {"k1": small_rsa.public_key()}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "PS256", "typ": "bitaqa-request+jwt", "kid": "k1"}, claims())
    )
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    signature = small_rsa.sign(signing_input.encode(), pss, hashes.SHA256())
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    with pytest.raises(SignedRequestRefusedError) as caught:
        verify(token, trusted_keys=pinned)
    assert caught.value.check is Check.KEY


def test_replay_cache_purges_expired_entries_and_fails_closed_when_full() -> None:
    """A full cache drops expired entries first, then refuses rather than forgetting live ones."""
    cache = MemoryReplayCache(max_entries=2)
    assert cache.check_and_remember("a", 100, now=0)
    assert cache.check_and_remember("b", 200, now=0)
    assert not cache.check_and_remember("c", 300, now=50)
    assert cache.check_and_remember("c", 300, now=150)
    assert cache.entries == {"b": 200, "c": 300}
    assert not cache.check_and_remember("b", 200, now=150)
    assert cache.check_and_remember("b", 400, now=201)


def test_replay_cache_restores_persisted_entries() -> None:
    """Entries saved from one cache and given to a new one still block replays."""
    first = MemoryReplayCache()
    first.check_and_remember("jti-1", 500, now=0)
    second = MemoryReplayCache(entries=first.entries)
    assert not second.check_and_remember("jti-1", 500, now=10)


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300), st.none(), st.integers()))
def test_arbitrary_input_raises_only_signed_request_errors(token: object) -> None:
    """Any value at all is either verified or refused with SignedRequestError."""
    with pytest.raises(SignedRequestError):
        verify(token)


@st.composite
def jws_texts(draw: st.DrawFn) -> str:
    header = draw(
        st.dictionaries(
            st.sampled_from(["alg", "typ", "kid", "crit", "jwk"]),
            st.one_of(
                st.sampled_from(["ES256", "EdDSA", "none", "HS256", "bitaqa-request+jwt", "k1"]),
                st.integers(),
                st.none(),
            ),
        )
    )
    payload = draw(
        st.dictionaries(
            st.sampled_from([*claims(), "hash", "text", "fields", "documentName"]),
            st.one_of(st.text(max_size=50), st.integers(), st.lists(st.text(max_size=5))),
        )
    )
    parts = [json.dumps(header), json.dumps(claims() | payload), draw(st.text(max_size=20))]
    return ".".join(base64.urlsafe_b64encode(p.encode()).rstrip(b"=").decode() for p in parts)


@given(jws_texts())
def test_structured_forgeries_raise_only_signed_request_errors(token: str) -> None:
    """Well-shaped JWS with arbitrary headers and claims are refused cleanly."""
    with pytest.raises(SignedRequestError):
        verify(token)


VALID_TOKEN = encode_signed_request(claims(), P256, "k1")


@given(st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_any_bit_flip_in_payload_or_signature_is_refused(position: int, bit: int) -> None:
    """Flipping any single bit of the decoded payload or signature makes the token fail."""
    head, body, signature = VALID_TOKEN.split(".")
    parts = [base64url_decode(body), base64url_decode(signature)]
    which = position % 2
    data = bytearray(parts[which])
    data[position // 2 % len(data)] ^= 1 << bit
    parts[which] = bytes(data)
    encoded = [base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts]
    with pytest.raises(SignedRequestRefusedError) as caught:
        verify(f"{head}.{encoded[0]}.{encoded[1]}")
    assert caught.value.check is Check.SIGNATURE


def test_dialog_text_keeps_arabic_joiners_and_marks() -> None:
    """ZWNJ, ZWJ, LRM and RLM, which Arabic text uses, pass; a bidi isolate does not."""
    assert is_display_text("مستند\u200cرسمي \u200fPDF\u200e", 500)
    assert not is_display_text("مستند \u2067PDF\u2069", 500)
    assert not is_display_text(" leading space", 500)
    assert not is_display_text("x" * 501, 500)
