"""Host-built RSA blocks, raw-RSA'd, verify as PKCS#1 v1.5 and PSS signatures with cryptography."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from bitaqa.agent.cards.base import HashFunction
from bitaqa.agent.cards.errors import CardCommunicationError
from bitaqa.agent.cards.padding import (
    ecdsa_input,
    ecdsa_raw_signature,
    pkcs1_v15_block,
    pss_block,
)

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _algorithm(hash_function: HashFunction) -> hashes.HashAlgorithm:
    return getattr(hashes, hash_function.hashlib_name.upper())()


def _raw_rsa(block: bytes) -> bytes:
    numbers = _KEY.private_numbers()
    value = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(256, "big")


@pytest.mark.parametrize("hash_function", list(HashFunction))
def test_pkcs1_v15_blocks_verify_for_every_hash(hash_function, digest):
    """EMSA-PKCS1-v1_5 with each hash's DigestInfo verifies as PKCS1v15 over that hash."""
    value = digest(b"document", hash_function)
    signature = _raw_rsa(pkcs1_v15_block(value, hash_function, 256))
    algorithm = utils.Prehashed(_algorithm(hash_function))
    _KEY.public_key().verify(signature, value, padding.PKCS1v15(), algorithm)


@pytest.mark.parametrize("hash_function", list(HashFunction))
def test_pss_blocks_verify_with_a_digest_long_salt(hash_function, digest):
    """EMSA-PSS with MGF1 of the same hash verifies with salt length = digest length."""
    value = digest(b"document", hash_function)
    block = pss_block(value, hash_function, 2048, os.urandom(hash_function.digest_size))
    signature = _raw_rsa(block)
    scheme = padding.PSS(
        mgf=padding.MGF1(_algorithm(hash_function)), salt_length=hash_function.digest_size
    )
    algorithm = utils.Prehashed(_algorithm(hash_function))
    _KEY.public_key().verify(signature, value, scheme, algorithm)


def test_a_pss_block_for_another_digest_does_not_verify(digest):
    """The check above can fail: a block over another digest is refused."""
    value = digest(b"document", HashFunction.SHA_256)
    other = digest(b"other", HashFunction.SHA_256)
    signature = _raw_rsa(pss_block(other, HashFunction.SHA_256, 2048, os.urandom(32)))
    scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    with pytest.raises(InvalidSignature):
        _KEY.public_key().verify(signature, value, scheme, utils.Prehashed(hashes.SHA256()))


def test_a_digest_of_the_wrong_length_is_refused():
    """The block builders check the digest against the hash function."""
    with pytest.raises(ValueError, match="SHA-384"):
        pkcs1_v15_block(bytes(32), HashFunction.SHA_384, 256)
    with pytest.raises(ValueError, match="SHA-256"):
        pss_block(bytes(48), HashFunction.SHA_256, 2048, bytes(32))


@pytest.mark.parametrize(
    ("curve", "size", "hash_function"),
    [
        (ec.SECP256R1(), 32, HashFunction.SHA_256),
        (ec.SECP256R1(), 32, HashFunction.SHA_384),
        (ec.SECP384R1(), 48, HashFunction.SHA_256),
        (ec.SECP384R1(), 48, HashFunction.SHA_512),
    ],
)
def test_ecdsa_input_and_raw_signature_match_what_verifiers_compute(
    curve, size, hash_function, digest
):
    """Truncated or zero-padded input, signed and converted to r||s, verifies over the hash."""
    key = ec.generate_private_key(curve)
    value = digest(b"document", hash_function)
    card_input = ecdsa_input(value, size)
    assert len(card_input) == size
    der = key.sign(card_input, ec.ECDSA(utils.Prehashed(_algorithm_for_size(size))))
    raw = ecdsa_raw_signature(der, size)
    assert len(raw) == 2 * size
    r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
    key.public_key().verify(
        utils.encode_dss_signature(r, s),
        value,
        ec.ECDSA(utils.Prehashed(_algorithm(hash_function))),
    )


def _algorithm_for_size(size: int) -> hashes.HashAlgorithm:
    # The card signs a field-sized value; any hash of that length lets cryptography pass it through.
    return hashes.SHA256() if size == 32 else hashes.SHA384()


def test_a_malformed_der_signature_from_the_card_is_a_card_error():
    """Garbage instead of SEQUENCE { r, s } becomes CardCommunicationError."""
    with pytest.raises(CardCommunicationError):
        ecdsa_raw_signature(b"\x30\x02\x01", 32)
