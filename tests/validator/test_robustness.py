"""Bad input never escapes as anything but a ValidationError (Hypothesis)."""

from __future__ import annotations

import base64
import json

import pytest
from asn1crypto import x509 as asn1_x509
from hypothesis import example, given
from hypothesis import strategies as st

from bitaqa.testing.pki import build_test_pki
from bitaqa.testing.tokens import make_auth_token
from bitaqa.validator import AuthTokenValidator, CertificateNotTrusted, ValidationError
from bitaqa.validator.revocation import check_ocsp_response
from validator.values import AMINA, NONCE, NOW, ORIGIN

PKI = build_test_pki(realm="Robustness")
HOLDER = PKI.issue_holder(AMINA, purpose="authentication")
VALIDATOR = AuthTokenValidator(
    site_origin=ORIGIN, trust_anchors=[PKI.intermediate.certificate], clock=lambda: NOW
)
TOKEN = make_auth_token(HOLDER, ORIGIN, NONCE)


def _outcome(action: object) -> str:
    try:
        action()  # type: ignore[operator]
    except ValidationError as error:
        return error.code
    return "accepted"


@given(st.text(max_size=400))
def test_any_text_is_parsed_or_refused(text: str) -> None:
    """Arbitrary text gives a token or a ValidationError, nothing else."""
    _outcome(lambda: VALIDATOR.parse(text))


# A corrupted serial number can come out non-positive; cryptography then warns (it does not
# raise) when the core loads the certificate, and validation goes on to refuse the token.
@pytest.mark.filterwarnings(
    "ignore:Parsed a serial number:cryptography.utils.CryptographyDeprecationWarning"
)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
@example(position=2131, value=48)  # found by the long profile: the serial number turns negative
def test_corrupted_tokens_are_refused_cleanly(position: int, value: int) -> None:
    """One changed character anywhere in a valid token is refused with a ValidationError, or
    still validates only if it left the certificate, algorithm and signature unchanged."""
    index = position % len(TOKEN)
    corrupted = TOKEN[:index] + chr(value) + TOKEN[index + 1 :]
    outcome = _outcome(lambda: VALIDATOR.validate(VALIDATOR.parse(corrupted), NONCE))
    if outcome == "accepted":
        assert _signed_fields(corrupted) == _signed_fields(TOKEN)


def _signed_fields(text: str) -> list[object]:
    # What validation depends on; whitespace and the informative appVersion do not count.
    document = json.loads(text)
    return [document.get(name) for name in ("unverifiedCertificate", "algorithm", "signature")]


def _token_with_certificate(der: bytes) -> str:
    document = json.loads(TOKEN)
    document["unverifiedCertificate"] = base64.b64encode(der).decode()
    return json.dumps(document)


def _with_signature_algorithm(der: bytes, algorithm: str) -> bytes:
    # Both copies of the algorithm (TBS and outer) name ``algorithm``; the signature is unchanged.
    certificate = asn1_x509.Certificate.load(der)
    identifier = {"algorithm": algorithm}
    certificate["signature_algorithm"] = identifier
    certificate["tbs_certificate"]["signature"] = identifier
    return certificate.dump(force=True)


@pytest.mark.parametrize("algorithm", ["ed25519", "ed448"])
def test_eddsa_algorithm_on_an_ec_certificate_is_not_trusted(algorithm: str) -> None:
    """A holder certificate relabelled as EdDSA-signed (pyhanko-certvalidator asserts on the
    issuer key type) is refused as untrusted, not crashed on."""
    token = _token_with_certificate(_with_signature_algorithm(HOLDER.der, algorithm))
    with pytest.raises(CertificateNotTrusted):
        VALIDATOR.validate(VALIDATOR.parse(token), NONCE)


_ALGORITHMS = [
    "ed25519",
    "ed448",
    "sha256_ecdsa",
    "sha512_ecdsa",
    "sha256_rsa",
    "rsassa_pss",
    "sha1_dsa",
    "1.2.3.4",
]


@pytest.mark.filterwarnings(
    "ignore:Parsed a serial number:cryptography.utils.CryptographyDeprecationWarning"
)
@given(
    st.none() | st.sampled_from(_ALGORITHMS),
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=3
    ),
)
@example(algorithm="ed25519", flips=[])
@example(algorithm="ed448", flips=[(300, 0)])
@example(algorithm="rsassa_pss", flips=[(369, 0)])  # found by the long profile: empty keyUsage
def test_corrupted_certificates_are_refused_cleanly(
    algorithm: str | None, flips: list[tuple[int, int]]
) -> None:
    """A valid token whose certificate had its signature algorithm swapped and/or a few bytes
    replaced is refused with a ValidationError, never another exception, and only validates if
    the certificate came out unchanged."""
    der = bytearray(
        HOLDER.der if algorithm is None else _with_signature_algorithm(HOLDER.der, algorithm)
    )
    for position, value in flips:
        der[position % len(der)] = value
    token = _token_with_certificate(bytes(der))
    outcome = _outcome(lambda: VALIDATOR.validate(VALIDATOR.parse(token), NONCE))
    if outcome == "accepted":
        assert bytes(der) == HOLDER.der


@given(st.binary(max_size=600))
def test_any_ocsp_body_is_refused_cleanly(body: bytes) -> None:
    """Random bytes as an OCSP response are an OcspCheckFailed, never a crash."""
    outcome = _outcome(
        lambda: check_ocsp_response(
            body,
            certificate=HOLDER.certificate,
            issuer=PKI.intermediate.certificate,
            nonce=b"\0" * 32,
            pinned_responder=None,
            now=NOW,
        )
    )
    assert outcome == "ocsp-check-failed"
