"""PAdES signing with an external signature value, checked by pyHanko and by pdfsig."""

from __future__ import annotations

from pathlib import Path

from bitaqa_portal.pdfsign import HASH_ALGORITHM, finish_signature, prepare_signature
from bitaqa_portal.samplepdf import sample_pdf
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from bitaqa.testing.pki import IssuedCertificate, TestPki
from bitaqa.testing.tokens import sign_hash
from support.signed_pdf import pdfsig_report, validate_with_pyhanko


def _sign(pdf: bytes, holder: IssuedCertificate, pki: TestPki) -> bytes:
    prepared = prepare_signature(pdf, holder.der, [pki.intermediate.der], reason="test")
    raw, _ = sign_hash(holder, prepared.digest, HASH_ALGORITHM)
    half = len(raw) // 2
    der = encode_dss_signature(int.from_bytes(raw[:half]), int.from_bytes(raw[half:]))
    return finish_signature(prepared, der)


def test_a_card_signature_makes_a_pdf_both_validators_accept(
    signing_holder: IssuedCertificate, pki: TestPki, tmp_path: Path
) -> None:
    """The digest handed to the card, signed, gives a PAdES signature pyHanko and pdfsig accept."""
    signed = _sign(sample_pdf(), signing_holder, pki)
    trusted, signer = validate_with_pyhanko(signed, pki.root.certificate)
    report = pdfsig_report(signed, tmp_path)
    assert trusted
    assert signer == "AL-KHALIFA,MARIAM,900101234"
    assert report.signature_valid, report.output
    assert report.whole_document, report.output
    assert report.signer_common_name == signer
    assert "ETSI.CAdES.detached" in report.output


def test_a_signature_over_another_digest_is_reported_invalid(
    signing_holder: IssuedCertificate, pki: TestPki, tmp_path: Path
) -> None:
    """A signature value that is not over the prepared digest makes both checks fail."""
    prepared = prepare_signature(
        sample_pdf(), signing_holder.der, [pki.intermediate.der], reason="t"
    )
    raw, _ = sign_hash(signing_holder, bytes(32), HASH_ALGORITHM)
    half = len(raw) // 2
    wrong = encode_dss_signature(int.from_bytes(raw[:half]), int.from_bytes(raw[half:]))
    signed = finish_signature(prepared, wrong)
    trusted, _ = validate_with_pyhanko(signed, pki.root.certificate)
    assert not trusted
    assert not pdfsig_report(signed, tmp_path).signature_valid


def test_the_digest_is_a_sha256_over_the_signed_attributes(
    signing_holder: IssuedCertificate, pki: TestPki
) -> None:
    """What the card signs is 32 bytes and differs for different documents."""
    first = prepare_signature(sample_pdf(), signing_holder.der, [pki.intermediate.der], reason="a")
    other_pdf = sample_pdf().replace(b"residence", b"RESIDENCE")
    second = prepare_signature(other_pdf, signing_holder.der, [pki.intermediate.der], reason="a")
    assert len(first.digest) == 32
    assert first.digest != second.digest
