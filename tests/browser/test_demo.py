"""The newcomer's path: ``bitaqa demo`` → Chromium → log in and sign through the real Qt dialogs.

The demo runs as a user would start it (its own agent with the Qt UI, its own portal), on a
private Xvfb desktop; the consent and PIN dialogs are answered with xdotool.  Once as the README
runs it — no TLS options, so the portal is on plain ``http://localhost`` and the card runs inside
the agent (no pcscd) — and once on ``https://localhost`` with the browser tests' localhost
certificate (``--tls-cert``, which Chromium trusts), the card through the session's pcscd.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from cryptography import x509
from playwright.sync_api import Browser, Page, expect

from bitaqa.agent.ui.i18n import messages
from bitaqa.demo import DEMO_PIN
from support.browser import ServerCertificate
from support.gui import GuiSession, xdotool
from support.ocsp import free_loopback_port
from support.pcsc import PcscEnvironment
from support.portal_page import Holder, outcome
from support.signed_pdf import pdfsig_report, validate_with_pyhanko

pytestmark = [pytest.mark.browser, pytest.mark.gui, pytest.mark.slow]

_DIALOG = ["--onlyvisible", "--classname", "bitaqa-dialog"]
_PIN_TITLES = {messages(language).text("pin.title") for language in ("ar", "en")}
_START_TIMEOUT = 40.0


@dataclass
class Demo:
    """A running ``bitaqa demo`` and what it printed."""

    process: subprocess.Popen[str]
    url: str
    output: list[str]
    log_path: Path

    def log_tail(self) -> str:
        """The end of what the demo and its processes wrote to stderr."""
        return self.log_path.read_text(errors="replace")[-3000:]

    def children(self) -> list[psutil.Process]:
        """Every process the demo started (directly or below)."""
        return psutil.Process(self.process.pid).children(recursive=True)


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_loopback_port())
    return sorted(ports)


@pytest.fixture
def start_demo(
    gui_session: GuiSession, portal_tls: ServerCertificate, tmp_path: Path
) -> Iterator[object]:
    """Start ``bitaqa demo`` on free ports; it is interrupted at the end; its stderr is logged."""
    started: list[Demo] = []
    logs = contextlib.ExitStack()

    def start(pcsc: PcscEnvironment | None, *, https: bool) -> Demo:
        portal_port, wss, ws = _free_ports(3)
        log = logs.enter_context((tmp_path / f"demo{len(started)}.log").open("w"))
        environment = dict(gui_session.environment)
        environment["PCSCLITE_CSOCK_NAME"] = (
            str(pcsc.socket_path) if pcsc else "/nonexistent/pcscd.comm"
        )
        command = [sys.executable, "-m", "bitaqa.cli", "demo", "--no-browser",
                   "--port", str(portal_port), "--agent-ports", str(wss), str(ws)]  # fmt: skip
        if https:
            command += ["--tls-cert", str(portal_tls.certificate)]
            command += ["--tls-key", str(portal_tls.key)]
        if pcsc:
            command += ["--vpcd-port", str(pcsc.vpcd_ports[0])]
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=log, text=True
        )
        demo = Demo(process, "", [], Path(log.name))
        started.append(demo)
        deadline = time.monotonic() + _START_TIMEOUT
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"demo exited with {process.wait()}: {demo.output}")
            demo.output.append(line)
            if line.startswith("Bitaqa demo is running: "):
                demo.url = line.split(": ", 1)[1].strip()
            if line.startswith("Press Ctrl-C"):
                return demo
        raise TimeoutError(f"demo did not start: {demo.output}")

    with logs:
        yield start
        for demo in started:
            if demo.process.poll() is None:
                demo.process.send_signal(signal.SIGINT)
                demo.process.wait(timeout=30)
            if demo.process.stdout:
                demo.process.stdout.close()


def _answer_dialogs(session: GuiSession, page: Page, success: str) -> str:
    """Answer every dialog the agent opens (Enter = allow once; PIN then Enter) until done.

    Each answered window is waited out before the next is looked for: X reuses window ids.
    """
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if page.locator(f"{success}, #error:not([hidden])").count():
            return outcome(page, success, timeout=1000)
        windows = xdotool(session, "search", *_DIALOG, check=False).split()
        if not windows:
            page.wait_for_timeout(100)
            continue
        window = windows[0]
        title = xdotool(session, "getwindowname", window, check=False).strip()
        xdotool(session, "windowfocus", "--sync", window)
        if title in _PIN_TITLES:
            xdotool(session, "type", "--delay", "20", DEMO_PIN)
        xdotool(session, "key", "Return")
        while window in xdotool(session, "search", *_DIALOG, check=False).split():
            if time.monotonic() > deadline:
                return f"dialog {title!r} stayed open"
            page.wait_for_timeout(50)
    session.screenshot("demo-dialog-timeout")
    return "timeout"


@pytest.mark.parametrize(
    ("through_pcscd", "https"),
    [(False, False), (True, True)],
    ids=["http-card-in-agent", "https-card-in-pcscd"],
)
def test_demo_logs_in_and_signs_a_pdf_that_validates(
    through_pcscd: bool,
    https: bool,
    request: pytest.FixtureRequest,
    start_demo,  # type: ignore[no-untyped-def]
    gui_session: GuiSession,
    chromium: Browser,
    card_holder: Holder,
    card_profiles: dict[str, Path],
    tmp_path: Path,
) -> None:
    """One command, then the portal at the URL it prints (http://localhost by default, with no
    certificate to accept): login shows the holder, the signed PDF validates twice, and Ctrl-C
    stops every process the demo started."""
    pcsc = request.getfixturevalue("pcsc_environment") if through_pcscd else None
    demo = start_demo(pcsc, https=https)
    assert any("PIN is 123456" in line for line in demo.output), demo.output
    assert demo.url.startswith("https://localhost:" if https else "http://localhost:"), demo.url
    assert not any("certificate" in line for line in demo.output), demo.output
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{demo.url}?lang=en")
        page.wait_for_selector("body[data-ready='true']")
        page.click("#login")
        logged_in = _answer_dialogs(gui_session, page, "#user-id")
        assert logged_in == "ok", f"{logged_in}: {demo.log_tail()}"
        expect(page.locator("#user-name")).to_have_text(card_holder.name)
        page.click("#sign")
        signed = _answer_dialogs(gui_session, page, "#signed-link:not([hidden])")
        assert signed == "ok", f"{signed}: {demo.log_tail()}"
        with page.expect_download() as download:
            page.click("#signed-link")
        pdf = Path(download.value.path()).read_bytes()
    finally:
        context.close()
    root = x509.load_pem_x509_certificate((card_profiles["pki"] / "root.pem").read_bytes())
    assert validate_with_pyhanko(pdf, root)[0]
    assert pdfsig_report(pdf, tmp_path).signature_valid
    children = demo.children()
    commands = [" ".join(child.cmdline()) for child in children]
    assert any(" agent " in command for command in commands), commands
    portal_commands = [command for command in commands if "bitaqa_portal" in command]
    assert len(portal_commands) == 1, commands
    assert ("--tls-cert" in portal_commands[0]) == https, commands
    assert any(" vcard " in command for command in commands) == through_pcscd, commands
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=30) == 0
    assert not [child.pid for child in children if _alive(child)]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
