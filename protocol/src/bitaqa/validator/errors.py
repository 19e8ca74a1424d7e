"""Why the validator refused a token, a nonce or a signature: one exception class per failure.

Every failure is a :class:`ValidationError` with a stable :attr:`~ValidationError.code` (use it in
logs, metrics and tests; never show it, or the message, to the user — tell the user "login
failed").  Messages are short and deliberately uninformative about secrets, but say which check
failed so an operator can tell from the log.  Wrong configuration (a site origin that is not
https, no trust anchors, a naive clock) is the caller's mistake and raises ``ValueError``
instead, at construction.

Exception tree (``code`` in brackets)::

    ValidationError                          [validation-failed]
    ├── TokenError                           the token text or its fields are unusable
    │   ├── TokenParseError                  [token-parse]          length, JSON, fields
    │   ├── UnsupportedFormat                [unsupported-format]   format is not web-eid:1
    │   └── UnsupportedAlgorithm             [unsupported-algorithm]
    ├── CertificateError                     the holder certificate is unacceptable
    │   ├── CertificateDecodeError           [certificate-decode]   not X.509 DER
    │   ├── CertificateWrongPurpose          [certificate-wrong-purpose]
    │   ├── CertificateExpired               [certificate-expired]
    │   ├── CertificateNotYetValid           [certificate-not-yet-valid]
    │   ├── CertificateNotTrusted            [certificate-not-trusted]
    │   ├── CertificateRevoked               [certificate-revoked]
    │   │   └── CertificateStatusUnknown     [certificate-status-unknown]  OCSP said "unknown"
    │   └── OcspCheckFailed                  [ocsp-check-failed]    no usable OCSP answer
    ├── NonceError                           the challenge nonce cannot be used
    │   ├── NonceNotFound                    [nonce-not-found]      never issued or already used
    │   └── NonceExpired                     [nonce-expired]
    └── SignatureInvalid                     [signature-invalid]    token or sign-result signature

Web eID names for comparison: AuthTokenParseException → TokenParseError,
UserCertificateMissingPurpose/WrongPurpose → CertificateWrongPurpose, UserCertificateRevoked →
CertificateRevoked (we split off "unknown"), ChallengeNonceNotFound/Expired → NonceNotFound/
NonceExpired, AuthTokenSignatureValidation → SignatureInvalid.
"""

# The class names are the contract named in docs/ARCHITECTURE.md and mirror Web eID's, which
# read as verdicts ("CertificateRevoked"); an "Error" suffix on each would add nothing.
# ruff: noqa: N818

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "CertificateDecodeError",
    "CertificateError",
    "CertificateExpired",
    "CertificateNotTrusted",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateStatusUnknown",
    "CertificateWrongPurpose",
    "NonceError",
    "NonceExpired",
    "NonceNotFound",
    "OcspCheckFailed",
    "SignatureInvalid",
    "TokenError",
    "TokenParseError",
    "UnsupportedAlgorithm",
    "UnsupportedFormat",
    "ValidationError",
]


class ValidationError(Exception):
    """Root of every refusal; :attr:`code` is stable, the message is for logs only."""

    code: ClassVar[str] = "validation-failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class TokenError(ValidationError):
    """The token text or one of its fields is unusable."""


class TokenParseError(TokenError):
    """The token is too short or long, not a JSON object, or a field is missing or malformed."""

    code = "token-parse"


class UnsupportedFormat(TokenError):
    """The token's ``format`` is not ``web-eid:1`` or ``web-eid:1.<minor>``."""

    code = "unsupported-format"


class UnsupportedAlgorithm(TokenError):
    """The signature algorithm is not on the allowlist (or does not fit the key)."""

    code = "unsupported-algorithm"


class CertificateError(ValidationError):
    """The holder's certificate is unacceptable."""


class CertificateDecodeError(CertificateError):
    """``unverifiedCertificate`` is not a DER X.509 certificate."""

    code = "certificate-decode"


class CertificateWrongPurpose(CertificateError):
    """Key usage lacks digitalSignature, or the EKU is present without clientAuth."""

    code = "certificate-wrong-purpose"


class CertificateExpired(CertificateError):
    """The holder's certificate (or a CA certificate on its path) has expired."""

    code = "certificate-expired"


class CertificateNotYetValid(CertificateError):
    """The holder's certificate (or a CA certificate on its path) is not valid yet."""

    code = "certificate-not-yet-valid"


class CertificateNotTrusted(CertificateError):
    """No valid path leads from the certificate to a configured trust anchor."""

    code = "certificate-not-trusted"


class CertificateRevoked(CertificateError):
    """The OCSP responder says the certificate is revoked."""

    code = "certificate-revoked"


class CertificateStatusUnknown(CertificateRevoked):
    """The OCSP responder does not know the certificate; treated like a revocation."""

    code = "certificate-status-unknown"


class OcspCheckFailed(CertificateError):
    """The revocation status is not established: no answer, or an answer we cannot trust."""

    code = "ocsp-check-failed"


class NonceError(ValidationError):
    """The challenge nonce cannot be used."""


class NonceNotFound(NonceError):
    """No nonce is stored for the session: never issued, or already used (single use)."""

    code = "nonce-not-found"


class NonceExpired(NonceError):
    """The session's nonce was found but had expired; it is removed all the same."""

    code = "nonce-expired"


class SignatureInvalid(ValidationError):
    """A signature does not verify with the certificate's key over the expected data."""

    code = "signature-invalid"
