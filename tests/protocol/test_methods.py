"""Typed params per method, and result and notification builders that match the JSON Schemas."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.errors import ErrorCode, MessageError
from bitaqa.protocol.jsonrpc import Notification, Response, serialize
from bitaqa.protocol.limits import MAX_SIGNED_REQUEST_LENGTH
from bitaqa.protocol.methods import (
    AuthenticateParams,
    CancelParams,
    Card,
    CertificateInfo,
    GetCertificatesParams,
    GetSigningCertificateParams,
    Identity,
    IssuerSignature,
    ListReadersParams,
    Photo,
    Reader,
    ReadIdentityParams,
    SignatureAlgorithm,
    SignParams,
    StatusParams,
    authenticate_result,
    cancel_result,
    card_inserted,
    card_removed,
    get_certificates_result,
    hello,
    list_readers_result,
    parse_call,
    parse_params,
    read_identity_result,
    reader_attached,
    reader_detached,
    sign_result,
    signing_certificate_result,
    status_result,
)
from bitaqa.protocol.origin import parse_origin

SCHEMAS = Path(__file__).resolve().parents[2] / "protocol" / "schemas"
NONCE = "A" * 43 + "="
JWS = "aGVhZGVy.cGF5bG9hZA.c2ln"
ECC = SignatureAlgorithm("ECC", "SHA-256", "NONE")


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))


def assert_result_valid(method: str, result: dict[str, JSONValue]) -> None:
    frame = json.loads(serialize(Response(1, result)))
    errors = [error.message for error in schema(f"{method}.result").iter_errors(frame)]
    assert errors == []


def assert_notification_valid(notification: Notification) -> None:
    frame = json.loads(serialize(notification))
    assert [error.message for error in schema(notification.method).iter_errors(frame)] == []


@pytest.mark.parametrize(
    ("method", "params", "parsed"),
    [
        ("status", {}, StatusParams()),
        ("listReaders", {}, ListReadersParams()),
        ("getCertificates", {}, GetCertificatesParams()),
        ("getCertificates", {"reader": "R"}, GetCertificatesParams("R")),
        ("authenticate", {"challengeNonce": NONCE}, AuthenticateParams(NONCE)),
        (
            "authenticate",
            {"challengeNonce": NONCE, "reader": "R", "lang": "ar", "signedRequest": JWS},
            AuthenticateParams(NONCE, "R", "ar", JWS),
        ),
        ("getSigningCertificate", {"lang": "en"}, GetSigningCertificateParams(None, "en")),
        ("sign", {"signedRequest": JWS, "lang": "ar"}, SignParams(JWS, None, "ar")),
        ("readIdentity", {"signedRequest": JWS, "reader": "R"}, ReadIdentityParams(JWS, "R")),
        ("cancel", {"id": 0}, CancelParams(0)),
        ("cancel", {"id": "a"}, CancelParams("a")),
    ],
)
def test_params_parse_to_their_dataclass_and_back(
    method: str, params: dict[str, Any], parsed: object
) -> None:
    """Each method's params become one frozen dataclass whose to_wire gives the params back."""
    result = parse_params(method, params)
    assert result == parsed
    assert result.to_wire() == params


def test_signed_request_length_is_bounded_even_without_the_codec() -> None:
    """A caller that skips the codec still cannot pass an over-long signed request."""
    token = "a.b." + "c" * (MAX_SIGNED_REQUEST_LENGTH - 3)
    with pytest.raises(MessageError) as caught:
        parse_params("sign", {"signedRequest": token})
    assert caught.value.code is ErrorCode.INVALID_PARAMS
    assert parse_params("sign", {"signedRequest": token[:-1]}) == SignParams(token[:-1])


def test_parse_call_sets_the_request_id_on_params_errors() -> None:
    """The error answer to bad params names the request."""
    with pytest.raises(MessageError) as caught:
        parse_call('{"jsonrpc":"2.0","id":"q","method":"nope"}')
    assert (caught.value.code, caught.value.request_id) == (ErrorCode.METHOD_NOT_FOUND, "q")


def test_status_and_readers_results_match_their_schemas() -> None:
    """status, listReaders and getCertificates results are schema-valid."""
    assert_result_valid(
        "status",
        status_result(
            agent_version="0.1.0",
            pcsc_available=False,
            card="pcscUnavailable",
            trust_list_version=3,
            trust_list_state="fallback",
            trust_list_problems=["ROLLBACK"],
            consent_store="ok",
        ),
    )
    readers = [Reader("R 0", Card(bytes.fromhex("3B8F8001"), "piv")), Reader("R 1")]
    result = list_readers_result(readers)
    assert result == {
        "readers": [
            {"name": "R 0", "card": {"atr": "3B8F8001", "profile": "piv"}},
            {"name": "R 1", "card": None},
        ]
    }
    assert_result_valid("listReaders", result)
    certificates = [CertificateInfo("R 0", "authentication", b"\x30\x03\x02\x01\x00")]
    assert get_certificates_result(certificates) == {
        "certificates": [{"reader": "R 0", "purpose": "authentication", "certificate": "MAMCAQA="}]
    }
    assert_result_valid("getCertificates", get_certificates_result(certificates))


