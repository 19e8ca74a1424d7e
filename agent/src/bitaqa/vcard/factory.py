"""Build the test PKI and the standard card profiles, deterministically, into a directory.

``build_profiles(directory)`` writes ``pki/`` (root, intermediate, OCSP responder and document
signer certificates and keys, ``index.txt``) and one JSON profile per entry of ``PROFILE_SPECS``
(``ecc.json``, ``rsa.json``). The CA and EC keys are derived from fixed labels by
``bitaqa.testing.pki``; RSA keys are generated once and cached in ``pki/`` so a second run writes
the same files. ``default_profile_path()`` returns the built-in ECC profile, building it on first
use in the user's cache directory.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw

from bitaqa.testing.pki import (
    BASE_TIME,
    DEFAULT_OCSP_URL,
    END_TIME,
    HolderIdentity,
    IssuedCertificate,
    TestPki,
    build_test_pki,
    cached_rsa_key,
    deterministic_ec_key,
)
from bitaqa.vcard.profile import (
    CardPrivateKey,
    CardProfile,
    DocumentSigner,
    Holder,
    KeyType,
    SlotKey,
    save_profile,
)

__all__ = [
    "PROFILE_SPECS",
    "ProfileSpec",
    "build_profiles",
    "default_profile_path",
    "issue_document_signer",
]

_PIV_CARD_AUTH_EKU = x509.ObjectIdentifier("2.16.840.1.101.3.6.8")  # id-PIV-cardAuth


@dataclass(frozen=True)
class ProfileSpec:
    """How one standard profile is made: its holder and the key type of each slot."""

    name: str
    holder: Holder
    key_types: dict[int, KeyType]
    guid: bytes
    credential_number: str


PROFILE_SPECS: tuple[ProfileSpec, ...] = (
    ProfileSpec(
        name="ecc",
        holder=Holder(
            given_name="Fatima",
            surname="Al-Mansoori",
            given_name_ar="فاطمة",
            surname_ar="المنصوري",
            national_id="870512345",
            country="BH",
        ),
        key_types={0x9A: "p256", 0x9C: "p384", 0x9D: "p256", 0x9E: "p256"},
        guid=bytes.fromhex("b17a9a0000000000000000000000ecc1"),
        credential_number="000001",
    ),
    ProfileSpec(
        name="rsa",
        holder=Holder(
            given_name="Yousef",
            surname="Al-Khalifa",
            given_name_ar="يوسف",
            surname_ar="الخليفة",
            national_id="910398765",
            country="BH",
        ),
        key_types={0x9A: "rsa2048", 0x9C: "rsa2048", 0x9D: "p256", 0x9E: "p256"},
        guid=bytes.fromhex("b17a9a00000000000000000000005a01"),
        credential_number="000002",
    ),
)
"""The standard profiles: ``ecc`` (9A P-256, 9C P-384) and ``rsa`` (9A and 9C RSA-2048)."""

_DEFAULT_PIN = "123456"
_DEFAULT_PUK = "12345678"
_EXPIRY = date(2035, 1, 1)


def build_profiles(directory: Path, *, ocsp_url: str = DEFAULT_OCSP_URL) -> dict[str, Path]:
    """Write the test PKI and every standard profile below ``directory``; return name -> file.

    The holder certificates name ``ocsp_url`` as their OCSP responder.
    """
    pki_directory = directory / "pki"
    pki_directory.mkdir(parents=True, exist_ok=True)
    pki = build_test_pki(pki_directory, ocsp_url=ocsp_url)
    signer = issue_document_signer(pki)
    paths: dict[str, Path] = {}
    for spec in PROFILE_SPECS:
        profile = _build_profile(pki, signer, spec, pki_directory)
        paths[spec.name] = directory / f"{spec.name}.json"
        save_profile(profile, paths[spec.name])
    _write_pki(pki, signer, pki_directory)
    return paths


def default_profile_path() -> Path:
    """Return the built-in ECC profile, building it under ``$XDG_CACHE_HOME/bitaqa/vcard``."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = cache / "bitaqa" / "vcard" / "ecc.json"
    if not path.exists():
        build_profiles(path.parent)
    return path


