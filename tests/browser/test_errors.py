"""What a resident sees when something is wrong: each failure becomes its own message."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from bitaqa_portal.i18n import ERRORS
from playwright.sync_api import BrowserContext, Page, expect

from support.agent import AgentProcess
from support.pcsc import PcscEnvironment, VirtualCardProcess
from support.portal_page import Portal, open_portal, outcome

pytestmark = [pytest.mark.browser, pytest.mark.pcscd]


def test_agent_stopped_shows_not_installed_with_a_download_link(
    page: Page, agent: AgentProcess
) -> None:
    """No agent on any port: "not installed or not running", and the download link."""
    agent.stop()
    page.click("#login")
    assert outcome(page, "#user-id") == "AGENT_UNAVAILABLE"
    expect(page.locator("#error-text")).to_have_text(ERRORS["en"]["AGENT_UNAVAILABLE"])
    expect(page.locator("#download-agent")).to_be_visible()


def test_a_page_from_an_origin_not_on_the_trust_list_is_refused(
    context: BrowserContext, portal: Portal, agent: AgentProcess
) -> None:
    """The same portal under another origin gets ORIGIN_NOT_ALLOWED, and no dialog is shown."""
    page = open_portal(context, portal.untrusted_origin)
    page.click("#login")
    assert outcome(page, "#user-id") == "ORIGIN_NOT_ALLOWED"
    expect(page.locator("#download-agent")).to_be_hidden()
    assert agent.prompts() == []


def test_card_removed_while_the_pin_dialog_is_open_gives_card_removed(
    page: Page, agent: AgentProcess, virtual_card: VirtualCardProcess
) -> None:
    """Taking the card out mid-flow ends the login with "the card was removed"."""
    agent.script(consent="allow-once", pins=["123456"], delay=3.0)
    page.click("#login")
    deadline = time.monotonic() + 10
    while not agent.prompts() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert agent.prompts(), "no dialog was opened"
    virtual_card.remove()
    assert outcome(page, "#user-id") == "CARD_REMOVED"
    expect(page.locator("#error-text")).to_have_text(ERRORS["en"]["CARD_REMOVED"])


def test_no_card_in_the_reader_gives_no_card(
    page: Page, agent: AgentProcess, virtual_card: VirtualCardProcess
) -> None:
    """With the reader empty the page asks to insert the card."""
    virtual_card.remove()
    page.click("#login")
    assert outcome(page, "#user-id") == "NO_CARD"


def test_a_wrong_pin_is_asked_again_with_the_tries_left(page: Page, agent: AgentProcess) -> None:
    """Wrong PIN: the agent's own dialog asks again, showing 2 tries left (never the page)."""
    agent.script(consent="allow-once", pins=["000000", "123456"])
    page.click("#login")
    assert outcome(page, "#user-id") == "ok"
    pins = [prompt for prompt in agent.prompts() if prompt["kind"] == "pin"]
    assert [(prompt["retry"], prompt["triesLeft"]) for prompt in pins] == [(False, 3), (True, 2)]


def test_closing_the_dialog_after_a_wrong_pin_names_the_tries_left_in_arabic(
    context: BrowserContext, portal: Portal, agent: AgentProcess
) -> None:
    """Wrong PIN, then the resident gives up: the Arabic page says how many tries remain."""
    agent.script(consent="allow-once", pins=["000000", "cancel"])
    page = open_portal(context, portal.origin, lang="ar")
    page.click("#login")
    assert outcome(page, "#user-id") == "PIN_INCORRECT"
    expected = ERRORS["ar"]["PIN_INCORRECT"].replace("{triesLeft}", "2")
    expect(page.locator("#error-text")).to_have_text(expected)


def test_three_wrong_pins_block_it_and_the_arabic_page_says_so(
    context: BrowserContext, portal: Portal, agent: AgentProcess
) -> None:
    """The card blocks the PIN after its last try; the Arabic page names it."""
    agent.script(consent="allow-once", pins=["000000"])
    page = open_portal(context, portal.origin, lang="ar")
    page.click("#login")
    assert outcome(page, "#user-id") == "PIN_BLOCKED"
    expect(page.locator("#error-text")).to_have_text(ERRORS["ar"]["PIN_BLOCKED"])


def test_cancelling_the_consent_dialog_says_nothing_was_done(
    page: Page, agent: AgentProcess
) -> None:
    """The resident closes the consent dialog: "you cancelled", and no PIN is asked."""
    agent.script(consent="cancel")
    page.click("#login")
    assert outcome(page, "#user-id") == "USER_CANCELLED"
    assert [prompt["kind"] for prompt in agent.prompts()] == ["consent"]


def test_no_smart_card_service_is_named(
    page: Page, start_portal_agent: Callable[[PcscEnvironment | None], AgentProcess]
) -> None:
    """An agent whose pcscd is not running: "the smart card service is not running"."""
    start_portal_agent(None)
    page.click("#login")
    assert outcome(page, "#user-id") == "PCSC_UNAVAILABLE"
    expect(page.locator("#error-text")).to_have_text(ERRORS["en"]["PCSC_UNAVAILABLE"])
