"""web-eid:1.0 tokens: shared vectors (ours and real Web eID ones), signed bytes, DER <-> raw."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.protocol.authtoken import (
    ALGORITHMS,
    AuthToken,
    AuthTokenReason,
    AuthTokenRejectedError,
    build_auth_token,
    check_challenge_nonce,
    ecdsa_der_to_raw,
    ecdsa_raw_to_der,
    parse_auth_token,
    signed_message,
    verify_auth_token_signature,
)
from bitaqa.protocol.errors import AuthTokenError, ErrorCode

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "protocol/vectors/auth-tokens.json").read_text()
)
VALID = [vector for vector in VECTORS["vectors"] if vector["expect"]["valid"]]
INVALID = [vector for vector in VECTORS["vectors"] if not vector["expect"]["valid"]]
ORIGIN = "https://portal.example"
NONCE = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize("vector", VALID, ids=[vector["name"] for vector in VALID])
def test_valid_vector_parses_and_verifies(vector: dict[str, Any]) -> None:
    """Valid tokens, including real Web eID test-card tokens, verify for their origin and nonce."""
    token = parse_auth_token(vector["token"])
    assert token.algorithm == vector["expect"]["algorithm"]
    message = signed_message(vector["origin"], vector["challengeNonce"], token.algorithm)
    assert message.hex() == vector["expect"]["signedMessageHex"]
    verify_auth_token_signature(token, vector["origin"], vector["challengeNonce"])


@pytest.mark.parametrize("vector", INVALID, ids=[vector["name"] for vector in INVALID])
def test_invalid_vector_fails_at_its_stage_with_its_reason(vector: dict[str, Any]) -> None:
    """Invalid tokens fail in parse or in verify, as the vector says, with its reason."""
    if vector["expect"]["stage"] == "parse":
        with pytest.raises(AuthTokenRejectedError) as caught:
            parse_auth_token(vector["token"])
    else:
        token = parse_auth_token(vector["token"])
        with pytest.raises(AuthTokenRejectedError) as caught:
            verify_auth_token_signature(token, vector["origin"], vector["challengeNonce"])
    assert caught.value.reason.value == vector["expect"]["reason"]
    assert caught.value.code is ErrorCode.INVALID_PARAMS


def test_vectors_cover_every_reason_and_algorithm_family() -> None:
    """The vector file exercises every refusal reason and ES, PS and RS algorithms."""
    assert {vector["expect"]["reason"] for vector in INVALID} == {r.value for r in AuthTokenReason}
    assert {vector["expect"]["algorithm"][:2] for vector in VALID} == {"ES", "PS", "RS"}
    assert any("source" in vector for vector in VALID)


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_signed_message_is_hash_of_origin_then_hash_of_nonce(algorithm: str) -> None:
    """The signed bytes are H(origin) || H(nonce string), H from the algorithm's hash."""
    name = {"256": "sha256", "384": "sha384", "512": "sha512"}[algorithm[2:]]
    expected = (
        hashlib.new(name, ORIGIN.encode()).digest() + hashlib.new(name, NONCE.encode()).digest()
    )
    assert signed_message(ORIGIN, NONCE, algorithm) == expected


@pytest.mark.parametrize(
    ("origin", "nonce", "algorithm", "reason"),
    [
        (ORIGIN, NONCE, "HS256", AuthTokenReason.ALGORITHM_UNSUPPORTED),
        (ORIGIN, NONCE, "es256", AuthTokenReason.ALGORITHM_UNSUPPORTED),
        (ORIGIN, "A" * 43, "ES256", AuthTokenReason.NONCE_INVALID),
        (ORIGIN, "A" * 129, "ES256", AuthTokenReason.NONCE_INVALID),
        (ORIGIN, "A" * 43 + " ", "ES256", AuthTokenReason.NONCE_INVALID),
        ("https://portal.example/", NONCE, "ES256", AuthTokenReason.ORIGIN_INVALID),
        ("https://xn--mgbh0fb.example:443", NONCE, "ES256", AuthTokenReason.ORIGIN_INVALID),
        ("https://مثال.example", NONCE, "ES256", AuthTokenReason.ORIGIN_INVALID),
        ("ftp://portal.example", NONCE, "ES256", AuthTokenReason.ORIGIN_INVALID),
    ],
)
def test_signed_message_refuses_bad_inputs(
    origin: str, nonce: str, algorithm: str, reason: AuthTokenReason
) -> None:
    """Only listed algorithms, 44..128-character base64 nonces and normal-form origins."""
    with pytest.raises(AuthTokenRejectedError) as caught:
        signed_message(origin, nonce, algorithm)
    assert caught.value.reason is reason


