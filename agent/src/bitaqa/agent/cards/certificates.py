"""The per-insertion certificate cache every driver keeps (so a second login reads no certificate).

One :class:`CertificateCache` belongs to one driver instance, and a driver instance to one card
insertion: when the monitor reports the card withdrawn the agent drops the driver, and the cache
goes with it, so a different card in the same reader can never be answered from it.  Entries are
keyed by the key reference the certificate belongs to and carry their SHA-256 (the driver's
``card_identity`` hashes the ATR with the authentication certificate).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from cryptography import x509

from bitaqa.agent.cards.errors import CardCommunicationError

__all__ = ["CachedCertificate", "CertificateCache"]


@dataclass(frozen=True)
class CachedCertificate:
    """A certificate read from the card: DER, its SHA-256 and the parsed object."""

    der: bytes = field(repr=False)
    sha256: bytes
    certificate: x509.Certificate = field(repr=False)


class CertificateCache:
    """Certificates of one card insertion, by key reference; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[int, CachedCertificate] = {}

    def get(self, key_reference: int) -> CachedCertificate | None:
        """The cached certificate of ``key_reference``, or None if not read yet."""
        with self._lock:
            return self._by_key.get(key_reference)

    def store(self, key_reference: int, der: bytes) -> CachedCertificate:
        """Parse ``der`` and cache it; raises CardCommunicationError if it is not a certificate."""
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise CardCommunicationError("card returned a malformed certificate") from exc
        entry = CachedCertificate(der, hashlib.sha256(der).digest(), certificate)
        with self._lock:
            self._by_key[key_reference] = entry
        return entry
