"""Check a signed PDF twice: with pyHanko's validator and with poppler's ``pdfsig`` (NSS).

``pdfsig`` is the independent check of the signature itself: digest over the byte range and CMS
signature.  Its certificate verdict is not usable here: poppler 22.12 (Debian 12) reports
"Unknown issue" for any chain when ``-no-ocsp`` is given, and without it NSS cannot fetch OCSP
for certificates with an AIA URL (pdfsig registers no HTTP client), so the chain to the test
root is checked by pyHanko only.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

__all__ = ["PdfsigReport", "pdfsig_report", "validate_with_pyhanko"]


@dataclass(frozen=True)
class PdfsigReport:
    """What ``pdfsig`` said about the first signature."""

    signature_valid: bool
    whole_document: bool
    signer_common_name: str
    output: str


def validate_with_pyhanko(pdf: bytes, root: x509.Certificate) -> tuple[bool, str]:
    """Validate the only signature against ``root``; return (bottom line, signer common name).

    Revocation is soft-fail without fetching: the test PKI's OCSP responder is not running.
    pyHanko's synchronous API calls ``asyncio.run``, which cannot run where an event loop is
    already running (Playwright's sync API keeps one), so it runs in a worker thread.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_validate, pdf, root).result()


def _validate(pdf: bytes, root: x509.Certificate) -> tuple[bool, str]:
    reader = PdfFileReader(BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    status = validate_pdf_signature(signature, context)
    intact_and_trusted = status.bottom_line and status.intact and status.valid and status.trusted
    return intact_and_trusted, status.signing_cert.subject.native["common_name"]


def pdfsig_report(pdf: bytes, directory: Path) -> PdfsigReport:
    """Run ``pdfsig`` on ``pdf`` (written into ``directory``) and parse its first signature."""
    path = directory / "checked.pdf"
    path.write_bytes(pdf)
    output = subprocess.run(
        ["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    fields = {}
    for line in output.splitlines():
        name, _, value = line.strip().removeprefix("- ").partition(": ")
        fields.setdefault(name, value)
    return PdfsigReport(
        signature_valid=fields.get("Signature Validation") == "Signature is Valid.",
        whole_document="Total document signed" in output,
        signer_common_name=fields.get("Signer Certificate Common Name", ""),
        output=output,
    )