def test_nonce_bounds_are_inclusive() -> None:
    """44 and 128 characters of padded base64 are accepted; base64url is not."""
    assert check_challenge_nonce("A" * 43 + "=") == "A" * 43 + "="
    assert check_challenge_nonce("+/" * 64) == "+/" * 64
    with pytest.raises(AuthTokenRejectedError):
        check_challenge_nonce("-_" * 22)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_token_built_from_a_card_signature_verifies(curve: ec.EllipticCurve) -> None:
    """build_auth_token with a DER card signature converted to raw r||s gives a valid token."""
    algorithm = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[curve.name]
    vector = next(v for v in VALID if v["name"] == f"valid-{algorithm.lower()}")
    certificate = parse_auth_token(vector["token"]).certificate_der
    key_seed = {"ES256": 0xE5256, "ES384": 0xE5384, "ES512": 0xE5512}[algorithm]
    key = ec.derive_private_key(key_seed, curve)
    digest = ALGORITHMS[algorithm].hash_algorithm()
    der = key.sign(signed_message(ORIGIN, NONCE, algorithm), ec.ECDSA(digest))
    document = build_auth_token(certificate, algorithm, ecdsa_der_to_raw(der, algorithm))
    assert list(document) == [
        "unverifiedCertificate",
        "algorithm",
        "signature",
        "format",
        "appVersion",
    ]
    assert document["format"] == "web-eid:1.0"
    assert document["appVersion"] == "https://github.com/bitaqa/bitaqa/releases/0.1.0"
    token = parse_auth_token(json.dumps(document))
    verify_auth_token_signature(token, ORIGIN, NONCE)
    with pytest.raises(AuthTokenRejectedError):
        verify_auth_token_signature(token, "https://other.example", NONCE)


def test_der_and_raw_conversions_are_inverse() -> None:
    """DER -> raw pads r and s to the coordinate size; raw -> DER gives the same r and s."""
    key = ec.derive_private_key(99, ec.SECP384R1())
    der = key.sign(b"data", ec.ECDSA(hashes.SHA384()))
    raw = ecdsa_der_to_raw(der, "ES384")
    assert len(raw) == 96
    assert decode_dss_signature(ecdsa_raw_to_der(raw)) == decode_dss_signature(der)


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda: ecdsa_der_to_raw(b"\x30\x00", "ES256"), AuthTokenReason.SIGNATURE_INVALID),
        (lambda: ecdsa_der_to_raw(b"junk", "ES256"), AuthTokenReason.SIGNATURE_INVALID),
        (lambda: ecdsa_der_to_raw(b"", "RS256"), AuthTokenReason.ALGORITHM_UNSUPPORTED),
        (lambda: ecdsa_raw_to_der(b""), AuthTokenReason.SIGNATURE_INVALID),
        (lambda: ecdsa_raw_to_der(b"\1" * 63), AuthTokenReason.SIGNATURE_INVALID),
        (lambda: build_auth_token(b"", "none", b""), AuthTokenReason.ALGORITHM_UNSUPPORTED),
    ],
)
def test_conversion_helpers_refuse_malformed_signatures(call: Any, reason: AuthTokenReason) -> None:
    """Bad DER, wrong lengths and non-ECDSA algorithms are AuthTokenRejectedError."""
    with pytest.raises(AuthTokenRejectedError) as caught:
        call()
    assert caught.value.reason is reason


def test_der_signature_too_large_for_the_curve_is_refused() -> None:
    """An r of 384 bits does not fit ES256."""
    big = ecdsa_raw_to_der(b"\xff" * 48 + b"\x01" * 48)
    with pytest.raises(AuthTokenRejectedError):
        ecdsa_der_to_raw(big, "ES256")


def test_rsa_algorithm_with_ec_certificate_is_refused() -> None:
    """An RS256 label on a token whose certificate holds an EC key fails verification."""
    vector = next(v for v in VALID if v["name"] == "valid-es256")
    token = parse_auth_token(vector["token"])
    relabelled = AuthToken(
        token.certificate_der, "RS256", token.signature, token.format, token.app_version
    )
    with pytest.raises(AuthTokenRejectedError) as caught:
        verify_auth_token_signature(relabelled, vector["origin"], vector["challengeNonce"])
    assert caught.value.reason is AuthTokenReason.SIGNATURE_INVALID


@given(st.one_of(st.text(max_size=400), st.binary(max_size=200), st.none(), st.integers()))
def test_arbitrary_input_raises_only_auth_token_errors(text: object) -> None:
    """parse_auth_token refuses any value with AuthTokenError and nothing else."""
    with pytest.raises(AuthTokenError):
        parse_auth_token(text)  # type: ignore[arg-type]


@given(
    st.dictionaries(
        st.sampled_from(["unverifiedCertificate", "algorithm", "signature", "format", "x"]),
        st.one_of(
            st.sampled_from(["ES256", "PS256", "web-eid:1.0", "web-eid:1", "MIIB", "AAAA"]),
            st.text(max_size=30),
            st.integers(),
            st.lists(st.integers(), max_size=3),
        ),
    ),
    st.text(min_size=100, max_size=120),
)
def test_structured_tokens_parse_or_fail_cleanly(document: dict[str, Any], filler: str) -> None:
    """Token-shaped JSON with arbitrary members parses or raises AuthTokenError only."""
    text = json.dumps(document | {"padding": filler})
    try:
        token = parse_auth_token(text)
    except AuthTokenError:
        return
    with pytest.raises(AuthTokenError):
        verify_auth_token_signature(token, ORIGIN, NONCE)


VALID_ES384 = next(v for v in VALID if v["name"] == "valid-es384")


@given(st.integers(min_value=0, max_value=96 * 8 - 1))
def test_any_bit_flip_in_the_signature_is_refused(bit: int) -> None:
    """Flipping any one bit of a valid ES384 signature makes verification fail."""
    token = parse_auth_token(VALID_ES384["token"])
    signature = bytearray(token.signature)
    signature[bit // 8] ^= 1 << (bit % 8)
    flipped = AuthToken(
        token.certificate_der, token.algorithm, bytes(signature), token.format, token.app_version
    )
    with pytest.raises(AuthTokenRejectedError):
        verify_auth_token_signature(flipped, ORIGIN, VALID_ES384["challengeNonce"])
