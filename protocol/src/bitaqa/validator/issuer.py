"""Creating signed requests with the portal's key (SPEC.md, "Signed requests").

A portal backend makes one signed request per card operation and hands it to its page, which
passes it to the agent unchanged.  The agent verifies it against the key pinned for the portal's
origin in the trust list; :meth:`SignedRequestIssuer.public_jwk` is what the portal publishes
for that list.  The JWS itself is produced by
:func:`bitaqa.protocol.signed_request.encode_signed_request`, so issuer and verifier share one
encoding.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from bitaqa.protocol.errors import OriginError
from bitaqa.protocol.origin import parse_origin
from bitaqa.protocol.signed_request import (
    MAX_LIFETIME_SECONDS,
    PrivateKey,
    algorithm_for_key,
    base64url_encode,
    encode_signed_request,
)
from bitaqa.protocol.trustlist import public_jwk
from bitaqa.validator.nonces import utc_now

__all__ = ["DEFAULT_LIFETIME_SECONDS", "SignedRequestIssuer"]

DEFAULT_LIFETIME_SECONDS = 120
"""How long an issued request stays valid unless the caller asks otherwise (at most 300 s)."""
_JTI_BYTES = 18
_HASH_LENGTHS = {"SHA-256": 32, "SHA-384": 48, "SHA-512": 64}


class SignedRequestIssuer:
    """Makes signed requests for one portal origin with one key.

    Args:
        private_key: EC P-256 (ES256), EC P-384 (ES384), Ed25519 (EdDSA) or RSA ≥ 2048 (PS256).
        kid: the key id the trust list publishes this key under.
        origin: the portal's origin as the agent sees it in the handshake; normalised with
            :func:`bitaqa.protocol.origin.parse_origin` (``http`` only on loopback hosts).
        clock: returns the current time as an aware datetime.
        random_bytes: source of the ``jti`` values.

    Raises ``ValueError`` for a key type the protocol does not allow or a malformed origin.
    """

    def __init__(
        self,
        private_key: PrivateKey,
        kid: str,
        origin: str,
        clock: Callable[[], datetime] = utc_now,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        algorithm = algorithm_for_key(private_key)
        if algorithm is None:
            raise ValueError("key type not allowed for signed requests")
        self._key = private_key
        self._algorithm = algorithm
        self._kid = kid
        try:
            self._origin = parse_origin(origin, allow_insecure_localhost=True).serialize()
        except OriginError:
            raise ValueError("origin must be https://host[:port] (or http on localhost)") from None
        self._clock = clock
        self._random_bytes = random_bytes

    def public_jwk(self) -> dict[str, str]:
        """The public key as the JWK (with ``kid`` and ``alg``) the trust list entry lists."""
        return public_jwk(self._key.public_key(), self._kid)

    def authenticate(
        self, challenge_nonce: str, *, lifetime: int = DEFAULT_LIFETIME_SECONDS
    ) -> str:
        """A request for ``authenticate`` binding the challenge nonce the portal stored."""
        return self._issue("authenticate", {"challengeNonce": challenge_nonce}, lifetime)

    def get_signing_certificate(self, *, lifetime: int = DEFAULT_LIFETIME_SECONDS) -> str:
        """A request for ``getSigningCertificate``."""
        return self._issue("getSigningCertificate", {}, lifetime)

    def read_identity(
        self, fields: Sequence[str], *, lifetime: int = DEFAULT_LIFETIME_SECONDS
    ) -> str:
        """A request for ``readIdentity`` of the named fields."""
        return self._issue("readIdentity", {"fields": list(fields)}, lifetime)

    def sign(
        self,
        *,
        hash_bytes: bytes,
        hash_algorithm: str,
        signing_certificate: x509.Certificate,
        text_ar: str,
        text_en: str,
        document_name: str | None = None,
        lifetime: int = DEFAULT_LIFETIME_SECONDS,
    ) -> str:
        """A request for ``sign``: the digest, its algorithm, the expected certificate and the
        text the user will see.  Raises ``ValueError`` if the digest length does not match."""
        if _HASH_LENGTHS.get(hash_algorithm) != len(hash_bytes):
            raise ValueError("hash length does not match hash_algorithm")
        certificate_sha256 = hashlib.sha256(signing_certificate.public_bytes(Encoding.DER))
        claims: dict[str, Any] = {
            "hash": base64.b64encode(hash_bytes).decode("ascii"),
            "hashAlgorithm": hash_algorithm,
            "certificateSha256": base64url_encode(certificate_sha256.digest()),
            "text": {"ar": text_ar, "en": text_en},
        }
        if document_name is not None:
            claims["documentName"] = document_name
        return self._issue("sign", claims, lifetime)

    def _issue(self, operation: str, details: dict[str, Any], lifetime: int) -> str:
        if not 0 < lifetime <= MAX_LIFETIME_SECONDS:
            raise ValueError(f"lifetime must be 1..{MAX_LIFETIME_SECONDS} seconds")
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("clock must return an aware datetime")
        issued_at = int(now.timestamp())
        claims = {
            "origin": self._origin,
            "op": operation,
            "jti": base64url_encode(self._random_bytes(_JTI_BYTES)),
            "iat": issued_at,
            "exp": issued_at + lifetime,
            **details,
        }
        return encode_signed_request(claims, self._key, self._kid)
