"""The real dialog process under Xvfb, driven with xdotool through QtUserInterface.

These tests start ``python -m bitaqa.agent.ui.qt.dialog_process`` exactly as the agent does, find
its window by class (``bitaqa-dialog``), type into it with xdotool and check what the agent gets.
Each dialog is screenshotted into ``test-artifacts/screenshots/*-xvfb.png``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import psutil
import pytest
from PIL import Image

from bitaqa.agent.ui.base import ConsentAnswer, Notice
from bitaqa.agent.ui.errors import DialogCancelled, DialogTimedOut
from bitaqa.agent.ui.qt import QtUserInterface
from support.gui import GuiSession, ink_box, wait_for_window, xdotool

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_environment")]

DIALOG = ["--classname", "bitaqa-dialog"]


def _dialog_children() -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(os.getpid()).children(recursive=True)
        if "bitaqa.agent.ui.qt.dialog_process" in " ".join(child.cmdline())
    ]


def _screenshot_checked(session: GuiSession, window: str, name: str, language: str) -> None:
    """Save the window and check that its top lines sit on the reading side."""
    path = session.screenshot(name, window=window)
    with Image.open(path) as image:
        title_band = image.crop((0, 0, image.width, image.height // 4))
        box = ink_box(title_band)
        width = image.width
    assert box is not None, f"{name}: nothing drawn in the title line"
    left, right = box[0] / width, box[2] / width
    if language == "ar":
        assert right > 0.9, f"{name}: Arabic title does not reach the right side ({right:.2f})"
        assert left > 0.2, f"{name}: Arabic title starts on the left ({left:.2f})"
    else:
        assert left < 0.1, f"{name}: English title does not start on the left ({left:.2f})"


async def _drive(session: GuiSession, call, steps: Callable[[str], None]):  # type: ignore[no-untyped-def]
    """Run the UI call, wait for its window, perform ``steps`` on it, return the call's result."""
    task = asyncio.ensure_future(call)
    try:
        window = await asyncio.to_thread(wait_for_window, session, DIALOG)
        await asyncio.to_thread(steps, window)
        return await asyncio.wait_for(task, 30)
    finally:
        if not task.done():
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


@pytest.mark.parametrize("language", ["ar", "en"])
def test_typed_pin_reaches_the_agent_as_a_bytearray(
    language, gui_environment, signing_prompt
) -> None:
    """Digits typed into the real window arrive in the agent as a bytearray; the child exits."""
    session = gui_environment
    ui = QtUserInterface(language)
    seen: dict[str, str] = {}

    def type_pin(window: str) -> None:
        _screenshot_checked(session, window, f"pin-sign-{language}-xvfb", language)
        xdotool(session, "windowfocus", "--sync", window)
        xdotool(session, "type", "--delay", "20", "24681357")
        (child,) = _dialog_children()
        seen["argv"] = " ".join(child.cmdline())
        seen["env"] = repr(child.environ())
        xdotool(session, "key", "Return")

    pin = asyncio.run(_drive(session, ui.ask_pin(signing_prompt(tries_left=2)), type_pin))
    assert type(pin) is bytearray
    assert pin == bytearray(b"24681357")
    assert "24681357" not in seen["argv"] + seen["env"]
    assert _dialog_children() == []


def test_escape_in_the_pin_dialog_is_dialog_cancelled(gui_environment, pin_prompt) -> None:
    """Escape in the real PIN window raises DialogCancelled in the agent."""
    session = gui_environment

    def escape(window: str) -> None:
        xdotool(session, "windowfocus", "--sync", window)
        xdotool(session, "type", "123")
        xdotool(session, "key", "Escape")

    with pytest.raises(DialogCancelled):
        asyncio.run(_drive(session, QtUserInterface("en").ask_pin(pin_prompt()), escape))
    assert _dialog_children() == []


def test_unanswered_pin_dialog_is_dialog_timed_out(gui_environment, pin_prompt) -> None:
    """A PIN dialog nobody answers ends with DialogTimedOut when its countdown runs out."""
    prompt = pin_prompt(timeout_seconds=2.0)
    with pytest.raises(DialogTimedOut):
        asyncio.run(QtUserInterface("ar").ask_pin(prompt))
    assert _dialog_children() == []


