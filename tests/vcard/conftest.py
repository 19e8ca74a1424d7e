"""Fixtures for the virtual-card tests: in-process cards and a card shared by read-only tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bitaqa.vcard.card import VirtualPivCard
from bitaqa.vcard.profile import CardProfile, load_profile
from support.pcsc import PcscEnvironment, VirtualCardProcess


@pytest.fixture(scope="session")
def ecc_profile(card_profiles: dict[str, Path]) -> CardProfile:
    """The standard ECC profile (9A P-256, 9C P-384, 9D and 9E P-256)."""
    return load_profile(card_profiles["ecc"])


@pytest.fixture(scope="session")
def rsa_profile(card_profiles: dict[str, Path]) -> CardProfile:
    """The standard RSA profile (9A and 9C RSA-2048)."""
    return load_profile(card_profiles["rsa"])


@pytest.fixture
def ecc_card(ecc_profile: CardProfile) -> VirtualPivCard:
    """A fresh in-process ECC card (PIN 123456, PUK 12345678)."""
    return VirtualPivCard(ecc_profile)


@pytest.fixture
def rsa_card(rsa_profile: CardProfile) -> VirtualPivCard:
    """A fresh in-process RSA card (PIN 123456, PUK 12345678)."""
    return VirtualPivCard(rsa_profile)


@pytest.fixture(scope="module")
def shared_ecc_card(
    pcsc_session: PcscEnvironment, card_profiles: dict[str, Path]
) -> Iterator[VirtualCardProcess]:
    """An ECC card in reader "Bitaqa Test 00 01" (PKCS#11 slot index 1) shared by one module's
    tests that leave its state alone (right PIN only); it saves a card start per test."""
    card = VirtualCardProcess(pcsc_session, card_profiles["ecc"], slot=1, name="shared")
    card.start()
    yield card
    card.stop()
