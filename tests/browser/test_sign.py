"""Signing a PDF with the virtual card from the example portal; the result validates twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from playwright.sync_api import Page

from bitaqa.vcard.profile import CardProfile
from support.agent import AgentProcess
from support.portal_page import Portal, outcome
from support.signed_pdf import pdfsig_report, validate_with_pyhanko

pytestmark = [pytest.mark.browser, pytest.mark.pcscd]


def test_the_signed_pdf_validates_with_pyhanko_and_pdfsig(
    page: Page,
    portal: Portal,
    agent: AgentProcess,
    card_profile: CardProfile,
    tmp_path: Path,
) -> None:
    """Sign the sample form: the download is a PAdES PDF signed by the card's signing key."""
    page.click("#sign")
    assert outcome(page, "#signed-link:not([hidden])") == "ok"
    with page.expect_download() as download:
        page.click("#signed-link")
    pdf = Path(download.value.path()).read_bytes()
    root = x509.load_pem_x509_certificate((portal.card_pki / "root.pem").read_bytes())
    trusted, signer = validate_with_pyhanko(pdf, root)
    report = pdfsig_report(pdf, tmp_path)
    signing_certificate = card_profile.slots[0x9C].certificate
    expected_signer = signing_certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[
        0
    ].value
    assert trusted
    assert signer == expected_signer
    assert report.signature_valid, report.output
    assert report.whole_document, report.output
    assert report.signer_common_name == expected_signer
    sign_prompts = [prompt for prompt in agent.prompts() if prompt["kind"] == "pin"]
    assert sign_prompts, agent.prompts()


def test_a_signature_refused_in_the_pin_dialog_gives_no_document(
    page: Page, agent: AgentProcess
) -> None:
    """Cancelling the PIN dialog shows "you cancelled" and no download link."""
    agent.script(consent="allow-once", pins=["cancel"])
    page.click("#sign")
    assert outcome(page, "#signed-link:not([hidden])") == "USER_CANCELLED"
    assert page.locator("#signed-link").is_hidden()