def test_card_results_match_their_schemas() -> None:
    """authenticate, getSigningCertificate, sign and cancel results are schema-valid."""
    token = authenticate_result(
        certificate=b"\x30\x00", algorithm="ES384", signature=b"s" * 96, app_version="x"
    )
    assert token["format"] == "web-eid:1.0"
    assert_result_valid("authenticate", token)
    assert_result_valid("getSigningCertificate", signing_certificate_result(b"\x30\x00", [ECC]))
    assert_result_valid("sign", sign_result(b"s" * 64, SignatureAlgorithm("RSA", "SHA-512", "PSS")))
    assert_result_valid("cancel", cancel_result(cancelled=True))


def test_identity_result_of_a_gulf_card() -> None:
    """Dates are ISO 8601, the photo carries its media type, absent fields are left out."""
    identity = Identity(
        profile="uae-eid",
        issuer_signature=IssuerSignature(checked=True, valid=False, signer="CN=Issuer"),
        name_en="Fatima",
        name_ar="فاطمة",
        id_number="784198012345671",
        sex="F",
        date_of_birth=date(1980, 5, 17),
        photo=Photo(b"\xff\xd8\xff\xd9"),
    )
    result = read_identity_result(identity)
    assert result["fields"] == {
        "nameEn": "Fatima",
        "nameAr": "فاطمة",
        "idNumber": "784198012345671",
        "sex": "F",
        "dateOfBirth": "1980-05-17",
        "photo": {"mediaType": "image/jpeg", "data": "/9j/2Q=="},
    }
    assert result["issuerSignature"] == {"checked": True, "valid": False, "signer": "CN=Issuer"}
    assert_result_valid("readIdentity", result)


def test_identity_result_of_a_piv_card() -> None:
    """PIV printed information maps onto the same fields; an unchecked signature has valid null."""
    identity = Identity(
        profile="piv",
        issuer_signature=IssuerSignature(checked=False),
        name_en="DOE, JANE",
        employee_affiliation="Ministry",
        organization_affiliation="Dept",
        agency_card_serial="123",
        issuer="Agency",
        card_number="9",
        nationality="ARE",
        date_of_issue=date(2025, 1, 1),
        date_of_expiry=date(2030, 1, 1),
        photo=Photo(b"\x00\x00\x00\x0cjP", "image/jp2"),
    )
    result = read_identity_result(identity)
    assert result["issuerSignature"] == {"checked": False, "valid": None, "signer": None}
    assert_result_valid("readIdentity", result)


@pytest.mark.parametrize(
    "signature", [IssuerSignature(checked=False, valid=True), IssuerSignature(checked=True)]
)
def test_issuer_signature_valid_is_null_exactly_when_unchecked(signature: IssuerSignature) -> None:
    """The builder refuses a verdict without a check, or a check without a verdict."""
    with pytest.raises(ValueError, match="valid is None"):
        signature.to_wire()


@pytest.mark.parametrize("card", [Card(b"\x3b"), Card(bytes(34)), Card(b"\x3b\x00", "PIV")])
def test_card_builder_refuses_impossible_cards(card: Card) -> None:
    """An ATR has 2 to 33 bytes; a profile is a short lower-case name."""
    with pytest.raises(ValueError, match="ATR"):
        card.to_wire()


def test_notifications_match_their_schemas() -> None:
    """hello and the reader and card notifications are schema-valid."""
    greeting = hello(
        agent_version="0.1.0",
        origin=parse_origin("https://Portal.example:443"),
        identity_profiles=["piv"],
    )
    assert greeting.params["origin"] == "https://portal.example"
    assert greeting.params["protocol"] == "bitaqa.v1"
    for notification in (
        greeting,
        reader_attached("R"),
        reader_detached("R"),
        card_inserted("R", Card(bytes.fromhex("3B8F8001"), "unknown")),
        card_removed("R"),
    ):
        assert_notification_valid(notification)


def test_reader_names_are_made_wire_safe() -> None:
    """Control characters become spaces and over-long PC/SC names are cut, so the schema holds."""
    notification = reader_attached("Reader\x00" + "x" * 200)
    assert notification.params["reader"] == "Reader " + "x" * 121
    assert card_removed("").params["reader"] == "?"
    assert_notification_valid(notification)


def test_identity_without_requested_fields_has_empty_fields() -> None:
    """A card with none of the asked-for data still answers the full shape."""
    result = read_identity_result(Identity("unknown", IssuerSignature(checked=False)))
    assert result == {
        "profile": "unknown",
        "fields": {},
        "issuerSignature": {"checked": False, "valid": None, "signer": None},
    }
    assert_result_valid("readIdentity", result)
