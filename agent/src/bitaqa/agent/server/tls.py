"""The per-install TLS root and the agent's server certificate (invariant 11).

On first start (or on renewal) :func:`issue_certificates` creates a fresh root certificate whose
*critical* nameConstraints permit only ``localhost``, ``127.0.0.1/32`` and ``::1/128`` and whose
pathLen is 0, uses the root key once to sign a server certificate (at most 825 days, the limit
Apple clients enforce), and then drops the root key: it is never written anywhere, so nobody can
later mint another certificate under that root.  Only the root *certificate* is written, for the
installer to add to the trust stores (and remove on uninstall).

Renewal therefore means a new root *and* a new server certificate (:func:`renew_certificates`,
``bitaqa agent --renew-certificate``); the installer, or the resident via ``bitaqa doctor``, must
trust the new root again.  :func:`load_or_issue` renews automatically when the server certificate
is within :data:`RENEW_BEFORE` of its end.

Files in the TLS directory: ``root.pem`` (root certificate), ``server.pem`` (server
certificate), ``server-key.pem`` (server private key, mode 0600).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "RENEW_BEFORE",
    "SERVER_LIFETIME",
    "TlsFiles",
    "issue_certificates",
    "load_or_issue",
    "renew_certificates",
    "server_context",
]

SERVER_LIFETIME = datetime.timedelta(days=825)
"""Longest server certificate lifetime that Apple platforms accept (HT210176)."""

RENEW_BEFORE = datetime.timedelta(days=30)
"""A server certificate this close to its end is replaced on start."""

_LOOPBACK_NAMES: tuple[x509.GeneralName, ...] = (
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    x509.IPAddress(ipaddress.ip_address("::1")),
)
_LOOPBACK_SUBTREES: tuple[x509.GeneralName, ...] = (
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_network("127.0.0.1/32")),
    x509.IPAddress(ipaddress.ip_network("::1/128")),
)


@dataclass(frozen=True)
class TlsFiles:
    """Where the TLS material of one install lives."""

    directory: Path

    @property
    def root(self) -> Path:
        """The root certificate (PEM) that the installer adds to the trust stores."""
        return self.directory / "root.pem"

    @property
    def certificate(self) -> Path:
        """The server certificate (PEM)."""
        return self.directory / "server.pem"

    @property
    def key(self) -> Path:
        """The server private key (PEM, mode 0600)."""
        return self.directory / "server-key.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bitaqa local agent"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def issue_certificates(files: TlsFiles, now: datetime.datetime) -> None:
    """Create a new name-constrained root and a server certificate under it; discard the root key.

    Existing files are replaced atomically, one by one.  The root key exists only inside this call.
    """
    files.directory.mkdir(parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"Bitaqa local root {now:%Y-%m-%d %H:%M:%S}")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + SERVER_LIFETIME + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(
                permitted_subtrees=list(_LOOPBACK_SUBTREES), excluded_subtrees=None
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(root_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + SERVER_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(list(_LOOPBACK_NAMES)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    del root_key  # the only reference: from here on nobody can issue under this root
    _write_private(
        files.key,
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_private(files.certificate, server.public_bytes(serialization.Encoding.PEM))
    _write_private(files.root, root.public_bytes(serialization.Encoding.PEM))


def renew_certificates(files: TlsFiles, now: datetime.datetime) -> Path:
    """Replace root and server certificate; return the new root for the trust stores."""
    issue_certificates(files, now)
    return files.root


def load_or_issue(files: TlsFiles, now: datetime.datetime) -> bool:
    """Make sure a usable server certificate exists; return True if new ones were issued."""
    try:
        certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
        usable = files.key.is_file() and certificate.not_valid_after_utc - RENEW_BEFORE > now
    except (OSError, ValueError):
        usable = False
    if not usable:
        issue_certificates(files, now)
    return not usable


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """An SSL context serving the install's server certificate (TLS 1.2 or newer)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.certificate, files.key)
    return context
