"""PAdES signing of a PDF whose signature value comes from somewhere else (the ID card).

pyHanko's interrupted signing, in two steps a web backend can run in two HTTP requests:

1. :func:`prepare_signature` reserves the signature field, computes the document digest and the
   CMS signed attributes, and returns :class:`PreparedSignature` whose ``digest`` is what the card
   must sign: SHA-256 of the DER signed attributes.  The backend puts it in a signed request.
2. :func:`finish_signature` wraps the card's signature value in the CMS container and writes it
   into the reserved place.  The result is a PAdES B-B signature (ETSI EN 319 142-1).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument, PostSignInstructions
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = ["HASH_ALGORITHM", "PreparedSignature", "finish_signature", "prepare_signature"]

#: The digest algorithm of the document and of the signed attributes.
HASH_ALGORITHM = "SHA-256"
_FIELD_NAME = "IDCardSignature"
# Room for the card's signature value while the CMS size is estimated: an RSA-4096 value, well
# above an ECDSA DER value (at most 104 bytes for P-384).
_SIGNATURE_PLACEHOLDER_BYTES = 512


@dataclass(frozen=True)
class PreparedSignature:
    """A PDF with a reserved signature field, waiting for the card's signature value.

    ``digest`` (32 bytes) is what the card signs.  The other fields are the state
    :func:`finish_signature` needs; keep the object on the server, never send it to the page.
    """

    digest: bytes
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    signed_attributes: cms.CMSAttributes
    prepared_digest: PreparedByteRangeDigest
    post_sign_instructions: PostSignInstructions | None
    document: bytes


def prepare_signature(
    pdf: bytes, certificate_der: bytes, chain_der: list[bytes], *, reason: str
) -> PreparedSignature:
    """Reserve a signature field in ``pdf`` for the holder of ``certificate_der``.

    ``chain_der`` are the intermediate (and optionally root) certificates to embed so a verifier
    can build the path.  Raises :class:`pyhanko.pdf_utils.misc.PdfError` for a malformed PDF.
    """
    return asyncio.run(_prepare(pdf, certificate_der, chain_der, reason))


def finish_signature(prepared: PreparedSignature, signature_value: bytes) -> bytes:
    """Embed the card's signature value (DER for ECDSA, raw for RSA) and return the signed PDF."""
    return asyncio.run(_finish(prepared, signature_value))


async def _prepare(
    pdf: bytes, certificate_der: bytes, chain_der: list[bytes], reason: str
) -> PreparedSignature:
    certificate = x509.Certificate.load(certificate_der)
    chain = tuple(x509.Certificate.load(der) for der in chain_der)
    signer = _external_signer(certificate, chain, _SIGNATURE_PLACEHOLDER_BYTES)
    metadata = signers.PdfSignatureMetadata(
        field_name=_FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    pdf_signer = signers.PdfSigner(metadata, signer=signer)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    prepared_digest, tbs_document, output = await pdf_signer.async_digest_doc_for_signing(writer)
    signed_attributes = await signer.signed_attrs(
        prepared_digest.document_digest, "sha256", use_pades=True
    )
    return PreparedSignature(
        digest=hashlib.sha256(signed_attributes.dump()).digest(),
        certificate=certificate,
        chain=chain,
        signed_attributes=signed_attributes,
        prepared_digest=prepared_digest,
        post_sign_instructions=tbs_document.post_sign_instructions,
        document=output.getvalue(),
    )


async def _finish(prepared: PreparedSignature, signature_value: bytes) -> bytes:
    signer = _external_signer(prepared.certificate, prepared.chain, signature_value)
    container = await signer.async_sign_prescribed_attributes(
        "sha256", signed_attrs=prepared.signed_attributes
    )
    output = BytesIO(prepared.document)
    await PdfTBSDocument.async_finish_signing(
        output,
        prepared.prepared_digest,
        container,
        post_sign_instr=prepared.post_sign_instructions,
    )
    return output.getvalue()


def _external_signer(
    certificate: x509.Certificate, chain: tuple[x509.Certificate, ...], value: bytes | int
) -> signers.ExternalSigner:
    return signers.ExternalSigner(
        signing_cert=certificate,
        cert_registry=SimpleCertificateStore.from_certs([certificate, *chain]),
        signature_value=value,
    )
