"""A deterministic test PKI: root -> intermediate -> holder certificates, plus an OCSP responder.

Everything a test needs to exercise card login and signing without a real issuing authority:
authentication and signing certificates with the key usages of a national ID card, the awkward
variants (expired, not yet valid, wrong purpose, revoked, issued by an untrusted root) and the
``index.txt`` that ``openssl ocsp -index`` serves.

Determinism: names, serial numbers and validity dates are fixed (validity is relative to
``BASE_TIME``, 2025-01-01, and ends by ``END_TIME``, 2036-01-01); EC keys are derived from labels
and certificates are signed with deterministic ECDSA (RFC 6979), so the same call gives the same
certificate bytes in every run. RSA keys cannot be derived from a label; they are generated once
per process, or once per ``directory`` when one is given (cached there as PEM files).

Not for production: every private key here is derivable from public labels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    PrivateKeyTypes,
)
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

__all__ = [
    "BASE_TIME",
    "DEFAULT_OCSP_URL",
    "END_TIME",
    "HolderIdentity",
    "IssuedCertificate",
    "TestPki",
    "build_test_pki",
    "cached_rsa_key",
    "deterministic_ec_key",
]

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
"""Start of every default validity period."""
END_TIME = datetime(2036, 1, 1, tzinfo=UTC)
"""End of the CA certificates' validity; holder certificates end earlier by default."""
HOLDER_END_TIME = datetime(2035, 1, 1, tzinfo=UTC)
DEFAULT_OCSP_URL = "http://127.0.0.1:27399/"
"""The OCSP URL put in the AIA extension when ``build_test_pki`` is given none."""

KeyType = Literal["rsa2048", "p256", "p384"]
Purpose = Literal["authentication", "signing"]

