"""Card answers made in software, for tests: ``web-eid:1.0`` tokens and ``sign`` results.

They use holder keys from :mod:`bitaqa.testing.pki` and the token format of
:mod:`bitaqa.protocol.authtoken`, so a token made here is byte-for-byte what the agent would
return for the same key, origin, nonce and algorithm (ECDSA signatures are deterministic).
"""

from __future__ import annotations

import json
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from bitaqa.protocol.authtoken import (
    ALGORITHMS,
    build_auth_token,
    ecdsa_der_to_raw,
    signed_message,
)
from bitaqa.protocol.methods import SignatureAlgorithm
from bitaqa.testing.pki import IssuedCertificate

__all__ = ["default_algorithm", "make_auth_token", "sign_hash"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}


def default_algorithm(holder: IssuedCertificate) -> str:
    """The JWA algorithm a card with this key uses: ES256/ES384/ES512 by curve, RS256 for RSA."""
    key = holder.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    raise ValueError("holder key is neither EC nor RSA")


def make_auth_token(
    holder: IssuedCertificate,
    origin: str,
    challenge_nonce: str,
    *,
    algorithm: str | None = None,
) -> str:
    """Return the JSON text of a ``web-eid:1.0`` token signed with the holder's key.

    The signature covers :func:`~bitaqa.protocol.authtoken.signed_message` for ``origin`` and
    ``challenge_nonce``; ``algorithm`` defaults to :func:`default_algorithm`.  Passing an
    algorithm that does not fit the key makes a token a validator must refuse.
    """
    name = algorithm or default_algorithm(holder)
    jwa = ALGORITHMS[name]
    message = signed_message(origin, challenge_nonce, name)
    key = holder.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.sign(message, ec.ECDSA(jwa.hash_algorithm(), deterministic_signing=True))
        signature = ecdsa_der_to_raw(der, _ecdsa_name(key))
    elif isinstance(key, rsa.RSAPrivateKey):
        scheme: padding.AsymmetricPadding = (
            padding.PSS(
                mgf=padding.MGF1(jwa.hash_algorithm()), salt_length=jwa.hash_algorithm().digest_size
            )
            if jwa.family == "PS"
            else padding.PKCS1v15()
        )
        signature = key.sign(message, scheme, jwa.hash_algorithm())
    else:
        raise ValueError("holder key is neither EC nor RSA")
    return json.dumps(build_auth_token(holder.der, name, signature))


def sign_hash(
    holder: IssuedCertificate,
    hash_bytes: bytes,
    hash_algorithm: str,
    *,
    rsa_padding: Literal["PKCS1.5", "PSS"] = "PKCS1.5",
) -> tuple[bytes, SignatureAlgorithm]:
    """Sign a digest as the card's ``sign`` method does; return the signature and its algorithm.

    ECDSA signatures are raw ``r||s``; RSA uses ``rsa_padding`` (PSS: MGF1 with the same hash,
    salt length = digest length).
    """
    digest = _HASHES[hash_algorithm]()
    key = holder.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.sign(hash_bytes, ec.ECDSA(Prehashed(digest), deterministic_signing=True))
        raw = ecdsa_der_to_raw(der, _ecdsa_name(key))
        return raw, SignatureAlgorithm("ECC", hash_algorithm, "NONE")  # type: ignore[arg-type]
    if isinstance(key, rsa.RSAPrivateKey):
        scheme: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(_HASHES[hash_algorithm]()), salt_length=digest.digest_size)
            if rsa_padding == "PSS"
            else padding.PKCS1v15()
        )
        signature = key.sign(hash_bytes, scheme, Prehashed(digest))
        return signature, SignatureAlgorithm("RSA", hash_algorithm, rsa_padding)  # type: ignore[arg-type]
    raise ValueError("holder key is neither EC nor RSA")


def _ecdsa_name(key: ec.EllipticCurvePrivateKey) -> str:
    # The raw r||s width follows the key's curve, whatever hash the algorithm name implies.
    return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[key.curve.name]
