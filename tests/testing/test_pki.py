"""The deterministic test PKI: profiles, determinism, variants, and what OpenSSL makes of it."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bitaqa.testing.pki import (
    _CURVE_ORDERS,
    HolderIdentity,
    TestPki,
    build_test_pki,
    deterministic_ec_key,
)
from support.ocsp import OcspHarness

AMINA = HolderIdentity(
    given_name="Amina",
    surname="Khalifa",
    given_name_ar="أمينة",
    surname_ar="خليفة",
    national_id="900101234",
    country="BH",
)
OTHER = HolderIdentity("Yusuf", "Salman", "يوسف", "سلمان", "880202345", "BH")


def _openssl(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *arguments], check=False, capture_output=True, text=True, timeout=30
    )


def test_authentication_certificate_has_the_web_eid_profile() -> None:
    """Authentication certificates: digitalSignature (critical), clientAuth, CN, serialNumber."""
    issued = build_test_pki().issue_holder(AMINA, purpose="authentication")
    certificate = issued.certificate
    key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.digital_signature
    assert not key_usage.value.content_commitment
    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "KHALIFA,AMINA,900101234"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "IDCBH-900101234"
    assert subject.get_attributes_for_oid(NameOID.GIVEN_NAME)[0].value == "AMINA"
    assert subject.get_attributes_for_oid(NameOID.SURNAME)[0].value == "KHALIFA"
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "BH"


def test_signing_certificate_has_non_repudiation_and_no_client_auth() -> None:
    """A signing certificate: nonRepudiation only and no EKU, so it cannot log in."""
    certificate = build_test_pki().issue_holder(AMINA, purpose="signing").certificate
    key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert key_usage.content_commitment
    assert not key_usage.digital_signature
    with pytest.raises(x509.ExtensionNotFound):
        certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)


def test_holder_certificates_carry_the_ocsp_url() -> None:
    """Holder certificates name the configured OCSP responder in their AIA extension."""
    pki = build_test_pki(ocsp_url="http://127.0.0.1:1234/")
    aia = pki.issue_holder(AMINA, purpose="authentication").certificate.extensions
    descriptions = aia.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [d.access_location.value for d in descriptions] == ["http://127.0.0.1:1234/"]


def test_ocsp_responder_is_authorised_and_needs_no_check() -> None:
    """The responder certificate has EKU OCSPSigning and id-pkix-ocsp-nocheck."""
    extensions = build_test_pki().ocsp_responder.certificate.extensions
    eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.OCSP_SIGNING in eku
    extensions.get_extension_for_class(x509.OCSPNoCheck)


def test_the_same_inputs_give_the_same_certificate_bytes(tmp_path: Path) -> None:
    """EC certificates are byte-identical across builds; RSA keys are reused from the directory."""
    first, second = build_test_pki(tmp_path), build_test_pki(tmp_path)
    assert first.root.der == second.root.der
    assert first.intermediate.der == second.intermediate.der
    assert first.ocsp_responder.der == second.ocsp_responder.der
    for key_type in ("p256", "p384", "rsa2048"):
        one = first.issue_holder(AMINA, purpose="authentication", key_type=key_type)
        two = second.issue_holder(AMINA, purpose="authentication", key_type=key_type)
        assert one.der == two.der, key_type


def test_different_holders_get_different_keys_and_serials() -> None:
    """Distinct identities, purposes and key types never share a key or a serial number."""
    pki = build_test_pki()
    issued = [
        pki.issue_holder(identity, purpose=purpose, key_type=key_type)
        for identity in (AMINA, OTHER)
        for purpose in ("authentication", "signing")
        for key_type in ("p256", "p384")
    ]
    assert len({i.certificate.serial_number for i in issued}) == len(issued)
    assert len({i.key_pem() for i in issued}) == len(issued)


def test_validity_dates_are_fixed_and_overridable() -> None:
    """Defaults start at 2025-01-01; explicit dates produce expired and not-yet-valid variants."""
    pki = build_test_pki()
    default = pki.issue_holder(AMINA, purpose="authentication").certificate
    assert default.not_valid_before_utc == datetime(2025, 1, 1, tzinfo=UTC)
    expired = pki.issue_holder(
        AMINA, purpose="authentication", not_after=datetime(2025, 6, 1, tzinfo=UTC)
    ).certificate
    assert expired.not_valid_after_utc == datetime(2025, 6, 1, tzinfo=UTC)
    assert expired.serial_number != default.serial_number


def test_untrusted_realm_does_not_chain_to_the_default_pki() -> None:
    """A certificate from another realm is not signed by the default intermediate."""
    rogue = build_test_pki(realm="Untrusted").issue_holder(AMINA, purpose="authentication")
    with pytest.raises(ValueError, match="subject does not match"):
        rogue.certificate.verify_directly_issued_by(build_test_pki().intermediate.certificate)


def test_openssl_verifies_the_chain(tmp_path: Path) -> None:
    """OpenSSL accepts root -> intermediate -> holder for every key type and the responder."""
    pki = build_test_pki(tmp_path)
    (tmp_path / "root.pem").write_bytes(pki.root.pem())
    (tmp_path / "intermediate.pem").write_bytes(pki.intermediate.pem())
    leaves = [pki.ocsp_responder] + [
        pki.issue_holder(AMINA, purpose="authentication", key_type=key_type)
        for key_type in ("p256", "p384", "rsa2048")
    ]
    paths = []
    for index, leaf in enumerate(leaves):
        path = tmp_path / f"leaf{index}.pem"
        path.write_bytes(leaf.pem())
        paths.append(str(path))
    result = _openssl(
        "verify", "-CAfile", str(tmp_path / "root.pem"),
        "-untrusted", str(tmp_path / "intermediate.pem"), *paths,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(leaves)


def test_revoke_refuses_a_foreign_certificate() -> None:
    """Revoking a certificate another PKI issued is a programming error."""
    foreign = build_test_pki(realm="Untrusted").issue_holder(AMINA, purpose="authentication")
    with pytest.raises(ValueError, match="not issued by this test PKI"):
        build_test_pki().revoke(foreign)


def test_index_lists_valid_and_revoked_and_omits_unindexed() -> None:
    """index_txt marks revoked certificates R and leaves out in_index=False ones."""
    pki = build_test_pki()
    good = pki.issue_holder(AMINA, purpose="authentication")
    revoked = pki.issue_holder(OTHER, purpose="authentication")
    hidden = pki.issue_holder(OTHER, purpose="signing", in_index=False)
    pki.revoke(revoked)
    rows = {int(row[3], 16): row for row in map(_split, pki.index_txt().splitlines())}
    assert rows[good.certificate.serial_number][0] == "V"
    assert rows[revoked.certificate.serial_number][0] == "R"
    assert rows[revoked.certificate.serial_number][2] == "250102000000Z"
    assert hidden.certificate.serial_number not in rows


def _split(line: str) -> list[str]:
    return line.split("\t")


def _query(
    harness: OcspHarness, pki: TestPki, certificate: x509.Certificate, directory: Path
) -> str:
    (directory / "issuer.pem").write_bytes(pki.intermediate.pem())
    (directory / "root.pem").write_bytes(pki.root.pem())
    (directory / "cert.pem").write_bytes(certificate.public_bytes(Encoding.PEM))
    result = _openssl(
        "ocsp", "-issuer", str(directory / "issuer.pem"), "-cert", str(directory / "cert.pem"),
        "-url", harness.url, "-CAfile", str(directory / "root.pem"), "-timeout", "10",
    )  # fmt: skip
    assert "Response verify OK" in result.stderr, result.stdout + result.stderr
    return result.stdout


def test_openssl_ocsp_serves_the_index(ocsp_harness: OcspHarness, tmp_path: Path) -> None:
    """The openssl responder answers good, revoked and unknown from the PKI's index."""
    pki = ocsp_harness.pki
    good = pki.issue_holder(AMINA, purpose="authentication")
    revoked = pki.issue_holder(OTHER, purpose="authentication")
    unknown = pki.issue_holder(OTHER, purpose="signing", in_index=False)
    pki.revoke(revoked)
    ocsp_harness.start()
    assert ": good" in _query(ocsp_harness, pki, good.certificate, tmp_path)
    assert ": revoked" in _query(ocsp_harness, pki, revoked.certificate, tmp_path)
    assert ": unknown" in _query(ocsp_harness, pki, unknown.certificate, tmp_path)


@pytest.mark.parametrize(
    "curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()], ids=lambda c: c.name
)
def test_curve_orders_are_exact(curve: ec.EllipticCurve) -> None:
    """The order table is right: n - 1 is a valid private value and n is not."""
    order = _CURVE_ORDERS[curve.name]
    ec.derive_private_key(order - 1, curve)
    with pytest.raises(ValueError, match="Invalid EC key"):
        ec.derive_private_key(order, curve)


def test_ec_keys_follow_their_labels() -> None:
    """The same label gives the same key, another label another key."""
    first = deterministic_ec_key("label", ec.SECP521R1()).private_numbers().private_value
    again = deterministic_ec_key("label", ec.SECP521R1()).private_numbers().private_value
    other = deterministic_ec_key("other", ec.SECP521R1()).private_numbers().private_value
    assert first == again != other
