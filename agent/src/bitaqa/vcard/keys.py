"""The private-key operations of GENERAL AUTHENTICATE (SP 800-73-4 Part 2 §3.2.4, Appendix A.4).

* RSA: the raw private-key operation on a block the host has already padded, computed with the
  Chinese remainder theorem (about three times faster than a plain modular exponentiation).
* ECDSA: the input is a hash already reduced to the key size (as OpenSC sends it); a shorter input
  is left-padded with zeros, which leaves its integer value unchanged. The result is DER.
* ECDH: the input is the peer's uncompressed point; the result is the shared x coordinate.

Every malformed input raises ``CardStatus(6A80)``.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from bitaqa.vcard.apdu import SW_INCORRECT_DATA, CardStatus

__all__ = ["ALGORITHM_IDS", "ecdh", "ecdsa_sign", "rsa_raw"]

ALGORITHM_IDS: dict[str, int] = {"rsa2048": 0x07, "p256": 0x11, "p384": 0x14}
"""PIV cryptographic algorithm identifiers (SP 800-78-4 Table 6-2) per profile key type."""

_PREHASH_BY_SIZE: dict[int, hashes.HashAlgorithm] = {32: hashes.SHA256(), 48: hashes.SHA384()}


def rsa_raw(key: rsa.RSAPrivateKey, block: bytes) -> bytes:
    """Return ``block^d mod n`` as a big-endian byte string of the modulus size."""
    numbers = key.private_numbers()
    modulus = numbers.public_numbers.n
    size = (modulus.bit_length() + 7) // 8
    value = int.from_bytes(block, "big")
    if len(block) != size or value >= modulus:
        raise CardStatus(SW_INCORRECT_DATA)
    first = pow(value, numbers.dmp1, numbers.p)
    second = pow(value, numbers.dmq1, numbers.q)
    combined = second + ((numbers.iqmp * (first - second)) % numbers.p) * numbers.q
    return combined.to_bytes(size, "big")


def ecdsa_sign(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    """Sign ``digest`` (at most the key size, left-padded to it) and return a DER signature."""
    size = (key.curve.key_size + 7) // 8
    if not digest or len(digest) > size:
        raise CardStatus(SW_INCORRECT_DATA)
    padded = digest.rjust(size, b"\x00")
    return key.sign(padded, ec.ECDSA(Prehashed(_PREHASH_BY_SIZE[size])))


def ecdh(key: ec.EllipticCurvePrivateKey, peer_point: bytes) -> bytes:
    """Return the ECDH shared secret with the peer's uncompressed public point."""
    size = (key.curve.key_size + 7) // 8
    if len(peer_point) != 1 + 2 * size or peer_point[0] != 0x04:
        raise CardStatus(SW_INCORRECT_DATA)
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, peer_point)
    except ValueError as error:
        raise CardStatus(SW_INCORRECT_DATA) from error
    return key.exchange(ec.ECDH(), peer)
