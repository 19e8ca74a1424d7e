"""Portal-side validation of Bitaqa and Web eID authentication tokens and card signatures.

What a portal backend needs, with no agent code, pyscard, websockets or GUI toolkit:

- :class:`AuthTokenValidator` — ``parse()`` then ``validate()`` a ``web-eid:1.0`` token;
- :func:`generate_challenge_nonce` and the single-use nonce stores (:class:`MemoryNonceStore`
  here, ``bitaqa.validator.redis_nonces.RedisNonceStore`` for several servers);
- :func:`verify_signature_result` — check what the ``sign`` method returned;
- :class:`SignedRequestIssuer` — make the signed requests the agent requires;
- the error tree in :mod:`bitaqa.validator.errors`.
"""

from bitaqa.validator.authtoken import AuthTokenValidator
from bitaqa.validator.certificate import ValidatedCertificate
from bitaqa.validator.errors import (
    CertificateDecodeError,
    CertificateError,
    CertificateExpired,
    CertificateNotTrusted,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateStatusUnknown,
    CertificateWrongPurpose,
    NonceError,
    NonceExpired,
    NonceNotFound,
    OcspCheckFailed,
    SignatureInvalid,
    TokenError,
    TokenParseError,
    UnsupportedAlgorithm,
    UnsupportedFormat,
    ValidationError,
)
from bitaqa.validator.issuer import SignedRequestIssuer
from bitaqa.validator.nonces import (
    DEFAULT_NONCE_TTL,
    MemoryNonceStore,
    NonceStore,
    generate_challenge_nonce,
)
from bitaqa.validator.ocsp import HttpOcspTransport, OcspTransport
from bitaqa.validator.revocation import DesignatedResponder, OcspSettings
from bitaqa.validator.signature import verify_signature_result

__all__ = [
    "DEFAULT_NONCE_TTL",
    "AuthTokenValidator",
    "CertificateDecodeError",
    "CertificateError",
    "CertificateExpired",
    "CertificateNotTrusted",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateStatusUnknown",
    "CertificateWrongPurpose",
    "DesignatedResponder",
    "HttpOcspTransport",
    "MemoryNonceStore",
    "NonceError",
    "NonceExpired",
    "NonceNotFound",
    "NonceStore",
    "OcspCheckFailed",
    "OcspSettings",
    "OcspTransport",
    "SignatureInvalid",
    "SignedRequestIssuer",
    "TokenError",
    "TokenParseError",
    "UnsupportedAlgorithm",
    "UnsupportedFormat",
    "ValidatedCertificate",
    "ValidationError",
    "generate_challenge_nonce",
    "verify_signature_result",
]
