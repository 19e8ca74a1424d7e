"""The PIV application in-process: every command, status word, chaining and response chaining."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from hypothesis import given
from hypothesis import strategies as st

from bitaqa.vcard.card import OBJECT_TAGS, PRINTED_ORGANIZATION, VirtualPivCard
from bitaqa.vcard.objects import PIV_AID
from bitaqa.vcard.tlv import encode_tlv, find_tlv, parse_tlv
from vcard.apdus import (
    PIN,
    PUK,
    general_authenticate,
    get_data,
    read_object,
    short,
    transmit,
    verify_pin,
)

PIV_STATUS = "0020008000"


def _sign_template(challenge: bytes) -> bytes:
    return encode_tlv(0x7C, encode_tlv(0x82, b"") + encode_tlv(0x81, challenge))


def _signature(answer: bytes) -> bytes:
    inner = find_tlv(answer, 0x7C)
    assert inner is not None
    value = find_tlv(inner, 0x82)
    assert value is not None
    return value


def test_atr_announces_t1_and_has_a_correct_check_byte(ecc_card):
    """The ATR says T=1 in TD2 and its TCK makes the XOR of T0..TCK zero."""
    atr = ecc_card.atr
    assert atr[0] == 0x3B
    assert atr[3] & 0x0F == 1
    check = 0
    for byte in atr[1:]:
        check ^= byte
    assert check == 0


@pytest.mark.parametrize("aid", [PIV_AID, PIV_AID[:9], PIV_AID[:5]])
def test_select_answers_the_application_property_template(ecc_card, aid):
    """SELECT by the full AID or a prefix of at least 5 bytes answers 61{4F PIX, 79{4F RID}}."""
    data, sw = transmit(ecc_card, short(0x00, 0xA4, 0x04, 0x00, aid, le=256))
    assert sw == 0x9000
    template = find_tlv(data, 0x61)
    assert template is not None
    assert find_tlv(template, 0x4F) == PIV_AID[5:]
    authority = find_tlv(template, 0x79)
    assert authority is not None
    assert find_tlv(authority, 0x4F) == PIV_AID[:5]


def test_select_of_another_application_fails_and_keeps_piv_selected(ecc_card):
    """An unknown AID gives 6A82 and GET DATA still reaches PIV (OpenSC probes this way)."""
    assert transmit(ecc_card, short(0x00, 0xA4, 0x04, 0x00, bytes.fromhex("A00000000101")))[1] == (
        0x6A82
    )
    data, sw = transmit(ecc_card, get_data(0x7E))
    assert sw == 0x9000
    assert find_tlv(data, 0x7E) is not None


def test_select_with_wrong_p1_is_refused(ecc_card):
    """SELECT must be by DF name (P1=04, P2=00)."""
    assert transmit(ecc_card, short(0x00, 0xA4, 0x00, 0x00, PIV_AID))[1] == 0x6A86


def test_discovery_object_is_readable_at_power_on(ecc_card):
    """Discovery holds the PIV AID and a PIN usage policy that names the application PIN."""
    data, sw = transmit(ecc_card, get_data(0x7E))
    assert sw == 0x9000
    discovery = find_tlv(data, 0x7E)
    assert discovery is not None
    assert find_tlv(discovery, 0x4F) == PIV_AID
    policy = find_tlv(discovery, 0x5F2F)
    assert policy is not None
    assert policy[0] & 0x40


@pytest.mark.parametrize(
    ("reference", "tag"), [(0x9A, 0x5FC105), (0x9C, 0x5FC10A), (0x9D, 0x5FC10B), (0x9E, 0x5FC101)]
)
def test_certificate_objects_hold_the_profile_certificates(ecc_card, ecc_profile, reference, tag):
    """Each certificate container is 53{70 DER, 71 00, FE} with the slot's certificate."""
    data, sw = read_object(ecc_card, tag)
    assert sw == 0x9000
    container = find_tlv(data, 0x53)
    assert container is not None
    assert [element_tag for element_tag, _ in parse_tlv(container)] == [0x70, 0x71, 0xFE]
    der = find_tlv(container, 0x70)
    assert der is not None
    assert find_tlv(container, 0x71) == b"\x00"
    expected = ecc_profile.slots[reference].certificate
    assert x509.load_der_x509_certificate(der) == expected


