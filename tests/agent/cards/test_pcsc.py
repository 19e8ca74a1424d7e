"""The card layer on the real stack: pyscard -> private pcscd -> vpcd -> virtual card process."""

from __future__ import annotations

import hashlib
import logging

import pytest

from bitaqa.agent.cards.base import HashFunction, PaddingScheme, PinKind
from bitaqa.agent.cards.errors import (
    CardRemoved,
    NoCard,
    NoReader,
    PcscUnavailable,
    PinBlocked,
    PinIncorrect,
)
from bitaqa.agent.cards.pcsc import PcscConnector
from bitaqa.agent.cards.registry import default_registry

pytestmark = pytest.mark.pcscd
PIN = b"123456"


@pytest.fixture
def connector():
    """A PC/SC connector on the session's pcscd, released afterwards."""
    connector = PcscConnector()
    yield connector
    connector.close()


def _driver(connector, reader):
    return default_registry().open(connector.connect(reader))


class _RemoveBeforeSignature:
    """Passes APDUs to the real transport, but pulls the card just before GENERAL AUTHENTICATE."""

    def __init__(self, transport, card):
        self._transport = transport
        self._card = card
        self.reader_name = transport.reader_name
        self.atr = transport.atr

    def transmit(self, command):
        if command[1] == 0x87:
            self._card.remove()  # returns once PC/SC reports the reader empty
        return self._transport.transmit(command)

    def transaction(self):
        return self._transport.transaction()


def test_readers_are_listed_and_empty_or_unknown_readers_are_told_apart(
    pcsc_environment, connector
):
    """Both vpcd readers are listed; the empty one is NoCard, a made-up name NoReader."""
    assert connector.list_readers() == list(pcsc_environment.reader_names)
    with pytest.raises(NoCard):
        connector.connect(pcsc_environment.reader_names[1])
    with pytest.raises(NoReader):
        connector.connect("No Such Reader 00 00")


def test_first_and_second_authentication_over_pcscd(virtual_card, connector, check_signature):
    """Six APDUs the first time, five the second (no certificate read); the card agrees."""
    driver = _driver(connector, virtual_card.reader_name)
    digest = hashlib.sha256(b"H(origin)||H(nonce)").digest()
    seen = []
    for _ in range(2):
        virtual_card.reset_counters()
        before = connector.counter.snapshot()
        with driver.transaction():
            certificate = driver.authentication_certificate()
            driver.pin_status(PinKind.AUTHENTICATION)
        with driver.transaction():
            driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
            signature = driver.sign_with_authentication_key(digest, "ES256")
        check_signature(certificate, signature, digest, HashFunction.SHA_256, PaddingScheme.NONE)
        used = connector.counter.snapshot() - before
        assert virtual_card.status()["apdus"] == used.commands
        seen.append(used)
    assert seen[0].by_instruction[0xCB] == 1
    assert 0xCB not in seen[1].by_instruction
    assert (seen[0].commands, seen[1].commands) == (6, 5)


@pytest.mark.parametrize("profile", ["rsa", "ecc"])
def test_signatures_over_pcscd_verify_for_both_keys_and_paddings(
    virtual_card_factory, connector, check_signature, digest, profile
):
    """9A and 9C through pcscd: PKCS#1 v1.5 and PSS for RSA, ECDSA for ECC, all verify."""
    card = virtual_card_factory(profile)
    driver = _driver(connector, card.reader_name)
    authentication = ("RS256", "PS256") if profile == "rsa" else ("ES256",)
    for algorithm in authentication:
        value = digest(b"message", HashFunction.SHA_256)
        with driver.transaction():
            driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
            signature = driver.sign_with_authentication_key(value, algorithm)
        scheme = {"RS": PaddingScheme.PKCS1_5, "PS": PaddingScheme.PSS}.get(
            algorithm[:2], PaddingScheme.NONE
        )
        check_signature(
            driver.authentication_certificate(), signature, value, HashFunction.SHA_256, scheme
        )
    schemes = (
        (PaddingScheme.PKCS1_5, PaddingScheme.PSS) if profile == "rsa" else (PaddingScheme.NONE,)
    )
    for scheme in schemes:
        value = digest(b"document", HashFunction.SHA_384)
        with driver.transaction():
            driver.verify_pin(PinKind.SIGNING, bytearray(PIN))
            result = driver.sign_with_signing_key(value, HashFunction.SHA_384, scheme)
        check_signature(
            driver.signing_certificate(), result.signature, value, HashFunction.SHA_384, scheme
        )


