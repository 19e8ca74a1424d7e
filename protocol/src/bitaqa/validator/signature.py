"""Verifying the result of the ``sign`` method against the signing certificate and the hash.

The portal computed the hash (of its document or signed attributes) and put it in the signed
request; the agent returns ``{"signature", "signatureAlgorithm"}`` in Web eID's shape.  Before
embedding the signature in a document, the portal checks it here with the certificate it expects
(SPEC.md, "The signing flow").  ECDSA signatures are raw ``r||s`` as Web eID returns them; RSA
uses PKCS#1 v1.5 or PSS (MGF1 with the same hash, salt length = digest length).
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from bitaqa.protocol.methods import SignatureAlgorithm
from bitaqa.validator.errors import SignatureInvalid, UnsupportedAlgorithm

__all__ = ["verify_signature_result"]

_HASHES: Mapping[str, type[hashes.HashAlgorithm]] = {
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}
_PADDINGS = {"ECC": frozenset({"NONE"}), "RSA": frozenset({"PKCS1.5", "PSS"})}


def verify_signature_result(
    signing_certificate: x509.Certificate,
    hash_bytes: bytes,
    hash_algorithm: str,
    signature: bytes,
    signature_algorithm: SignatureAlgorithm | Mapping[str, object],
) -> None:
    """Return if ``signature`` is the certificate key's signature over the digest ``hash_bytes``.

    Args:
        signing_certificate: the certificate the portal expects the card to sign with.
        hash_bytes: the digest the portal asked the card to sign.
        hash_algorithm: ``"SHA-256"``, ``"SHA-384"`` or ``"SHA-512"``.
        signature: the decoded ``signature`` of the result (raw ``r||s`` for ECDSA).
        signature_algorithm: the result's ``signatureAlgorithm``, as the dataclass or the wire
            object ``{"cryptoAlgorithm", "hashFunction", "paddingScheme"}``.

    Raises:
        UnsupportedAlgorithm: an unknown hash, crypto algorithm or padding, a result whose hash
            function differs from ``hash_algorithm``, or one that does not fit the key type.
        SignatureInvalid: a digest of the wrong length, or a signature that does not verify.
    """
    crypto, function, scheme = _algorithm_fields(signature_algorithm)
    # The members come from the page: a list or an object would make the lookups below raise
    # TypeError (unhashable), so anything but a string is refused first.
    if not all(isinstance(member, str) for member in (crypto, function, scheme)):
        raise UnsupportedAlgorithm("signatureAlgorithm members must be strings")
    hash_class = _HASHES.get(hash_algorithm)
    if hash_class is None or function != hash_algorithm:
        raise UnsupportedAlgorithm("hash algorithm unsupported or different from the request")
    if not isinstance(crypto, str) or scheme not in _PADDINGS.get(crypto, frozenset()):
        raise UnsupportedAlgorithm("crypto algorithm or padding scheme unsupported")
    digest = hash_class()
    if len(hash_bytes) != digest.digest_size:
        raise SignatureInvalid("hash length does not match the hash algorithm")
    key = signing_certificate.public_key()
    try:
        if crypto == "ECC":
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise UnsupportedAlgorithm("ECC signature for a non-EC key")
            key.verify(_raw_to_der(signature, key), hash_bytes, ec.ECDSA(Prehashed(digest)))
            return
        if not isinstance(key, rsa.RSAPublicKey):
            raise UnsupportedAlgorithm("RSA signature for a non-RSA key")
        rsa_padding: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(hash_class()), salt_length=digest.digest_size)
            if scheme == "PSS"
            else padding.PKCS1v15()
        )
        key.verify(signature, hash_bytes, rsa_padding, Prehashed(digest))
    except (InvalidSignature, ValueError):
        raise SignatureInvalid("signature does not verify") from None


def _algorithm_fields(
    algorithm: SignatureAlgorithm | Mapping[str, object],
) -> tuple[object, object, object]:
    if isinstance(algorithm, SignatureAlgorithm):
        return algorithm.crypto_algorithm, algorithm.hash_function, algorithm.padding_scheme
    if not isinstance(algorithm, Mapping):
        raise UnsupportedAlgorithm("signatureAlgorithm is not an object")
    return (
        algorithm.get("cryptoAlgorithm"),
        algorithm.get("hashFunction"),
        algorithm.get("paddingScheme"),
    )


def _raw_to_der(signature: bytes, key: ec.EllipticCurvePublicKey) -> bytes:
    size = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        raise InvalidSignature
    return encode_dss_signature(
        int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    )