def test_short_le_gives_the_first_bytes_and_61xx_then_get_response_gives_the_rest(ecc_card):
    """Le=8 answers 8 bytes and 61xx; GET RESPONSE continues where the answer stopped."""
    full, sw = read_object(ecc_card, 0x5FC105)
    assert sw == 0x9000
    first, sw = transmit(ecc_card, get_data(0x5FC105, le=8))
    assert first == full[:8]
    assert sw >> 8 == 0x61
    rest, sw = transmit(ecc_card, short(0x00, 0xC0, 0x00, 0x00, le=0))
    while sw >> 8 == 0x61:
        more, sw = transmit(ecc_card, short(0x00, 0xC0, 0x00, 0x00, le=sw & 0xFF or 256))
        rest += more
    assert first + rest == full


def test_extended_le_returns_a_large_object_in_one_answer(rsa_card):
    """An extended GET DATA with Le=0000 answers the whole certificate at once with 9000."""
    full, _ = read_object(rsa_card, 0x5FC105)
    command = bytes.fromhex("00CB3FFF000005") + bytes.fromhex("5C035FC105") + b"\x00\x00"
    data, sw = transmit(rsa_card, command)
    assert sw == 0x9000
    assert len(data) > 256
    assert data == full


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("00CB3FFF055C035FC10300", 0x6A82),  # fingerprints: not on this card
        ("00CB3FFF055C035FC12100", 0x6A82),
        ("00CB3FFF035D017E00", 0x6A80),  # not a tag list
        ("00CB3FFF055C017E00", 0x6700),  # Lc says 5 but only 4 bytes follow
        ("00CB3FFF065C045FC1020100", 0x6A80),  # four-byte tag
        ("00CB3FFE035C017E00", 0x6A86),
        ("00CB3FFF075C017E5C017E00", 0x6A80),  # two tags
    ],
)
def test_get_data_errors(ecc_card, command, expected):
    """GET DATA answers 6A82 for absent objects and 6A80/6A86/6700 for malformed commands."""
    assert transmit(ecc_card, command)[1] == expected


def test_chuid_carries_a_well_formed_fasc_n_the_guid_and_the_expiry(ecc_card, ecc_profile):
    """The FASC-N is 40 five-bit characters with odd parity and a matching LRC."""
    data, sw = read_object(ecc_card, 0x5FC102)
    assert sw == 0x9000
    container = find_tlv(data, 0x53)
    assert container is not None
    assert find_tlv(container, 0x34) == ecc_profile.guid
    assert find_tlv(container, 0x35) == ecc_profile.expiry.strftime("%Y%m%d").encode()
    fascn = find_tlv(container, 0x30)
    assert fascn is not None
    assert len(fascn) == 25
    bits = bin(int.from_bytes(fascn, "big"))[2:].zfill(200)
    characters = [bits[index : index + 5] for index in range(0, 200, 5)]
    assert all(character.count("1") % 2 == 1 for character in characters)
    values = [int(character[3::-1], 2) for character in characters]
    assert values[0] == 0xB
    assert values[-2] == 0xF
    lrc = 0
    for value in values[:-1]:
        lrc ^= value
    assert values[-1] == lrc
    digits = "".join(str(value) for value in values if value < 10)
    assert digits.startswith(ecc_profile.agency_code)
    assert ecc_profile.credential_number in digits


def test_ccc_and_key_history_are_present(ecc_card):
    """CCC starts with its card identifier (F0) and Key History counts no retired keys."""
    ccc, sw = read_object(ecc_card, 0x5FC107)
    assert sw == 0x9000
    container = find_tlv(ccc, 0x53)
    assert container is not None
    assert parse_tlv(container)[0][0] == 0xF0
    history, sw = read_object(ecc_card, 0x5FC10C)
    assert sw == 0x9000
    history_container = find_tlv(history, 0x53)
    assert history_container is not None
    assert find_tlv(history_container, 0xC1) == b"\x00"


@pytest.mark.parametrize("tag", [0x5FC109, 0x5FC108])
def test_printed_information_and_facial_image_need_the_pin(ecc_card, tag):
    """Both objects answer 6982 until the PIN is verified, then their content."""
    assert read_object(ecc_card, tag)[1] == 0x6982
    assert verify_pin(ecc_card) == 0x9000
    data, sw = read_object(ecc_card, tag)
    assert sw == 0x9000
    assert find_tlv(data, 0x53) is not None


