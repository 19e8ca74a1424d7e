"""Parsing of PIV data objects: certificate containers, Printed Information, Facial Image, and the
check of the Security Object over them (SP 800-73-4 Part 1 §3.1, SP 800-76-2).

Identity fields (``IdentityData.fields``) use the names of SPEC.md §6.7, filled from Printed
Information (5FC109): ``nameEn`` (tag 01), ``employeeAffiliation`` (02), ``dateOfExpiry`` (04,
printed as YYYYMMMDD, given as YYYY-MM-DD; left out when it is not a date),
``agencyCardSerial`` (05), ``issuer`` (06) and ``organizationAffiliation`` (07 and 08, joined
by a space).  Text is decoded as UTF-8 (a superset of the ASCII the standard asks for).

Security Object (5FC106) check: ``53 { BA <DG number, container ID>..., BB <CMS SignedData> }``
whose encapsulated LDSSecurityObject lists a hash per data group over the complete object as GET
DATA returns it.  VALID needs: the messageDigest attribute matches the content, the SignerInfo
signature verifies with the certificate inside, and the hashes of Printed Information and (when
read) the Facial Image are listed and match.  Trust in the signer certificate is the caller's
decision: it receives the certificate.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from datetime import date

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from bitaqa.agent.cards.base import IdentityData, IssuerSignatureStatus
from bitaqa.agent.cards.errors import CardCommunicationError
from bitaqa.agent.cards.lds import LdsSecurityObject
from bitaqa.agent.cards.tlv import find_tlv, parse_tlv

__all__ = [
    "FACIAL_IMAGE",
    "PRINTED_INFORMATION",
    "SECURITY_OBJECT",
    "build_identity",
    "certificate_from_container",
    "check_security_object",
    "jpeg_from_facial_image",
]

PRINTED_INFORMATION = 0x5FC109
FACIAL_IMAGE = 0x5FC108
SECURITY_OBJECT = 0x5FC106
_CONTAINER_IDS = {0x3001: PRINTED_INFORMATION, 0x6030: FACIAL_IMAGE}  # SP 800-73-4 Table 3
_PRINTED_FIELDS = {
    0x01: "nameEn",
    0x02: "employeeAffiliation",
    0x05: "agencyCardSerial",
    0x06: "issuer",
}
_EXPIRATION_DATE, _ORGANIZATION_LINES = 0x04, (0x07, 0x08)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def certificate_from_container(container: bytes) -> bytes:
    """The certificate DER inside a certificate object's ``53`` value (``70`` cert, ``71`` info).

    CertInfo bit 0 set means the certificate is gzip-compressed (SP 800-73-4 Part 1 Table 10).
    """
    der = find_tlv(container, 0x70)
    if der is None:
        raise CardCommunicationError("certificate object has no 70 tag")
    info = find_tlv(container, 0x71) or b"\x00"
    if info[:1] and info[0] & 0x01:
        try:
            return gzip.decompress(der)
        except (OSError, EOFError, zlib.error) as exc:
            raise CardCommunicationError("compressed certificate does not inflate") from exc
    return der


def jpeg_from_facial_image(container: bytes) -> bytes | None:
    """The image inside a Facial Image ``53`` value: CBEFF header (88 bytes), then an ISO/IEC
    19794-5 record whose first facial image is returned; None when there is no image."""
    record = find_tlv(container, 0xBC)
    if record is None or len(record) < 88 + 14 + 20:
        return None
    facial = record[88 + 14 :]  # CBEFF patron header, then the 19794-5 general header
    block_length = int.from_bytes(facial[0:4], "big")
    feature_points = int.from_bytes(facial[4:6], "big")
    image_start = 20 + 8 * feature_points + 12  # facial information, points, image information
    if block_length > len(facial) or block_length <= image_start:
        raise CardCommunicationError("facial image record lengths do not add up")
    return facial[image_start:block_length]


def check_security_object(
    security_object: bytes | None, covered: dict[int, bytes]
) -> tuple[IssuerSignatureStatus, bytes | None]:
    """Check the Security Object (complete GET DATA answer) against ``covered`` objects.

    Args:
        security_object: the 5FC106 object from its ``53`` tag on, or None if the card has none.
        covered: GET DATA tag -> complete object as read, for every object that must be covered.

    Returns:
        the status and the signer certificate DER (None when absent or unparseable).
    """
    if security_object is None:
        return IssuerSignatureStatus.ABSENT, None
    try:
        container = find_tlv(security_object, 0x53) or b""
        mapping = find_tlv(container, 0xBA) or b""
        signed = find_tlv(container, 0xBB)
        if signed is None:
            return IssuerSignatureStatus.ABSENT, None
        content, hash_name, signer = _verified_content(signed)
        lds = LdsSecurityObject.load(content)
        listed = {
            int(item["data_group_number"].native): bytes(item["data_group_hash_value"].native)
            for item in lds["data_group_hash_values"]
        }
        groups = {
            _CONTAINER_IDS.get(int.from_bytes(mapping[i + 1 : i + 3], "big")): mapping[i]
            for i in range(0, len(mapping) - 2, 3)
        }
        for tag, data in covered.items():
            group = groups.get(tag)
            expected = listed.get(group) if group is not None else None
            if expected is None or hashlib.new(hash_name, data).digest() != expected:
                return IssuerSignatureStatus.INVALID, signer
        return IssuerSignatureStatus.VALID, signer
    except (ValueError, TypeError, KeyError, InvalidSignature, CardCommunicationError):
        return IssuerSignatureStatus.INVALID, None


def build_identity(
    printed_information: bytes, facial_image: bytes | None, security_object: bytes | None
) -> IdentityData:
    """Parse the complete objects read from the card into :class:`IdentityData`."""
    printed = find_tlv(printed_information, 0x53)
    if printed is None:
        raise CardCommunicationError("Printed Information is not a 53 container")
    texts = {tag: value.decode("utf-8", errors="replace") for tag, value in parse_tlv(printed)}
    fields = {name: texts[tag] for tag, name in _PRINTED_FIELDS.items() if tag in texts}
    organization = " ".join(texts[tag] for tag in _ORGANIZATION_LINES if texts.get(tag))
    if organization:
        fields["organizationAffiliation"] = organization
    expiry = _printed_date(texts.get(_EXPIRATION_DATE, ""))
    if expiry is not None:
        fields["dateOfExpiry"] = expiry
    covered = {PRINTED_INFORMATION: printed_information}
    photo = None
    if facial_image is not None:
        covered[FACIAL_IMAGE] = facial_image
        photo = jpeg_from_facial_image(find_tlv(facial_image, 0x53) or b"")
    status, signer = check_security_object(security_object, covered)
    return IdentityData(fields, photo, status, signer)


def _printed_date(text: str) -> str | None:
    """``2035JAN01`` (SP 800-73-4 Printed Information) as ``2035-01-01``; None if not a date.

    Parsed by hand: ``strptime("%b")`` would follow the process locale.
    """
    month = _MONTHS.get(text[4:7].upper())
    if len(text) != 9 or month is None or not (text[:4] + text[7:]).isdigit():
        return None
    try:
        return date(int(text[:4]), month, int(text[7:])).isoformat()
    except ValueError:
        return None


def _verified_content(signed: bytes) -> tuple[bytes, str, bytes]:
    """Verify the CMS SignedData; return (eContent, hash name, signer certificate DER)."""
    signed_data = cms.ContentInfo.load(signed)["content"]
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].dotted != _LDS_SECURITY_OBJECT:
        raise ValueError("not an LDS security object")
    content = bytes(encapsulated["content"].native)
    signer_info = signed_data["signer_infos"][0]
    hash_name = signer_info["digest_algorithm"]["algorithm"].native
    if hash_name not in _HASHES:
        raise ValueError("unsupported digest algorithm")
    attributes = {attr["type"].native: attr["values"][0] for attr in signer_info["signed_attrs"]}
    if attributes["content_type"].dotted != _LDS_SECURITY_OBJECT:
        raise ValueError("content type attribute does not match")
    if bytes(attributes["message_digest"].native) != hashlib.new(hash_name, content).digest():
        raise ValueError("message digest does not match the content")
    signer_der = signed_data["certificates"][0].chosen.dump()
    public_key = x509.load_der_x509_certificate(signer_der).public_key()
    # The signature covers the attributes DER-encoded as a SET (tag 31), not as the [0] field.
    signed_attributes = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    signature = bytes(signer_info["signature"].native)
    algorithm = _HASHES[hash_name]
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, signed_attributes, ec.ECDSA(algorithm))
    elif isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, signed_attributes, padding.PKCS1v15(), algorithm)
    else:
        raise ValueError("unsupported signer key type")
    return content, hash_name, signer_der
