"""The composition root: the one place that names concrete classes and wires them together.

:class:`AgentConfig` says where things are; :func:`build_agent` makes the policy stores, the card
state and queue, the commands, the controller and the server; :meth:`Agent.run` serves until
:meth:`Agent.stop` (SIGTERM, SIGINT, the tray's "quit").  The user interface, the status indicator
and the card feed are passed in by the caller (``bitaqa.agent.command`` for the real agent, test
support code for tests), so this module imports no GUI toolkit and no pyscard.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bitaqa.agent.cardqueue import MAX_WAITING_PER_CARD, CardQueue
from bitaqa.agent.cardstate import CardEvent, CardEventKind, CardState, ServiceState
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.authenticate import AuthenticateCommand
from bitaqa.agent.commands.base import Command
from bitaqa.agent.commands.certificates import GetCertificatesCommand, GetSigningCertificateCommand
from bitaqa.agent.commands.identity import ReadIdentityCommand
from bitaqa.agent.commands.readers import ListReadersCommand, card_of
from bitaqa.agent.commands.sign import SignCommand
from bitaqa.agent.commands.status import PolicyHealth, StatusCommand, card_readiness
from bitaqa.agent.controller import Controller
from bitaqa.agent.log import log_event
from bitaqa.agent.policy._files import write_atomically
from bitaqa.agent.policy.consent import ConsentStore, file_key, keyring_key
from bitaqa.agent.policy.gate import AccessGate
from bitaqa.agent.policy.ratelimit import RateLimiter, RateLimits
from bitaqa.agent.policy.replay import FileReplayCache
from bitaqa.agent.policy.trust import TrustLocations, TrustStore
from bitaqa.agent.server.handshake import AGENT_VERSION, TrustedOrigins
from bitaqa.agent.server.listener import AgentServer
from bitaqa.agent.server.peer import PeerUserCheck, default_peer_check
from bitaqa.agent.server.ports import WS_PORTS, WSS_PORTS
from bitaqa.agent.server.tls import TlsFiles, load_or_issue, server_context
from bitaqa.agent.ui.base import Notice, StatusIndicator, TrayState, UserInterface
from bitaqa.protocol.jsonrpc import Notification
from bitaqa.protocol.limits import AGENT_LIMITS, Limits
from bitaqa.protocol.methods import (
    card_inserted,
    card_removed,
    hello,
    reader_attached,
    reader_detached,
)
from bitaqa.protocol.origin import parse_origin

__all__ = ["Agent", "AgentConfig", "CardFeed", "build_agent"]

_logger = logging.getLogger("bitaqa.agent")


class CardFeed(Protocol):
    """Something that reports readers and cards into a :class:`CardState` until cancelled."""

    async def run(self, state: CardState) -> None:
        """Report the current readers and cards, then every change, until cancelled."""
        ...


@dataclass(frozen=True)
class AgentConfig:
    """Where the agent keeps things and what it serves.

    Attributes:
        config_dir: the resident's agent folder (consent, replay cache, trust state, TLS, logs).
        system_policy_dir: IT's machine policy folder (trust list, policy.json, authority keys).
        trust_list: an extra signed trust list to consider (``--trust-list``).
        authority_keys_dir: authority public keys, instead of ``<system>/authority-keys``.
        wss_ports, ws_ports: the port lists to try; empty disables that listener kind.
        ready_file: where to write ``{"pid", "ports"}`` once listening (for tools and tests).
        limits: the protocol bounds.
        rate_limits: per-origin limits on prompts and card operations.
        use_keyring: False skips the OS keyring for the consent key (file key, logged).
    """

    config_dir: Path
    system_policy_dir: Path
    trust_list: Path | None = None
    authority_keys_dir: Path | None = None
    wss_ports: Sequence[int] = WSS_PORTS
    ws_ports: Sequence[int] = WS_PORTS
    ready_file: Path | None = None
    limits: Limits = AGENT_LIMITS
    rate_limits: RateLimits = field(default_factory=RateLimits)
    use_keyring: bool = True

    @property
    def log_dir(self) -> Path:
        """Where the agent's log file lives."""
        return self.config_dir / "logs"


