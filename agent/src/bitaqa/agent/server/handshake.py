"""The checks every connection passes before the agent reads a single frame (invariants 2, 9).

Order, cheapest refusal first, all inside websockets' ``process_request`` hook or its built-in
``origins`` / ``subprotocols`` checks:

1. the peer socket belongs to the agent's own user (:mod:`bitaqa.agent.server.peer`) — else 403;
2. ``Host`` is exactly ``127.0.0.1:P``, ``[::1]:P`` or ``localhost:P`` for the listener's port
   ``P`` (DNS rebinding) — else 421;
3. the path is ``/`` (WebSocket) or ``/.well-known/bitaqa`` (discovery) — else 404;
4. the origin still holds fewer than ``max_connections_per_origin`` connections — else 429;
5. (websockets) ``Origin`` is exactly an origin of the effective trust list; a missing or ``null``
   origin never is — else 403.  :class:`TrustedOrigins` is a live view, so a reloaded trust list
   applies to the next handshake;
6. (websockets) the client offers subprotocol ``bitaqa.v1`` — else 400.

Discovery (``GET /.well-known/bitaqa``) runs checks 1 and 2, then answers a trusted Origin
``{"agent", "version", "protocols"}`` with ``Access-Control-Allow-Origin`` set to that origin
(and ``Access-Control-Allow-Private-Network: true``); a missing, ``null`` or untrusted Origin
gets 403 without CORS headers, so no other origin is ever reflected (SPEC.md §3.5, §4.1).  Both
carry ``Vary: Origin`` and ``Cache-Control: no-store``.  A page of an untrusted origin still sees
its ``no-cors`` fetch resolve (an opaque response), which is how the JS client tells "the agent
runs but does not trust this origin" from "no agent".
"""

from __future__ import annotations

import http
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import overload

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response
from websockets.typing import Origin

from bitaqa.agent.server.peer import PeerUserCheck

__all__ = [
    "AGENT_VERSION",
    "DISCOVERY_PATH",
    "SUBPROTOCOL",
    "HandshakeGate",
    "TrustedOrigins",
]

AGENT_VERSION = "0.1.0"
SUBPROTOCOL = "bitaqa.v1"
DISCOVERY_PATH = "/.well-known/bitaqa"


class TrustedOrigins(Sequence[Origin]):
    """The origins of the current effective trust list, re-read on every use.

    Passed as websockets' ``origins`` argument: websockets iterates it for each handshake, so the
    check is websockets' own exact comparison against today's list.
    """

    def __init__(self, current: Callable[[], frozenset[str]]) -> None:
        self._current = current

    def __iter__(self) -> Iterator[Origin]:
        return iter(self._sorted())

    def _sorted(self) -> list[Origin]:
        return [Origin(origin) for origin in sorted(self._current())]

    def __len__(self) -> int:
        return len(self._current())

    def __contains__(self, origin: object) -> bool:
        return origin in self._current()

    @overload
    def __getitem__(self, index: int) -> Origin: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Origin]: ...
    def __getitem__(self, index: int | slice) -> Origin | Sequence[Origin]:
        return self._sorted()[index]


def _address(pair: tuple[str, int] | tuple[str, int, int, int]) -> tuple[str, int]:
    return pair[0], pair[1]


class HandshakeGate:
    """``process_request`` for one listening port.

    Args:
        port: the port this listener is bound to (for the Host check).
        origins: the live trusted origins.
        peer_check: the same-user check for this platform.
        open_connections: connections per origin, kept by the server.
        max_connections_per_origin: the bound from the protocol limits.
    """

    def __init__(
        self,
        port: int,
        origins: TrustedOrigins,
        peer_check: PeerUserCheck,
        open_connections: Counter[str],
        max_connections_per_origin: int,
    ) -> None:
        self._hosts = {f"127.0.0.1:{port}", f"[::1]:{port}", f"localhost:{port}"}
        self._origins = origins
        self._peer_check = peer_check
        self._open = open_connections
        self._max_per_origin = max_connections_per_origin
        self.refusals: Counter[str] = Counter()

    def _refuse(
        self, connection: ServerConnection, reason: str, status: http.HTTPStatus
    ) -> Response:
        self.refusals[reason] += 1
        return connection.respond(status, f"Refused: {reason}.\n")

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse the handshake with an HTTP status, answer discovery, or return None to go on."""
        peer = _address(connection.remote_address)
        local = _address(connection.local_address)
        if not self._peer_check.is_same_user(peer, local):
            return self._refuse(
                connection, "peer belongs to another user", http.HTTPStatus.FORBIDDEN
            )
        hosts = request.headers.get_all("Host")
        if len(hosts) != 1 or hosts[0].lower() not in self._hosts:
            return self._refuse(
                connection,
                "Host is not the agent's loopback address",
                http.HTTPStatus.MISDIRECTED_REQUEST,
            )
        origins = request.headers.get_all("Origin")
        origin = origins[0] if len(origins) == 1 else None
        if request.path == DISCOVERY_PATH:
            return self._discovery(connection, origin)
        if request.path != "/":
            return self._refuse(connection, "unknown path", http.HTTPStatus.NOT_FOUND)
        if origin is not None and self._open[origin] >= self._max_per_origin:
            return self._refuse(
                connection,
                "too many connections for this origin",
                http.HTTPStatus.TOO_MANY_REQUESTS,
            )
        return None

    def _discovery(self, connection: ServerConnection, origin: str | None) -> Response:
        if origin is None or origin not in self._origins:  # missing, `null` or not trusted
            response = self._refuse(
                connection, "discovery from an untrusted origin", http.HTTPStatus.FORBIDDEN
            )
        else:
            body = {"agent": "bitaqa", "version": AGENT_VERSION, "protocols": [SUBPROTOCOL]}
            response = connection.respond(
                http.HTTPStatus.OK, json.dumps(body, separators=(",", ":"))
            )
            del response.headers["Content-Type"]
            response.headers["Content-Type"] = "application/json"
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Private-Network"] = "true"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Vary"] = "Origin"
        return response
