"""The per-install TLS root and server certificate: issuing, reuse, renewal."""

from __future__ import annotations

import datetime

from cryptography import x509

from bitaqa.agent.server.tls import (
    SERVER_LIFETIME,
    TlsFiles,
    load_or_issue,
    renew_certificates,
    server_context,
)

NOW = datetime.datetime(2026, 11, 22, tzinfo=datetime.UTC)


def test_certificates_are_issued_once_and_reused(tmp_path):
    """The first start issues; a later start with a valid certificate reuses it."""
    files = TlsFiles(tmp_path / "tls")
    assert load_or_issue(files, NOW)
    root = files.root.read_bytes()
    assert not load_or_issue(files, NOW + datetime.timedelta(days=100))
    assert files.root.read_bytes() == root
    assert files.key.stat().st_mode & 0o777 == 0o600
    server_context(files)


def test_a_certificate_near_its_end_is_renewed_with_a_new_root(tmp_path):
    """Within 30 days of the end a new root and server certificate replace the old ones."""
    files = TlsFiles(tmp_path / "tls")
    load_or_issue(files, NOW)
    old_root = x509.load_pem_x509_certificate(files.root.read_bytes())
    assert load_or_issue(files, NOW + SERVER_LIFETIME - datetime.timedelta(days=10))
    new_root = x509.load_pem_x509_certificate(files.root.read_bytes())
    assert new_root.serial_number != old_root.serial_number
    server = x509.load_pem_x509_certificate(files.certificate.read_bytes())
    assert server.issuer == new_root.subject
    new_root.public_key().verify(server.signature, server.tbs_certificate_bytes, *_ecdsa(server))


def test_renewal_on_demand_returns_the_root_to_trust(tmp_path):
    """renew_certificates always replaces the root and says where it is."""
    files = TlsFiles(tmp_path / "tls")
    load_or_issue(files, NOW)
    before = files.root.read_bytes()
    assert renew_certificates(files, NOW) == files.root
    assert files.root.read_bytes() != before


def _ecdsa(certificate: x509.Certificate) -> tuple:
    from cryptography.hazmat.primitives.asymmetric import ec

    return (ec.ECDSA(certificate.signature_hash_algorithm),)
