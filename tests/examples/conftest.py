"""Fixtures for the example portal's tests: a test PKI, its holder, and the portal's config.

``examples/portal`` is not an installed package; it is put on ``sys.path`` here the way
``python -m bitaqa_portal`` finds it when run from that folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from bitaqa.testing.pki import HolderIdentity, IssuedCertificate, TestPki, build_test_pki

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "portal"))

from bitaqa_portal.config import PortalConfig

ORIGIN = "https://localhost:8443"
HOLDER = HolderIdentity("Mariam", "Al-Khalifa", "مريم", "آل خليفة", "900101234", "BH")


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """The deterministic test PKI."""
    return build_test_pki()


@pytest.fixture(scope="session")
def authentication_holder(pki: TestPki) -> IssuedCertificate:
    """An authentication certificate and key, as on the card."""
    return pki.issue_holder(HOLDER, purpose="authentication")


@pytest.fixture(scope="session")
def signing_holder(pki: TestPki) -> IssuedCertificate:
    """A signing certificate and key, as on the card."""
    return pki.issue_holder(HOLDER, purpose="signing")


@pytest.fixture(scope="session")
def portal_config(pki: TestPki) -> PortalConfig:
    """A portal on ORIGIN trusting the test PKI's intermediate."""
    return PortalConfig(
        origin=ORIGIN,
        request_key=ec.generate_private_key(ec.SECP256R1()),
        request_key_id="portal-test",
        trust_anchors=(pki.intermediate.certificate,),
        chain=(pki.intermediate.certificate,),
        agent_download_url="https://example.org/download",
    )