def test_printed_information_names_the_holder_in_english_and_arabic(ecc_card, ecc_profile):
    """Tag 01 holds the English name, tag 07 the Arabic one, tag 05 the national ID."""
    verify_pin(ecc_card)
    data, _ = read_object(ecc_card, 0x5FC109)
    container = find_tlv(data, 0x53)
    assert container is not None
    holder = ecc_profile.holder
    assert find_tlv(container, 0x01) == f"{holder.given_name} {holder.surname}".encode()
    assert find_tlv(container, 0x07) == PRINTED_ORGANIZATION.encode()
    assert find_tlv(container, 0x05) == holder.national_id.encode()


def test_facial_image_holds_the_profile_photo_at_the_documented_offset(ecc_card, ecc_profile):
    """The CBEFF record's JPEG starts at FACIAL_IMAGE_JPEG_OFFSET and is the profile's photo."""
    from bitaqa.vcard.objects import FACIAL_IMAGE_JPEG_OFFSET

    verify_pin(ecc_card)
    data, _ = read_object(ecc_card, 0x5FC108)
    container = find_tlv(data, 0x53)
    assert container is not None
    record = find_tlv(container, 0xBC)
    assert record is not None
    block_length = int.from_bytes(record[2:6], "big")
    assert len(record) == 88 + block_length
    assert record[88:92] == b"FAC\x00"
    assert record[FACIAL_IMAGE_JPEG_OFFSET:] == ecc_profile.photo_jpeg


def test_pin_status_wrong_pin_counts_down_and_right_pin_resets(ecc_card):
    """VERIFY Lc=0 says 63C3; a wrong PIN says 63C2; the right one 9000 and resets the counter."""
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x63C3
    assert verify_pin(ecc_card, b"654321\xff\xff") == 0x63C2
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x63C2
    assert verify_pin(ecc_card) == 0x9000
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x9000
    assert ecc_card.pin_tries_left == 3


def test_verify_p1_ff_resets_the_security_status(ecc_card):
    """VERIFY with P1=FF forgets a verified PIN."""
    verify_pin(ecc_card)
    assert transmit(ecc_card, "0020FF80")[1] == 0x9000
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x63C3


def test_three_wrong_pins_block_it_and_the_right_pin_no_longer_works(ecc_card):
    """After 63C1 and 63C0 the PIN is blocked: 6983 for VERIFY, its status and the right PIN."""
    statuses = [verify_pin(ecc_card, b"000000\xff\xff") for _ in range(3)]
    assert statuses == [0x63C2, 0x63C1, 0x63C0]
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x6983
    assert verify_pin(ecc_card) == 0x6983


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (short(0x00, 0x20, 0x00, 0x80, b"12345\xff\xff\xff"), 0x6A80),  # too short
        (short(0x00, 0x20, 0x00, 0x80, b"12a456\xff\xff"), 0x6A80),  # not digits
        (short(0x00, 0x20, 0x00, 0x80, b"123456"), 0x6A80),  # not padded to 8
        (short(0x00, 0x20, 0x00, 0x81, PIN), 0x6A88),  # the PUK cannot be verified
        (short(0x00, 0x20, 0x01, 0x80, PIN), 0x6A86),
        (short(0x00, 0x20, 0xFF, 0x80, PIN), 0x6700),
    ],
)
def test_malformed_verify_is_refused_without_spending_a_try(ecc_card, command, expected):
    """A badly formatted PIN or reference is refused and the retry counter stays at 3."""
    assert transmit(ecc_card, command)[1] == expected
    assert ecc_card.pin_tries_left == 3


def test_puk_unblocks_the_pin_and_sets_a_new_one(ecc_card):
    """RESET RETRY COUNTER with the PUK unblocks; the new PIN works, the old one does not."""
    for _ in range(3):
        verify_pin(ecc_card, b"000000\xff\xff")
    new_pin = b"24681357"
    assert transmit(ecc_card, short(0x00, 0x2C, 0x00, 0x80, PUK + new_pin))[1] == 0x9000
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x63C3
    assert verify_pin(ecc_card) == 0x63C2
    assert verify_pin(ecc_card, new_pin) == 0x9000


