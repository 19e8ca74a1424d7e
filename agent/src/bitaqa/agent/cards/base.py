"""The small interface between the agent and a card: the APDU transport and the card driver.

The controller and the commands see only this module (and ``errors``).  Everything here is
synchronous: card I/O blocks for milliseconds to seconds, so the controller runs each driver call
on a worker thread of its own per reader (``loop.run_in_executor`` with one single-thread
executor per reader keeps one card's calls in order and off the event loop).  A driver is made
for one card *insertion* by :mod:`bitaqa.agent.cards.registry`; when the monitor reports the
card withdrawn the agent closes the transport and drops the driver, and with it the certificate
cache.

Grouping: every driver method is one PC/SC transaction on its own.  Operations that must not be
interleaved with another application's commands are grouped by the caller::

    with driver.transaction():
        driver.verify_pin(PinKind.SIGNING, pin)      # PIV 9C needs the PIN right before each use
        result = driver.sign_with_signing_key(digest, HashFunction.SHA_256, PaddingScheme.PSS)

Never hold a transaction open while a dialog waits for the resident.

Failures are :class:`bitaqa.agent.cards.errors.CardError` subclasses only.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "ApduTransport",
    "CardCertificates",
    "CardDriver",
    "CryptoAlgorithm",
    "HashFunction",
    "IdentityData",
    "IssuerSignatureStatus",
    "PaddingScheme",
    "PinKind",
    "PinStatus",
    "ReaderConnector",
    "SignatureAlgorithm",
    "SignatureResult",
]


class PinKind(enum.Enum):
    """Which PIN an operation needs; a card family may use the same PIN for both."""

    AUTHENTICATION = "authentication"
    SIGNING = "signing"


@dataclass(frozen=True)
class PinStatus:
    """What the PIN dialog shows before the resident types.

    Attributes:
        tries_left: tries before the PIN blocks, or None when the card does not say (PIV answers
            9000 without a count while the PIN is still verified).
        blocked: True when no tries remain; the agent must not ask for the PIN then.
        label: the PIN's name for the dialog, for example "PIV PIN".
        min_length, max_length: the lengths the card accepts (the dialog enforces them).
    """

    tries_left: int | None
    blocked: bool
    label: str
    min_length: int
    max_length: int


class HashFunction(enum.Enum):
    """A hash function the protocol can name (SPEC.md §6.5), as in Web eID's ``hashFunction``."""

    SHA_256 = "SHA-256"
    SHA_384 = "SHA-384"
    SHA_512 = "SHA-512"

    @property
    def hashlib_name(self) -> str:
        """The name ``hashlib.new`` accepts."""
        return self.value.lower().replace("-", "")

    @property
    def digest_size(self) -> int:
        """Output length in bytes."""
        return hashlib.new(self.hashlib_name).digest_size


class PaddingScheme(enum.Enum):
    """Signature padding, named as in Web eID's ``signatureAlgorithm.paddingScheme``."""

    NONE = "NONE"  # ECDSA
    PKCS1_5 = "PKCS1.5"
    PSS = "PSS"


class CryptoAlgorithm(enum.Enum):
    """Key type, named as in Web eID's ``signatureAlgorithm.cryptoAlgorithm``."""

    ECC = "ECC"
    RSA = "RSA"


@dataclass(frozen=True)
class SignatureAlgorithm:
    """One Web eID ``signatureAlgorithm`` object (what ``getSigningCertificate`` lists)."""

    crypto_algorithm: CryptoAlgorithm
    hash_function: HashFunction
    padding_scheme: PaddingScheme

    def to_json(self) -> dict[str, str]:
        """The wire form ``{"cryptoAlgorithm", "hashFunction", "paddingScheme"}``."""
        return {
            "cryptoAlgorithm": self.crypto_algorithm.value,
            "hashFunction": self.hash_function.value,
            "paddingScheme": self.padding_scheme.value,
        }


@dataclass(frozen=True)
class SignatureResult:
    """A signature made with the signing key and the algorithm that made it.

    ECDSA signatures are raw ``r || s`` (each half the curve's field size), RSA signatures are the
    modulus length.
    """

    signature: bytes
    algorithm: SignatureAlgorithm


@dataclass(frozen=True)
class CardCertificates:
    """The holder's certificates (DER).  ``signing`` is None when the card has no signing key."""

    authentication: bytes
    signing: bytes | None


class IssuerSignatureStatus(enum.Enum):
    """Result of checking the issuer's signature over the identity data objects.

    VALID means the hashes in the issuer-signed object match the data read and the signature
    verifies with the signer certificate carried in it; whether that signer is trusted is the
    caller's decision (it gets the certificate).
    """

    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"


