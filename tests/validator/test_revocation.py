"""OCSP response checks on responses built in the test (the rules a live responder rarely breaks):
time window, nonce, CertID, responder identity and authorisation, signature, status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from bitaqa.testing.pki import IssuedCertificate, TestPki, build_test_pki
from bitaqa.validator import (
    CertificateRevoked,
    CertificateStatusUnknown,
    DesignatedResponder,
    HttpOcspTransport,
    OcspCheckFailed,
    OcspSettings,
)
from bitaqa.validator.revocation import check_not_revoked, check_ocsp_response
from validator.values import AMINA, NOW

REQUEST_NONCE = bytes(range(32))


@pytest.fixture(scope="module")
def pki() -> TestPki:
    """A PKI of its own: these tests issue extra responders."""
    return build_test_pki(realm="Revocation Test")


@pytest.fixture(scope="module")
def holder(pki: TestPki) -> IssuedCertificate:
    """The certificate whose status the responses give."""
    return pki.issue_holder(AMINA, purpose="authentication")


def _response(
    pki: TestPki,
    holder: IssuedCertificate,
    *,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
    this_update: datetime = NOW,
    next_update: datetime | None = NOW + timedelta(minutes=5),
    nonce: bytes | None = REQUEST_NONCE,
    signer: IssuedCertificate | None = None,
    included: Sequence[IssuedCertificate] | None = None,
) -> bytes:
    signer = signer or pki.ocsp_responder
    revoked = status == ocsp.OCSPCertStatus.REVOKED
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=holder.certificate,
            issuer=pki.intermediate.certificate,
            algorithm=hashes.SHA1(),
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=NOW - timedelta(days=1) if revoked else None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer.certificate)
    )
    certificates = [signer] if included is None else list(included)
    if certificates:
        builder = builder.certificates([c.certificate for c in certificates])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    response = builder.sign(signer.private_key, hashes.SHA256())  # type: ignore[arg-type]
    return response.public_bytes(Encoding.DER)


def _check(
    pki: TestPki,
    holder: IssuedCertificate,
    body: bytes,
    *,
    now: datetime = NOW,
    nonce: bytes | None = REQUEST_NONCE,
    pinned: IssuedCertificate | None = None,
) -> None:
    check_ocsp_response(
        body,
        certificate=holder.certificate,
        issuer=pki.intermediate.certificate,
        nonce=nonce,
        pinned_responder=pinned.certificate if pinned else None,
        now=now,
    )


def test_good_answer_passes(pki: TestPki, holder: IssuedCertificate) -> None:
    """A fresh, signed, matching "good" answer is accepted."""
    _check(pki, holder, _response(pki, holder))


def test_revoked_and_unknown_answers_raise_their_errors(
    pki: TestPki, holder: IssuedCertificate
) -> None:
    """Revoked → CertificateRevoked; unknown → CertificateStatusUnknown."""
    with pytest.raises(CertificateRevoked) as revoked:
        _check(pki, holder, _response(pki, holder, status=ocsp.OCSPCertStatus.REVOKED))
    assert type(revoked.value) is CertificateRevoked
    with pytest.raises(CertificateStatusUnknown):
        _check(pki, holder, _response(pki, holder, status=ocsp.OCSPCertStatus.UNKNOWN))


@pytest.mark.parametrize(
    ("this_update", "next_update", "message"),
    [
        pytest.param(NOW - timedelta(minutes=3), None, "too old", id="this-update-too-old"),
        pytest.param(
            NOW + timedelta(minutes=16), None, "too far in the future", id="this-update-future"
        ),
        pytest.param(
            NOW, NOW - timedelta(minutes=16), "nextUpdate is in the past", id="next-update-past"
        ),
        pytest.param(NOW, NOW - timedelta(minutes=1), "before thisUpdate", id="next-before-this"),
    ],
)
def test_stale_or_future_answers_fail(
    pki: TestPki,
    holder: IssuedCertificate,
    this_update: datetime,
    next_update: datetime | None,
    message: str,
) -> None:
    """thisUpdate within [now − 2 min, now + 15 min]; nextUpdate not past, not before thisUpdate."""
    body = _response(pki, holder, this_update=this_update, next_update=next_update)
    with pytest.raises(OcspCheckFailed, match=message):
        _check(pki, holder, body)


@pytest.mark.parametrize(
    "offset",
    [timedelta(minutes=-2), timedelta(minutes=14)],
    ids=["two-minutes-old", "within-skew-ahead"],
)
def test_answers_inside_the_window_pass(
    pki: TestPki, holder: IssuedCertificate, offset: timedelta
) -> None:
    """The boundaries themselves are accepted (no nextUpdate: always-fresh responder)."""
    _check(pki, holder, _response(pki, holder, this_update=NOW + offset, next_update=None))


def test_missing_nonce_fails(pki: TestPki, holder: IssuedCertificate) -> None:
    """A responder that drops the nonce could be replaying an old answer."""
    with pytest.raises(OcspCheckFailed, match="lacks the request nonce"):
        _check(pki, holder, _response(pki, holder, nonce=None))


def test_different_nonce_fails(pki: TestPki, holder: IssuedCertificate) -> None:
    """An answer to another request is refused."""
    with pytest.raises(OcspCheckFailed, match="nonce differs"):
        _check(pki, holder, _response(pki, holder, nonce=b"\x01" * 32))


def test_no_nonce_needed_when_none_was_sent(pki: TestPki, holder: IssuedCertificate) -> None:
    """For nonce-disabled responders an answer without nonce passes."""
    _check(pki, holder, _response(pki, holder, nonce=None), nonce=None)


def test_answer_for_another_certificate_fails(pki: TestPki, holder: IssuedCertificate) -> None:
    """The CertID must be the one asked about."""
    other = pki.issue_holder(AMINA, purpose="signing")
    with pytest.raises(OcspCheckFailed, match="another certificate"):
        _check(pki, holder, _response(pki, other))


@pytest.mark.parametrize("body", [b"", b"\x30\x03\x0a\x01\x00", b"not DER at all"])
def test_malformed_bodies_fail(pki: TestPki, holder: IssuedCertificate, body: bytes) -> None:
    """Garbage from the network is an OcspCheckFailed, never another exception."""
    with pytest.raises(OcspCheckFailed):
        _check(pki, holder, body)


def test_unsuccessful_status_fails(pki: TestPki, holder: IssuedCertificate) -> None:
    """tryLater, internalError and friends are failures."""
    body = ocsp.OCSPResponseBuilder.build_unsuccessful(
        ocsp.OCSPResponseStatus.TRY_LATER
    ).public_bytes(Encoding.DER)
    with pytest.raises(OcspCheckFailed, match="TRY_LATER"):
        _check(pki, holder, body)


def test_tampered_signature_fails(pki: TestPki, holder: IssuedCertificate) -> None:
    """One flipped bit in the response signature makes the answer worthless."""
    body = _response(pki, holder)
    signature = ocsp.load_der_ocsp_response(body).signature
    tampered = body.replace(signature, signature[:-1] + bytes([signature[-1] ^ 1]))
    with pytest.raises(OcspCheckFailed, match="signature does not verify"):
        _check(pki, holder, tampered)


def test_responder_id_must_name_the_signer(pki: TestPki, holder: IssuedCertificate) -> None:
    """An impostor's answer that includes the real responder's certificate is refused."""
    impostor = build_test_pki(realm="Impostor").ocsp_responder
    body = _response(pki, holder, signer=impostor, included=[pki.ocsp_responder])
    with pytest.raises(OcspCheckFailed, match="responder id"):
        _check(pki, holder, body)


def test_ca_may_sign_without_including_a_certificate(
    pki: TestPki, holder: IssuedCertificate
) -> None:
    """An answer signed by the issuing CA needs no certificate in the response."""
    _check(pki, holder, _response(pki, holder, signer=pki.intermediate, included=[]))


def test_expired_delegated_responder_fails(pki: TestPki) -> None:
    """A delegated responder certificate is only good within its validity period."""
    late = datetime(2037, 1, 1, tzinfo=NOW.tzinfo)
    holder = pki.issue_holder(AMINA, purpose="authentication", not_after=late + timedelta(days=9))
    with pytest.raises(OcspCheckFailed, match="not valid now"):
        _check(pki, holder, _response(pki, holder, this_update=late, next_update=None), now=late)


def test_pinned_responder_need_not_be_included(pki: TestPki, holder: IssuedCertificate) -> None:
    """With a designated responder, the pinned certificate verifies an answer without certs."""
    body = _response(pki, holder, included=[])
    _check(pki, holder, body, pinned=pki.ocsp_responder)


def test_pinned_responder_refuses_another_included_certificate(
    pki: TestPki, holder: IssuedCertificate
) -> None:
    """An answer carrying a different responder certificate than the pinned one fails."""
    second = pki.issue_ocsp_responder("Second Responder")
    body = _response(pki, holder, signer=second)
    with pytest.raises(OcspCheckFailed, match="designated responder"):
        _check(pki, holder, body, pinned=pki.ocsp_responder)


def _signed_again(
    issued: IssuedCertificate, tbs_der: bytes, algorithm: hashes.HashAlgorithm
) -> bytes:
    key = issued.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.sign(tbs_der, ec.ECDSA(algorithm))


def _with_duplicated_nonce(body: bytes, signer: IssuedCertificate) -> bytes:
    """``body`` with its nonce extension listed twice, correctly signed again by ``signer``."""
    response = asn1_ocsp.OCSPResponse.load(body)
    basic = response["response_bytes"]["response"].parsed
    data = basic["tbs_response_data"]
    (nonce,) = list(data["response_extensions"])
    data["response_extensions"] = asn1_ocsp.ResponseDataExtensions([nonce, nonce])
    data_der = data.dump(force=True)
    algorithm = ocsp.load_der_ocsp_response(body).signature_hash_algorithm
    assert algorithm is not None
    resigned = asn1_ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": asn1_ocsp.ResponseData.load(data_der),
            "signature_algorithm": basic["signature_algorithm"],
            "signature": _signed_again(signer, data_der, algorithm),
            "certs": basic["certs"],
        }
    )
    return asn1_ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": resigned},
        }
    ).dump()


def test_duplicated_nonce_extension_fails(pki: TestPki, holder: IssuedCertificate) -> None:
    """A correctly signed answer carrying two nonce extensions is malformed, not a crash
    (cryptography's DuplicateExtension is no ValueError)."""
    body = _with_duplicated_nonce(_response(pki, holder), pki.ocsp_responder)
    with pytest.raises(OcspCheckFailed, match="malformed"):
        _check(pki, holder, body)


def _responder_with_extension(pki: TestPki, extension: asn1_x509.Extension) -> IssuedCertificate:
    """The PKI's OCSP responder certificate with ``extension`` appended, signed by the CA."""
    original = asn1_x509.Certificate.load(pki.ocsp_responder.der)
    tbs = original["tbs_certificate"]
    tbs["extensions"] = asn1_x509.Extensions([*tbs["extensions"], extension])
    tbs_der = tbs.dump(force=True)
    algorithm = pki.ocsp_responder.certificate.signature_hash_algorithm
    assert algorithm is not None
    certificate = asn1_x509.Certificate(
        {
            "tbs_certificate": asn1_x509.TbsCertificate.load(tbs_der),
            "signature_algorithm": original["signature_algorithm"],
            "signature_value": _signed_again(pki.intermediate, tbs_der, algorithm),
        }
    )
    issued = IssuedCertificate(
        x509.load_der_x509_certificate(certificate.dump()), pki.ocsp_responder.private_key
    )
    issued.certificate.verify_directly_issued_by(pki.intermediate.certificate)
    return issued


def _second_extended_key_usage(pki: TestPki) -> asn1_x509.Extension:
    original = asn1_x509.Certificate.load(pki.ocsp_responder.der)
    (extension,) = [
        item
        for item in original["tbs_certificate"]["extensions"]
        if item["extn_id"].native == "extended_key_usage"
    ]
    return asn1_x509.Extension.load(extension.dump())


def _x400_address_alt_name(_pki: TestPki) -> asn1_x509.Extension:
    # GeneralNames { x400Address [3] { } }: a name type cryptography refuses to parse.
    return asn1_x509.Extension(
        {
            "extn_id": "subject_alt_name",
            "critical": False,
            "extn_value": asn1_x509.GeneralNames.load(b"\x30\x04\xa3\x02\x30\x00"),
        }
    )


@pytest.mark.parametrize(
    "extension",
    [_second_extended_key_usage, _x400_address_alt_name],
    ids=["duplicate-extension", "unsupported-general-name"],
)
def test_responder_certificate_with_unparsable_extensions_fails(
    pki: TestPki,
    holder: IssuedCertificate,
    extension: Callable[[TestPki], asn1_x509.Extension],
) -> None:
    """A CA-signed responder certificate whose extensions cryptography cannot read (duplicate
    extension, x400Address name: neither error is a ValueError) is refused, not crashed on."""
    responder = _responder_with_extension(pki, extension(pki))
    body = _response(pki, holder, signer=responder)
    with pytest.raises(OcspCheckFailed, match="not authorised"):
        _check(pki, holder, body)


@dataclass
class CannedTransport:
    """Records each request and answers with a prepared body (pure logic, no network)."""

    answer: Callable[[bytes], bytes]
    requests: list[tuple[str, bytes]] = field(default_factory=list)

    def post(self, url: str, request: bytes, *, timeout: float) -> bytes:
        self.requests.append((url, request))
        return self.answer(request)


def _answering(pki: TestPki, holder: IssuedCertificate) -> CannedTransport:
    def answer(request: bytes) -> bytes:
        parsed = ocsp.load_der_ocsp_request(request)
        try:
            nonce = parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            nonce = None
        return _response(pki, holder, nonce=nonce)

    return CannedTransport(answer)


def test_request_goes_to_the_aia_url_with_a_fresh_nonce(
    pki: TestPki, holder: IssuedCertificate
) -> None:
    """Without a designated responder the AIA URL is asked, with a 32-byte nonce."""
    transport = _answering(pki, holder)
    settings = OcspSettings(transport=transport, random_bytes=lambda size: b"\x07" * size)
    check_not_revoked(holder.certificate, pki.intermediate.certificate, settings, NOW)
    [(url, request)] = transport.requests
    assert url == pki.ocsp_url
    parsed = ocsp.load_der_ocsp_request(request)
    assert parsed.serial_number == holder.certificate.serial_number
    assert parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"\x07" * 32


def test_nonce_disabled_url_gets_no_nonce(pki: TestPki, holder: IssuedCertificate) -> None:
    """URLs in nonce_disabled_urls are asked without the nonce extension."""
    transport = _answering(pki, holder)
    settings = OcspSettings(transport=transport, nonce_disabled_urls=frozenset({pki.ocsp_url}))
    check_not_revoked(holder.certificate, pki.intermediate.certificate, settings, NOW)
    [(_, request)] = transport.requests
    assert len(ocsp.load_der_ocsp_request(request).extensions) == 0


def test_designated_responder_only_serves_its_issuers(
    pki: TestPki, holder: IssuedCertificate
) -> None:
    """A designated responder for another CA leaves this holder on its AIA URL."""
    other_ca = build_test_pki(realm="Other CA").intermediate.certificate
    transport = _answering(pki, holder)
    designated = DesignatedResponder(
        "http://designated.invalid/", pki.ocsp_responder.certificate, [other_ca]
    )
    settings = OcspSettings(transport=transport, designated_responder=designated)
    check_not_revoked(holder.certificate, pki.intermediate.certificate, settings, NOW)
    assert transport.requests[0][0] == pki.ocsp_url


def test_certificate_without_ocsp_url_fails(pki: TestPki) -> None:
    """Revocation checking on and no responder to ask is a failure, not a pass."""
    issuer = pki.intermediate
    settings = OcspSettings(transport=CannedTransport(lambda _: b""))
    with pytest.raises(OcspCheckFailed, match="names no OCSP responder"):
        check_not_revoked(issuer.certificate, pki.root.certificate, settings, NOW)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/", "ldap://x/"])
def test_http_transport_refuses_other_schemes(url: str) -> None:
    """Only http and https URLs are fetched, whatever a certificate says."""
    with pytest.raises(OcspCheckFailed, match="not http"):
        HttpOcspTransport().post(url, b"", timeout=1)


def test_settings_refuse_nonsense_durations() -> None:
    """Zero timeouts and max ages are configuration errors."""
    with pytest.raises(ValueError, match="timeout"):
        OcspSettings(timeout=0)
    with pytest.raises(ValueError, match="max_this_update_age"):
        OcspSettings(max_this_update_age=timedelta(0))