def test_wrong_puk_counts_down_and_blocks(ecc_card):
    """A wrong PUK says 63C2, 63C1, 63C0, then 6983 even with the right PUK."""
    command = short(0x00, 0x2C, 0x00, 0x80, b"87654321" + PIN)
    assert [transmit(ecc_card, command)[1] for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    assert transmit(ecc_card, short(0x00, 0x2C, 0x00, 0x80, PUK + PIN))[1] == 0x6983


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (short(0x00, 0x2C, 0x00, 0x81, PUK + PIN), 0x6A88),
        (short(0x00, 0x2C, 0x01, 0x80, PUK + PIN), 0x6A86),
        (short(0x00, 0x2C, 0x00, 0x80, PUK), 0x6A80),
        (short(0x00, 0x2C, 0x00, 0x80, PUK + b"12\xff\xff\xff\xff\xff\xff"), 0x6A80),
    ],
)
def test_malformed_reset_retry_counter_is_refused(ecc_card, command, expected):
    """Wrong reference, P1, length or new-PIN format are refused before the PUK is checked."""
    assert transmit(ecc_card, command)[1] == expected


@pytest.mark.parametrize(("reference", "old"), [(0x80, PIN), (0x81, PUK)])
def test_change_reference_data_replaces_pin_and_puk(ecc_card, reference, old):
    """A wrong old value counts down; the right one sets the new value."""
    new = b"11223344"
    wrong = b"99999999"
    assert transmit(ecc_card, short(0x00, 0x24, 0x00, reference, wrong + new))[1] == 0x63C2
    assert transmit(ecc_card, short(0x00, 0x24, 0x00, reference, old + new))[1] == 0x9000
    if reference == 0x80:
        assert verify_pin(ecc_card, new) == 0x9000
    else:
        assert transmit(ecc_card, short(0x00, 0x2C, 0x00, 0x80, new + PIN))[1] == 0x9000


def test_change_reference_data_of_an_unknown_reference_is_refused(ecc_card):
    """Only the PIN (80) and the PUK (81) can be changed."""
    assert transmit(ecc_card, short(0x00, 0x24, 0x00, 0x9B, PIN + PIN))[1] == 0x6A88


