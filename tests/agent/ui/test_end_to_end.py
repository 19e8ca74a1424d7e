"""The real agent (``bitaqa agent``: Qt dialogs and tray) with pcscd and the virtual card.

A page connects over the WebSocket and asks to authenticate; xdotool answers the real consent
and PIN windows under Xvfb.  The PIN typed into the dialog reaches the card and the token
verifies; a wrong PIN brings the dialog back with the tries-left lines; Escape in the PIN
dialog reaches the page as USER_CANCELLED.

How other tests can drive the dialogs (see ``bitaqa.agent.ui.qt.dialog_process``): wait for
``xdotool search --onlyvisible --classname bitaqa-dialog``, ``windowfocus`` it, then ``type``
the PIN and press ``Return`` (or ``Escape``); in the consent window ``Return`` allows once and
``Tab``, ``space`` allows always.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bitaqa.protocol.authtoken import parse_auth_token, verify_auth_token_signature
from support.agent import TRUSTED_ORIGIN, AgentProcess, TrustAuthority, nonce
from support.gui import GuiSession, wait_for_window, xdotool

pytestmark = [pytest.mark.gui, pytest.mark.pcscd, pytest.mark.slow]

DIALOG = ["--classname", "bitaqa-dialog"]
PIN = "123456"


def _launch_real_agent(
    base: Path, authority: TrustAuthority, environment: dict[str, str]
) -> AgentProcess:
    system, config, ready = base / "system", base / "config", base / "ready.json"
    (system / "authority-keys").mkdir(parents=True)
    (system / "authority-keys" / f"{authority.authority_kid}.pem").write_bytes(
        authority.authority_pem()
    )
    (system / "trust-list.jws").write_text(authority.trust_list(1), encoding="ascii")
    arguments = [
        sys.executable,
        "-m",
        "bitaqa.cli",
        "agent",
        "--port",
        "0",
        "--ws-port",
        "0",
        "--config-dir",
        str(config),
        "--system-policy-dir",
        str(system),
        "--ready-file",
        str(ready),
        "--no-keyring",
        "--log-level",
        "debug",
    ]
    stderr = (base / "stderr.log").open("wb")
    process = subprocess.Popen(arguments, env=environment, stdout=subprocess.DEVNULL, stderr=stderr)
    stderr.close()
    agent = AgentProcess(
        process,
        config,
        system,
        base / "unused-script.json",
        base / "unused-record.jsonl",
        ready,
        arguments,
        environment,
    )
    try:
        agent.wait_ready()
    except BaseException:
        agent.stop()
        raise
    return agent


@pytest.fixture
def real_agent(gui_environment, pcsc_environment, virtual_card, trust_authority, tmp_path):
    """The installed ``bitaqa agent`` command with its Qt UI and tray on the private desktop."""
    environment = {
        **pcsc_environment.env,
        **gui_environment.environment,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "LANG": "C.UTF-8",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    agent = _launch_real_agent(tmp_path / "agent", trust_authority, environment)
    agent.wait_for_card()
    yield agent
    agent.stop()


def _window_height(session: GuiSession, window: str) -> int:
    geometry = xdotool(session, "getwindowgeometry", "--shell", window)
    values = dict(line.split("=", 1) for line in geometry.split())
    return int(values["HEIGHT"])


def _answer(session: GuiSession, name: str, *keys: str, text: str = "") -> tuple[str, int]:
    """Wait for the next dialog window, screenshot it, type ``text`` and press ``keys``."""
    window = wait_for_window(session, DIALOG, timeout=30)
    height = _window_height(session, window)
    session.screenshot(name, window=window)
    xdotool(session, "windowfocus", "--sync", window)
    if text:
        xdotool(session, "type", "--delay", "20", text)
    for key in keys:
        xdotool(session, "key", key)
    # The next dialog is a new process; wait until this window has gone.
    for _ in range(100):
        if window not in xdotool(session, "search", "--onlyvisible", *DIALOG, check=False).split():
            break
        xdotool(session, "sleep", "0.1")
    return window, height


def test_login_through_the_real_dialogs(real_agent, gui_environment) -> None:
    """Consent, a wrong PIN (the dialog returns with tries left), the right PIN: a valid token."""
    session = gui_environment
    challenge = nonce()
    heights: list[int] = []

    def resident() -> None:
        _answer(session, "e2e-consent-en", "Return")
        heights.append(_answer(session, "e2e-pin-en", "Return", text="654321")[1])
        heights.append(_answer(session, "e2e-pin-retry-en", "Return", text=PIN)[1])

    async def page_side() -> dict:
        async with real_agent.connect() as page:
            resident_done = asyncio.ensure_future(asyncio.to_thread(resident))
            answer = await asyncio.wait_for(
                page.call("authenticate", {"challengeNonce": challenge}), 90
            )
            await resident_done
            return answer

    answer = asyncio.run(page_side())
    assert "result" in answer, answer
    token = parse_auth_token(json.dumps(answer["result"]))
    verify_auth_token_signature(token, TRUSTED_ORIGIN, challenge)
    first, retry = heights
    assert retry > first, "the retry dialog has no extra 'wrong PIN / tries left' lines"


def test_escape_in_the_pin_dialog_reaches_the_page_as_user_cancelled(
    real_agent, gui_environment
) -> None:
    """Cancelling the real PIN dialog gives the page USER_CANCELLED."""
    session = gui_environment

    def resident() -> None:
        _answer(session, "e2e-consent-again-en", "Return")
        _answer(session, "e2e-pin-cancel-en", "Escape", text="12")

    async def page_side() -> dict:
        async with real_agent.connect() as page:
            resident_done = asyncio.ensure_future(asyncio.to_thread(resident))
            answer = await asyncio.wait_for(
                page.call("authenticate", {"challengeNonce": nonce()}), 90
            )
            await resident_done
            return answer

    answer = asyncio.run(page_side())
    assert answer["error"]["data"]["reason"] == "USER_CANCELLED", answer
