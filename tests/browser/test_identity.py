"""Reading the card's identity data into the example portal's form."""

from __future__ import annotations

import base64

import pytest
from bitaqa_portal.i18n import TEXT
from playwright.sync_api import Page, expect

from bitaqa.vcard.card import PRINTED_ORGANIZATION
from bitaqa.vcard.profile import CardProfile
from support.agent import AgentProcess
from support.portal_page import outcome

pytestmark = [pytest.mark.browser, pytest.mark.pcscd]


def test_read_identity_fills_the_form_from_the_card(
    page: Page, agent: AgentProcess, card_profile: CardProfile
) -> None:
    """The PIV card's printed information arrives in the form's fields, its photo is shown and
    the issuer signature (the card's Security Object) is reported valid.

    A PIV card holds no ID number, Arabic name or other Gulf-card field; those fields stay
    empty rather than being filled with anything else.
    """
    page.click("#read-identity")
    assert outcome(page, "body[data-done='read-identity']") == "ok"
    holder = card_profile.holder
    form = page.locator("#identity-form")
    expected = {
        "nameEn": f"{holder.given_name} {holder.surname}",
        "dateOfExpiry": card_profile.expiry.isoformat(),
        "employeeAffiliation": holder.affiliation,
        "organizationAffiliation": PRINTED_ORGANIZATION,
        "agencyCardSerial": holder.national_id,
        "issuer": holder.country,
    }
    gulf_only = ("nameAr", "idNumber", "cardNumber", "nationality", "sex")
    expected |= dict.fromkeys((*gulf_only, "dateOfBirth", "dateOfIssue"), "")
    for name, value in expected.items():
        expect(form.locator(f"[name={name}]")).to_have_value(value)

    photo = form.locator("#identity-photo")
    expect(photo).to_be_visible()
    expect(photo).to_have_attribute("alt", TEXT["en"]["photo_alt"])
    jpeg = base64.b64encode(card_profile.photo_jpeg).decode("ascii")
    expect(photo).to_have_attribute("src", f"data:image/jpeg;base64,{jpeg}")
    page.wait_for_function("document.getElementById('identity-photo').naturalWidth > 0")

    assert card_profile.document_signer is not None
    signer = card_profile.document_signer.certificate.subject.rfc4514_string()
    line = form.locator("#issuer-signature")
    expect(line).to_have_attribute("data-verdict", "valid")
    text = TEXT["en"]
    expect(line).to_have_text(f"{text['signature_valid']} — {text['signature_signer']} {signer}")
    assert next(prompt["kind"] for prompt in agent.prompts()) == "consent"
