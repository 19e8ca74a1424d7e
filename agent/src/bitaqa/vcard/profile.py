"""Card profiles: what one virtual card holds (holder, PIN, PUK, keys, certificates, issuer signer).

A profile is a JSON file so tests, the demo and a portal developer's CI can keep a card around and
load it again (``bitaqa vcard --profile FILE``). The format (version 1)::

    {
      "format": "bitaqa-vcard-profile/1",
      "name": "ecc",
      "holder": {"given_name": "...", "surname": "...", "given_name_ar": "...",
                 "surname_ar": "...", "national_id": "...", "country": "BH",
                 "affiliation": "..."},
      "pin": "123456", "puk": "12345678",       # 6..8 digits and exactly 8 digits
      "guid": "<32 hex digits>",                # CHUID GUID, also the card's serial for OpenSC
      "agency_code": "1234", "credential_number": "123456",   # FASC-N fields (digits)
      "expiry": "2035-01-01",                   # CHUID and Printed Information expiry
      "slots": {"9a": {"key_type": "p256", "private_key_pem": "...", "certificate_pem": "..."},
                "9c": {...}, "9d": {...}, "9e": {...}},
      "document_signer": {"private_key_pem": "...", "certificate_pem": "...",
                          "chain_pem": "..."},   # signs the Security Object
      "photo_jpeg_base64": "..."
    }

Key types are ``rsa2048``, ``p256`` and ``p384``. A profile holds private keys in clear: it is
test material and must never describe a real person's card.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bitaqa.vcard.objects import jpeg_size

__all__ = [
    "PROFILE_FORMAT",
    "SLOT_NAMES",
    "CardPrivateKey",
    "CardProfile",
    "DocumentSigner",
    "Holder",
    "KeyType",
    "ProfileError",
    "SlotKey",
    "load_profile",
    "save_profile",
]

PROFILE_FORMAT = "bitaqa-vcard-profile/1"
KeyType = Literal["rsa2048", "p256", "p384"]
SLOT_NAMES: dict[int, str] = {0x9A: "9a", 0x9C: "9c", 0x9D: "9d", 0x9E: "9e"}
"""PIV key references (SP 800-73-4 Part 1 Table 4b) and their names in a profile."""

CardPrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""The private key types a slot can hold."""


class ProfileError(ValueError):
    """The profile file is missing, not JSON, or does not follow the format above."""


@dataclass(frozen=True)
class Holder:
    """The card holder as printed on the card, in English and Arabic."""

    given_name: str
    surname: str
    given_name_ar: str
    surname_ar: str
    national_id: str
    country: str
    affiliation: str = "Resident"


@dataclass(frozen=True)
class SlotKey:
    """A key slot: its algorithm, private key and certificate."""

    key_type: KeyType
    private_key: CardPrivateKey
    certificate: x509.Certificate


@dataclass(frozen=True)
class DocumentSigner:
    """The issuer's document signer that signs the Security Object, and its chain up to the root."""

    private_key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class CardProfile:
    """Everything one virtual card holds. ``slots`` is keyed by PIV key reference (0x9A...)."""

    name: str
    holder: Holder
    pin: str
    puk: str
    guid: bytes
    agency_code: str
    credential_number: str
    expiry: date
    slots: dict[int, SlotKey]
    document_signer: DocumentSigner | None = None
    photo_jpeg: bytes = b""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{6,8}", self.pin):
            raise ProfileError("the PIN must be 6 to 8 digits")
        if not re.fullmatch(r"\d{8}", self.puk):
            raise ProfileError("the PUK must be 8 digits")
        if len(self.guid) != 16:
            raise ProfileError("the GUID must be 16 bytes")
        if not re.fullmatch(r"\d{4}", self.agency_code) or not re.fullmatch(
            r"\d{6}", self.credential_number
        ):
            raise ProfileError("agency_code must be 4 digits and credential_number 6 digits")
        for reference, slot in self.slots.items():
            _check_key_type(SLOT_NAMES.get(reference, hex(reference)), slot)
        if self.photo_jpeg:
            try:
                jpeg_size(self.photo_jpeg)
            except ValueError as error:
                raise ProfileError(f"the photo is unusable: {error}") from error


