"""OCSP revocation checking with the Web eID rules (``shared/research/webeid.md`` §3 step 6).

Built on ``cryptography.x509.ocsp`` for the ASN.1 and signatures, with network I/O behind
:class:`~bitaqa.validator.ocsp.OcspTransport`.  pyhanko-certvalidator's own OCSP support is not
used because it has no request nonce, no designated-responder pinning and no thisUpdate maximum
age, which are the checks that make a replayed or stale answer useless.

For one holder certificate and its issuer (the issuer comes from the validated path):

1. The service: the :class:`DesignatedResponder` when one is configured for that issuer, else the
   OCSP URL in the certificate's AIA extension (none → :class:`OcspCheckFailed`).
2. The request: SHA-1 CertID (what every responder supports) and a 32-byte nonce extension,
   unless the URL is in ``nonce_disabled_urls``.
3. The response (:func:`check_ocsp_response`), each failure an :class:`OcspCheckFailed`: status
   successful; exactly one SingleResponse, for our CertID; the signer is the pinned certificate
   (designated responder) or, for an AIA responder, the issuing CA itself or a certificate issued
   directly by it with the OCSPSigning EKU that is valid now (RFC 6960 §4.2.2.2 — stricter than
   Web eID, which accepts a responder chaining to any trusted CA); the responder id names the
   signer; the signature verifies; thisUpdate is not after now + skew nor before now − max age;
   nextUpdate, if present, is neither before now − skew nor before thisUpdate; the nonce echo
   matches.  Only then is the status read: revoked → :class:`CertificateRevoked`, unknown →
   :class:`CertificateStatusUnknown`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from bitaqa.validator.errors import (
    CertificateRevoked,
    CertificateStatusUnknown,
    OcspCheckFailed,
)
from bitaqa.validator.ocsp import HttpOcspTransport, OcspTransport

__all__ = [
    "OCSP_NONCE_BYTES",
    "DesignatedResponder",
    "OcspSettings",
    "build_ocsp_request",
    "check_not_revoked",
    "check_ocsp_response",
]

OCSP_NONCE_BYTES = 32

# What cryptography raises when it parses a field on first access.  DuplicateExtension and
# UnsupportedGeneralNameType are not ValueError subclasses, and UnsupportedAlgorithm comes from an
# included certificate whose key type it does not know.
_LAZY_PARSE_ERRORS = (
    ValueError,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
    UnsupportedAlgorithm,
)


@dataclass(frozen=True)
class DesignatedResponder:
    """An OCSP service the portal names instead of the certificates' AIA URLs.

    Attributes:
        url: where to send requests.
        certificate: the responder's certificate; answers must be signed with its key.
        issuers: the CA certificates whose holders this responder answers for; holders of other
            CAs still use their AIA URL.
    """

    url: str
    certificate: x509.Certificate
    issuers: Sequence[x509.Certificate]

    def serves(self, issuer: x509.Certificate) -> bool:
        """Whether this responder answers for certificates issued by ``issuer``."""
        return any(candidate == issuer for candidate in self.issuers)


@dataclass(frozen=True)
class OcspSettings:
    """How :class:`~bitaqa.validator.AuthTokenValidator` checks revocation (Web eID defaults).

    Attributes:
        designated_responder: an optional responder that overrides AIA for its issuers.
        transport: sends requests; :class:`~bitaqa.validator.ocsp.HttpOcspTransport` by default.
        timeout: seconds allowed for one request.
        allowed_time_skew: tolerated clock difference with the responder.
        max_this_update_age: how old ``thisUpdate`` may be (stops replayed answers).
        nonce_disabled_urls: responders that cannot echo a nonce (pre-signed answers).
        random_bytes: source of request nonces.
    """

    designated_responder: DesignatedResponder | None = None
    transport: OcspTransport = field(default_factory=HttpOcspTransport)
    timeout: float = 5.0
    allowed_time_skew: timedelta = timedelta(minutes=15)
    max_this_update_age: timedelta = timedelta(minutes=2)
    nonce_disabled_urls: frozenset[str] = frozenset()
    random_bytes: Callable[[int], bytes] = os.urandom

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.allowed_time_skew < timedelta(0) or self.max_this_update_age <= timedelta(0):
            raise ValueError("allowed_time_skew must not be negative, max_this_update_age positive")


def check_not_revoked(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    settings: OcspSettings,
    now: datetime,
) -> None:
    """Ask the certificate's OCSP service and return only if it answers "good" (module docstring).

    Raises :class:`CertificateRevoked`, :class:`CertificateStatusUnknown` or
    :class:`OcspCheckFailed`.
    """
    designated = settings.designated_responder
    if designated is not None and designated.serves(issuer):
        url, pinned = designated.url, designated.certificate
    else:
        url, pinned = _aia_ocsp_url(certificate), None
    nonce = None if url in settings.nonce_disabled_urls else settings.random_bytes(OCSP_NONCE_BYTES)
    request = build_ocsp_request(certificate, issuer, nonce)
    body = settings.transport.post(url, request, timeout=settings.timeout)
    check_ocsp_response(
        body,
        certificate=certificate,
        issuer=issuer,
        nonce=nonce,
        pinned_responder=pinned,
        now=now,
        allowed_time_skew=settings.allowed_time_skew,
        max_this_update_age=settings.max_this_update_age,
    )


def build_ocsp_request(
    certificate: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None
) -> bytes:
    """Return a DER OCSP request for one certificate (SHA-1 CertID), with ``nonce`` if given."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303 (RFC 6960 CertID)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


