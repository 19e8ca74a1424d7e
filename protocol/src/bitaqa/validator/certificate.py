"""Checks on the holder's certificate alone, and the identity a validated certificate names.

Web eID order (``shared/research/webeid.md`` §3): purpose first (keyUsage with digitalSignature;
if an extendedKeyUsage is present it must contain clientAuth, an absent one is accepted), then the
certificate's own validity period, then the path to a trust anchor (:mod:`bitaqa.validator.chain`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from bitaqa.validator.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateWrongPurpose,
)

__all__ = [
    "ValidatedCertificate",
    "check_authentication_purpose",
    "check_validity_period",
    "identity_of",
]

# ETSI EN 319 412-1 §5.1.3 semantics identifier: 3-letter type, 2-letter country, "-" or ":".
_SEMANTICS_PREFIX = re.compile(r"[A-Z]{3}[A-Z]{2}[-:]")


@dataclass(frozen=True)
class ValidatedCertificate:
    """The holder a validated authentication certificate names.

    Attributes:
        certificate: the holder's certificate (its path, purpose and signature all checked).
        common_name: the subject CN, e.g. ``"KHALIFA,AMINA,900101234"``; ``None`` if absent.
        given_name: the subject givenName; ``None`` if absent.
        surname: the subject surname; ``None`` if absent.
        national_id: the subject serialNumber without an ETSI semantics prefix such as
            ``IDCBH-`` or ``PNOEE-``; ``None`` if absent.
        country: the subject country (ISO 3166 alpha-2); ``None`` if absent.

    Identity is not permission: the portal still decides what this person may do.
    """

    certificate: x509.Certificate
    common_name: str | None
    given_name: str | None
    surname: str | None
    national_id: str | None
    country: str | None


def check_authentication_purpose(certificate: x509.Certificate) -> None:
    """Require keyUsage digitalSignature and, if an EKU is present, clientAuth.

    Raises :class:`CertificateWrongPurpose` otherwise (a missing keyUsage included).  The
    extensions are read with asn1crypto, which, like Web eID's Java and .NET validators, accepts
    certificates that real cards carry but strict DER parsers refuse (the Finnish test cards
    encode the default ``cA FALSE`` in basicConstraints).
    """
    try:
        parsed = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
        key_usage = parsed.key_usage_value
        extended = parsed.extended_key_usage_value
        usages = set(key_usage.native) if key_usage is not None else None
        purposes = set(extended.native) if extended is not None else None
    except (ValueError, TypeError, IndexError, KeyError):
        # asn1crypto decodes lazily; an empty keyUsage BIT STRING raises IndexError.
        raise CertificateWrongPurpose("certificate extensions are malformed") from None
    if usages is None:
        raise CertificateWrongPurpose("certificate has no key usage")
    if "digital_signature" not in usages:
        raise CertificateWrongPurpose("key usage lacks digitalSignature")
    if purposes is not None and "client_auth" not in purposes:
        raise CertificateWrongPurpose("extended key usage lacks clientAuth")


def check_validity_period(certificate: x509.Certificate, moment: datetime) -> None:
    """Raise :class:`CertificateNotYetValid` / :class:`CertificateExpired` outside the period."""
    if moment < certificate.not_valid_before_utc:
        raise CertificateNotYetValid("certificate not valid yet")
    if moment > certificate.not_valid_after_utc:
        raise CertificateExpired("certificate expired")


def identity_of(certificate: x509.Certificate) -> ValidatedCertificate:
    """Read the holder's names and national ID from the certificate subject."""
    subject = certificate.subject
    serial_number = _attribute(subject, NameOID.SERIAL_NUMBER)
    if serial_number is not None and _SEMANTICS_PREFIX.match(serial_number):
        serial_number = serial_number[6:]
    return ValidatedCertificate(
        certificate=certificate,
        common_name=_attribute(subject, NameOID.COMMON_NAME),
        given_name=_attribute(subject, NameOID.GIVEN_NAME),
        surname=_attribute(subject, NameOID.SURNAME),
        national_id=serial_number,
        country=_attribute(subject, NameOID.COUNTRY_NAME),
    )


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")