# The orders of the NIST curves (SEC 2 §2.4-2.6); cryptography does not expose them.
_CURVE_ORDERS: dict[str, int] = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    "secp521r1": int(
        "01FF"
        + "FFFFFFFF" * 7
        + "FFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}

_RSA_KEYS: dict[str, rsa.RSAPrivateKey] = {}
"""Process-wide cache of RSA keys by label, used when no directory is given."""


def deterministic_ec_key(label: str, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    """Return the EC private key on ``curve`` derived from ``label`` (SHA-512 of it, mod the order).

    The same label and curve always give the same key. Supported curves: P-256, P-384, P-521.
    """
    order = _CURVE_ORDERS.get(curve.name)
    if order is None:
        raise ValueError(f"no curve order known for {curve.name}")
    seed = int.from_bytes(hashlib.sha512(label.encode()).digest() * 2, "big")
    return ec.derive_private_key(seed % (order - 1) + 1, curve)


def cached_rsa_key(directory: Path | None, label: str) -> rsa.RSAPrivateKey:
    """Return the RSA-2048 key for ``label``, generating it on first use.

    With a ``directory`` the key is stored there as ``<label>.rsa.pem`` and reused by later runs;
    without one it is cached for the life of the process.
    """
    if directory is None:
        key = _RSA_KEYS.get(label)
        if key is None:
            key = _RSA_KEYS[label] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key
    path = directory / f"{_file_safe(label)}.rsa.pem"
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA key")
        return loaded
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    directory.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_private_pem(key))
    return key


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key."""

    certificate: x509.Certificate
    private_key: PrivateKeyTypes

    @property
    def der(self) -> bytes:
        """The certificate in DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def pem(self) -> bytes:
        """The certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM."""
        return _private_pem(self.private_key)


@dataclass(frozen=True)
class HolderIdentity:
    """The person a holder certificate is issued to; ``country`` is ISO 3166 alpha-2 (e.g. "BH")."""

    given_name: str
    surname: str
    given_name_ar: str
    surname_ar: str
    national_id: str
    country: str

    @property
    def common_name(self) -> str:
        """The certificate CN, Web eID style: ``SURNAME,GIVEN,ID``."""
        return f"{self.surname.upper()},{self.given_name.upper()},{self.national_id}"

    @property
    def subject_serial_number(self) -> str:
        """The subject serialNumber, ETSI EN 319 412-1 style: ``IDC<country>-<national_id>``."""
        return f"IDC{self.country}-{self.national_id}"


@dataclass
class _Record:
    certificate: x509.Certificate
    revoked_at: datetime | None = None
    in_index: bool = True


@dataclass
class TestPki:
    """A root, an intermediate issuing holder certificates, and the intermediate's OCSP responder.

    ``issue_holder`` records every certificate it makes; ``revoke`` marks one revoked, and
    ``index_txt`` renders the records in the ``openssl ca`` index format for ``openssl ocsp``.
    """

    __test__ = False  # a pytest collection hint: this class is not a test case

    realm: str
    root: IssuedCertificate
    intermediate: IssuedCertificate
    ocsp_responder: IssuedCertificate
    ocsp_url: str
    directory: Path | None = None
    _records: dict[int, _Record] = field(default_factory=dict, repr=False)

    def issue_holder(
        self,
        identity: HolderIdentity,
        *,
        purpose: Purpose,
        key: PrivateKeyTypes | None = None,
        key_type: KeyType = "p256",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        key_usage_override: x509.KeyUsage | None = None,
        extended_key_usage_override: Sequence[x509.ObjectIdentifier] | None = None,
        in_index: bool = True,
    ) -> IssuedCertificate:
        """Issue a holder certificate for ``identity`` from the intermediate.

        ``purpose`` picks the profile: authentication = keyUsage digitalSignature (critical) and EKU
        clientAuth; signing = keyUsage nonRepudiation (critical) and no EKU. The overrides replace
        those extensions (an empty EKU sequence omits the extension). ``key`` defaults to a key of
        ``key_type`` derived from the realm, identity and purpose. ``in_index=False`` leaves the
        certificate out of ``index_txt`` so the OCSP responder answers "unknown" for it.
        """
        if key is None:
            key = _holder_key(self, identity, purpose, key_type)
        if key_usage_override is not None:
            key_usage = key_usage_override
        elif purpose == "authentication":
            key_usage = _key_usage(digital_signature=True)
        else:
            key_usage = _key_usage(content_commitment=True)
        if extended_key_usage_override is not None:
            extended_key_usage = list(extended_key_usage_override)
        elif purpose == "authentication":
            extended_key_usage = [ExtendedKeyUsageOID.CLIENT_AUTH]
        else:
            extended_key_usage = []
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, identity.country),
                x509.NameAttribute(NameOID.SURNAME, identity.surname.upper()),
                x509.NameAttribute(NameOID.GIVEN_NAME, identity.given_name.upper()),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, identity.subject_serial_number),
                x509.NameAttribute(NameOID.COMMON_NAME, identity.common_name),
            ]
        )
        start = not_before or BASE_TIME
        end = not_after or HOLDER_END_TIME
        public_key = key.public_key()
        serial = _serial(
            self.realm,
            identity.national_id,
            purpose,
            start.isoformat(),
            end.isoformat(),
            repr(key_usage),
            repr(extended_key_usage),
            _public_der(key),
        )
        builder = (
            _builder(subject, self.intermediate.certificate.subject, serial, start, end)
            .public_key(public_key)  # type: ignore[arg-type]
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)  # type: ignore[arg-type]
            .add_extension(_authority_key_id(self.intermediate), critical=False)
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(self.ocsp_url),
                        )
                    ]
                ),
                critical=False,
            )
        )
        if extended_key_usage:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage(extended_key_usage), critical=False
            )
        certificate = _sign(builder, self.intermediate.private_key)
        self._records[serial] = _Record(certificate, in_index=in_index)
        return IssuedCertificate(certificate, key)

    def issue_ocsp_responder(
        self, common_name: str, *, ocsp_signing: bool = True
    ) -> IssuedCertificate:
        """Issue another OCSP responder certificate from the intermediate.

        With ``ocsp_signing=False`` it lacks the OCSPSigning EKU, so a response it signs must be
        rejected as coming from an unauthorised responder.
        """
        eku = (
            [ExtendedKeyUsageOID.OCSP_SIGNING]
            if ocsp_signing
            else [ExtendedKeyUsageOID.CLIENT_AUTH]
        )
        return _issue_responder(self.realm, self.intermediate, common_name, eku)

    def revoke(
        self, certificate: x509.Certificate | IssuedCertificate, *, at: datetime | None = None
    ) -> None:
        """Mark a certificate of this PKI revoked (at ``at``, default ``BASE_TIME`` + 1 day)."""
        if isinstance(certificate, IssuedCertificate):
            certificate = certificate.certificate
        record = self._records.get(certificate.serial_number)
        if record is None or record.certificate != certificate:
            raise ValueError("certificate was not issued by this test PKI")
        record.revoked_at = at or datetime(2025, 1, 2, tzinfo=UTC)

    def index_txt(self) -> str:
        """The holder certificates in ``openssl ca`` index format (for ``openssl ocsp -index``).

        A holder's authentication and signing certificates share a subject, so write
        ``unique_subject = no`` to ``index.txt.attr`` next to the index, or OpenSSL refuses it.
        """
        lines = []
        for serial, record in sorted(self._records.items()):
            if not record.in_index:
                continue
            status, revoked = (
                ("R", _index_time(record.revoked_at)) if record.revoked_at else ("V", "")
            )
            expiry = _index_time(record.certificate.not_valid_after_utc)
            lines.append(
                "\t".join(
                    [
                        status,
                        expiry,
                        revoked,
                        _index_serial(serial),
                        "unknown",
                        _oneline(record.certificate.subject),
                    ]
                )
            )
        return "".join(line + "\n" for line in lines)


