"""The JS client's own API in Chromium against the real agent: status, card events, cancel."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from support.agent import AgentProcess
from support.pcsc import VirtualCardProcess
from support.portal_page import outcome

pytestmark = [pytest.mark.browser, pytest.mark.pcscd]

# Runs in the portal page: a client pointed at the test agent's ports, kept on `window`.
_CONNECT = """async () => {
  const bitaqa = await import('/client/index.js');
  const [securePort, plainPort] = document.body.dataset.agentPorts.split(',').map(Number);
  const endpoints = bitaqa.candidateEndpoints({
    securePorts: [securePort], plainPorts: [plainPort],
  });
  window.client = new bitaqa.BitaqaClient({ endpoints });
  window.events = [];
  for (const name of bitaqa.EVENT_NAMES) {
    window.client.on(name, (detail) => window.events.push([name, detail]));
  }
  await window.client.connect();
  return await window.client.status();
}"""


def _wait(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.05)


def test_status_and_card_events_reach_the_page(
    page: Page, agent: AgentProcess, virtual_card: VirtualCardProcess
) -> None:
    """status() reports PC/SC; removing and inserting the card fire cardRemoved, cardInserted."""
    status = page.evaluate(_CONNECT)
    assert status["pcscAvailable"] is True
    assert status["clientVersion"] == status["agentVersion"] == "0.1.0"
    virtual_card.remove()
    virtual_card.insert()

    def names() -> list[str]:
        return [name for name, _ in page.evaluate("window.events")]

    _wait(lambda: names()[-2:] == ["cardRemoved", "cardInserted"], "card events")
    readers = {detail["reader"] for _, detail in page.evaluate("window.events")}
    assert readers == {virtual_card.reader_name}


def test_the_cancel_button_closes_the_dialog_and_frees_the_card(
    page: Page, agent: AgentProcess
) -> None:
    """Cancel while the consent dialog is open: the page says so at once; the card is free again.

    A cancelled dialog counts against the origin's dialog back-off (invariant 8), so an immediate
    retry is RATE_LIMITED and a login after the back-off (5 s at first) works.
    """
    agent.script(consent="allow-once", pins=["123456"], delay=20.0)
    page.click("#login")
    _wait(lambda: bool(agent.prompts()), "dialog")
    started = time.monotonic()
    page.click("#cancel")
    assert outcome(page, "#user-id") == "REQUEST_CANCELLED"
    assert time.monotonic() - started < 10
    agent.script(consent="allow-once", pins=["123456"])
    page.click("#login")
    assert outcome(page, "#user-id") == "RATE_LIMITED"
    time.sleep(5.5)
    page.click("#login")
    assert outcome(page, "#user-id") == "ok"
