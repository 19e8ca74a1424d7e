"""Debian's Chromium driven by Playwright, with a private HOME whose NSS database trusts test roots.

Only ``/usr/bin/chromium`` is used (never ``playwright install``), with the flags in
:data:`CHROMIUM_FLAGS`.  Chromium on Linux takes user-added roots from ``$HOME/.pki/nssdb``, so
the fixtures give it a temporary HOME and trust there, before launch, the roots a test needs: the
agent's per-install root (so ``wss://`` works as for a resident whose installer trusted it) and a
test CA that issued the example portal's ``https://localhost`` certificate.

Fixture (``pytest_plugins = ["support.browser"]``): ``browser_home``, a :class:`BrowserHome`
(session) — the temporary HOME and its NSS database.

:func:`launch_chromium` starts Playwright and Chromium with that HOME, after every root was
trusted, and stops both on exit.  Use it from a fixture scoped to the package of browser tests:
Playwright's synchronous API keeps an event loop marked as running in the main thread while it
is started, which would break ``asyncio.run`` in every later test of the session.

:func:`issue_tls_certificate` makes the test CA and a server certificate for ``localhost`` and
``127.0.0.1``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import Browser, sync_playwright

__all__ = [
    "CHROMIUM",
    "CHROMIUM_FLAGS",
    "BrowserHome",
    "ServerCertificate",
    "browser_home",
    "issue_tls_certificate",
    "launch_chromium",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass(frozen=True)
class BrowserHome:
    """A HOME for Chromium with an NSS database (``.pki/nssdb``)."""

    directory: Path

    @property
    def nss_database(self) -> str:
        """The database argument for ``certutil -d``."""
        return f"sql:{self.directory / '.pki' / 'nssdb'}"

    def trust_root(self, certificate_pem: Path, nickname: str) -> None:
        """Trust ``certificate_pem`` as a root for TLS servers."""
        subprocess.run(
            ["certutil", "-A", "-d", self.nss_database, "-n", nickname, "-t", "C,,",
             "-i", str(certificate_pem)],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip


@dataclass(frozen=True)
class ServerCertificate:
    """A server certificate, its key, and the CA that issued it (all PEM files)."""

    certificate: Path
    key: Path
    ca: Path


def issue_tls_certificate(directory: Path) -> ServerCertificate:
    """A test CA and a server certificate from it for ``localhost`` and ``127.0.0.1``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bitaqa browser-test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = ServerCertificate(
        directory / "server.pem", directory / "server-key.pem", directory / "ca.pem"
    )
    files.certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture(scope="session")
def browser_home(tmp_path_factory: pytest.TempPathFactory) -> BrowserHome:
    """A temporary HOME with an empty NSS database."""
    home = BrowserHome(tmp_path_factory.mktemp("chromium-home"))
    (home.directory / ".pki" / "nssdb").mkdir(parents=True)
    subprocess.run(
        ["certutil", "-N", "-d", home.nss_database, "--empty-password"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return home


@contextlib.contextmanager
def launch_chromium(home: BrowserHome) -> Iterator[Browser]:
    """Debian's Chromium (headless, :data:`CHROMIUM_FLAGS`) with ``home`` as HOME."""
    playwright = sync_playwright().start()
    try:
        environment = {**os.environ, "HOME": str(home.directory)}
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS), env=environment
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
