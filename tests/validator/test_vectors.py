"""The shared token vectors (protocol/vectors/auth-tokens.json) through the portal validator,
including real Web eID tokens: ours accepts theirs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from bitaqa.validator import (
    AuthTokenValidator,
    CertificateDecodeError,
    CertificateNotTrusted,
    SignatureInvalid,
    TokenParseError,
    UnsupportedAlgorithm,
    UnsupportedFormat,
    ValidationError,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS: list[dict[str, Any]] = json.loads(
    (ROOT / "protocol" / "vectors" / "auth-tokens.json").read_text(encoding="utf-8")
)["vectors"]
ESTEID2018 = x509.load_pem_x509_certificate(
    (Path(__file__).parent / "data" / "TEST_of_ESTEID2018.pem").read_bytes()
)

PARSE_ERRORS: dict[str, type[ValidationError]] = {
    "TOO_SHORT": TokenParseError,
    "TOO_LONG": TokenParseError,
    "MALFORMED": TokenParseError,
    "FIELD_INVALID": TokenParseError,
    "FORMAT_UNSUPPORTED": UnsupportedFormat,
    "ALGORITHM_UNSUPPORTED": UnsupportedAlgorithm,
    "CERTIFICATE_INVALID": CertificateDecodeError,
}


def _vector(name: str) -> dict[str, Any]:
    return next(vector for vector in VECTORS if vector["name"] == name)


def _validator(vector: dict[str, Any]) -> AuthTokenValidator:
    moment = datetime.fromtimestamp(vector["now"], UTC)
    return AuthTokenValidator(
        site_origin=vector["origin"], trust_anchors=[ESTEID2018], clock=lambda: moment
    )


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if v["expect"].get("stage") == "parse"],
    ids=lambda v: v["name"],
)
def test_parse_failures_map_to_validator_errors(vector: dict[str, Any]) -> None:
    """Every parse-stage verdict of the core becomes the validator error for that reason."""
    expected = PARSE_ERRORS[vector["expect"]["reason"]]
    with pytest.raises(expected):
        _validator(vector).parse(vector["token"])


def test_real_web_eid_token_validates() -> None:
    """A token from an Estonian test ID card validates against its real test CA."""
    vector = _vector("valid-web-eid-ria-es384")
    validator = _validator(vector)
    holder = validator.validate(validator.parse(vector["token"]), vector["challengeNonce"])
    assert holder.common_name == "JÕEORG,JAAK-KRISTJAN,38001085718"
    assert (holder.given_name, holder.surname) == ("JAAK-KRISTJAN", "JÕEORG")
    assert (holder.national_id, holder.country) == ("38001085718", "EE")


@pytest.mark.parametrize("name", ["web-eid-ria-wrong-nonce", "web-eid-ria-wrong-origin"])
def test_real_web_eid_token_fails_for_another_nonce_or_origin(name: str) -> None:
    """The same Web eID token with Web eID's wrong nonce or origin fails the signature check."""
    vector = _vector(name)
    validator = _validator(vector)
    with pytest.raises(SignatureInvalid):
        validator.validate(validator.parse(vector["token"]), vector["challengeNonce"])


def test_real_web_eid_token_is_refused_after_the_certificate_expired() -> None:
    """The Estonian test certificate ended on 2026-07-09; after that the token is expired."""
    vector = dict(
        _vector("valid-web-eid-ria-es384"), now=int(datetime(2026, 8, 1, tzinfo=UTC).timestamp())
    )
    validator = _validator(vector)
    with pytest.raises(ValidationError) as raised:
        validator.validate(validator.parse(vector["token"]), vector["challengeNonce"])
    assert raised.value.code == "certificate-expired"


@pytest.mark.parametrize("name", ["valid-web-eid-finnish-ps256", "valid-web-eid-belgian-rs256"])
def test_other_countries_cards_pass_purpose_and_stop_at_trust(name: str) -> None:
    """Finnish (lenient DER) and Belgian card certificates are read, then refused as untrusted
    because only the Estonian CA is configured."""
    vector = _vector(name)
    validator = _validator(vector)
    with pytest.raises(CertificateNotTrusted):
        validator.validate(validator.parse(vector["token"]), vector["challengeNonce"])