def test_cancelling_the_request_closes_the_window(gui_environment, pin_prompt) -> None:
    """When the awaiting coroutine is cancelled the window closes and CancelledError propagates."""
    session = gui_environment

    async def scenario() -> None:
        task = asyncio.ensure_future(QtUserInterface("en").ask_pin(pin_prompt()))
        await asyncio.to_thread(wait_for_window, session, DIALOG)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert _dialog_children() == []
    assert xdotool(session, "search", "--onlyvisible", *DIALOG, check=False).split() == []


@pytest.mark.parametrize(
    ("language", "keys", "answer"),
    [
        ("ar", ["Return"], ConsentAnswer.ALLOW_ONCE),
        ("en", ["Tab", "space"], ConsentAnswer.ALLOW_ALWAYS),
    ],
)
def test_consent_answered_with_the_keyboard(
    language, keys, answer, gui_environment, consent_prompt
) -> None:
    """Enter allows once (the default button); Tab then Space reaches 'always allow'."""
    session = gui_environment

    def press(window: str) -> None:
        _screenshot_checked(session, window, f"consent-{language}-xvfb", language)
        xdotool(session, "windowfocus", "--sync", window)
        for key in keys:
            xdotool(session, "key", key)

    result = asyncio.run(
        _drive(session, QtUserInterface(language).ask_consent(consent_prompt()), press)
    )
    assert result is answer


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pin_pad_returns_at_once_and_keeps_the_countdown_open(
    language, gui_environment, pin_prompt
) -> None:
    """For a PIN pad, ask_pin returns an empty bytearray while the countdown window stays."""
    session = gui_environment

    async def scenario() -> None:
        ui = QtUserInterface(language)
        pin = await asyncio.wait_for(ui.ask_pin(pin_prompt(pin_pad=True)), 30)
        assert pin == bytearray()
        window = await asyncio.to_thread(wait_for_window, session, DIALOG)
        _screenshot_checked(session, window, f"pin-pad-{language}-xvfb", language)
        await ui.close_pin_pad()

    asyncio.run(scenario())
    assert _dialog_children() == []


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pin_blocked_notice_and_blocked_dialog(language, gui_environment, pin_prompt) -> None:
    """notify(PIN_BLOCKED) opens a message window; a prompt with no tries left only closes."""
    session = gui_environment

    async def scenario() -> None:
        ui = QtUserInterface(language)
        await ui.notify(Notice.PIN_BLOCKED)
        try:
            window = await asyncio.to_thread(wait_for_window, session, DIALOG)
            _screenshot_checked(session, window, f"notice-pin-blocked-{language}-xvfb", language)
        finally:
            await ui.aclose()

    asyncio.run(scenario())

    def close(window: str) -> None:
        _screenshot_checked(session, window, f"pin-blocked-{language}-xvfb", language)
        xdotool(session, "windowfocus", "--sync", window)
        xdotool(session, "key", "Return")

    with pytest.raises(DialogCancelled):
        asyncio.run(
            _drive(session, QtUserInterface(language).ask_pin(pin_prompt(tries_left=0)), close)
        )
    assert _dialog_children() == []


def test_dialog_scales_on_a_high_dpi_screen(gui_environment, consent_prompt, monkeypatch) -> None:
    """At a scale factor of 2 the window is about twice as large, with nothing cut off."""
    session = gui_environment
    widths: dict[str, int] = {}

    for factor in ("1", "2"):
        monkeypatch.setenv("QT_SCALE_FACTOR", factor)

        def measure(window: str, factor: str = factor) -> None:
            geometry = xdotool(session, "getwindowgeometry", "--shell", window)
            widths[factor] = int(dict(line.split("=", 1) for line in geometry.split())["WIDTH"])
            session.screenshot(f"consent-ar-scale{factor}-xvfb", window=window)
            xdotool(session, "windowfocus", "--sync", window)
            xdotool(session, "key", "Escape")

        with pytest.raises(DialogCancelled):
            asyncio.run(
                _drive(session, QtUserInterface("ar").ask_consent(consent_prompt()), measure)
            )
    assert 1.7 < widths["2"] / widths["1"] < 2.3, widths
