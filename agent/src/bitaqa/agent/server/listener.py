"""The agent's WebSocket listeners: ``wss://`` and ``ws://`` on 127.0.0.1 and ::1 only.

:class:`AgentServer` binds each listener kind on the first free port of its list
(:mod:`bitaqa.agent.server.ports`), puts :class:`HandshakeGate` and websockets' own origin,
subprotocol and size checks in front of every connection, and hands each accepted connection to a
:class:`SessionHandler` (the controller).  Frames over ``max_frame_bytes`` close the connection
with 1009 (websockets' ``max_size``); everything else about a frame is the controller's business.
After a trust-list reload, :meth:`AgentServer.close_untrusted` closes with 1008 every connection
whose origin is no longer on the list (SPEC.md §4.6).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from bitaqa.agent.log import log_event
from bitaqa.agent.server.handshake import SUBPROTOCOL, HandshakeGate, TrustedOrigins
from bitaqa.agent.server.peer import PeerUserCheck
from bitaqa.agent.server.ports import PortsUnavailableError, bind_first_free
from bitaqa.protocol.limits import Limits

__all__ = ["AgentServer", "Listener", "SessionHandler"]

_logger = logging.getLogger("bitaqa.agent.server")


class SessionHandler(Protocol):
    """What the server needs from the controller, once per accepted connection."""

    def open_session(self, origin: str, send: Callable[[str], Awaitable[None]]) -> object:
        """Start a session for a connection from ``origin``; return its handle."""
        ...

    async def receive(self, session: object, frame: str | bytes) -> None:
        """Handle one frame (never raises for bad input)."""
        ...

    def close_session(self, session: object) -> None:
        """The connection closed: cancel the session's requests."""
        ...


@dataclass
class Listener:
    """One bound listener kind (``wss`` or ``ws``)."""

    kind: str
    port: int
    servers: list[Server] = field(default_factory=list)


class AgentServer:
    """Both listener kinds, sharing one controller and one per-origin connection count."""

    def __init__(
        self,
        *,
        sessions: SessionHandler,
        origins: TrustedOrigins,
        peer_check: PeerUserCheck,
        limits: Limits,
        tls: ssl.SSLContext | None,
        wss_ports: Sequence[int],
        ws_ports: Sequence[int],
    ) -> None:
        self._sessions = sessions
        self._origins = origins
        self._peer_check = peer_check
        self._limits = limits
        self._tls = tls
        self._plan = [("wss", wss_ports), ("ws", ws_ports)] if tls else [("ws", ws_ports)]
        self._open: Counter[str] = Counter()
        self._connections: dict[ServerConnection, str] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.listeners: list[Listener] = []
        self.gates: list[HandshakeGate] = []
        self.unavailable: dict[str, PortsUnavailableError] = {}

    @property
    def ports(self) -> dict[str, int]:
        """Listener kind → bound port."""
        return {listener.kind: listener.port for listener in self.listeners}

    async def start(self) -> None:
        """Bind and serve every listener kind; raise PortsUnavailableError if none could bind."""
        for kind, ports in self._plan:
            if not ports:
                continue
            try:
                bound = bind_first_free(ports)
            except PortsUnavailableError as error:
                self.unavailable[kind] = error
                log_event(_logger, logging.ERROR, "ports-unavailable", kind=kind, detail=str(error))
                continue
            gate = HandshakeGate(
                bound.port,
                self._origins,
                self._peer_check,
                self._open,
                self._limits.max_connections_per_origin,
            )
            self.gates.append(gate)
            listener = Listener(kind, bound.port)
            for listening in bound.sockets:
                listener.servers.append(
                    await serve(
                        self._handle,
                        sock=listening,
                        ssl=self._tls if kind == "wss" else None,
                        origins=self._origins,
                        subprotocols=[Subprotocol(SUBPROTOCOL)],
                        process_request=gate.process_request,
                        max_size=self._limits.max_frame_bytes,
                        max_queue=self._limits.max_requests_in_flight,
                        open_timeout=self._limits.handshake_seconds,
                        compression=None,
                        server_header=None,
                    )
                )
            self.listeners.append(listener)
            log_event(_logger, logging.INFO, "listening", kind=kind, port=bound.port)
        if not self.listeners:
            raise next(iter(self.unavailable.values()))

    async def _handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None  # the handshake succeeded, so there was a request
        origin = connection.request.headers["Origin"]
        if self._open[origin] >= self._limits.max_connections_per_origin:
            # Two handshakes raced past the gate's count; the later one is closed here.
            await connection.close(1013, "too many connections for this origin")
            return
        self._open[origin] += 1
        self._connections[connection] = origin
        session = self._sessions.open_session(origin, connection.send)
        try:
            async for frame in connection:
                await self._sessions.receive(session, frame)
        except ConnectionClosed:
            pass
        finally:
            self._connections.pop(connection, None)
            self._sessions.close_session(session)
            self._open[origin] -= 1
            if self._open[origin] <= 0:
                del self._open[origin]

    def close_untrusted(self) -> None:
        """Close (1008) every connection whose origin the trust list no longer holds."""
        trusted = frozenset(self._origins)
        for connection, origin in list(self._connections.items()):
            if origin in trusted:
                continue
            del self._connections[connection]
            log_event(_logger, logging.WARNING, "connection-untrusted", origin=origin)
            task = asyncio.ensure_future(connection.close(1008, "origin no longer trusted"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Stop accepting, close every connection and wait until all are gone."""
        for listener in self.listeners:
            for server in listener.servers:
                server.close()
        for listener in self.listeners:
            for server in listener.servers:
                await server.wait_closed()
