"""OCSP against a real ``openssl ocsp`` responder on loopback: good, revoked, unknown, and
responders the validator must not believe."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bitaqa.testing.pki import IssuedCertificate, build_test_pki
from bitaqa.testing.tokens import make_auth_token
from bitaqa.validator import (
    AuthTokenValidator,
    CertificateRevoked,
    CertificateStatusUnknown,
    DesignatedResponder,
    OcspCheckFailed,
    OcspSettings,
    ValidatedCertificate,
)
from support.ocsp import OcspHarness, free_loopback_port
from validator.values import AMINA, NONCE, ORIGIN

OTHER = replace(AMINA, national_id="880202345", given_name="Yusuf")


def _validate(
    harness: OcspHarness, holder: IssuedCertificate, settings: OcspSettings | None = None
) -> ValidatedCertificate:
    # The real clock: openssl stamps thisUpdate with the current time.
    validator = AuthTokenValidator(
        site_origin=ORIGIN,
        trust_anchors=[harness.pki.intermediate.certificate],
        ocsp=settings or OcspSettings(timeout=5),
    )
    return validator.validate(validator.parse(make_auth_token(holder, ORIGIN, NONCE)), NONCE)


def test_good_certificate_passes(ocsp_harness: OcspHarness) -> None:
    """A certificate the index lists as valid passes, with the request nonce echoed."""
    holder = ocsp_harness.pki.issue_holder(AMINA, purpose="authentication")
    ocsp_harness.start()
    assert _validate(ocsp_harness, holder).national_id == AMINA.national_id


def test_revoked_certificate_fails(ocsp_harness: OcspHarness) -> None:
    """A certificate the index marks revoked raises CertificateRevoked."""
    revoked = ocsp_harness.pki.issue_holder(OTHER, purpose="authentication")
    ocsp_harness.pki.revoke(revoked)
    ocsp_harness.start()
    with pytest.raises(CertificateRevoked) as raised:
        _validate(ocsp_harness, revoked)
    assert raised.value.code == "certificate-revoked"


def test_unknown_certificate_fails(ocsp_harness: OcspHarness) -> None:
    """A certificate missing from the index raises CertificateStatusUnknown."""
    unknown = ocsp_harness.pki.issue_holder(OTHER, purpose="authentication", in_index=False)
    ocsp_harness.start()
    with pytest.raises(CertificateStatusUnknown):
        _validate(ocsp_harness, unknown)


def test_response_signed_by_the_issuing_ca_itself_passes(ocsp_harness: OcspHarness) -> None:
    """RFC 6960 lets the CA sign its own OCSP responses."""
    holder = ocsp_harness.pki.issue_holder(AMINA, purpose="authentication")
    ocsp_harness.start(signer=ocsp_harness.pki.intermediate)
    _validate(ocsp_harness, holder)


def test_responder_without_ocsp_signing_purpose_is_not_believed(ocsp_harness: OcspHarness) -> None:
    """A certificate of the right CA but without EKU OCSPSigning cannot vouch for status."""
    revoked = ocsp_harness.pki.issue_holder(OTHER, purpose="authentication")
    holder = ocsp_harness.pki.issue_holder(AMINA, purpose="authentication")
    ocsp_harness.pki.revoke(revoked)
    ocsp_harness.start(
        signer=ocsp_harness.pki.issue_ocsp_responder("Not A Responder", ocsp_signing=False)
    )
    with pytest.raises(OcspCheckFailed, match="lacks the OCSPSigning purpose"):
        _validate(ocsp_harness, holder)


def test_responder_of_another_ca_is_not_believed(ocsp_harness: OcspHarness) -> None:
    """A responder certificate with OCSPSigning from another PKI is not authorised."""
    holder = ocsp_harness.pki.issue_holder(AMINA, purpose="authentication")
    ocsp_harness.start(signer=build_test_pki(realm="Untrusted").ocsp_responder)
    with pytest.raises(OcspCheckFailed, match="not authorised by the issuing CA"):
        _validate(ocsp_harness, holder)


def test_unreachable_responder_fails_the_check(ocsp_harness: OcspHarness) -> None:
    """No responder listening is an OcspCheckFailed, not a crash."""
    holder = ocsp_harness.pki.issue_holder(AMINA, purpose="authentication")
    with pytest.raises(OcspCheckFailed, match="request failed"):
        _validate(ocsp_harness, holder)


def test_designated_responder_replaces_the_aia_url(ocsp_harness: OcspHarness) -> None:
    """For its issuers, the designated responder is asked instead of the (dead) AIA URL."""
    dead_url = f"http://127.0.0.1:{free_loopback_port()}/"
    holder = replace(ocsp_harness.pki, ocsp_url=dead_url).issue_holder(
        AMINA, purpose="authentication"
    )
    ocsp_harness.start()
    with pytest.raises(OcspCheckFailed, match="request failed"):
        _validate(ocsp_harness, holder)
    designated = DesignatedResponder(
        url=ocsp_harness.url,
        certificate=ocsp_harness.pki.ocsp_responder.certificate,
        issuers=[ocsp_harness.pki.intermediate.certificate],
    )
    _validate(ocsp_harness, holder, OcspSettings(designated_responder=designated))


def test_designated_responder_must_sign_with_the_pinned_certificate(
    ocsp_harness: OcspHarness,
) -> None:
    """An answer from the designated URL signed by another (even authorised) key is refused."""
    holder = ocsp_harness.pki.issue_holder(AMINA, purpose="authentication")
    ocsp_harness.start(signer=ocsp_harness.pki.issue_ocsp_responder("Second Responder"))
    designated = DesignatedResponder(
        url=ocsp_harness.url,
        certificate=ocsp_harness.pki.ocsp_responder.certificate,
        issuers=[ocsp_harness.pki.intermediate.certificate],
    )
    with pytest.raises(OcspCheckFailed, match="not signed by the designated responder"):
        _validate(ocsp_harness, holder, OcspSettings(designated_responder=designated))


def test_nonce_can_be_disabled_per_url(ocsp_harness: OcspHarness) -> None:
    """With the URL in nonce_disabled_urls the check still passes without a nonce."""
    holder = ocsp_harness.pki.issue_holder(AMINA, purpose="authentication")
    ocsp_harness.start()
    settings = OcspSettings(nonce_disabled_urls=frozenset({ocsp_harness.url}))
    _validate(ocsp_harness, holder, settings)
