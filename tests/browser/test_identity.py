"""Reading the card's identity data into the example portal's form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bitaqa.vcard.profile import CardProfile
from support.agent import AgentProcess
from support.portal_page import outcome

pytestmark = [pytest.mark.browser, pytest.mark.pcscd]


def test_read_identity_fills_the_form_from_the_card(
    page: Page, agent: AgentProcess, card_profile: CardProfile
) -> None:
    """The name a PIV card carries (its printed information) arrives in the form's field.

    A PIV card holds no ID number or Arabic name (a Gulf ID profile would); those fields stay
    empty rather than being filled with anything else.
    """
    page.click("#read-identity")
    assert outcome(page, "body[data-done='read-identity']") == "ok"
    holder = card_profile.holder
    form = page.locator("#identity-form")
    expect(form.locator("[name=nameEn]")).to_have_value(f"{holder.given_name} {holder.surname}")
    expect(form.locator("[name=idNumber]")).to_have_value("")
    assert next(prompt["kind"] for prompt in agent.prompts()) == "consent"
