"""The example portal as the browser tests see it: where it runs, who logs in, what a page shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

__all__ = ["Holder", "Portal", "open_portal", "outcome"]


@dataclass(frozen=True)
class Portal:
    """The running example portal."""

    port: int
    card_pki: Path

    @property
    def origin(self) -> str:
        """The origin on the agent's trust list."""
        return f"https://localhost:{self.port}"

    @property
    def untrusted_origin(self) -> str:
        """The same portal reached under an origin no trust list names."""
        return f"https://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class Holder:
    """Who the virtual card belongs to, as its authentication certificate says."""

    name: str
    id_number: str


def open_portal(context: BrowserContext, origin: str, lang: str = "en") -> Page:
    """Open the portal at ``origin`` in a new tab and wait until its script ran."""
    new_page = context.new_page()
    new_page.goto(f"{origin}/?lang={lang}")
    new_page.wait_for_selector("body[data-ready='true']")
    return new_page


def outcome(page: Page, success: str, timeout: float = 20_000) -> str:
    """Wait until ``success`` (a selector) or the error box shows; return "ok" or the error code."""
    page.wait_for_selector(f"{success}, #error:not([hidden])", timeout=timeout)
    if page.locator("#error").is_visible():
        return page.get_attribute("#error", "data-code") or "?"
    return "ok"