def build_test_pki(
    directory: Path | None = None,
    *,
    ocsp_url: str = DEFAULT_OCSP_URL,
    realm: str = "Bitaqa Test",
) -> TestPki:
    """Build the CA part of a test PKI: root (P-384), intermediate (P-256), OCSP responder (P-256).

    ``realm`` names the PKI and seeds its keys: ``build_test_pki(realm="Untrusted")`` makes a
    separate PKI whose holder certificates do not chain to the default one. ``directory`` caches
    RSA holder keys across runs. Holder certificates carry ``ocsp_url`` in their AIA extension.
    """
    root_key = deterministic_ec_key(f"{realm}/root", ec.SECP384R1())
    root_name = _ca_name(realm, f"{realm} Root CA")
    root_builder = (
        _builder(root_name, root_name, _serial(realm, "root"), BASE_TIME, END_TIME)
        .public_key(root_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
    )
    root = IssuedCertificate(_sign(root_builder, root_key), root_key)

    intermediate_key = deterministic_ec_key(f"{realm}/intermediate", ec.SECP256R1())
    intermediate_builder = (
        _builder(
            _ca_name(realm, f"{realm} ID Card CA"),
            root_name,
            _serial(realm, "intermediate"),
            BASE_TIME,
            END_TIME,
        )
        .public_key(intermediate_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(intermediate_key.public_key()), critical=False
        )
        .add_extension(_authority_key_id(root), critical=False)
    )
    intermediate = IssuedCertificate(_sign(intermediate_builder, root_key), intermediate_key)
    responder = _issue_responder(
        realm, intermediate, f"{realm} OCSP Responder", [ExtendedKeyUsageOID.OCSP_SIGNING]
    )
    return TestPki(
        realm=realm,
        root=root,
        intermediate=intermediate,
        ocsp_responder=responder,
        ocsp_url=ocsp_url,
        directory=directory,
    )


def _issue_responder(
    realm: str,
    issuer: IssuedCertificate,
    common_name: str,
    extended_key_usage: list[x509.ObjectIdentifier],
) -> IssuedCertificate:
    key = deterministic_ec_key(f"{realm}/ocsp/{common_name}", ec.SECP256R1())
    builder = (
        _builder(
            _ca_name(realm, common_name),
            issuer.certificate.subject,
            _serial(realm, "ocsp", common_name, repr(extended_key_usage)),
            BASE_TIME,
            END_TIME,
        )
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage(extended_key_usage), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_authority_key_id(issuer), critical=False)
    )
    return IssuedCertificate(_sign(builder, issuer.private_key), key)


def _holder_key(
    pki: TestPki, identity: HolderIdentity, purpose: str, key_type: KeyType
) -> PrivateKeyTypes:
    label = f"{pki.realm}/holder/{identity.country}/{identity.national_id}/{purpose}/{key_type}"
    if key_type == "p256":
        return deterministic_ec_key(label, ec.SECP256R1())
    if key_type == "p384":
        return deterministic_ec_key(label, ec.SECP384R1())
    return cached_rsa_key(pki.directory, label)


def _builder(
    subject: x509.Name, issuer: x509.Name, serial: int, start: datetime, end: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
    )


def _sign(builder: x509.CertificateBuilder, key: PrivateKeyTypes) -> x509.Certificate:
    issuer_key: CertificateIssuerPrivateKeyTypes = key  # type: ignore[assignment]
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        digest = hashes.SHA384() if issuer_key.curve.key_size >= 384 else hashes.SHA256()
        return builder.sign(issuer_key, digest, ecdsa_deterministic=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _ca_name(realm: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, realm),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(
    *, digital_signature: bool = False, content_commitment: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_id(issuer: IssuedCertificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _serial(*parts: object) -> int:
    """A positive 63-bit serial hashed from the inputs: stable across runs, distinct per input."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1 or 1


def _public_der(key: PrivateKeyTypes) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _index_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%y%m%d%H%M%SZ")


def _index_serial(serial: int) -> str:
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else "0" + text


def _oneline(name: x509.Name) -> str:
    short = {
        NameOID.COUNTRY_NAME: "C",
        NameOID.ORGANIZATION_NAME: "O",
        NameOID.COMMON_NAME: "CN",
        NameOID.SURNAME: "SN",
        NameOID.GIVEN_NAME: "GN",
        NameOID.SERIAL_NUMBER: "serialNumber",
    }
    return "".join(
        f"/{short.get(attribute.oid, attribute.oid.dotted_string)}={attribute.value!s}"
        for attribute in name
    )


def _file_safe(label: str) -> str:
    return "".join(character if character.isalnum() else "_" for character in label)
