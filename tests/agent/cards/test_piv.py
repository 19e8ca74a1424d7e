"""The PIV driver over the virtual PIV card in-process: certificates, PIN, signatures, identity."""

from __future__ import annotations

import hashlib
import logging

import pytest
from cryptography import x509

from bitaqa.agent.cards.base import (
    CryptoAlgorithm,
    HashFunction,
    IssuerSignatureStatus,
    PaddingScheme,
    PinKind,
)
from bitaqa.agent.cards.errors import (
    CardRemoved,
    OperationNotSupported,
    PinBlocked,
    PinIncorrect,
    PinNotVerified,
)
from bitaqa.vcard.card import PRINTED_ORGANIZATION

PIN = b"123456"
JWA_HASH = {"256": HashFunction.SHA_256, "384": HashFunction.SHA_384, "512": HashFunction.SHA_512}


def _jwa(algorithm: str) -> tuple[HashFunction, PaddingScheme]:
    hash_function = JWA_HASH[algorithm[2:]]
    scheme = {"RS": PaddingScheme.PKCS1_5, "PS": PaddingScheme.PSS, "ES": PaddingScheme.NONE}
    return hash_function, scheme[algorithm[:2]]


def test_the_second_authentication_reads_no_certificate(inprocess_card):
    """Certificates are read once per insertion: the counter sees no GET DATA the second time."""
    card = inprocess_card("ecc")
    driver, counter = card.driver, card.readers.counter
    for round_number in range(2):
        before = counter.snapshot()
        with driver.transaction():
            certificate = driver.authentication_certificate()
            driver.pin_status(PinKind.AUTHENTICATION)
        with driver.transaction():
            driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
            driver.sign_with_authentication_key(hashlib.sha256(b"m").digest(), "ES256")
        used = counter.snapshot() - before
        assert used.by_instruction.get(0xCB, 0) == (1 if round_number == 0 else 0)
        assert used.commands == (6 if round_number == 0 else 5)
    assert x509.load_der_x509_certificate(certificate).public_key() is not None


def test_a_new_insertion_starts_with_an_empty_certificate_cache(inprocess_card):
    """After re-insertion the driver for the new insertion reads the certificate again."""
    card = inprocess_card("ecc")
    first = card.driver.authentication_certificate()
    driver = card.reinsert()
    before = card.readers.counter.snapshot()
    assert driver.authentication_certificate() == first
    assert (card.readers.counter.snapshot() - before).by_instruction[0xCB] == 1


@pytest.mark.parametrize("profile", ["ecc", "rsa"])
@pytest.mark.parametrize("extended_length", [True, False])
def test_every_authentication_algorithm_verifies_against_the_card_certificate(
    inprocess_card, check_signature, digest, profile, extended_length
):
    """9A signatures (RS*, PS*, ES256) verify with cryptography, with and without extended APDUs."""
    card = inprocess_card(profile, extended_length=extended_length)
    driver = card.driver
    certificate = driver.authentication_certificate()
    algorithms = driver.authentication_algorithms()
    assert algorithms == (
        ("RS256", "PS256", "RS384", "PS384", "RS512", "PS512") if profile == "rsa" else ("ES256",)
    )
    for algorithm in algorithms:
        hash_function, scheme = _jwa(algorithm)
        value = digest(b"H(origin)||H(nonce)", hash_function)
        with driver.transaction():
            driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
            signature = driver.sign_with_authentication_key(value, algorithm)
        check_signature(certificate, signature, value, hash_function, scheme)


@pytest.mark.parametrize("profile", ["ecc", "rsa"])
def test_every_signing_algorithm_verifies_and_names_itself(
    inprocess_card, check_signature, digest, profile
):
    """9C signatures for each advertised algorithm verify, PKCS#1 v1.5 and PSS included."""
    driver = inprocess_card(profile).driver
    certificate = driver.signing_certificate()
    algorithms = driver.signing_algorithms()
    schemes = {algorithm.padding_scheme for algorithm in algorithms}
    if profile == "rsa":
        assert schemes == {PaddingScheme.PKCS1_5, PaddingScheme.PSS}
    else:
        assert schemes == {PaddingScheme.NONE}
    for algorithm in algorithms:
        value = digest(b"document", algorithm.hash_function)
        with driver.transaction():
            driver.verify_pin(PinKind.SIGNING, bytearray(PIN))
            result = driver.sign_with_signing_key(
                value, algorithm.hash_function, algorithm.padding_scheme
            )
        assert result.algorithm == algorithm
        check_signature(
            certificate, result.signature, value, algorithm.hash_function, algorithm.padding_scheme
        )


