"""The PIV Security Object (5FC106): an issuer-signed list of hashes over other data objects.

SP 800-73-4 Part 1 §3.1.4 (Table 12) defines the container and points to the ICAO LDS Document
Security Object for its signed part. Exact format produced here, for a driver that checks it::

    53 {
      BA <mapping>          # 3 bytes per data group: DG number, container ID (2 bytes, big endian)
      BB <ContentInfo>      # DER, CMS SignedData (RFC 5652)
      FE 00
    }

* Mapping: DG 1 -> 0x3000 (CHUID, 5FC102), DG 2 -> 0x3001 (Printed Information, 5FC109),
  DG 3 -> 0x6030 (Facial Image, 5FC108). ``DATA_GROUPS`` lists them with their GET DATA tags.
* SignedData: version 3; digest algorithm SHA-256; encapsulated content type
  ``2.23.136.1.1.1`` (id-icao-mrtd-security-ldsSecurityObject) whose content is the DER of
  ``LDSSecurityObject ::= SEQUENCE { version INTEGER (0), hashAlgorithm AlgorithmIdentifier
  (id-sha256), dataGroupHashValues SEQUENCE OF SEQUENCE { dataGroupNumber INTEGER,
  dataGroupHashValue OCTET STRING } }``; ``certificates`` holds the document signer certificate;
  one SignerInfo (version 1, issuerAndSerialNumber) with signed attributes contentType (the
  eContentType above) and messageDigest (SHA-256 of the eContent), signed with ECDSA-SHA256.
* Each ``dataGroupHashValue`` is SHA-256 over the complete data object exactly as GET DATA
  returns it, from its ``53`` tag to its last byte.

The document signer is issued by the test PKI's intermediate (``factory.issue_document_signer``),
so a verifier checks: the SignerInfo signature with the signer certificate's key, that
certificate's chain to the trusted root, the messageDigest, then each hash.
"""

from __future__ import annotations

import hashlib

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bitaqa.agent.cards.lds import LdsSecurityObject
from bitaqa.vcard.profile import DocumentSigner
from bitaqa.vcard.tlv import encode_tlv

__all__ = ["DATA_GROUPS", "LDS_SECURITY_OBJECT_OID", "security_object"]

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
DATA_GROUPS: tuple[tuple[int, int, int], ...] = (
    (1, 0x3000, 0x5FC102),
    (2, 0x3001, 0x5FC109),
    (3, 0x6030, 0x5FC108),
)
"""(data group number, container ID, GET DATA tag) for every object the Security Object covers."""


def security_object(signer: DocumentSigner, objects: dict[int, bytes]) -> bytes:
    """Build 5FC106 over ``objects`` (GET DATA tag -> complete object) for the groups present."""
    mapping = b""
    hashes_list = []
    for number, container, tag in DATA_GROUPS:
        if tag not in objects:
            continue
        mapping += bytes([number]) + container.to_bytes(2, "big")
        hashes_list.append(
            {
                "data_group_number": number,
                "data_group_hash_value": hashlib.sha256(objects[tag]).digest(),
            }
        )
    content = LdsSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": "sha256"},
            "data_group_hash_values": hashes_list,
        }
    ).dump()
    signed = _signed_data(signer, content)
    return encode_tlv(0x53, encode_tlv(0xBA, mapping) + encode_tlv(0xBB, signed) + b"\xfe\x00")


def _signed_data(signer: DocumentSigner, content: bytes) -> bytes:
    certificate = asn1_x509.Certificate.load(
        signer.certificate.public_bytes(serialization.Encoding.DER)
    )
    attributes = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [LDS_SECURITY_OBJECT_OID]},
            {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
        ]
    )
    signature = signer.private_key.sign(attributes.dump(), ec.ECDSA(hashes.SHA256()))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": certificate.issuer,
                        "serial_number": certificate.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": LDS_SECURITY_OBJECT_OID,
                "content": content,
            },
            "certificates": [certificate],
            "signer_infos": [signer_info],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return bytes(info.dump())
