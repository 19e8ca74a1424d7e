"""The Security Object (5FC106) is a CMS SignedData by the document signer over the documented
hashes, and its signer chains to the test PKI's root."""

from __future__ import annotations

import hashlib

from asn1crypto import cms, core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from bitaqa.vcard.security_object import DATA_GROUPS, LDS_SECURITY_OBJECT_OID
from bitaqa.vcard.tlv import find_tlv
from vcard.apdus import read_object, verify_pin


def test_security_object_signature_hashes_and_chain_verify(ecc_card, card_profiles):
    """Signature, messageDigest, every data-group hash and the signer's chain all check out."""
    verify_pin(ecc_card)
    data, sw = read_object(ecc_card, 0x5FC106)
    assert sw == 0x9000
    container = find_tlv(data, 0x53)
    assert container is not None
    mapping = find_tlv(container, 0xBA)
    signed = find_tlv(container, 0xBB)
    assert mapping is not None
    assert signed is not None

    content_info = cms.ContentInfo.load(signed)
    assert content_info["content_type"].native == "signed_data"
    signed_data = content_info["content"]
    encapsulated = signed_data["encap_content_info"]
    assert encapsulated["content_type"].dotted == LDS_SECURITY_OBJECT_OID
    content = encapsulated["content"].native
    signer_der = signed_data["certificates"][0].chosen.dump()
    signer = x509.load_der_x509_certificate(signer_der)
    signer_info = signed_data["signer_infos"][0]
    attributes = signer_info["signed_attrs"]
    to_sign = b"\x31" + attributes.dump()[1:]  # signed over as a SET, stored with tag [0]
    public_key = signer.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signer_info["signature"].native, to_sign, ec.ECDSA(hashes.SHA256()))
    digests = {attribute["type"].native: attribute["values"][0] for attribute in attributes}
    assert digests["message_digest"].native == hashlib.sha256(content).digest()

    root = x509.load_pem_x509_certificate((card_profiles["pki"] / "root.pem").read_bytes())
    intermediate = x509.load_pem_x509_certificate(
        (card_profiles["pki"] / "intermediate.pem").read_bytes()
    )
    signer.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)

    lds = core.Sequence.load(content)
    hash_entries = {
        int(entry[0].native): entry[1].native
        for entry in core.SequenceOf.load(lds[2].dump(), spec=core.Sequence)
    }
    triples = [tuple(mapping[index : index + 3]) for index in range(0, len(mapping), 3)]
    assert len(triples) == len(DATA_GROUPS) == len(hash_entries)
    for number, container_id, tag in DATA_GROUPS:
        assert (number, container_id >> 8, container_id & 0xFF) in triples
        object_data, sw = read_object(ecc_card, tag)
        assert sw == 0x9000
        assert hash_entries[number] == hashlib.sha256(object_data).digest()