def issue_document_signer(pki: TestPki) -> IssuedCertificate:
    """Issue the issuer's document signer (P-256, keyUsage digitalSignature) from the intermediate.

    It signs each card's Security Object; a validator trusts it through the test PKI's root.
    """
    key = deterministic_ec_key(f"{pki.realm}/document-signer", ec.SECP256R1())
    issuer = pki.intermediate
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, pki.realm),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{pki.realm} Document Signer"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject)
        .serial_number(0xD5_0001)
        .not_valid_before(BASE_TIME)
        .not_valid_after(END_TIME)
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    certificate = builder.sign(
        _ec_key(issuer.private_key), hashes.SHA256(), ecdsa_deterministic=True
    )
    return IssuedCertificate(certificate, key)


def _build_profile(
    pki: TestPki, signer: IssuedCertificate, spec: ProfileSpec, key_cache: Path
) -> CardProfile:
    identity = HolderIdentity(
        given_name=spec.holder.given_name,
        surname=spec.holder.surname,
        given_name_ar=spec.holder.given_name_ar,
        surname_ar=spec.holder.surname_ar,
        national_id=spec.holder.national_id,
        country=spec.holder.country,
    )
    slots: dict[int, SlotKey] = {}
    for reference, key_type in spec.key_types.items():
        label = f"{pki.realm}/{spec.name}/{reference:02x}"
        key = _slot_key(key_type, label, key_cache)
        issued = _issue_slot_certificate(pki, identity, reference, key)
        slots[reference] = SlotKey(key_type, key, issued.certificate)
    return CardProfile(
        name=spec.name,
        holder=spec.holder,
        pin=_DEFAULT_PIN,
        puk=_DEFAULT_PUK,
        guid=spec.guid,
        agency_code="9999",  # non-federal issuer: the GUID identifies the card
        credential_number=spec.credential_number,
        expiry=_EXPIRY,
        slots=slots,
        document_signer=DocumentSigner(
            _ec_key(signer.private_key),
            signer.certificate,
            (pki.intermediate.certificate, pki.root.certificate),
        ),
        photo_jpeg=_photo(spec.name),
    )


def _slot_key(key_type: KeyType, label: str, key_cache: Path) -> CardPrivateKey:
    if key_type == "rsa2048":
        return cached_rsa_key(key_cache, label)
    curve = ec.SECP256R1() if key_type == "p256" else ec.SECP384R1()
    return deterministic_ec_key(label, curve)


def _issue_slot_certificate(
    pki: TestPki, identity: HolderIdentity, reference: int, key: CardPrivateKey
) -> IssuedCertificate:
    usage = {
        "digital_signature": False,
        "content_commitment": False,
        "key_encipherment": False,
        "data_encipherment": False,
        "key_agreement": False,
        "key_cert_sign": False,
        "crl_sign": False,
        "encipher_only": False,
        "decipher_only": False,
    }
    if reference == 0x9A:
        return pki.issue_holder(identity, purpose="authentication", key=key)
    if reference == 0x9C:
        return pki.issue_holder(identity, purpose="signing", key=key)
    if reference == 0x9D:
        usage["key_agreement"] = True
        return pki.issue_holder(
            identity,
            purpose="authentication",
            key=key,
            key_usage_override=x509.KeyUsage(**usage),
            extended_key_usage_override=[],
        )
    usage["digital_signature"] = True
    return pki.issue_holder(
        identity,
        purpose="authentication",
        key=key,
        key_usage_override=x509.KeyUsage(**usage),
        extended_key_usage_override=[_PIV_CARD_AUTH_EKU],
    )


def _ec_key(key: object) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("the test PKI's intermediate and document signer keys are EC keys")
    return key


def _photo(seed: str) -> bytes:
    """A small, recognisable portrait-shaped JPEG (the same bytes for the same seed)."""
    shade = sum(seed.encode()) % 96
    image = Image.new("RGB", (90, 120), (200 - shade, 210, 225))
    draw = ImageDraw.Draw(image)
    draw.ellipse((27, 18, 63, 62), fill=(150 + shade // 2, 120, 100))
    draw.rectangle((15, 70, 75, 120), fill=(40, 60 + shade, 110))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _write_pki(pki: TestPki, signer: IssuedCertificate, directory: Path) -> None:
    files = {
        "root.pem": pki.root.pem(),
        "intermediate.pem": pki.intermediate.pem(),
        "ocsp-responder.pem": pki.ocsp_responder.pem(),
        "ocsp-responder.key": pki.ocsp_responder.key_pem(),
        "document-signer.pem": signer.pem(),
        "index.txt": pki.index_txt().encode(),
    }
    for name, content in files.items():
        (directory / name).write_bytes(content)
