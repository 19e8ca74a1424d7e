"""Fixtures for the card layer: the virtual PIV card in-process, and signature checks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from bitaqa.agent.cards.base import HashFunction, PaddingScheme
from bitaqa.agent.cards.inprocess import InProcessReaders
from bitaqa.agent.cards.piv import PivDriver
from bitaqa.vcard.card import VirtualPivCard
from bitaqa.vcard.profile import load_profile

READER = "In-process 00 00"
HASHES: dict[HashFunction, hashes.HashAlgorithm] = {
    HashFunction.SHA_256: hashes.SHA256(),
    HashFunction.SHA_384: hashes.SHA384(),
    HashFunction.SHA_512: hashes.SHA512(),
}


@dataclass
class InProcessCard:
    """A virtual PIV card in an in-process reader, with a PIV driver for this insertion."""

    readers: InProcessReaders
    card: VirtualPivCard
    driver: PivDriver

    def reinsert(self) -> PivDriver:
        """Take the card out, put it back, and return a driver for the new insertion."""
        self.readers.remove(READER)
        self.readers.insert(READER, self.card)
        self.driver = PivDriver(self.readers.connect(READER), extended_length=True)
        return self.driver


@pytest.fixture
def inprocess_card(card_profiles: dict[str, Path]) -> Callable[..., InProcessCard]:
    """``inprocess_card("ecc"|"rsa", extended_length=True)``: a fresh card and its driver."""

    def make(profile: str = "ecc", *, extended_length: bool = True) -> InProcessCard:
        card = VirtualPivCard(load_profile(card_profiles[profile]))
        readers = InProcessReaders(READER)
        readers.insert(READER, card)
        driver = PivDriver(readers.connect(READER), extended_length=extended_length)
        return InProcessCard(readers, card, driver)

    return make


def digest_of(message: bytes, hash_function: HashFunction) -> bytes:
    """The hash of ``message`` with ``hash_function``."""
    return hashlib.new(hash_function.hashlib_name, message).digest()


def verify_signature(
    certificate_der: bytes,
    signature: bytes,
    digest: bytes,
    hash_function: HashFunction,
    padding_scheme: PaddingScheme,
) -> None:
    """Verify with ``cryptography`` against the card's certificate; raises InvalidSignature.

    ECDSA signatures are raw ``r || s``; PSS uses MGF1 with the same hash and a digest-long salt.
    """
    public_key = x509.load_der_x509_certificate(certificate_der).public_key()
    algorithm = utils.Prehashed(HASHES[hash_function])
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        assert padding_scheme is PaddingScheme.NONE
        half = len(signature) // 2
        der = utils.encode_dss_signature(
            int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
        )
        public_key.verify(der, digest, ec.ECDSA(algorithm))
        return
    assert isinstance(public_key, rsa.RSAPublicKey)
    if padding_scheme is PaddingScheme.PSS:
        scheme: padding.AsymmetricPadding = padding.PSS(
            mgf=padding.MGF1(HASHES[hash_function]), salt_length=hash_function.digest_size
        )
    else:
        scheme = padding.PKCS1v15()
    public_key.verify(signature, digest, scheme, algorithm)


@pytest.fixture
def check_signature() -> Callable[..., None]:
    """The :func:`verify_signature` helper, for tests."""
    return verify_signature


@pytest.fixture
def digest() -> Callable[[bytes, HashFunction], bytes]:
    """The :func:`digest_of` helper, for tests."""
    return digest_of
