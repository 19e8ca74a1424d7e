"""verify_signature_result: the ``sign`` method's answer checked against certificate and hash."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from bitaqa.protocol.methods import SignatureAlgorithm
from bitaqa.testing.pki import IssuedCertificate, TestPki, build_test_pki
from bitaqa.testing.tokens import sign_hash
from bitaqa.validator import SignatureInvalid, UnsupportedAlgorithm, verify_signature_result
from validator.values import AMINA

DOCUMENT = "وثيقة — document to sign".encode()
DIGESTS = {
    "SHA-256": hashlib.sha256(DOCUMENT).digest(),
    "SHA-384": hashlib.sha384(DOCUMENT).digest(),
    "SHA-512": hashlib.sha512(DOCUMENT).digest(),
}


@pytest.fixture(scope="module", params=["p256", "p384", "rsa2048"])
def signer(request: pytest.FixtureRequest, pki: TestPki) -> IssuedCertificate:
    """A signing certificate of each card key type."""
    return pki.issue_holder(AMINA, purpose="signing", key_type=request.param)


@pytest.mark.parametrize("hash_algorithm", sorted(DIGESTS))
def test_card_signature_verifies(signer: IssuedCertificate, hash_algorithm: str) -> None:
    """A signature over the digest verifies for every key type and hash."""
    digest = DIGESTS[hash_algorithm]
    signature, algorithm = sign_hash(signer, digest, hash_algorithm)
    verify_signature_result(signer.certificate, digest, hash_algorithm, signature, algorithm)


def test_rsa_pss_signature_verifies(pki: TestPki) -> None:
    """RSA-PSS (salt = digest length) is accepted when the result says PSS."""
    signer = pki.issue_holder(AMINA, purpose="signing", key_type="rsa2048")
    digest = DIGESTS["SHA-256"]
    signature, algorithm = sign_hash(signer, digest, "SHA-256", rsa_padding="PSS")
    verify_signature_result(signer.certificate, digest, "SHA-256", signature, algorithm.to_wire())
    pkcs1 = SignatureAlgorithm("RSA", "SHA-256", "PKCS1.5")
    with pytest.raises(SignatureInvalid):
        verify_signature_result(signer.certificate, digest, "SHA-256", signature, pkcs1)


def test_signature_over_another_hash_fails(signer: IssuedCertificate) -> None:
    """A signature of another document does not verify for this digest."""
    signature, algorithm = sign_hash(signer, hashlib.sha256(b"other").digest(), "SHA-256")
    with pytest.raises(SignatureInvalid):
        verify_signature_result(
            signer.certificate, DIGESTS["SHA-256"], "SHA-256", signature, algorithm
        )


def test_tampered_signature_fails(signer: IssuedCertificate) -> None:
    """One flipped bit in the signature makes it invalid."""
    signature, algorithm = sign_hash(signer, DIGESTS["SHA-256"], "SHA-256")
    tampered = signature[:-1] + bytes([signature[-1] ^ 1])
    with pytest.raises(SignatureInvalid):
        verify_signature_result(
            signer.certificate, DIGESTS["SHA-256"], "SHA-256", tampered, algorithm
        )


def test_signature_by_another_key_of_the_same_type_fails(
    pki: TestPki, signer: IssuedCertificate
) -> None:
    """A signature checked against another holder's certificate fails."""
    key_type = {"secp256r1": "p256", "secp384r1": "p384"}.get(
        getattr(getattr(signer.private_key, "curve", None), "name", ""), "rsa2048"
    )
    other = pki.issue_holder(
        replace(AMINA, national_id="880202345"),
        purpose="signing",
        key_type=key_type,  # type: ignore[arg-type]
    )
    signature, algorithm = sign_hash(other, DIGESTS["SHA-256"], "SHA-256")
    with pytest.raises(SignatureInvalid):
        verify_signature_result(
            signer.certificate, DIGESTS["SHA-256"], "SHA-256", signature, algorithm
        )


def test_wrong_digest_length_fails(signer: IssuedCertificate) -> None:
    """A SHA-384-sized digest declared as SHA-256 is refused before any verification."""
    signature, algorithm = sign_hash(signer, DIGESTS["SHA-256"], "SHA-256")
    with pytest.raises(SignatureInvalid, match="hash length"):
        verify_signature_result(
            signer.certificate, DIGESTS["SHA-384"], "SHA-256", signature, algorithm
        )


@pytest.mark.parametrize(
    "wire",
    [
        {"cryptoAlgorithm": "ECC", "hashFunction": "SHA-384", "paddingScheme": "NONE"},
        {"cryptoAlgorithm": "DSA", "hashFunction": "SHA-256", "paddingScheme": "NONE"},
        {"cryptoAlgorithm": "RSA", "hashFunction": "SHA-256", "paddingScheme": "NONE"},
        {"cryptoAlgorithm": "ECC", "hashFunction": "SHA-256", "paddingScheme": "PSS"},
        {"cryptoAlgorithm": "ECC", "hashFunction": "MD5", "paddingScheme": "NONE"},
        {},
    ],
    ids=["hash-differs", "dsa", "rsa-none", "ecc-pss", "md5", "empty"],
)
def test_unsupported_or_mismatched_algorithms_fail(wire: dict[str, str]) -> None:
    """Unknown algorithms, impossible paddings and a hash other than requested are refused."""
    signer = build_test_pki().issue_holder(AMINA, purpose="signing")
    with pytest.raises(UnsupportedAlgorithm):
        verify_signature_result(signer.certificate, DIGESTS["SHA-256"], "SHA-256", b"\0" * 64, wire)


@pytest.mark.parametrize("member", ["cryptoAlgorithm", "hashFunction", "paddingScheme"])
@pytest.mark.parametrize("value", [["NONE"], ["SHA-256"], {"ECC": 1}, {}, None, 0, 256], ids=repr)
def test_non_string_algorithm_members_are_refused(
    signer: IssuedCertificate, member: str, value: object
) -> None:
    """A list, object, null or number in any signatureAlgorithm member (page-controlled) is an
    unsupported algorithm, never a TypeError from a set or dict lookup."""
    signature, algorithm = sign_hash(signer, DIGESTS["SHA-256"], "SHA-256")
    wire: dict[str, object] = {
        "cryptoAlgorithm": algorithm.crypto_algorithm,
        "hashFunction": algorithm.hash_function,
        "paddingScheme": algorithm.padding_scheme,
    }
    verify_signature_result(signer.certificate, DIGESTS["SHA-256"], "SHA-256", signature, wire)
    wire[member] = value
    with pytest.raises(UnsupportedAlgorithm):
        verify_signature_result(signer.certificate, DIGESTS["SHA-256"], "SHA-256", signature, wire)


def test_algorithm_family_must_fit_the_key(pki: TestPki) -> None:
    """An "RSA" result for an EC certificate is refused as unsupported."""
    signer = pki.issue_holder(AMINA, purpose="signing", key_type="p256")
    rsa = SignatureAlgorithm("RSA", "SHA-256", "PKCS1.5")
    with pytest.raises(UnsupportedAlgorithm, match="non-RSA"):
        verify_signature_result(signer.certificate, DIGESTS["SHA-256"], "SHA-256", b"\0" * 256, rsa)


def test_non_mapping_algorithm_is_refused(signer: IssuedCertificate) -> None:
    """A signatureAlgorithm that is not an object is refused, not crashed on."""
    with pytest.raises(UnsupportedAlgorithm):
        verify_signature_result(
            signer.certificate,
            DIGESTS["SHA-256"],
            "SHA-256",
            b"",
            "ES256",  # type: ignore[arg-type]
        )
