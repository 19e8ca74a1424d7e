"""Fixtures of the validator tests: a test PKI, a holder and a validator factory."""

from __future__ import annotations

from datetime import datetime

import pytest

from bitaqa.testing.pki import IssuedCertificate, TestPki, build_test_pki
from bitaqa.validator import AuthTokenValidator, OcspSettings
from validator.values import AMINA, NOW, ORIGIN, ValidatorFactory


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """The default test PKI (shared: tests that revoke build their own)."""
    return build_test_pki()


@pytest.fixture(scope="session")
def holder(pki: TestPki) -> IssuedCertificate:
    """Amina's P-256 authentication certificate."""
    return pki.issue_holder(AMINA, purpose="authentication")


@pytest.fixture
def make_validator(pki: TestPki) -> ValidatorFactory:
    """Build a validator for ORIGIN trusting the PKI's intermediate, at NOW unless told."""

    def build(
        *,
        site_origin: str = ORIGIN,
        now: datetime = NOW,
        trust_anchors: list[object] | None = None,
        ocsp: OcspSettings | None = None,
        **keywords: object,
    ) -> AuthTokenValidator:
        return AuthTokenValidator(
            site_origin=site_origin,
            trust_anchors=trust_anchors or [pki.intermediate.certificate],  # type: ignore[arg-type]
            ocsp=ocsp,
            clock=lambda: now,
            **keywords,  # type: ignore[arg-type]
        )

    return build