def load_profile(path: Path) -> CardProfile:
    """Read a profile file; raise ``ProfileError`` with a readable reason when it is unusable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ProfileError(f"cannot read profile {path}: {error}") from error
    try:
        return _from_document(document)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ProfileError):
            raise
        raise ProfileError(f"profile {path} is malformed: {error!r}") from error


def save_profile(profile: CardProfile, path: Path) -> None:
    """Write ``profile`` to ``path`` atomically (a reader never sees a half-written file)."""
    document: dict[str, Any] = {
        "format": PROFILE_FORMAT,
        "name": profile.name,
        "holder": asdict(profile.holder),
        "pin": profile.pin,
        "puk": profile.puk,
        "guid": profile.guid.hex(),
        "agency_code": profile.agency_code,
        "credential_number": profile.credential_number,
        "expiry": profile.expiry.isoformat(),
        "slots": {
            SLOT_NAMES[reference]: {
                "key_type": slot.key_type,
                "private_key_pem": _key_pem(slot.private_key),
                "certificate_pem": _certificate_pem(slot.certificate),
            }
            for reference, slot in sorted(profile.slots.items())
        },
        "photo_jpeg_base64": base64.b64encode(profile.photo_jpeg).decode("ascii"),
    }
    if profile.document_signer is not None:
        signer = profile.document_signer
        document["document_signer"] = {
            "private_key_pem": _key_pem(signer.private_key),
            "certificate_pem": _certificate_pem(signer.certificate),
            "chain_pem": "".join(_certificate_pem(item) for item in signer.chain),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)


def _from_document(document: dict[str, Any]) -> CardProfile:
    if document.get("format") != PROFILE_FORMAT:
        raise ProfileError(f"unknown profile format {document.get('format')!r}")
    names = {name: reference for reference, name in SLOT_NAMES.items()}
    slots: dict[int, SlotKey] = {}
    for name, slot in document["slots"].items():
        if name not in names:
            raise ProfileError(f"unknown slot {name!r}")
        key = serialization.load_pem_private_key(slot["private_key_pem"].encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ProfileError(f"slot {name}: unsupported key")
        certificate = x509.load_pem_x509_certificate(slot["certificate_pem"].encode())
        slots[names[name]] = SlotKey(cast(KeyType, slot["key_type"]), key, certificate)
    signer = None
    if "document_signer" in document:
        entry = document["document_signer"]
        signer_key = serialization.load_pem_private_key(
            entry["private_key_pem"].encode(), password=None
        )
        if not isinstance(signer_key, ec.EllipticCurvePrivateKey):
            raise ProfileError("the document signer key must be an EC key")
        chain = tuple(x509.load_pem_x509_certificates(entry["chain_pem"].encode()))
        signer = DocumentSigner(
            signer_key, x509.load_pem_x509_certificate(entry["certificate_pem"].encode()), chain
        )
    return CardProfile(
        name=str(document["name"]),
        holder=Holder(**document["holder"]),
        pin=str(document["pin"]),
        puk=str(document["puk"]),
        guid=bytes.fromhex(document["guid"]),
        agency_code=str(document["agency_code"]),
        credential_number=str(document["credential_number"]),
        expiry=date.fromisoformat(document["expiry"]),
        slots=slots,
        document_signer=signer,
        photo_jpeg=base64.b64decode(document.get("photo_jpeg_base64", ""), validate=True),
    )


def _check_key_type(name: str, slot: SlotKey) -> None:
    key = slot.private_key
    expected = {
        "rsa2048": isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048,
        "p256": isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1",
        "p384": isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1",
    }
    if not expected.get(slot.key_type, False):
        raise ProfileError(f"slot {name}: the key is not {slot.key_type}")
    if slot.certificate.public_key() != key.public_key():
        raise ProfileError(f"slot {name}: the certificate does not match the key")


def _key_pem(key: CardPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
