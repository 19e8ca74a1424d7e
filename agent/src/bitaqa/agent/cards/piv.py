"""The PIV card driver (NIST SP 800-73-4) by direct APDUs.

Theory of operation.  Each outermost :meth:`PivDriver.transaction` starts with one SELECT of the
PIV application: the agent shares the reader with other applications, any of which may have
selected another applet since, and a VERIFY must never reach another applet's PIN.  Inside, the
driver sends only what the operation needs -- no Discovery, CCC, CHUID or Key History reads, no
probing of other applets, each certificate in one GET DATA (one extended APDU when the card takes
extended length, else ``61xx`` chaining).  Certificates are cached per insertion.

Keys: 9A (PIV Authentication) signs web-eid:1.0 authentication tokens; 9C (Digital Signature)
signs documents and needs the PIN immediately before every use (PIN "always"), so the caller runs
``verify_pin`` and ``sign_with_signing_key`` in one transaction.  Both use the PIV application
PIN (key reference 80), 6 to 8 digits padded with FF to 8 bytes.

Status words map to errors as follows: 63Cx -> PinIncorrect(x) (63C0 -> PinBlocked),
6983 -> PinBlocked, 6982 -> PinNotVerified, 6A82 / 6A88 -> OperationNotSupported (no such object
or key), anything else unexpected -> CardCommunicationError; transports raise CardRemoved,
ReaderRemoved and PcscUnavailable themselves.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bitaqa.agent.cards import piv_identity
from bitaqa.agent.cards.apdu import EXTENDED_MAX_LE, SHORT_MAX_LE, CommandApdu, exchange
from bitaqa.agent.cards.base import (
    ApduTransport,
    CardCertificates,
    CryptoAlgorithm,
    HashFunction,
    IdentityData,
    PaddingScheme,
    PinKind,
    PinStatus,
    SignatureAlgorithm,
    SignatureResult,
)
from bitaqa.agent.cards.certificates import CachedCertificate, CertificateCache
from bitaqa.agent.cards.errors import (
    CardCommunicationError,
    OperationNotSupported,
    PinBlocked,
    PinIncorrect,
    PinNotVerified,
    UnknownCard,
)
from bitaqa.agent.cards.padding import ecdsa_input, ecdsa_raw_signature, pkcs1_v15_block, pss_block
from bitaqa.agent.cards.tlv import encode_tlv, find_tlv

__all__ = ["PIV_AID", "PivDriver", "select_piv"]

PIV_AID = bytes.fromhex("A000000308000010000100")
"""The PIV application identifier with version (SP 800-73-4 Part 1 §2.2)."""

_PIN_REFERENCE = 0x80  # PIV Card Application PIN
_PIN_LABEL = "PIV PIN"
_PIN_MIN, _PIN_MAX = 6, 8


@dataclass(frozen=True)
class _KeySlot:
    reference: int
    certificate_object: int


_AUTHENTICATION = _KeySlot(0x9A, 0x5FC105)
_SIGNATURE = _KeySlot(0x9C, 0x5FC10A)


@dataclass(frozen=True)
class _Key:
    crypto: CryptoAlgorithm
    algorithm_id: int  # SP 800-78-4 Table 6-2
    size_bytes: int  # RSA modulus or EC field size
    size_bits: int


_HASHES = (HashFunction.SHA_256, HashFunction.SHA_384, HashFunction.SHA_512)
_RSA_JWA = {
    "RS256": (HashFunction.SHA_256, PaddingScheme.PKCS1_5),
    "PS256": (HashFunction.SHA_256, PaddingScheme.PSS),
    "RS384": (HashFunction.SHA_384, PaddingScheme.PKCS1_5),
    "PS384": (HashFunction.SHA_384, PaddingScheme.PSS),
    "RS512": (HashFunction.SHA_512, PaddingScheme.PKCS1_5),
    "PS512": (HashFunction.SHA_512, PaddingScheme.PSS),
}
_EC_JWA = {0x11: ("ES256", HashFunction.SHA_256), 0x14: ("ES384", HashFunction.SHA_384)}


def select_piv(transport: ApduTransport, *, extended_length: bool) -> bytes:
    """SELECT the PIV application and return its property template; UnknownCard if absent."""
    answer = exchange(
        transport,
        CommandApdu(0x00, 0xA4, 0x04, 0x00, PIV_AID, le=SHORT_MAX_LE),
        extended_length=extended_length,
    )
    if not answer.ok:
        raise UnknownCard(f"no PIV application (SELECT answered {answer.sw:04X})")
    return answer.data


class PivDriver:
    """A :class:`~bitaqa.agent.cards.base.CardDriver` for one inserted PIV card.

    Args:
        transport: the card connection for this insertion.
        extended_length: True when the card accepts extended-length APDUs (from the ATR table).
    """

    driver_name = "piv"

    def __init__(self, transport: ApduTransport, *, extended_length: bool) -> None:
        self._transport = transport
        self._extended = extended_length
        self._cache = CertificateCache()
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the card for the calls inside; the outermost level SELECTs the PIV application."""
        with self._lock, self._transport.transaction():
            if self._depth == 0:
                select_piv(self._transport, extended_length=self._extended)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    def card_identity(self) -> str:
        """First 128 bits, hex, of SHA-256(ATR || SHA-256(authentication certificate)).

        Needs no APDU once the authentication certificate is cached.
        """
        certificate_hash = self._certificate(_AUTHENTICATION).sha256
        return hashlib.sha256(self._transport.atr + certificate_hash).hexdigest()[:32]

    def authentication_certificate(self) -> bytes:
        """DER of the 9A certificate (read once per insertion)."""
        return self._certificate(_AUTHENTICATION).der

    def signing_certificate(self) -> bytes:
        """DER of the 9C certificate (read once per insertion)."""
        return self._certificate(_SIGNATURE).der

    def certificates(self) -> CardCertificates:
        """Both certificates; ``signing`` is None when the card has no 9C certificate."""
        with self.transaction():
            authentication = self.authentication_certificate()
            try:
                signing: bytes | None = self.signing_certificate()
            except OperationNotSupported:
                signing = None
        return CardCertificates(authentication, signing)

    def authentication_algorithms(self) -> tuple[str, ...]:
        """RSA-2048: RS256 first, then PS256 and the longer hashes; P-256: ES256; P-384: ES384."""
        key = self._key(_AUTHENTICATION)
        if key.crypto is CryptoAlgorithm.RSA:
            return tuple(_RSA_JWA)
        return (_EC_JWA[key.algorithm_id][0],)

    def signing_algorithms(self) -> tuple[SignatureAlgorithm, ...]:
        """RSA: every hash with PKCS#1 v1.5 and PSS; ECC: every hash with NONE (ECDSA)."""
        key = self._key(_SIGNATURE)
        paddings = (
            (PaddingScheme.PKCS1_5, PaddingScheme.PSS)
            if key.crypto is CryptoAlgorithm.RSA
            else (PaddingScheme.NONE,)
        )
        return tuple(
            SignatureAlgorithm(key.crypto, hash_function, padding)
            for hash_function in _HASHES
            for padding in paddings
        )

    def pin_status(self, kind: PinKind) -> PinStatus:
        """VERIFY with no data: 63Cx gives the tries left, 9000 means already verified."""
        del kind  # PIV uses the application PIN for both keys
        with self.transaction():
            answer = self._transport.transmit(bytes([0x00, 0x20, 0x00, _PIN_REFERENCE]))
        sw = int.from_bytes(answer[-2:], "big") if len(answer) >= 2 else -1
        if sw == 0x9000:
            return PinStatus(None, False, _PIN_LABEL, _PIN_MIN, _PIN_MAX)
        if sw >> 4 == 0x63C:
            tries = sw & 0x0F
            return PinStatus(tries, tries == 0, _PIN_LABEL, _PIN_MIN, _PIN_MAX)
        if sw == 0x6983:
            return PinStatus(0, True, _PIN_LABEL, _PIN_MIN, _PIN_MAX)
        raise CardCommunicationError(f"PIN status answered {sw & 0xFFFF:04X}")

    def verify_pin(self, kind: PinKind, pin: bytearray) -> None:
        """VERIFY the PIV PIN (see CardDriver.verify_pin); the APDU buffer is wiped afterwards."""
        if not _PIN_MIN <= len(pin) <= _PIN_MAX or not all(0x30 <= c <= 0x39 for c in pin):
            raise ValueError("a PIV PIN is 6 to 8 digits")
        if kind is PinKind.SIGNING:
            # 9C takes the PIN only as the command just before GENERAL AUTHENTICATE: read its
            # certificate now so that signing needs no GET DATA in between.
            self._key(_SIGNATURE)
        command = bytearray(b"\x00\x20\x00\x80\x08" + b"\xff" * 8)
        try:
            command[5 : 5 + len(pin)] = pin
            with self.transaction():
                answer = self._transport.transmit(command)
        finally:
            command[:] = bytes(len(command))
        _check(int.from_bytes(answer[-2:], "big") if len(answer) >= 2 else -1)

    def sign_with_authentication_key(self, digest: bytes, algorithm: str) -> bytes:
        """GENERAL AUTHENTICATE with 9A (see CardDriver.sign_with_authentication_key).

        Raises OperationNotSupported for an algorithm the key cannot make and ValueError when
        ``digest`` is not the algorithm's hash length.
        """
        if algorithm not in self.authentication_algorithms():
            raise OperationNotSupported(f"the authentication key cannot make {algorithm}")
        key = self._key(_AUTHENTICATION)
        if key.crypto is CryptoAlgorithm.RSA:
            hash_function, padding = _RSA_JWA[algorithm]
        else:
            hash_function, padding = _EC_JWA[key.algorithm_id][1], PaddingScheme.NONE
        return self._sign(_AUTHENTICATION, key, digest, hash_function, padding)

    def sign_with_signing_key(
        self, digest: bytes, hash_function: HashFunction, padding: PaddingScheme
    ) -> SignatureResult:
        """GENERAL AUTHENTICATE with 9C; run ``verify_pin`` first in the same transaction."""
        key = self._key(_SIGNATURE)
        algorithm = SignatureAlgorithm(key.crypto, hash_function, padding)
        if algorithm not in self.signing_algorithms():
            raise OperationNotSupported(f"the signing key cannot use {padding.value} padding")
        return SignatureResult(
            self._sign(_SIGNATURE, key, digest, hash_function, padding), algorithm
        )

    def read_identity(self) -> IdentityData:
        """Printed Information, Facial Image and the Security Object check (PIN needed first)."""
        with self.transaction():
            printed = self._get_object(piv_identity.PRINTED_INFORMATION)
            facial = self._get_optional(piv_identity.FACIAL_IMAGE)
            security = self._get_optional(piv_identity.SECURITY_OBJECT)
        return piv_identity.build_identity(printed, facial, security)

    def _sign(
        self,
        slot: _KeySlot,
        key: _Key,
        digest: bytes,
        hash_function: HashFunction,
        padding: PaddingScheme,
    ) -> bytes:
        if len(digest) != hash_function.digest_size:
            raise ValueError(f"digest is not a {hash_function.value} value")
        if padding is PaddingScheme.PKCS1_5:
            block = pkcs1_v15_block(digest, hash_function, key.size_bytes)
        elif padding is PaddingScheme.PSS:
            salt = os.urandom(hash_function.digest_size)
            block = pss_block(digest, hash_function, key.size_bits, salt)
        else:
            block = ecdsa_input(digest, key.size_bytes)
        template = encode_tlv(0x7C, encode_tlv(0x82, b"") + encode_tlv(0x81, block))
        command = CommandApdu(0x00, 0x87, key.algorithm_id, slot.reference, template, self._max_le)
        with self.transaction():
            answer = exchange(self._transport, command, extended_length=self._extended)
        _check(answer.sw)
        signature = find_tlv(find_tlv(answer.data, 0x7C) or b"", 0x82)
        if signature is None:
            raise CardCommunicationError("GENERAL AUTHENTICATE answer has no signature")
        if key.crypto is CryptoAlgorithm.ECC:
            return ecdsa_raw_signature(signature, key.size_bytes)
        return signature

    def _certificate(self, slot: _KeySlot) -> CachedCertificate:
        cached = self._cache.get(slot.reference)
        if cached is not None:
            return cached
        container = find_tlv(self._get_object(slot.certificate_object), 0x53) or b""
        der = piv_identity.certificate_from_container(container)
        return self._cache.store(slot.reference, der)

    def _key(self, slot: _KeySlot) -> _Key:
        public_key = self._certificate(slot).certificate.public_key()
        if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 2048:
            return _Key(CryptoAlgorithm.RSA, 0x07, 256, 2048)
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            if isinstance(public_key.curve, ec.SECP256R1):
                return _Key(CryptoAlgorithm.ECC, 0x11, 32, 256)
            if isinstance(public_key.curve, ec.SECP384R1):
                return _Key(CryptoAlgorithm.ECC, 0x14, 48, 384)
        raise OperationNotSupported("the card's key type is not RSA-2048, P-256 or P-384")

    @property
    def _max_le(self) -> int:
        return EXTENDED_MAX_LE if self._extended else SHORT_MAX_LE

    def _get_object(self, object_tag: int) -> bytes:
        """GET DATA of one object; returns it complete, from its ``53`` tag on."""
        tag_bytes = object_tag.to_bytes((object_tag.bit_length() + 7) // 8, "big")
        command = CommandApdu(0x00, 0xCB, 0x3F, 0xFF, encode_tlv(0x5C, tag_bytes), self._max_le)
        with self.transaction():
            answer = exchange(self._transport, command, extended_length=self._extended)
        _check(answer.sw)
        if find_tlv(answer.data, 0x53) is None:
            raise CardCommunicationError(f"object {object_tag:X} is not a 53 container")
        return answer.data

    def _get_optional(self, object_tag: int) -> bytes | None:
        try:
            return self._get_object(object_tag)
        except OperationNotSupported:
            return None


def _check(sw: int) -> None:
    """Raise the error a non-9000 status word means (see the module docstring)."""
    if sw == 0x9000:
        return
    if sw >> 4 == 0x63C:
        if sw & 0x0F == 0:
            raise PinBlocked("PIN blocked")
        raise PinIncorrect(sw & 0x0F)
    if sw == 0x6983:
        raise PinBlocked("PIN blocked")
    if sw == 0x6982:
        raise PinNotVerified("the card wants the PIN first")
    if sw in (0x6A82, 0x6A88):
        raise OperationNotSupported(f"no such object or key on the card ({sw:04X})")
    raise CardCommunicationError(f"card answered {sw & 0xFFFF:04X}")