def test_the_signing_key_refuses_to_sign_without_the_pin_just_before(inprocess_card, digest):
    """9C is PIN-always: a signature in a later transaction than VERIFY is refused (6982)."""
    driver = inprocess_card("ecc").driver
    driver.verify_pin(PinKind.SIGNING, bytearray(PIN))
    with pytest.raises(PinNotVerified):
        driver.sign_with_signing_key(
            digest(b"d", HashFunction.SHA_384), HashFunction.SHA_384, PaddingScheme.NONE
        )


def test_padding_the_key_cannot_use_is_operation_not_supported(inprocess_card, digest):
    """PSS on an ECC key, or ES384 on a P-256 authentication key, is refused before any I/O."""
    driver = inprocess_card("ecc").driver
    with pytest.raises(OperationNotSupported):
        driver.sign_with_signing_key(
            digest(b"d", HashFunction.SHA_256), HashFunction.SHA_256, PaddingScheme.PSS
        )
    with pytest.raises(OperationNotSupported):
        driver.sign_with_authentication_key(digest(b"d", HashFunction.SHA_384), "ES384")
    with pytest.raises(ValueError, match="SHA-256"):
        driver.sign_with_authentication_key(bytes(20), "ES256")


def test_a_wrong_pin_counts_down_and_the_last_try_blocks(inprocess_card):
    """63C2, 63C1, then blocked; PIN status agrees and a right PIN no longer helps."""
    driver = inprocess_card("ecc").driver
    assert driver.pin_status(PinKind.AUTHENTICATION).tries_left == 3
    for expected in (2, 1):
        with pytest.raises(PinIncorrect) as wrong:
            driver.verify_pin(PinKind.AUTHENTICATION, bytearray(b"654321"))
        assert wrong.value.tries_left == expected
        assert driver.pin_status(PinKind.AUTHENTICATION).tries_left == expected
    with pytest.raises(PinBlocked):
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(b"654321"))
    status = driver.pin_status(PinKind.AUTHENTICATION)
    assert status.blocked
    assert status.tries_left == 0
    with pytest.raises(PinBlocked):
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))


def test_a_right_pin_resets_the_counter(inprocess_card):
    """After one wrong try, the right PIN brings tries left back to 3."""
    driver = inprocess_card("rsa").driver
    with pytest.raises(PinIncorrect):
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(b"000000"))
    driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
    assert driver.pin_status(PinKind.AUTHENTICATION).tries_left == 3


@pytest.mark.parametrize("pin", [b"12345", b"123456789", b"12a456", b""])
def test_a_pin_outside_the_piv_rules_is_refused_without_spending_a_try(inprocess_card, pin):
    """Length 6-8 digits is checked before any APDU; the card counter stays at 3."""
    card = inprocess_card("ecc")
    before = card.readers.counter.snapshot()
    with pytest.raises(ValueError, match="6 to 8 digits"):
        card.driver.verify_pin(PinKind.AUTHENTICATION, bytearray(pin))
    assert (card.readers.counter.snapshot() - before).commands == 0
    assert card.card.pin_tries_left == 3


