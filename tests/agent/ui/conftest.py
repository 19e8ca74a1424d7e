"""Fixtures for the UI tests: an offscreen QApplication, prompts, and ink measurements."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from bitaqa.agent.ui.base import ConsentPrompt, Operation, PinPrompt, PortalName

PORTAL = PortalName(arabic="بوابة الخدمات الحكومية", english="Government Services Portal")
ORIGIN = "https://portal.gov.example"


@pytest.fixture(scope="session")
def qt_application() -> object:
    """One offscreen QApplication for the in-process widget tests (no display needed)."""
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if existing is not None:
        return existing
    # Without GLib's event loop: the tray tests run GTK's loop in another thread of this process,
    # and Qt would otherwise own GLib's default context (the agent itself never loads Qt).
    os.environ["QT_NO_GLIB"] = "1"
    try:
        return QApplication(["bitaqa-test", "-platform", "offscreen"])
    finally:
        del os.environ["QT_NO_GLIB"]


def _consent_prompt(operation: Operation = Operation.AUTHENTICATE) -> ConsentPrompt:
    return ConsentPrompt(origin=ORIGIN, portal=PORTAL, operation=operation)


def _pin_prompt(**changes: object) -> PinPrompt:
    fields: dict[str, object] = {
        "origin": ORIGIN,
        "portal": PORTAL,
        "operation": Operation.AUTHENTICATE,
        "pin_label": "PIV PIN",
        "tries_left": 3,
        "min_length": 6,
        "max_length": 8,
        "timeout_seconds": 60.0,
    }
    fields.update(changes)
    return PinPrompt(**fields)  # type: ignore[arg-type]


def _signing_prompt(**changes: object) -> PinPrompt:
    fields: dict[str, object] = {
        "operation": Operation.SIGN,
        "text_arabic": "أوافق على طلب تجديد الإقامة رقم ٤٥٦",
        "text_english": "I approve residence renewal request 456",
        "document_name": "renewal-456.pdf",
    }
    fields.update(changes)
    return _pin_prompt(**fields)


@pytest.fixture
def consent_prompt() -> Callable[..., ConsentPrompt]:
    """Factory: a consent prompt from the test portal (optionally another operation)."""
    return _consent_prompt


@pytest.fixture
def pin_prompt() -> Callable[..., PinPrompt]:
    """Factory: an authentication PIN prompt (6-8 digits, 3 tries left) with changes applied."""
    return _pin_prompt


@pytest.fixture
def signing_prompt() -> Callable[..., PinPrompt]:
    """Factory: a signing PIN prompt with the signed text in both languages and a document."""
    return _signing_prompt