def test_wrong_pin_counts_down_to_blocked_over_pcscd(virtual_card, connector):
    """63C2, 63C1, blocked; the card's own counter and the PIN status agree."""
    driver = _driver(connector, virtual_card.reader_name)
    for expected in (2, 1):
        with pytest.raises(PinIncorrect) as wrong:
            driver.verify_pin(PinKind.AUTHENTICATION, bytearray(b"11111111"))
        assert wrong.value.tries_left == expected
        assert virtual_card.status()["pin_tries_left"] == expected
    with pytest.raises(PinBlocked):
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(b"11111111"))
    assert driver.pin_status(PinKind.SIGNING).blocked


def test_card_removed_during_a_signature_then_the_next_operation_works(
    virtual_card, connector, check_signature
):
    """Pulled between VERIFY and GENERAL AUTHENTICATE: CardRemoved; after re-insertion it signs."""
    transport = connector.connect(virtual_card.reader_name)
    driver = default_registry().open(_RemoveBeforeSignature(transport, virtual_card))
    value = hashlib.sha256(b"m").digest()
    with driver.transaction():
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
        with pytest.raises(CardRemoved):
            driver.sign_with_authentication_key(value, "ES256")
    transport.close()
    virtual_card.insert()
    driver = _driver(connector, virtual_card.reader_name)
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


def test_pcscd_killed_is_pcsc_unavailable_and_its_return_is_used(
    pcsc_environment, virtual_card, connector
):
    """After SIGKILL the transport and the connector say PcscUnavailable; after a restart the
    connector makes a new context by itself and the card works again."""
    driver = _driver(connector, virtual_card.reader_name)
    driver.authentication_certificate()
    pcsc_environment.stop_pcscd(kill=True)
    with pytest.raises(PcscUnavailable):
        driver.pin_status(PinKind.AUTHENTICATION)
    with pytest.raises(PcscUnavailable):
        connector.list_readers()
    pcsc_environment.start_pcscd()
    assert connector.list_readers() == list(pcsc_environment.reader_names)
    pcsc_environment.wait_for_card(virtual_card.reader_name, present=True)
    driver = _driver(connector, virtual_card.reader_name)
    assert driver.pin_status(PinKind.AUTHENTICATION).tries_left == 3


def test_the_debug_trace_over_pcscd_never_contains_the_pin(virtual_card, connector, caplog):
    """Every APDU is traced at DEBUG, VERIFY without its data; the PIN is nowhere in the log."""
    caplog.set_level(logging.DEBUG, logger="bitaqa.agent.cards")
    driver = _driver(connector, virtual_card.reader_name)
    driver.authentication_certificate()
    caplog.clear()
    with driver.transaction():
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
        driver.sign_with_authentication_key(hashlib.sha256(b"m").digest(), "ES256")
    records = [r.getMessage() for r in caplog.records if r.name == "bitaqa.agent.cards.apdu"]
    assert len(records) == 3  # SELECT, VERIFY, GENERAL AUTHENTICATE
    assert all(message.startswith(virtual_card.reader_name) for message in records)
    assert "> 00 20 00 80 <9 bytes redacted> < 90 00" in records[1]
    for form in (PIN.hex(" "), PIN.hex(), PIN.decode(), "31 32 33"):
        assert form not in caplog.text


def test_a_reset_by_another_application_is_survived(virtual_card, connector):
    """Another PC/SC client resets the card; the next transaction reconnects and re-selects."""
    from smartcard import scard

    driver = _driver(connector, virtual_card.reader_name)
    driver.authentication_certificate()
    code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert code == scard.SCARD_S_SUCCESS
    try:
        code, handle, _protocol = scard.SCardConnect(
            context, virtual_card.reader_name, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T1
        )
        assert code == scard.SCARD_S_SUCCESS
        assert scard.SCardDisconnect(handle, scard.SCARD_RESET_CARD) == scard.SCARD_S_SUCCESS
    finally:
        scard.SCardReleaseContext(context)
    with driver.transaction():
        driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
        signature = driver.sign_with_authentication_key(hashlib.sha256(b"m").digest(), "ES256")
    assert len(signature) == 64