def _p256_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_9a_ecdsa_needs_the_pin_and_verifies_against_the_certificate(ecc_card, ecc_profile):
    """9A answers 6982 before VERIFY, then a DER ECDSA signature over the given hash."""
    digest = _p256_digest(b"login")
    assert general_authenticate(ecc_card, 0x11, 0x9A, _sign_template(digest))[1] == 0x6982
    verify_pin(ecc_card)
    answer, sw = general_authenticate(ecc_card, 0x11, 0x9A, _sign_template(digest))
    assert sw == 0x9000
    public_key = ecc_profile.slots[0x9A].certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(_signature(answer), digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def test_9c_needs_the_pin_immediately_before_each_signature(ecc_card, ecc_profile):
    """9C (PIN always, P-384): a second signature or a GET DATA in between needs a new VERIFY."""
    digest = hashlib.sha384(b"contract").digest()
    template = _sign_template(digest)
    verify_pin(ecc_card)
    answer, sw = general_authenticate(ecc_card, 0x14, 0x9C, template)
    assert sw == 0x9000
    public_key = ecc_profile.slots[0x9C].certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(_signature(answer), digest, ec.ECDSA(Prehashed(hashes.SHA384())))
    assert general_authenticate(ecc_card, 0x14, 0x9C, template)[1] == 0x6982
    verify_pin(ecc_card)
    transmit(ecc_card, get_data(0x7E))
    assert general_authenticate(ecc_card, 0x14, 0x9C, template)[1] == 0x6982
    verify_pin(ecc_card)
    transmit(ecc_card, PIV_STATUS)
    assert general_authenticate(ecc_card, 0x14, 0x9C, template)[1] == 0x9000


def test_a_short_hash_for_a_p384_key_is_left_padded(ecc_card, ecc_profile):
    """A SHA-256 hash sent to the P-384 key signs the same integer (standard ECDSA truncation)."""
    digest = _p256_digest(b"short")
    verify_pin(ecc_card)
    answer, sw = general_authenticate(ecc_card, 0x14, 0x9C, _sign_template(digest))
    assert sw == 0x9000
    public_key = ecc_profile.slots[0x9C].certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(_signature(answer), digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def test_9e_signs_without_a_pin(ecc_card, ecc_profile):
    """Card authentication (9E) needs no PIN."""
    digest = _p256_digest(b"door")
    answer, sw = general_authenticate(ecc_card, 0x11, 0x9E, _sign_template(digest))
    assert sw == 0x9000
    public_key = ecc_profile.slots[0x9E].certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(_signature(answer), digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def test_9d_performs_ecdh_and_refuses_to_sign(ecc_card, ecc_profile):
    """ECDH on 9D (tag 85) returns the shared x coordinate both sides compute; ECDSA gives 6985."""
    peer = ec.generate_private_key(ec.SECP256R1())
    point = peer.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    template = encode_tlv(0x7C, encode_tlv(0x82, b"") + encode_tlv(0x85, point))
    verify_pin(ecc_card)
    answer, sw = general_authenticate(ecc_card, 0x11, 0x9D, template)
    assert sw == 0x9000
    card_public = ecc_profile.slots[0x9D].certificate.public_key()
    assert isinstance(card_public, ec.EllipticCurvePublicKey)
    assert _signature(answer) == peer.exchange(ec.ECDH(), card_public)
    digest = _p256_digest(b"x")
    assert general_authenticate(ecc_card, 0x11, 0x9D, _sign_template(digest))[1] == 0x6985


def test_ecdh_with_a_point_off_the_curve_is_refused(ecc_card):
    """An invalid peer point gives 6A80."""
    verify_pin(ecc_card)
    point = b"\x04" + bytes(64)
    template = encode_tlv(0x7C, encode_tlv(0x82, b"") + encode_tlv(0x85, point))
    assert general_authenticate(ecc_card, 0x11, 0x9D, template)[1] == 0x6A80


@pytest.mark.parametrize(
    ("p1", "p2", "template", "expected"),
    [
        (0x07, 0x9A, None, 0x6A86),  # RSA algorithm for an EC key
        (0x11, 0x01, None, 0x6A86),  # not a key reference
        (0x11, 0x9B, None, 0x6A88),  # management key: not on this card
        (0x11, 0x82, None, 0x6A88),  # retired slot: empty
        (0x11, 0x9A, encode_tlv(0x7D, b""), 0x6A80),  # not a 7C template
        (0x11, 0x9A, encode_tlv(0x7C, encode_tlv(0x81, bytes(32))), 0x6A80),  # no 82
        (0x11, 0x9A, encode_tlv(0x7C, encode_tlv(0x82, b"") + encode_tlv(0x81, bytes(33))), 0x6A80),
        (0x11, 0x9A, encode_tlv(0x7C, encode_tlv(0x82, b"") + encode_tlv(0x80, b"")), 0x6A80),
        (0x11, 0x9A, b"\x7c\x05\x82", 0x6A80),  # truncated
    ],
)
def test_malformed_general_authenticate_is_refused(ecc_card, p1, p2, template, expected):
    """Wrong algorithm, key reference or template give 6A86, 6A88 or 6A80."""
    verify_pin(ecc_card)
    data = _sign_template(bytes(32)) if template is None else template
    assert transmit(ecc_card, short(0x00, 0x87, p1, p2, data, le=256))[1] == expected


def _pkcs1_block(digest: bytes) -> bytes:
    prefix = bytes.fromhex("3031300d060960864801650304020105000420")
    info = prefix + digest
    return b"\x00\x01" + b"\xff" * (256 - 3 - len(info)) + b"\x00" + info


def test_rsa_raw_signature_with_chaining_and_get_response_matches_pkcs1(rsa_card, rsa_profile):
    """A host-padded PKCS#1 block sent in two chained APDUs gives the PKCS#1 v1.5 signature."""
    message = b"document"
    block = _pkcs1_block(hashlib.sha256(message).digest())
    verify_pin(rsa_card)
    answer, sw = general_authenticate(rsa_card, 0x07, 0x9A, _sign_template(block))
    assert sw == 0x9000
    signature = _signature(answer)
    assert len(signature) == 256
    public_key = rsa_profile.slots[0x9A].certificate.public_key()
    public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]


def test_rsa_in_one_extended_apdu(rsa_card, rsa_profile):
    """One extended-length GENERAL AUTHENTICATE carries the block and returns the whole answer."""
    message = b"extended"
    template = _sign_template(_pkcs1_block(hashlib.sha256(message).digest()))
    command = bytes.fromhex("0087079A00") + len(template).to_bytes(2, "big") + template + b"\0\0"
    verify_pin(rsa_card)
    answer, sw = transmit(rsa_card, command)
    assert sw == 0x9000
    public_key = rsa_profile.slots[0x9A].certificate.public_key()
    public_key.verify(_signature(answer), message, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]


def test_rsa_block_not_below_the_modulus_is_refused(rsa_card):
    """A block of 256 0xFF bytes is larger than the modulus: 6A80."""
    verify_pin(rsa_card)
    assert general_authenticate(rsa_card, 0x07, 0x9A, _sign_template(b"\xff" * 256))[1] == 0x6A80


def test_a_chain_interrupted_by_another_command_is_refused(rsa_card):
    """A chained command followed by a different INS answers 6883 and drops the chain."""
    assert transmit(rsa_card, short(0x10, 0x87, 0x07, 0x9A, b"\x7c"))[1] == 0x9000
    assert transmit(rsa_card, get_data(0x7E))[1] == 0x6883
    assert transmit(rsa_card, get_data(0x7E))[1] == 0x9000


def test_get_response_without_pending_data_or_with_p1_is_refused(ecc_card):
    """GET RESPONSE needs something pending (6985) and P1=P2=00 (6A86)."""
    assert transmit(ecc_card, "00C0000000")[1] == 0x6985
    transmit(ecc_card, get_data(0x5FC105, le=8))
    assert transmit(ecc_card, "00C0010000")[1] == 0x6A86


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("00DA3FFF00", 0x6D00),  # unknown INS
        ("00470080", 0x6D00),  # key generation needs the management key: not supported
        ("80CB3FFF035C017E00", 0x6E00),  # proprietary class
        ("0CCB3FFF035C017E00", 0x6E00),  # secure messaging
        ("00CB3F", 0x6700),  # shorter than a header
        ("00CB3FFF0A5C017E", 0x6700),  # Lc larger than the data
        ("00CB3FFF0000", 0x6700),  # neither short nor extended
    ],
)
def test_unknown_or_malformed_commands(ecc_card, command, expected):
    """Unknown INS 6D00, wrong CLA 6E00, inconsistent lengths 6700."""
    assert transmit(ecc_card, command)[1] == expected


