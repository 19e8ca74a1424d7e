"""Validation of ``web-eid:1.0`` authentication tokens: what a portal backend calls at login.

Usage::

    validator = AuthTokenValidator(site_origin="https://portal.example", trust_anchors=[ca])
    nonce = nonce_store.get_and_remove(session_id)        # NonceNotFound / NonceExpired
    holder = validator.validate(validator.parse(token_text), nonce)

Checks, in Web eID's order (``shared/research/webeid.md`` §3), each failure its own
:class:`~bitaqa.validator.errors.ValidationError`:

1. ``parse``: length 100..10000, JSON, fields (:class:`TokenParseError`), format ``web-eid:1``
   (:class:`UnsupportedFormat`), algorithm allowlist ES/PS/RS 256/384/512
   (:class:`UnsupportedAlgorithm`), certificate base64 and DER (:class:`CertificateDecodeError`).
2. ``validate``: certificate purpose (:class:`CertificateWrongPurpose`); its validity at the
   injected clock (:class:`CertificateExpired`, :class:`CertificateNotYetValid`); a path to a
   configured trust anchor (:class:`CertificateNotTrusted`); OCSP when configured
   (:class:`CertificateRevoked`, :class:`CertificateStatusUnknown`, :class:`OcspCheckFailed`);
   finally the signature over ``H(origin) || H(nonce)`` with the validator's own site origin and
   the nonce the caller took from its store, never values from the request
   (:class:`SignatureInvalid`).  A valid signature proves origin and nonce at once.

The token format itself (parsing, the signed bytes, the algorithm table) is
:mod:`bitaqa.protocol.authtoken`; this module adds the certificate checks and maps the core's
reasons onto the validator's errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography import x509

from bitaqa.protocol.authtoken import (
    AuthToken,
    AuthTokenReason,
    AuthTokenRejectedError,
    parse_auth_token,
    verify_auth_token_signature,
)
from bitaqa.protocol.errors import OriginError
from bitaqa.protocol.origin import parse_origin
from bitaqa.validator.certificate import (
    ValidatedCertificate,
    check_authentication_purpose,
    check_validity_period,
    identity_of,
)
from bitaqa.validator.chain import TrustStore
from bitaqa.validator.errors import (
    CertificateDecodeError,
    NonceNotFound,
    SignatureInvalid,
    TokenParseError,
    UnsupportedAlgorithm,
    UnsupportedFormat,
    ValidationError,
)
from bitaqa.validator.nonces import utc_now
from bitaqa.validator.revocation import OcspSettings, check_not_revoked

__all__ = ["AuthTokenValidator"]

_PARSE_ERRORS: dict[AuthTokenReason, type[ValidationError]] = {
    AuthTokenReason.FORMAT_UNSUPPORTED: UnsupportedFormat,
    AuthTokenReason.ALGORITHM_UNSUPPORTED: UnsupportedAlgorithm,
    AuthTokenReason.CERTIFICATE_INVALID: CertificateDecodeError,
    AuthTokenReason.SIGNATURE_INVALID: SignatureInvalid,
    AuthTokenReason.NONCE_INVALID: NonceNotFound,
}


class AuthTokenValidator:
    """Validates ``web-eid:1.0`` tokens for one site origin against configured CAs.

    Args:
        site_origin: the portal's own origin, ``https://host[:port]``; normalised with
            :func:`bitaqa.protocol.origin.parse_origin` (Punycode, default port dropped).
        trust_anchors: the CA certificates that issue ID card certificates (usually the
            intermediates, as in Web eID); a path must end at one of them.
        intermediates: extra CA certificates that may be needed to reach an anchor.
        ocsp: revocation settings; ``None`` skips the OCSP check.
        clock: returns the current time as an aware datetime (tests inject fixed times).
        allow_insecure_localhost: also accept the development site origins of SPEC.md §13,
            ``http://localhost``, ``http://127.0.0.1`` and ``http://[::1]`` (any port), for a
            portal run on the developer's own machine.  ``http`` on any other host is refused
            even with it.  Off by default: a deployed portal is https only.

    Raises ``ValueError`` for a site origin that is not https (nor, with
    ``allow_insecure_localhost``, http on a loopback host), no trust anchors, or a clock that
    returns a naive datetime.
    """

    def __init__(
        self,
        *,
        site_origin: str,
        trust_anchors: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        ocsp: OcspSettings | None = None,
        clock: Callable[[], datetime] = utc_now,
        allow_insecure_localhost: bool = False,
    ) -> None:
        try:
            self._site_origin = parse_origin(
                site_origin, allow_insecure_localhost=allow_insecure_localhost
            ).serialize()
        except OriginError:
            expected = "https://host[:port]"
            if allow_insecure_localhost:
                expected += " (or http on localhost, 127.0.0.1 or [::1])"
            raise ValueError(f"site_origin must be {expected}") from None
        self._trust = TrustStore(trust_anchors, intermediates)
        self._ocsp = ocsp
        self._clock = clock

    @property
    def site_origin(self) -> str:
        """The normalised origin every signature is checked against."""
        return self._site_origin

    def parse(self, token_text: str) -> AuthToken:
        """Parse the token's JSON text, checking its shape only (step 1 of the module docstring)."""
        try:
            return parse_auth_token(token_text)
        except AuthTokenRejectedError as rejected:
            raise _PARSE_ERRORS.get(rejected.reason, TokenParseError)(str(rejected)) from None

    def validate(self, token: AuthToken, challenge_nonce: str) -> ValidatedCertificate:
        """Validate a parsed token against the nonce the portal stored for this session.

        ``challenge_nonce`` must come from the portal's nonce store (taken out with
        ``get_and_remove``), never from the request.  Returns the holder's identity; raises a
        :class:`~bitaqa.validator.errors.ValidationError` subclass (module docstring, step 2).
        """
        now = self._now()
        try:
            certificate = x509.load_der_x509_certificate(token.certificate_der)
        except ValueError:
            raise CertificateDecodeError("not an X.509 certificate") from None
        check_authentication_purpose(certificate)
        check_validity_period(certificate, now)
        issuer = self._trust.issuer_of(certificate, now)
        if self._ocsp is not None:
            check_not_revoked(certificate, issuer, self._ocsp, now)
        try:
            verify_auth_token_signature(token, self._site_origin, challenge_nonce)
        except AuthTokenRejectedError as rejected:
            raise _PARSE_ERRORS.get(rejected.reason, SignatureInvalid)(str(rejected)) from None
        return identity_of(certificate)

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("clock must return an aware datetime")
        return now
