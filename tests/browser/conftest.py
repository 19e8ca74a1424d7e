"""The real chain for browser tests: Chromium → example portal → JS client → agent → pcscd → card.

Per session: two agent ports, one agent config folder (so every agent of the session serves the
same per-install TLS root, trusted in Chromium's NSS database), the example portal on
``https://localhost:<port>`` (certificate from a CA trusted the same way) and one Chromium.
Per test: a fresh agent trusting the portal's origin (scripted UI: consent allowed, PIN 123456),
a fresh virtual card in the session's pcscd, and a fresh browser context on the portal.
"""

from __future__ import annotations

import datetime
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from playwright.sync_api import Browser, BrowserContext, Page

from bitaqa.agent.server.tls import TlsFiles, load_or_issue
from bitaqa.demo import PORTAL_DIRECTORY, write_portal_files
from bitaqa.vcard.profile import CardProfile, load_profile
from support.agent import AgentProcess, TrustAuthority
from support.browser import (
    BrowserHome,
    ServerCertificate,
    issue_tls_certificate,
    launch_chromium,
)
from support.ocsp import free_loopback_port
from support.pcsc import PcscEnvironment, VirtualCardProcess
from support.portal_page import Holder, Portal, open_portal

sys.path.insert(0, str(PORTAL_DIRECTORY))  # the portal's texts, as its pages show them

_START_TIMEOUT = 20.0


@pytest.fixture(scope="session")
def card_profile(card_profiles: dict[str, Path]) -> CardProfile:
    """The profile of the ``virtual_card`` fixture's card."""
    return load_profile(card_profiles["ecc"])


@pytest.fixture(scope="session")
def card_holder(card_profile: CardProfile) -> Holder:
    """The name and ID number the portal should show after a login with the card."""
    subject = card_profile.slots[0x9A].certificate.subject

    def attribute(oid: x509.ObjectIdentifier) -> str:
        return str(subject.get_attributes_for_oid(oid)[0].value)

    name = f"{attribute(NameOID.GIVEN_NAME)} {attribute(NameOID.SURNAME)}"
    return Holder(name, card_profile.holder.national_id)


@pytest.fixture(scope="session")
def agent_ports() -> tuple[int, int]:
    """The wss and ws ports every agent of this session listens on."""
    wss = free_loopback_port()
    ws = free_loopback_port()
    while ws == wss:
        ws = free_loopback_port()
    return wss, ws


@pytest.fixture(scope="session")
def agent_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An agent folder whose TLS root and server certificate exist before any agent starts."""
    directory = tmp_path_factory.mktemp("agent-config")
    load_or_issue(TlsFiles(directory / "tls"), datetime.datetime.now(datetime.UTC))
    return directory


@pytest.fixture(scope="session")
def portal_tls(
    tmp_path_factory: pytest.TempPathFactory, browser_home: BrowserHome
) -> ServerCertificate:
    """A certificate for https://localhost from a test CA that Chromium trusts."""
    tls = issue_tls_certificate(tmp_path_factory.mktemp("portal-tls"))
    browser_home.trust_root(tls.ca, "portal-test-ca")
    return tls


@pytest.fixture(scope="session")
def portal(
    tmp_path_factory: pytest.TempPathFactory,
    portal_tls: ServerCertificate,
    trust_authority: TrustAuthority,
    card_profiles: dict[str, Path],
    agent_ports: tuple[int, int],
) -> Iterator[Portal]:
    """The example portal process, with a certificate from a CA Chromium trusts."""
    directory = tmp_path_factory.mktemp("portal")
    tls = portal_tls
    running = Portal(free_loopback_port(), card_profiles["pki"])
    config = write_portal_files(
        directory,
        origin=running.origin,
        card_pki=running.card_pki,
        request_key=trust_authority.request_key,
        request_key_id=trust_authority.request_kid,
        agent_ports=agent_ports,
    )
    log = (directory / "portal.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bitaqa_portal", "--config", str(config), "--port",
         str(running.port), "--tls-cert", str(tls.certificate), "--tls-key", str(tls.key)],
        cwd=PORTAL_DIRECTORY, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for_port(running.port, process)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="package")
def chromium(
    browser_home: BrowserHome, agent_config_dir: Path, portal: Portal
) -> Iterator[Browser]:
    """Chromium, launched after the agent's root and the portal's CA were trusted; stopped
    (with Playwright) when the browser tests end."""
    browser_home.trust_root(agent_config_dir / "tls" / "root.pem", "bitaqa-agent-root")
    with launch_chromium(browser_home) as browser:
        yield browser


@pytest.fixture
def start_portal_agent(
    start_agent: Callable[..., AgentProcess],
    trust_authority: TrustAuthority,
    portal: Portal,
    agent_ports: tuple[int, int],
    agent_config_dir: Path,
) -> Callable[[PcscEnvironment | None], AgentProcess]:
    """Start an agent trusting only the portal's origin (authenticate needs a signed request)."""

    def start(pcsc: PcscEnvironment | None) -> AgentProcess:
        wss, ws = agent_ports
        return start_agent(
            pcsc=pcsc,
            entries=[trust_authority.entry(portal.origin, strict=True)],
            config_dir=agent_config_dir,
            extra_arguments=["--port", str(wss), "--ws-port", str(ws)],
        )

    return start


@pytest.fixture
def agent(
    start_portal_agent: Callable[[PcscEnvironment | None], AgentProcess],
    pcsc_environment: PcscEnvironment,
    virtual_card: VirtualCardProcess,
) -> AgentProcess:
    """The portal's agent on the session's pcscd, with a fresh virtual card present."""
    return start_portal_agent(pcsc_environment)


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies) closed after the test."""
    browser_context = chromium.new_context()
    try:
        yield browser_context
    finally:
        browser_context.close()


@pytest.fixture
def page(context: BrowserContext, portal: Portal) -> Page:
    """The portal's English page, loaded and ready."""
    return open_portal(context, portal.origin)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("portal did not start")
