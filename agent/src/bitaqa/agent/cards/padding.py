"""Host-side signature encodings: RSA blocks for a raw-RSA card, and ECDSA DER to raw ``r || s``.

PIV cards do raw RSA (the card exponentiates whatever block it gets), so the padding is built
here: EMSA-PKCS1-v1_5 with a DigestInfo, or EMSA-PSS with MGF1 over the same hash and a salt as
long as the digest (RFC 8017 §9; the salt length Web eID validators expect).  ECDSA cards sign a
field-sized input and answer a DER ``SEQUENCE { r, s }``; the wire wants raw ``r || s``.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from bitaqa.agent.cards.base import HashFunction
from bitaqa.agent.cards.errors import CardCommunicationError

__all__ = ["ecdsa_input", "ecdsa_raw_signature", "pkcs1_v15_block", "pss_block"]

# DER of DigestInfo up to the digest octets (RFC 8017 §9.2, note 1).
_DIGEST_INFO_PREFIX = {
    HashFunction.SHA_256: "3031300d060960864801650304020105000420",
    HashFunction.SHA_384: "3041300d060960864801650304020205000430",
    HashFunction.SHA_512: "3051300d060960864801650304020305000440",
}


def pkcs1_v15_block(digest: bytes, hash_function: HashFunction, modulus_bytes: int) -> bytes:
    """EMSA-PKCS1-v1_5 block ``00 01 FF.. 00 DigestInfo`` for a ``modulus_bytes`` key."""
    _check_digest(digest, hash_function)
    digest_info = bytes.fromhex(_DIGEST_INFO_PREFIX[hash_function]) + digest
    padding_length = modulus_bytes - len(digest_info) - 3
    if padding_length < 8:
        raise ValueError("modulus too short for this digest")
    return b"\x00\x01" + b"\xff" * padding_length + b"\x00" + digest_info


def pss_block(digest: bytes, hash_function: HashFunction, modulus_bits: int, salt: bytes) -> bytes:
    """EMSA-PSS encoding of ``digest`` (RFC 8017 §9.1.1) for a ``modulus_bits``-bit key.

    ``salt`` is fresh random bytes, normally ``hash_function.digest_size`` long.  The block is
    left-padded with zero bytes to the modulus length, ready for raw RSA.
    """
    _check_digest(digest, hash_function)
    em_bits = modulus_bits - 1
    em_length = (em_bits + 7) // 8
    hash_length = hash_function.digest_size
    if em_length < hash_length + len(salt) + 2:
        raise ValueError("modulus too short for this digest and salt")
    m_hash = hashlib.new(hash_function.hashlib_name, bytes(8) + digest + salt).digest()
    data_block = bytes(em_length - len(salt) - hash_length - 2) + b"\x01" + salt
    mask = _mgf1(m_hash, len(data_block), hash_function)
    masked = bytearray(a ^ b for a, b in zip(data_block, mask, strict=True))
    masked[0] &= 0xFF >> (8 * em_length - em_bits)
    encoded = bytes(masked) + m_hash + b"\xbc"
    return encoded.rjust((modulus_bits + 7) // 8, b"\x00")


def ecdsa_input(digest: bytes, field_bytes: int) -> bytes:
    """The field-sized value a PIV card signs: ``digest`` truncated to its leftmost bytes or
    left-padded with zeros (both keep the integer ECDSA derives from the hash, FIPS 186-5 §6.4)."""
    if len(digest) >= field_bytes:
        return digest[:field_bytes]
    return digest.rjust(field_bytes, b"\x00")


def ecdsa_raw_signature(der: bytes, field_bytes: int) -> bytes:
    """Convert the card's DER ECDSA signature to raw ``r || s`` (each ``field_bytes`` long)."""
    try:
        r, s = decode_dss_signature(der)
        return r.to_bytes(field_bytes, "big") + s.to_bytes(field_bytes, "big")
    except (ValueError, OverflowError) as exc:
        raise CardCommunicationError("card returned a malformed ECDSA signature") from exc


def _check_digest(digest: bytes, hash_function: HashFunction) -> None:
    if len(digest) != hash_function.digest_size:
        raise ValueError(f"digest length does not match {hash_function.value}")


def _mgf1(seed: bytes, length: int, hash_function: HashFunction) -> bytes:
    output = bytearray()
    counter = 0
    while len(output) < length:
        output += hashlib.new(
            hash_function.hashlib_name, seed + counter.to_bytes(4, "big")
        ).digest()
        counter += 1
    return bytes(output[:length])
