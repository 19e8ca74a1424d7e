"""AuthTokenValidator: a token made for one origin and nonce validates, and each way it can be
wrong fails with its own error."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from bitaqa.testing.pki import (
    IssuedCertificate,
    TestPki,
    build_test_pki,
    deterministic_ec_key,
)
from bitaqa.testing.tokens import make_auth_token
from bitaqa.validator import (
    AuthTokenValidator,
    CertificateDecodeError,
    CertificateExpired,
    CertificateNotTrusted,
    CertificateNotYetValid,
    CertificateWrongPurpose,
    MemoryNonceStore,
    NonceExpired,
    NonceNotFound,
    SignatureInvalid,
    TokenParseError,
    UnsupportedAlgorithm,
    UnsupportedFormat,
    ValidatedCertificate,
    ValidationError,
)
from validator.values import AMINA, NONCE, NOW, ORIGIN, OTHER_NONCE, ValidatorFactory


def _edit(token_text: str, **changes: object) -> str:
    document = json.loads(token_text)
    document.update(changes)
    return json.dumps(document)


def test_token_for_the_origin_and_nonce_validates(
    make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """A token signed over this origin and nonce returns the holder's identity."""
    validator = make_validator()
    result = validator.validate(validator.parse(make_auth_token(holder, ORIGIN, NONCE)), NONCE)
    assert result.certificate == holder.certificate
    assert result.common_name == "KHALIFA,AMINA,900101234"
    assert (result.given_name, result.surname) == ("AMINA", "KHALIFA")
    assert (result.national_id, result.country) == ("900101234", "BH")


@pytest.mark.parametrize(
    ("key_type", "algorithm"),
    [("p384", None), ("rsa2048", "RS256"), ("rsa2048", "PS256"), ("rsa2048", "RS512")],
)
def test_every_card_key_type_validates(
    make_validator: ValidatorFactory, pki: TestPki, key_type: str, algorithm: str | None
) -> None:
    """P-384 (ES384) and RSA (RS256, PS256, RS512) tokens validate too."""
    holder = pki.issue_holder(AMINA, purpose="authentication", key_type=key_type)  # type: ignore[arg-type]
    validator = make_validator()
    token = validator.parse(make_auth_token(holder, ORIGIN, NONCE, algorithm=algorithm))
    assert validator.validate(token, NONCE).national_id == "900101234"