_TRAY_STATES = {
    "ready": TrayState.CARD_READY,
    "pcscUnavailable": TrayState.PCSC_UNAVAILABLE,
    "noReader": TrayState.NO_READER,
    "noCard": TrayState.NO_CARD,
    "unknownCard": TrayState.UNKNOWN_CARD,
}


class Agent:
    """The running agent: server, controller, policy and card state."""

    def __init__(
        self,
        *,
        config: AgentConfig,
        server: AgentServer,
        controller: Controller,
        services: Services,
        trust: TrustStore,
        consent: ConsentStore,
        feed: CardFeed,
        indicator: StatusIndicator | None,
    ) -> None:
        self.config = config
        self.server = server
        self.controller = controller
        self.services = services
        self.trust = trust
        self.consent = consent
        self._feed = feed
        self._indicator = indicator
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[asyncio.Task[None]] = set()
        services.card_state.subscribe(self._on_card_event)

    def attach_indicator(self, indicator: StatusIndicator) -> None:
        """Show state on ``indicator`` (the tray) from now on."""
        self._indicator = indicator
        self.consent.subscribe(indicator.refresh_menu)
        self._show_state()

    # -- TrayCallbacks ----------------------------------------------------------------------

    def allowed_sites(self) -> Sequence[str]:
        """Origins remembered as allowed."""
        return self.consent.allowed()

    def blocked_sites(self) -> Sequence[str]:
        """Origins remembered as denied."""
        return self.consent.blocked()

    def revoke_site(self, origin: str) -> None:
        """Forget ``origin``'s remembered decision (allowed or denied)."""
        self.consent.revoke(origin)
        log_event(_logger, logging.INFO, "consent-revoked", origin=origin)

    def log_folder(self) -> str:
        """The folder holding the agent's log."""
        return str(self.config.log_dir)

    def quit(self) -> None:
        """Stop the agent; safe to call from any thread (the tray runs in its own)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    def stop(self) -> None:
        """Stop the agent (from the event loop)."""
        self._stopping.set()

    # -- state --------------------------------------------------------------------------------

    def _on_card_event(self, event: CardEvent) -> None:
        state = self.services.card_state
        if event.kind is CardEventKind.READER_ATTACHED:
            notification = reader_attached(event.reader)
        elif event.kind is CardEventKind.READER_DETACHED:
            notification = reader_detached(event.reader)
        elif event.kind is CardEventKind.CARD_INSERTED:
            card = card_of(state.slots[event.reader])
            notification = (
                card_inserted(event.reader, card) if card else reader_attached(event.reader)
            )
            if not event.recognised:
                self._notify(Notice.UNKNOWN_CARD)
            elif self._indicator is not None:
                self._indicator.notify(Notice.CARD_INSERTED)
        else:
            notification = card_removed(event.reader)
            if self._indicator is not None:
                self._indicator.notify(Notice.CARD_REMOVED)
        self.controller.card_event(event, notification)
        self._show_state()

    def _notify(self, notice: Notice) -> None:
        task = asyncio.ensure_future(self.services.ui.notify(notice))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _show_state(self) -> None:
        if self._indicator is None:
            return
        readiness = card_readiness(self.services)
        if self.services.card_state.service is ServiceState.UNKNOWN and readiness == "noReader":
            return
        self._indicator.show_state(_TRAY_STATES.get(readiness, TrayState.ERROR))

    # -- running ------------------------------------------------------------------------------

    async def run(self) -> int:
        """Serve until stopped; return the exit status (0, or 1 if no port could be bound)."""
        self._loop = asyncio.get_running_loop()
        feed = asyncio.ensure_future(self._feed.run(self.services.card_state))
        try:
            await self.server.start()
        except OSError as error:
            log_event(_logger, logging.ERROR, "cannot-listen", detail=str(error))
            feed.cancel()
            await asyncio.gather(feed, return_exceptions=True)
            return 1
        self._write_ready_file()
        log_event(
            _logger, logging.WARNING, "agent-started", ports=self.server.ports, pid=os.getpid()
        )
        try:
            await self._stopping.wait()
        finally:
            await self.server.close()
            await self.controller.close()
            feed.cancel()
            await asyncio.gather(feed, *self._pending, return_exceptions=True)
            self.services.cards.close()
            if self._indicator is not None:
                self._indicator.close()
            log_event(_logger, logging.WARNING, "agent-stopped")
        return 0

    def _write_ready_file(self) -> None:
        if self.config.ready_file is not None:
            document = {"pid": os.getpid(), "ports": self.server.ports}
            write_atomically(self.config.ready_file, json.dumps(document).encode(), mode=0o644)


def _hello_for(limits: Limits) -> Callable[[str], Notification]:
    def build(origin: str) -> Notification:
        return hello(
            agent_version=AGENT_VERSION,
            origin=parse_origin(origin, allow_insecure_localhost=True),
            identity_profiles=("piv",),
            limits=limits,
        )

    return build


def _policy_health(trust: TrustStore, consent: ConsentStore) -> Callable[[], PolicyHealth]:
    """Policy health for ``status``; the log and ``bitaqa doctor`` keep the detailed report."""

    def health() -> PolicyHealth:
        return PolicyHealth(
            trust_list_version=trust.version,
            trust_list_state=trust.state,
            trust_list_problems=trust.reasons,
            consent_store=consent.state,
        )

    return health


def build_agent(
    config: AgentConfig,
    ui: UserInterface,
    feed: CardFeed,
    indicator: StatusIndicator | None = None,
    peer_check: PeerUserCheck | None = None,
) -> Agent:
    """Wire every part of the agent; nothing listens until :meth:`Agent.run`."""
    config.config_dir.mkdir(parents=True, exist_ok=True)
    wall_clock: Callable[[], int] = lambda: int(time.time())  # noqa: E731
    trust = TrustStore(
        TrustLocations(
            config.system_policy_dir,
            config.config_dir,
            config.trust_list,
            config.authority_keys_dir,
        ),
        wall_clock,
    )
    key_sources = [("file", file_key(config.config_dir / "consent.key"))]
    if config.use_keyring:
        key_sources.insert(0, ("keyring", keyring_key))
    consent = ConsentStore(config.config_dir / "consent.json", key_sources)
    replay = FileReplayCache(config.config_dir / "replay.json", wall_clock())
    limiter = RateLimiter(config.rate_limits, time.monotonic)
    gate = AccessGate(
        trust=trust,
        consent=consent,
        limiter=limiter,
        replay_cache=replay,
        ui=ui,
        wall_clock=wall_clock,
        dialog_seconds=config.limits.user_interaction_seconds,
    )
    state = CardState()
    services = Services(
        CardQueue(state, max_waiting=MAX_WAITING_PER_CARD), state, gate, ui, AGENT_VERSION
    )
    commands: dict[str, Command] = {
        "listReaders": ListReadersCommand(services),
        "getCertificates": GetCertificatesCommand(services),
        "authenticate": AuthenticateCommand(services),
        "getSigningCertificate": GetSigningCertificateCommand(services),
        "sign": SignCommand(services),
        "readIdentity": ReadIdentityCommand(services),
        "status": StatusCommand(services, _policy_health(trust, consent)),
    }
    controller = Controller(commands, config.limits, _hello_for(config.limits))
    tls = None
    if config.wss_ports:
        files = TlsFiles(config.config_dir / "tls")
        load_or_issue(files, datetime.datetime.now(datetime.UTC))
        tls = server_context(files)
    server = AgentServer(
        sessions=controller,
        origins=TrustedOrigins(trust.origins),
        peer_check=peer_check or default_peer_check(),
        limits=config.limits,
        tls=tls,
        wss_ports=config.wss_ports,
        ws_ports=config.ws_ports,
    )
    trust.subscribe(server.close_untrusted)  # SPEC.md §4.6: 1008 for origins no longer trusted
    return Agent(
        config=config,
        server=server,
        controller=controller,
        services=services,
        trust=trust,
        consent=consent,
        feed=feed,
        indicator=indicator,
    )
