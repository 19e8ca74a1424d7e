"""Logging in to the example portal with the virtual card, in Chromium, through the real agent."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from support.agent import AgentProcess
from support.portal_page import Holder, Portal, open_portal, outcome

pytestmark = [pytest.mark.browser, pytest.mark.pcscd]


def test_login_shows_the_card_holder(page: Page, agent: AgentProcess, card_holder: Holder) -> None:
    """Log in: the page names the holder and ID from the authentication certificate."""
    page.click("#login")
    assert outcome(page, "#user-id") == "ok"
    expect(page.locator("#user-name")).to_have_text(card_holder.name)
    expect(page.locator("#user-id")).to_have_text(card_holder.id_number)
    prompts = agent.prompts()
    assert [prompt["kind"] for prompt in prompts] == ["consent", "pin"], prompts


def test_login_from_the_arabic_page_goes_over_wss_with_the_trusted_root(
    context: BrowserContext, portal: Portal, agent: AgentProcess, card_holder: Holder
) -> None:
    """The RTL Arabic page logs in too, over wss:// (the agent's root is trusted in NSS)."""
    page = open_portal(context, portal.origin, lang="ar")
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    assert page.get_attribute("html", "dir") == "rtl"
    page.click("#login")
    assert outcome(page, "#user-id") == "ok"
    expect(page.locator("#user-id")).to_have_text(card_holder.id_number)
    assert sockets == [f"wss://127.0.0.1:{agent.ports['wss']}/"]


def test_two_tabs_logging_in_at_once_both_succeed(
    context: BrowserContext, portal: Portal, agent: AgentProcess, card_holder: Holder
) -> None:
    """Two tabs click at the same moment: the agent queues them on the card; both log in."""
    tabs = [open_portal(context, portal.origin) for _ in range(2)]
    for tab in tabs:
        tab.click("#login", no_wait_after=True)
    assert [outcome(tab, "#user-id", timeout=30_000) for tab in tabs] == ["ok", "ok"]
    for tab in tabs:
        expect(tab.locator("#user-id")).to_have_text(card_holder.id_number)
    assert [prompt["kind"] for prompt in agent.prompts()].count("pin") == 2