def test_power_on_forgets_the_pin_but_keeps_the_retry_counter(ecc_card):
    """A new card session starts unauthenticated; tries left survive it."""
    verify_pin(ecc_card, b"000000\xff\xff")
    verify_pin(ecc_card)
    verify_pin(ecc_card, b"000000\xff\xff")
    ecc_card.power_on()
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x63C2
    verify_pin(ecc_card)
    ecc_card.reset()
    assert transmit(ecc_card, PIV_STATUS)[1] == 0x63C3


def test_counters_count_apdus_and_bytes_and_reset(ecc_card):
    """Every APDU counts once, with its command and response lengths."""
    response = ecc_card.process_apdu(get_data(0x7E))
    ecc_card.process_apdu(b"\x00")
    assert ecc_card.counters.apdus == 2
    assert ecc_card.counters.bytes_in == len(get_data(0x7E)) + 1
    assert ecc_card.counters.bytes_out == len(response) + 2
    ecc_card.counters.reset()
    assert (ecc_card.counters.apdus, ecc_card.counters.bytes_in) == (0, 0)


def test_every_object_tag_is_served(ecc_card):
    """All objects named in OBJECT_TAGS exist on a full profile."""
    verify_pin(ecc_card)
    for tag in OBJECT_TAGS.values():
        assert read_object(ecc_card, tag)[1] == 0x9000, hex(tag)


@given(st.binary(max_size=300))
def test_any_bytes_get_a_status_word_and_never_an_exception(ecc_profile, raw):
    """Arbitrary input always produces a response ending in a status word."""
    card = VirtualPivCard(ecc_profile)
    response = card.process_apdu(raw)
    assert len(response) >= 2
    assert response[-2] in (0x90, 0x61, 0x62, 0x63, 0x67, 0x68, 0x69, 0x6A, 0x6D, 0x6E)