def test_site_origin_is_normalised(
    make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """Upper case and the default port in the configured origin do not matter."""
    validator = make_validator(site_origin="https://PORTAL.example.bh:443")
    assert validator.site_origin == ORIGIN
    validator.validate(validator.parse(make_auth_token(holder, ORIGIN, NONCE)), NONCE)


def test_token_for_another_origin_fails(
    make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """The same token presented to another site fails the signature check."""
    validator = make_validator(site_origin="https://evil.example")
    token = validator.parse(make_auth_token(holder, ORIGIN, NONCE))
    with pytest.raises(SignatureInvalid):
        validator.validate(token, NONCE)


def test_token_for_another_nonce_fails(
    make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """A token signed over another nonce than the stored one fails."""
    validator = make_validator()
    token = validator.parse(make_auth_token(holder, ORIGIN, OTHER_NONCE))
    with pytest.raises(SignatureInvalid):
        validator.validate(token, NONCE)


def test_tampered_signature_fails(
    make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """Flipping one bit of the signature makes it invalid."""
    text = make_auth_token(holder, ORIGIN, NONCE)
    signature = bytearray(base64.b64decode(json.loads(text)["signature"]))
    signature[10] ^= 0x01
    validator = make_validator()
    token = validator.parse(_edit(text, signature=base64.b64encode(signature).decode()))
    with pytest.raises(SignatureInvalid):
        validator.validate(token, NONCE)


def test_signature_by_another_key_fails(
    make_validator: ValidatorFactory, pki: TestPki, holder: IssuedCertificate
) -> None:
    """A valid certificate with a signature made by a different key fails."""
    other = pki.issue_holder(AMINA, purpose="authentication", key_type="p384")
    forged = _edit(
        make_auth_token(other, ORIGIN, NONCE, algorithm="ES256"),
        unverifiedCertificate=base64.b64encode(holder.der).decode(),
    )
    validator = make_validator()
    with pytest.raises(SignatureInvalid):
        validator.validate(validator.parse(forged), NONCE)


def test_algorithm_that_does_not_fit_the_key_fails(
    make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """An ES384 token from a P-256 key is refused, whatever the signature."""
    validator = make_validator()
    token = validator.parse(_edit(make_auth_token(holder, ORIGIN, NONCE), algorithm="ES384"))
    with pytest.raises(SignatureInvalid):
        validator.validate(token, NONCE)


def _log_in(
    validator: AuthTokenValidator, store: MemoryNonceStore, session_id: str, token_text: str
) -> ValidatedCertificate:
    # What a portal's login endpoint does: the nonce comes from the store, never the request.
    return validator.validate(validator.parse(token_text), store.get_and_remove(session_id))


def test_used_nonce_fails(make_validator: ValidatorFactory, holder: IssuedCertificate) -> None:
    """Replaying a token after its nonce was used fails at the nonce store."""
    store = MemoryNonceStore()
    validator = make_validator()
    token_text = make_auth_token(holder, ORIGIN, store.issue("session-a"))
    _log_in(validator, store, "session-a", token_text)
    with pytest.raises(NonceNotFound):
        _log_in(validator, store, "session-a", token_text)


def test_expired_nonce_fails(make_validator: ValidatorFactory, holder: IssuedCertificate) -> None:
    """A token answered after the nonce's five minutes fails at the nonce store."""
    now = [NOW]
    store = MemoryNonceStore(clock=lambda: now[0])
    validator = make_validator()
    token_text = make_auth_token(holder, ORIGIN, store.issue("session-a"))
    now[0] = NOW + timedelta(minutes=5, seconds=1)
    with pytest.raises(NonceExpired):
        _log_in(validator, store, "session-a", token_text)


def test_malformed_stored_nonce_is_not_found(
    make_validator: ValidatorFactory, holder: IssuedCertificate
) -> None:
    """A "nonce" that is not one (empty, too short) cannot validate anything."""
    validator = make_validator()
    token = validator.parse(make_auth_token(holder, ORIGIN, NONCE))
    with pytest.raises(NonceNotFound):
        validator.validate(token, "")


def test_signing_certificate_cannot_log_in(make_validator: ValidatorFactory, pki: TestPki) -> None:
    """A nonRepudiation-only signing certificate has the wrong purpose."""
    signing = pki.issue_holder(AMINA, purpose="signing")
    validator = make_validator()
    with pytest.raises(CertificateWrongPurpose):
        validator.validate(validator.parse(make_auth_token(signing, ORIGIN, NONCE)), NONCE)


@pytest.mark.parametrize(
    ("key_usage", "eku"),
    [
        pytest.param(None, [ExtendedKeyUsageOID.SERVER_AUTH], id="eku-server-auth-only"),
        pytest.param(
            x509.KeyUsage(False, False, True, False, False, False, False, False, False),
            None,
            id="key-encipherment-only",
        ),
    ],
)
def test_wrong_purpose_variants_fail(
    make_validator: ValidatorFactory,
    pki: TestPki,
    key_usage: x509.KeyUsage | None,
    eku: list[x509.ObjectIdentifier] | None,
) -> None:
    """No digitalSignature, or an EKU without clientAuth, is the wrong purpose."""
    certificate = pki.issue_holder(
        AMINA,
        purpose="authentication",
        key_usage_override=key_usage,
        extended_key_usage_override=eku,
    )
    validator = make_validator()
    with pytest.raises(CertificateWrongPurpose):
        validator.validate(validator.parse(make_auth_token(certificate, ORIGIN, NONCE)), NONCE)


def test_absent_eku_is_accepted(make_validator: ValidatorFactory, pki: TestPki) -> None:
    """Like Web eID (Luxembourg cards), a certificate without EKU may log in."""
    certificate = pki.issue_holder(AMINA, purpose="authentication", extended_key_usage_override=[])
    validator = make_validator()
    validator.validate(validator.parse(make_auth_token(certificate, ORIGIN, NONCE)), NONCE)


def test_expired_certificate_fails(make_validator: ValidatorFactory, pki: TestPki) -> None:
    """A certificate that ended before the validator's clock is expired."""
    expired = pki.issue_holder(
        AMINA, purpose="authentication", not_after=datetime(2026, 1, 1, tzinfo=UTC)
    )
    validator = make_validator()
    with pytest.raises(CertificateExpired):
        validator.validate(validator.parse(make_auth_token(expired, ORIGIN, NONCE)), NONCE)


def test_not_yet_valid_certificate_fails(make_validator: ValidatorFactory, pki: TestPki) -> None:
    """A certificate that starts after the validator's clock is not yet valid."""
    future = pki.issue_holder(
        AMINA, purpose="authentication", not_before=datetime(2027, 1, 1, tzinfo=UTC)
    )
    validator = make_validator()
    with pytest.raises(CertificateNotYetValid):
        validator.validate(validator.parse(make_auth_token(future, ORIGIN, NONCE)), NONCE)


def test_expired_trust_anchor_fails(make_validator: ValidatorFactory, pki: TestPki) -> None:
    """A holder certificate outliving its CA is refused once the CA has expired."""
    long_lived = pki.issue_holder(
        AMINA, purpose="authentication", not_after=datetime(2040, 1, 1, tzinfo=UTC)
    )
    validator = make_validator(now=datetime(2037, 1, 1, tzinfo=UTC))
    with pytest.raises(CertificateExpired):
        validator.validate(validator.parse(make_auth_token(long_lived, ORIGIN, NONCE)), NONCE)


def test_certificate_from_an_untrusted_root_fails(make_validator: ValidatorFactory) -> None:
    """A well-formed certificate from another PKI does not chain to the anchors."""
    rogue = build_test_pki(realm="Untrusted").issue_holder(AMINA, purpose="authentication")
    validator = make_validator()
    with pytest.raises(CertificateNotTrusted):
        validator.validate(validator.parse(make_auth_token(rogue, ORIGIN, NONCE)), NONCE)


def test_lookalike_ca_with_the_same_names_fails(make_validator: ValidatorFactory) -> None:
    """A holder certificate naming the trusted CA as issuer but signed by another key fails."""
    trusted = build_test_pki()
    forger_key = deterministic_ec_key("forger", ec.SECP256R1())
    lookalike = replace(
        trusted, intermediate=IssuedCertificate(trusted.intermediate.certificate, forger_key)
    )
    forged = lookalike.issue_holder(AMINA, purpose="authentication")
    assert forged.certificate.issuer == trusted.intermediate.certificate.subject
    validator = make_validator(trust_anchors=[trusted.intermediate.certificate])
    with pytest.raises(CertificateNotTrusted):
        validator.validate(validator.parse(make_auth_token(forged, ORIGIN, NONCE)), NONCE)


def test_root_anchor_with_configured_intermediate_validates(
    make_validator: ValidatorFactory, pki: TestPki, holder: IssuedCertificate
) -> None:
    """Trusting the root works when the intermediate is supplied for path building."""
    validator = make_validator(
        trust_anchors=[pki.root.certificate], intermediates=[pki.intermediate.certificate]
    )
    validator.validate(validator.parse(make_auth_token(holder, ORIGIN, NONCE)), NONCE)


def test_root_anchor_without_the_intermediate_is_not_trusted(
    make_validator: ValidatorFactory, pki: TestPki, holder: IssuedCertificate
) -> None:
    """The token carries no intermediates, so without one configured there is no path."""
    validator = make_validator(trust_anchors=[pki.root.certificate])
    with pytest.raises(CertificateNotTrusted):
        validator.validate(validator.parse(make_auth_token(holder, ORIGIN, NONCE)), NONCE)


def _valid_text(holder: IssuedCertificate) -> str:
    return make_auth_token(holder, ORIGIN, NONCE)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        pytest.param(lambda text: text[:99], TokenParseError, id="too-short"),
        pytest.param(lambda text: text + " " * 10_001, TokenParseError, id="too-long"),
        pytest.param(lambda text: "[" + text + "]", TokenParseError, id="not-an-object"),
        pytest.param(lambda text: text[:-1], TokenParseError, id="truncated-json"),
        pytest.param(lambda text: _edit(text, signature="***"), TokenParseError, id="bad-base64"),
        pytest.param(lambda text: _edit(text, format="web-eid:2"), UnsupportedFormat, id="format"),
        pytest.param(
            lambda text: _edit(text, algorithm="none"), UnsupportedAlgorithm, id="alg-none"
        ),
        pytest.param(
            lambda text: _edit(text, algorithm="HS256"), UnsupportedAlgorithm, id="alg-hs256"
        ),
        pytest.param(
            lambda text: _edit(text, unverifiedCertificate=base64.b64encode(b"x" * 64).decode()),
            CertificateDecodeError,
            id="not-a-certificate",
        ),
    ],
)
def test_malformed_tokens_fail_with_their_own_error(
    make_validator: ValidatorFactory,
    holder: IssuedCertificate,
    mutate: object,
    error: type[ValidationError],
) -> None:
    """Length, JSON, base64, format, algorithm and certificate errors each have a code."""
    validator = make_validator()
    with pytest.raises(error) as raised:
        validator.parse(mutate(_valid_text(holder)))  # type: ignore[operator]
    assert raised.value.code == error.code
    assert str(raised.value).startswith(f"[{error.code}]")


def test_error_codes_are_distinct() -> None:
    """Each error class has its own stable code."""
    import bitaqa.validator as package

    classes = [
        getattr(package, name)
        for name in package.__all__
        if isinstance(getattr(package, name), type)
        and issubclass(getattr(package, name), ValidationError)
    ]
    leaves = [
        cls for cls in classes if not any(o is not cls and issubclass(o, cls) for o in classes)
    ]
    codes = [cls.code for cls in leaves]
    assert len(codes) == len(set(codes)) >= 13


@pytest.mark.parametrize(
    "origin", ["http://portal.example.bh", "https://portal.example/path", "null"]
)
def test_bad_site_origin_is_a_configuration_error(pki: TestPki, origin: str) -> None:
    """The validator refuses a site origin that is not https://host[:port]."""
    with pytest.raises(ValueError, match="site_origin"):
        AuthTokenValidator(site_origin=origin, trust_anchors=[pki.intermediate.certificate])


@pytest.mark.parametrize(
    ("origin", "normal"),
    [
        ("http://localhost:8000", "http://localhost:8000"),
        ("HTTP://LOCALHOST:8000", "http://localhost:8000"),
        ("http://127.0.0.1:8443", "http://127.0.0.1:8443"),
        ("http://[0:0::1]:8443", "http://[::1]:8443"),
    ],
)
def test_development_origin_validates_with_allow_insecure_localhost(
    make_validator: ValidatorFactory, holder: IssuedCertificate, origin: str, normal: str
) -> None:
    """With the flag, an http loopback site origin (SPEC §13) is normalised and a token the card
    signed for exactly that origin validates; one signed for its https twin does not."""
    validator = make_validator(site_origin=origin, allow_insecure_localhost=True)
    assert validator.site_origin == normal
    token = validator.parse(make_auth_token(holder, normal, NONCE))
    assert validator.validate(token, NONCE).national_id == "900101234"
    https_twin = validator.parse(make_auth_token(holder, "https" + normal[4:], NONCE))
    with pytest.raises(SignatureInvalid):
        validator.validate(https_twin, NONCE)


@pytest.mark.parametrize(
    "origin", ["http://localhost:8000", "http://127.0.0.1:8443", "http://[::1]:8443"]
)
def test_development_origin_is_refused_by_default(pki: TestPki, origin: str) -> None:
    """Without allow_insecure_localhost (the default) an http site origin, even on loopback, is
    a configuration error."""
    with pytest.raises(ValueError, match=r"site_origin must be https://host\[:port\]$"):
        AuthTokenValidator(site_origin=origin, trust_anchors=[pki.intermediate.certificate])


@pytest.mark.parametrize(
    "origin",
    [
        "http://portal.example.bh",
        "http://localhost.example:8000",
        "http://127.0.0.2:8000",
        "http://[::2]:8000",
        "ftp://localhost:8000",
        "http://localhost:8000/",
    ],
)
def test_allow_insecure_localhost_admits_no_other_http_origin(pki: TestPki, origin: str) -> None:
    """The flag admits http on localhost, 127.0.0.1 and [::1] only: any other host (or scheme,
    or a path) is still a configuration error."""
    with pytest.raises(ValueError, match="site_origin"):
        AuthTokenValidator(
            site_origin=origin,
            trust_anchors=[pki.intermediate.certificate],
            allow_insecure_localhost=True,
        )


def test_naive_clock_is_a_configuration_error(pki: TestPki, holder: IssuedCertificate) -> None:
    """A clock without a time zone could silently shift validity checks."""
    validator = AuthTokenValidator(
        site_origin=ORIGIN,
        trust_anchors=[pki.intermediate.certificate],
        clock=lambda: datetime(2026, 6, 1),
    )
    with pytest.raises(ValueError, match="aware"):
        validator.validate(validator.parse(make_auth_token(holder, ORIGIN, NONCE)), NONCE)
