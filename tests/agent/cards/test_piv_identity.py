"""PIV object parsing and the Security Object check, on objects read from the virtual card."""

from __future__ import annotations

import contextlib
import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.agent.cards.apdu import EXTENDED_MAX_LE, CommandApdu, exchange
from bitaqa.agent.cards.base import IssuerSignatureStatus, PinKind
from bitaqa.agent.cards.errors import CardCommunicationError
from bitaqa.agent.cards.piv_identity import (
    FACIAL_IMAGE,
    PRINTED_INFORMATION,
    SECURITY_OBJECT,
    build_identity,
    certificate_from_container,
    check_security_object,
    jpeg_from_facial_image,
)
from bitaqa.agent.cards.tlv import encode_tlv


@pytest.fixture
def card_objects(inprocess_card) -> dict[int, bytes]:
    """Printed Information, Facial Image and Security Object, complete, after the PIN."""
    card = inprocess_card("ecc")
    objects = {}
    with card.driver.transaction():
        card.driver.verify_pin(PinKind.AUTHENTICATION, bytearray(b"123456"))
        transport = card.readers.connect("In-process 00 00")
        for tag in (PRINTED_INFORMATION, FACIAL_IMAGE, SECURITY_OBJECT):
            data = encode_tlv(0x5C, tag.to_bytes(3, "big"))
            answer = exchange(
                transport,
                CommandApdu(0x00, 0xCB, 0x3F, 0xFF, data, EXTENDED_MAX_LE),
                extended_length=True,
            )
            assert answer.ok
            objects[tag] = answer.data
    return objects


def test_untouched_objects_are_valid(card_objects):
    """The hashes and signature of the Security Object match what the card holds."""
    status, signer = check_security_object(
        card_objects[SECURITY_OBJECT],
        {PRINTED_INFORMATION: card_objects[PRINTED_INFORMATION]},
    )
    assert status is IssuerSignatureStatus.VALID
    assert signer is not None


@pytest.mark.parametrize("target", [PRINTED_INFORMATION, FACIAL_IMAGE])
def test_one_changed_byte_in_a_covered_object_is_invalid(card_objects, target):
    """A changed name or photo no longer matches its hash."""
    changed = bytearray(card_objects[target])
    changed[-10] ^= 0x01
    covered = {PRINTED_INFORMATION: card_objects[PRINTED_INFORMATION]}
    covered[target] = bytes(changed)
    status, _ = check_security_object(card_objects[SECURITY_OBJECT], covered)
    assert status is IssuerSignatureStatus.INVALID


def test_a_changed_signature_is_invalid(card_objects):
    """Flipping a byte inside the CMS structure breaks the signature or its parsing."""
    security = bytearray(card_objects[SECURITY_OBJECT])
    security[len(security) // 2] ^= 0x40
    status, _ = check_security_object(
        bytes(security), {PRINTED_INFORMATION: card_objects[PRINTED_INFORMATION]}
    )
    assert status is IssuerSignatureStatus.INVALID


def test_an_object_not_listed_is_invalid_and_no_object_is_absent(card_objects):
    """Covering an object the Security Object does not list fails; no Security Object: ABSENT."""
    status, _ = check_security_object(card_objects[SECURITY_OBJECT], {0x5FC105: b"\x53\x00"})
    assert status is IssuerSignatureStatus.INVALID
    assert check_security_object(None, {})[0] is IssuerSignatureStatus.ABSENT
    garbage = encode_tlv(0x53, encode_tlv(0xBA, b"\x02\x30\x01") + encode_tlv(0xBB, b"\x30\x00"))
    assert check_security_object(garbage, {})[0] is IssuerSignatureStatus.INVALID


def test_identity_without_a_photo_or_security_object(card_objects):
    """build_identity fills the fields and reports ABSENT when the card has no Security Object."""
    identity = build_identity(card_objects[PRINTED_INFORMATION], None, None)
    assert identity.photo is None
    assert identity.issuer_signature is IssuerSignatureStatus.ABSENT
    assert identity.fields["issuer"] == "BH"


def test_compressed_certificates_are_inflated():
    """CertInfo bit 0 set means gzip; a corrupt stream is a card error."""
    der = b"\x30\x03\x02\x01\x01"
    container = encode_tlv(0x70, gzip.compress(der)) + encode_tlv(0x71, b"\x01")
    assert certificate_from_container(container) == der
    plain = encode_tlv(0x70, der) + encode_tlv(0x71, b"\x00")
    assert certificate_from_container(plain) == der
    with pytest.raises(CardCommunicationError):
        certificate_from_container(encode_tlv(0x70, b"not gzip") + encode_tlv(0x71, b"\x01"))
    with pytest.raises(CardCommunicationError):
        certificate_from_container(encode_tlv(0x71, b"\x00"))


@given(
    printed=st.binary(max_size=200),
    facial=st.none() | st.binary(max_size=300),
    security=st.none() | st.binary(max_size=300),
)
def test_arbitrary_card_objects_parse_or_raise_a_card_error(printed, facial, security):
    """Garbage from a card gives IdentityData or CardCommunicationError, never another error."""
    with contextlib.suppress(CardCommunicationError):
        identity = build_identity(encode_tlv(0x53, printed), facial, security)
        assert identity.issuer_signature is not IssuerSignatureStatus.VALID


@given(st.binary(max_size=400))
def test_arbitrary_facial_records_give_an_image_none_or_a_card_error(record):
    """The CBEFF / ISO 19794-5 walk never indexes past the data."""
    with contextlib.suppress(CardCommunicationError):
        image = jpeg_from_facial_image(encode_tlv(0xBC, record))
        assert image is None or len(image) < len(record)


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("2035JAN01", "2035-01-01"),
        ("2030dec31", "2030-12-31"),
        ("2030FEB30", None),
        ("20301231", None),
        ("2030XYZ01", None),
        ("", None),
    ],
)
def test_the_printed_expiry_becomes_an_iso_date_or_is_left_out(printed, expected):
    """Only a real YYYYMMMDD date gives dateOfExpiry; anything else leaves the field out."""
    container = encode_tlv(
        0x53, encode_tlv(0x01, b"A B") + encode_tlv(0x04, printed.encode()) + b"\xfe\x00"
    )
    assert build_identity(container, None, None).fields.get("dateOfExpiry") == expected
