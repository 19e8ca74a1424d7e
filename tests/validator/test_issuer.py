"""SignedRequestIssuer: requests the agent's verifier accepts, and a JWK for the trust list."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from bitaqa.protocol.signed_request import (
    OPERATIONS,
    AuthenticateDetails,
    MemoryReplayCache,
    PrivateKey,
    PublicKey,
    ReadIdentityDetails,
    SignDetails,
    SignedRequest,
    SignedRequestRefusedError,
    verify_signed_request,
)
from bitaqa.protocol.trustlist import encode_trust_list, parse_trust_list
from bitaqa.testing.pki import IssuedCertificate, TestPki, cached_rsa_key, deterministic_ec_key
from bitaqa.validator import SignedRequestIssuer, generate_challenge_nonce
from validator.values import AMINA, NOW, ORIGIN

KEYS: dict[str, PrivateKey] = {
    "ES256": deterministic_ec_key("portal-es256", ec.SECP256R1()),
    "ES384": deterministic_ec_key("portal-es384", ec.SECP384R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"portal").digest()),
    "PS256": cached_rsa_key(None, "portal-ps256"),
}


def _issuer(algorithm: str = "ES256") -> SignedRequestIssuer:
    return SignedRequestIssuer(KEYS[algorithm], f"portal-{algorithm}", ORIGIN, clock=lambda: NOW)


def _trusted_keys(issuer: SignedRequestIssuer) -> Mapping[str, PublicKey]:
    # The way the agent gets the keys: the portal's JWK in a signed trust list entry.
    authority = deterministic_ec_key("trust-list-authority", ec.SECP256R1())
    entry = {
        "origin": ORIGIN,
        "name": {"ar": "البوابة", "en": "The portal"},
        "keys": [issuer.public_jwk()],
        "operations": sorted(OPERATIONS),
        "authenticateRequiresSignedRequest": True,
    }
    now = int(NOW.timestamp())
    trust_list = parse_trust_list(
        encode_trust_list(
            version=1,
            issued_at=now - 60,
            expires_at=now + 86_400,
            entries=[entry],
            private_key=authority,
            kid="authority",
        ),
        authority_keys={"authority": authority.public_key()},
        now=now,
    )
    found = trust_list.entry_for(ORIGIN)
    assert found is not None
    return found.request_keys


def _verify(
    issuer: SignedRequestIssuer, token: str, operation: str, now: int | None = None
) -> SignedRequest:
    return verify_signed_request(
        token,
        trusted_keys=_trusted_keys(issuer),
        origin=ORIGIN,
        operation=operation,
        now=int(NOW.timestamp()) if now is None else now,
        replay_cache=MemoryReplayCache(),
    )


@pytest.mark.parametrize("algorithm", sorted(KEYS))
def test_authenticate_request_verifies_with_the_published_key(algorithm: str) -> None:
    """Each allowed key type makes requests the agent verifies with the JWK from public_jwk."""
    issuer = _issuer(algorithm)
    nonce = generate_challenge_nonce()
    request = _verify(issuer, issuer.authenticate(nonce), "authenticate")
    assert request.details == AuthenticateDetails(challenge_nonce=nonce)
    assert (request.algorithm, request.key_id) == (algorithm, f"portal-{algorithm}")
    assert request.origin == ORIGIN


def test_sign_request_carries_hash_certificate_and_text(pki: TestPki) -> None:
    """A sign request binds the digest, the signing certificate and both texts."""
    signing: IssuedCertificate = pki.issue_holder(AMINA, purpose="signing")
    digest = hashlib.sha256(b"contract").digest()
    issuer = _issuer()
    token = issuer.sign(
        hash_bytes=digest,
        hash_algorithm="SHA-256",
        signing_certificate=signing.certificate,
        text_ar="توقيع العقد",
        text_en="Sign the contract",
        document_name="contract.pdf",
    )
    details = _verify(issuer, token, "sign").details
    assert isinstance(details, SignDetails)
    assert details.hash == digest
    assert details.certificate_sha256 == hashlib.sha256(signing.der).digest()
    assert (details.text.ar, details.text.en) == ("توقيع العقد", "Sign the contract")
    assert details.document_name == "contract.pdf"


def test_read_identity_and_signing_certificate_requests_verify() -> None:
    """readIdentity names its fields; getSigningCertificate has no details."""
    issuer = _issuer()
    identity = _verify(issuer, issuer.read_identity(["nameEn", "idNumber"]), "readIdentity")
    assert identity.details == ReadIdentityDetails(fields=("nameEn", "idNumber"))
    certificate = _verify(issuer, issuer.get_signing_certificate(), "getSigningCertificate")
    assert certificate.details is None


def test_request_expires_after_its_lifetime() -> None:
    """A request presented after iat + lifetime (+ skew) is refused as expired."""
    issuer = _issuer()
    token = issuer.authenticate(generate_challenge_nonce(), lifetime=60)
    claims = json.loads(
        jwt.api_jws.PyJWS().decode_complete(token, options={"verify_signature": False})["payload"]
    )
    assert claims["exp"] - claims["iat"] == 60
    assert claims["origin"] == ORIGIN
    with pytest.raises(SignedRequestRefusedError):
        _verify(issuer, token, "authenticate", now=int(NOW.timestamp()) + 60 + 31)


def test_each_request_has_a_fresh_jti() -> None:
    """Two requests for the same nonce still differ (replay cache keys on jti)."""
    issuer = _issuer()
    nonce = generate_challenge_nonce()
    first = jwt.decode(issuer.authenticate(nonce), options={"verify_signature": False})
    second = jwt.decode(issuer.authenticate(nonce), options={"verify_signature": False})
    assert first["jti"] != second["jti"]


def test_request_for_another_operation_is_refused() -> None:
    """A readIdentity request cannot be used for sign."""
    issuer = _issuer()
    with pytest.raises(SignedRequestRefusedError):
        _verify(issuer, issuer.read_identity(["nameEn"]), "sign")


@pytest.mark.parametrize("lifetime", [0, 301])
def test_lifetime_is_bounded(lifetime: int) -> None:
    """Lifetimes outside 1..300 seconds are refused when issuing."""
    with pytest.raises(ValueError, match="lifetime"):
        _issuer().get_signing_certificate(lifetime=lifetime)


def test_sign_refuses_a_digest_of_the_wrong_length(pki: TestPki) -> None:
    """A SHA-256 digest declared as SHA-384 is a programming error."""
    signing = pki.issue_holder(AMINA, purpose="signing")
    with pytest.raises(ValueError, match="hash length"):
        _issuer().sign(
            hash_bytes=b"\0" * 32,
            hash_algorithm="SHA-384",
            signing_certificate=signing.certificate,
            text_ar="نص",
            text_en="text",
        )


def test_disallowed_key_or_origin_is_refused() -> None:
    """P-521 keys and non-https origins cannot issue requests."""
    with pytest.raises(ValueError, match="key type"):
        SignedRequestIssuer(deterministic_ec_key("p521", ec.SECP521R1()), "k", ORIGIN)
    with pytest.raises(ValueError, match="origin"):
        SignedRequestIssuer(KEYS["ES256"], "k", "http://portal.example.bh")