def check_ocsp_response(
    body: bytes,
    *,
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    nonce: bytes | None,
    pinned_responder: x509.Certificate | None,
    now: datetime,
    allowed_time_skew: timedelta = timedelta(minutes=15),
    max_this_update_age: timedelta = timedelta(minutes=2),
) -> None:
    """Check a DER OCSP response for ``certificate`` as the module docstring lists; return if good.

    ``pinned_responder`` is the designated responder's certificate, or ``None`` for an AIA
    responder.  Raises :class:`OcspCheckFailed`, :class:`CertificateRevoked` or
    :class:`CertificateStatusUnknown`.
    """
    try:
        response = ocsp.load_der_ocsp_response(body)
    except ValueError:
        raise OcspCheckFailed("OCSP response is malformed") from None
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspCheckFailed(f"OCSP response status {response.response_status.name}")
    try:
        single = _single_response(response, certificate, issuer)
        signer = _signer(response, issuer, pinned_responder, now)
        _check_signature(response, signer)
        _check_times(single, now, allowed_time_skew, max_this_update_age)
        if nonce is not None:
            _check_nonce(response, nonce)
    except _LAZY_PARSE_ERRORS:
        # cryptography parses some fields lazily (included certificates, extensions).
        raise OcspCheckFailed("OCSP response has a malformed field") from None
    status = single.certificate_status
    if status == ocsp.OCSPCertStatus.REVOKED:
        raise CertificateRevoked("certificate revoked")
    if status != ocsp.OCSPCertStatus.GOOD:
        raise CertificateStatusUnknown("OCSP responder does not know the certificate")


def _aia_ocsp_url(certificate: x509.Certificate) -> str:
    # asn1crypto reads the AIA of certificates whose other extensions strict DER parsers refuse.
    try:
        urls = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER)).ocsp_urls
    except (ValueError, TypeError):
        urls = []
    if not urls:
        raise OcspCheckFailed("certificate names no OCSP responder")
    url: str = urls[0]
    return url


def _single_response(
    response: ocsp.OCSPResponse, certificate: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse:
    singles = list(response.responses)
    if len(singles) != 1:
        raise OcspCheckFailed("OCSP response must hold exactly one answer")
    single = singles[0]
    try:
        expected = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(certificate, issuer, single.hash_algorithm)
            .build()
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise OcspCheckFailed("OCSP answer uses an unsupported CertID hash") from None
    if (
        single.serial_number != certificate.serial_number
        or single.issuer_name_hash != expected.issuer_name_hash
        or single.issuer_key_hash != expected.issuer_key_hash
    ):
        raise OcspCheckFailed("OCSP answer is for another certificate")
    return single


def _signer(
    response: ocsp.OCSPResponse,
    issuer: x509.Certificate,
    pinned: x509.Certificate | None,
    now: datetime,
) -> x509.Certificate:
    included = response.certificates
    if pinned is not None:
        if included and included[0] != pinned:
            raise OcspCheckFailed("OCSP response not signed by the designated responder")
        signer = pinned
    elif included:
        signer = included[0]
        if signer != issuer:
            _check_delegated_responder(signer, issuer, now)
    else:
        signer = issuer
    if not _names_signer(response, signer):
        raise OcspCheckFailed("OCSP responder id does not match its certificate")
    return signer


def _check_delegated_responder(
    signer: x509.Certificate, issuer: x509.Certificate, now: datetime
) -> None:
    # RFC 6960 §4.2.2.2: issued directly by the CA in question and carrying id-kp-OCSPSigning.
    try:
        signer.verify_directly_issued_by(issuer)
        extended = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (*_LAZY_PARSE_ERRORS, TypeError, InvalidSignature, x509.ExtensionNotFound):
        raise OcspCheckFailed("OCSP responder not authorised by the issuing CA") from None
    if ExtendedKeyUsageOID.OCSP_SIGNING not in extended:
        raise OcspCheckFailed("OCSP responder certificate lacks the OCSPSigning purpose")
    if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
        raise OcspCheckFailed("OCSP responder certificate not valid now")


def _names_signer(response: ocsp.OCSPResponse, signer: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == signer.subject
    key_hash = x509.SubjectKeyIdentifier.from_public_key(signer.public_key()).digest
    return response.responder_key_hash == key_hash


def _check_signature(response: ocsp.OCSPResponse, signer: x509.Certificate) -> None:
    key = signer.public_key()
    data, signature = response.tbs_response_bytes, response.signature
    try:
        algorithm = response.signature_hash_algorithm
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            raise OcspCheckFailed("OCSP signature algorithm not supported")
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        raise OcspCheckFailed("OCSP response signature does not verify") from None


def _check_times(
    single: ocsp.OCSPSingleResponse,
    now: datetime,
    allowed_time_skew: timedelta,
    max_this_update_age: timedelta,
) -> None:
    this_update = single.this_update_utc
    if this_update > now + allowed_time_skew:
        raise OcspCheckFailed("OCSP thisUpdate is too far in the future")
    if this_update < now - max_this_update_age:
        raise OcspCheckFailed("OCSP thisUpdate is too old")
    next_update = single.next_update_utc
    if next_update is not None:
        if next_update < now - allowed_time_skew:
            raise OcspCheckFailed("OCSP nextUpdate is in the past")
        if next_update < this_update:
            raise OcspCheckFailed("OCSP nextUpdate is before thisUpdate")


def _check_nonce(response: ocsp.OCSPResponse, nonce: bytes) -> None:
    try:
        echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        raise OcspCheckFailed("OCSP response lacks the request nonce") from None
    except _LAZY_PARSE_ERRORS:
        raise OcspCheckFailed("OCSP response extensions are malformed") from None
    if echoed != nonce:
        raise OcspCheckFailed("OCSP response nonce differs from the request")