@dataclass(frozen=True)
class IdentityData:
    """Identity data read from the card, already parsed.

    Attributes:
        fields: text fields by camelCase name; each card family documents the names it fills
            (PIV: see ``bitaqa.agent.cards.piv_identity``).
        photo: the facial image bytes (JPEG or JPEG 2000), or None if the card has none.
        issuer_signature: the outcome of the issuer signature check over fields and photo.
        signer_certificate: DER of the certificate that signed the data, when the card carries one.
    """

    fields: Mapping[str, str]
    photo: bytes | None
    issuer_signature: IssuerSignatureStatus
    signer_certificate: bytes | None = field(default=None, repr=False)


class ApduTransport(Protocol):
    """A connection to one card in one reader, for one insertion (the agent opens one per
    insertion and closes it when the card leaves).

    ``transmit`` sends one command APDU as given and returns the response APDU including SW1 SW2;
    it does no chaining and no GET RESPONSE (``bitaqa.agent.cards.apdu.exchange`` does).  A
    command may be a ``bytearray`` holding a PIN; the transport keeps no copy of it and never
    logs it.  It raises CardRemoved, ReaderRemoved, PcscUnavailable or CardCommunicationError.
    """

    @property
    def reader_name(self) -> str:
        """The reader's name as the service reports it."""
        ...

    @property
    def atr(self) -> bytes:
        """The card's answer-to-reset for this insertion."""
        ...

    def transmit(self, command: bytes | bytearray) -> bytes:
        """Send one command APDU and return the response APDU (data + SW1 SW2)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Hold the card exclusively for a group of APDUs (SCardBeginTransaction); re-entrant."""
        ...

    def close(self) -> None:
        """Release the connection, leaving the card as it is; never raises."""
        ...


class ReaderConnector(Protocol):
    """Where transports come from: PC/SC (``pcsc.PcscConnector``) or in-process readers."""

    def list_readers(self) -> list[str]:
        """Names of the readers present now (empty list when there are none)."""
        ...

    def connect(self, reader_name: str) -> ApduTransport:
        """Connect to the card in ``reader_name``; NoReader, NoCard or PcscUnavailable if not."""
        ...


class CardDriver(Protocol):
    """One card family's operations on one inserted card.

    Methods may raise any :class:`~bitaqa.agent.cards.errors.CardError`.  Certificates are read
    once per insertion and cached by the driver instance.
    """

    driver_name: str

    def transaction(self) -> AbstractContextManager[None]:
        """Group the calls inside into one card transaction (see the module docstring)."""
        ...

    def card_identity(self) -> str:
        """A stable identifier of this card (same card re-inserted gives the same value)."""
        ...

    def authentication_certificate(self) -> bytes:
        """DER of the authentication certificate; raises OperationNotSupported if absent."""
        ...

    def signing_certificate(self) -> bytes:
        """DER of the signing certificate; raises OperationNotSupported if absent."""
        ...

    def certificates(self) -> CardCertificates:
        """Both holder certificates (signing may be None)."""
        ...

    def authentication_algorithms(self) -> tuple[str, ...]:
        """JWA names the authentication key can produce, preferred first (e.g. ``("ES384",)``)."""
        ...

    def signing_algorithms(self) -> tuple[SignatureAlgorithm, ...]:
        """Web eID signature algorithms the signing key supports, preferred first."""
        ...

    def pin_status(self, kind: PinKind) -> PinStatus:
        """Tries left and PIN rules, read from the card without spending a try."""
        ...

    def verify_pin(self, kind: PinKind, pin: bytearray) -> None:
        """Present the PIN to the card.

        The driver copies ``pin`` only into a ``bytearray`` it wipes after the APDU, never logs
        it, and does not wipe ``pin`` itself (the caller owns it).  Raises ``PinIncorrect``
        (with ``tries_left``), ``PinBlocked``, or ``ValueError`` when ``pin`` breaks the length
        or character rules of :meth:`pin_status` (the dialog enforces them; no try is spent).
        """
        ...

    def sign_with_authentication_key(self, digest: bytes, algorithm: str) -> bytes:
        """Sign ``digest`` with the authentication key using JWA ``algorithm``.

        The controller only ever passes ``H(H(origin) || H(nonce))`` (web-eid:1.0, invariant 4);
        the driver cannot tell and does not check.  ``digest`` must be the algorithm's hash
        length.  ECDSA results are raw ``r || s``.  The PIN must have been verified in the same
        transaction or earlier in this card session.
        """
        ...

    def sign_with_signing_key(
        self, digest: bytes, hash_function: HashFunction, padding: PaddingScheme
    ) -> SignatureResult:
        """Sign ``digest`` with the signing key; call ``verify_pin(SIGNING)`` first, in the same
        transaction.  Raises OperationNotSupported for a padding the key type cannot use.
        """
        ...

    def read_identity(self) -> IdentityData:
        """Read and check the identity data; needs a verified PIN on cards that protect it."""
        ...