def test_the_pin_never_appears_in_the_debug_trace(inprocess_card, caplog):
    """With DEBUG on, VERIFY shows only its header; the digits are nowhere in the log."""
    caplog.set_level(logging.DEBUG, logger="bitaqa.agent.cards")
    driver = inprocess_card("ecc").driver
    pin = bytearray(b"123456")
    with driver.transaction():
        driver.verify_pin(PinKind.AUTHENTICATION, pin)
        driver.sign_with_authentication_key(hashlib.sha256(b"m").digest(), "ES256")
    with pytest.raises(PinIncorrect):
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(b"98765432"))
    trace = caplog.text
    assert "00 20 00 80 <9 bytes redacted>" in trace
    assert "00 87 11 9a" in trace
    for secret in (b"123456", b"98765432"):
        assert secret.hex(" ") not in trace
        assert secret.hex() not in trace
        assert secret.decode() not in trace
    assert pin == bytearray(b"123456")  # the caller's buffer is the caller's to wipe


def test_removal_during_a_signature_is_card_removed_and_reinsertion_recovers(
    inprocess_card, digest, check_signature
):
    """The card leaves between VERIFY and GENERAL AUTHENTICATE; a new insertion signs again."""
    card = inprocess_card("ecc")
    value = digest(b"d", HashFunction.SHA_256)
    with card.driver.transaction():
        card.driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
        card.readers.remove("In-process 00 00")
        with pytest.raises(CardRemoved):
            card.driver.sign_with_authentication_key(value, "ES256")
    card.readers.insert("In-process 00 00", card.card)
    with pytest.raises(CardRemoved):  # the old insertion's driver stays dead
        card.driver.pin_status(PinKind.AUTHENTICATION)
    driver = card.reinsert()
    with driver.transaction():
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
        signature = driver.sign_with_authentication_key(value, "ES256")
    check_signature(
        driver.authentication_certificate(),
        signature,
        value,
        HashFunction.SHA_256,
        PaddingScheme.NONE,
    )


def test_certificates_and_a_card_identity_stable_across_insertions(inprocess_card):
    """Both certificates are returned; the identity survives re-insertion and differs per card."""
    card = inprocess_card("rsa")
    certificates = card.driver.certificates()
    assert certificates.signing is not None
    assert certificates.signing != certificates.authentication
    identity = card.driver.card_identity()
    expected = hashlib.sha256(
        card.card.atr + hashlib.sha256(certificates.authentication).digest()
    ).hexdigest()[:32]
    assert identity == expected
    assert card.reinsert().card_identity() == identity
    assert identity != inprocess_card("ecc").driver.card_identity()


def test_algorithms_follow_the_key_types_of_the_certificates(inprocess_card):
    """The ECC profile has P-256 for 9A and P-384 for 9C; RSA has RSA-2048 for both."""
    ecc = inprocess_card("ecc").driver
    assert {a.crypto_algorithm for a in ecc.signing_algorithms()} == {CryptoAlgorithm.ECC}
    rsa = inprocess_card("rsa").driver
    assert {a.crypto_algorithm for a in rsa.signing_algorithms()} == {CryptoAlgorithm.RSA}
    assert rsa.signing_algorithms()[0].to_json() == {
        "cryptoAlgorithm": "RSA",
        "hashFunction": "SHA-256",
        "paddingScheme": "PKCS1.5",
    }


def test_identity_data_after_the_pin_is_parsed_and_issuer_signed(inprocess_card, card_profiles):
    """Printed Information and the photo come back, and the Security Object verifies."""
    card = inprocess_card("ecc")
    with card.driver.transaction():
        card.driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
        identity = card.driver.read_identity()
    holder = card.card.profile.holder
    assert identity.fields["nameEn"] == f"{holder.given_name} {holder.surname}"
    assert identity.fields["dateOfExpiry"] == "2035-01-01"
    assert identity.fields["agencyCardSerial"] == holder.national_id
    assert identity.fields["organizationAffiliation"] == PRINTED_ORGANIZATION
    assert identity.photo is not None
    assert identity.photo.startswith(b"\xff\xd8")
    assert identity.issuer_signature is IssuerSignatureStatus.VALID
    assert identity.signer_certificate is not None
    signer = x509.load_der_x509_certificate(identity.signer_certificate)
    assert signer == card.card.profile.document_signer.certificate


def test_identity_data_without_the_pin_is_refused(inprocess_card):
    """Printed Information is PIN-protected: 6982 becomes PinNotVerified."""
    with pytest.raises(PinNotVerified):
        inprocess_card("ecc").driver.read_identity()
