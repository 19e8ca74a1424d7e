"""The card through a real pcscd: removal and insertion, pcscd crashes, resets, two readers."""

from __future__ import annotations

import statistics
import time

import pytest
from smartcard import scard

from bitaqa.vcard.tlv import encode_tlv
from vcard.apdus import PIN, get_data, short
from vcard.pcsc_client import CardSession, PcscError

pytestmark = pytest.mark.pcscd

PIN_STATUS = "0020008000"


def test_removal_and_insertion_through_the_control_channel_are_seen_by_pcsc(
    pcsc_environment, virtual_card
):
    """``remove`` empties the reader for PC/SC, an open session fails, ``insert`` brings it back."""
    session = CardSession(virtual_card.reader_name)
    assert session.transmit(get_data(0x7E))[1] == 0x9000
    virtual_card.remove()
    assert not pcsc_environment.card_present(virtual_card.reader_name)
    assert virtual_card.status()["inserted"] is False
    with pytest.raises(PcscError) as failure:
        session.transmit(get_data(0x7E))
    assert failure.value.code in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD)
    session.close()
    virtual_card.insert()
    status = virtual_card.status()
    assert (status["inserted"], status["connected"]) == (True, True)
    with CardSession(virtual_card.reader_name) as fresh:
        assert fresh.transmit(get_data(0x7E))[1] == 0x9000


@pytest.mark.parametrize("kill", [True, False], ids=["SIGKILL", "SIGTERM"])
def test_card_reconnects_by_itself_after_pcscd_restarts(pcsc_environment, virtual_card, kill):
    """After pcscd dies and comes back, the card is present again without any help."""
    pcsc_environment.stop_pcscd(kill=kill)
    started = time.monotonic()
    pcsc_environment.start_pcscd()
    pcsc_environment.wait_for_card(virtual_card.reader_name, present=True, timeout=5)
    print(f"card present {time.monotonic() - started:.2f} s after pcscd restart")
    assert virtual_card.status()["connected"] is True
    with CardSession(virtual_card.reader_name) as session:
        assert session.transmit(get_data(0x7E))[1] == 0x9000


def test_card_started_before_pcscd_connects_when_it_appears(pcsc_environment, virtual_card_factory):
    """A card whose vpcd port is closed keeps retrying and connects once pcscd runs."""
    pcsc_environment.stop_pcscd()
    card = virtual_card_factory("ecc", wait=False)
    time.sleep(0.3)
    assert card.status()["connected"] is False
    pcsc_environment.start_pcscd()
    pcsc_environment.wait_for_card(card.reader_name, present=True, timeout=5)


def test_a_signature_interrupted_by_removal_is_forgotten_and_the_next_one_works(
    pcsc_environment, virtual_card
):
    """A chain cut by removal does not survive re-insertion; a complete signature then works."""
    template = encode_tlv(0x7C, encode_tlv(0x82, b"") + encode_tlv(0x81, bytes(range(32))))
    session = CardSession(virtual_card.reader_name)
    assert session.transmit(short(0x00, 0x20, 0x00, 0x80, PIN))[1] == 0x9000
    assert session.transmit(short(0x10, 0x87, 0x11, 0x9A, template[:20]))[1] == 0x9000
    virtual_card.remove()
    session.close()
    virtual_card.insert()
    with CardSession(virtual_card.reader_name) as again:
        assert again.transmit(short(0x00, 0x87, 0x11, 0x9A, template[20:], le=0))[1] == 0x6A80
        assert again.transmit(short(0x00, 0x87, 0x11, 0x9A, template, le=0))[1] == 0x6982
        assert again.transmit(short(0x00, 0x20, 0x00, 0x80, PIN))[1] == 0x9000
        answer, sw = again.transmit(short(0x00, 0x87, 0x11, 0x9A, template, le=0))
    assert sw == 0x9000
    assert answer[0] == 0x7C


def test_a_reset_forgets_the_pin_but_not_the_retry_counter(pcsc_environment, virtual_card):
    """SCardDisconnect with SCARD_RESET_CARD reaches the card: the PIN must be verified again."""
    session = CardSession(virtual_card.reader_name)
    assert session.transmit(short(0x00, 0x20, 0x00, 0x80, b"000000\xff\xff"))[1] == 0x63C2
    assert session.transmit(short(0x00, 0x20, 0x00, 0x80, PIN))[1] == 0x9000
    assert session.transmit(PIN_STATUS)[1] == 0x9000
    session.close(scard.SCARD_RESET_CARD)
    with CardSession(virtual_card.reader_name) as again:
        assert again.transmit(PIN_STATUS)[1] == 0x63C3


def test_two_cards_in_the_two_readers(pcsc_environment, virtual_card, virtual_card_factory):
    """The second vpcd port is reader 00 01; both cards answer with their own certificates."""
    second = virtual_card_factory("rsa", slot=1)
    assert second.reader_name == pcsc_environment.reader_names[1]
    answers = []
    for reader in (virtual_card.reader_name, second.reader_name):
        with CardSession(reader) as session:
            data, sw = session.transmit(get_data(0x5FC105, le=8))
            assert sw >> 8 == 0x61
            answers.append(data)
    assert answers[0] != answers[1]  # a P-256 and an RSA-2048 certificate differ in length


def test_extended_apdus_cross_pcscd_and_vpcd(pcsc_environment, virtual_card_factory):
    """An extended GET DATA returns a whole RSA certificate (over 256 bytes) in one response."""
    card = virtual_card_factory("rsa")
    command = bytes.fromhex("00CB3FFF0000055C035FC1050000")
    with CardSession(card.reader_name) as session:
        data, sw = session.transmit(command)
    assert sw == 0x9000
    assert len(data) > 700


def test_apdu_round_trip_through_pcscd(pcsc_environment, virtual_card):
    """200 small APDUs all succeed and the card counted each one; prints the round-trip time."""
    virtual_card.reset_counters()
    timings = []
    with CardSession(virtual_card.reader_name) as session:
        for _ in range(200):
            started = time.perf_counter()
            assert session.transmit(PIN_STATUS)[1] == 0x63C3
            timings.append(time.perf_counter() - started)
    timings.sort()
    print(
        f"APDU round trip via pcscd/vpcd: median {statistics.median(timings) * 1000:.2f} ms, "
        f"p95 {timings[189] * 1000:.2f} ms"
    )
    assert virtual_card.status()["apdus"] == 200
