"""Binding the agent's listening sockets on loopback, with the port fallback list.

The agent binds 127.0.0.1 and ::1 only (invariant 1), never a wildcard address.  For each kind
of listener (``wss`` and ``ws``) it tries the ports of ARCHITECTURE.md in order and keeps the first
one it can bind on 127.0.0.1 (and on ::1 when the machine has IPv6 loopback).  On Windows the
sockets are exclusive (``SO_EXCLUSIVEADDRUSE``) so no other process can bind the same port.
When every port of a list is taken, :class:`PortsUnavailableError` says which process holds
each one.
"""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import psutil

__all__ = [
    "LOOPBACK_HOSTS",
    "SO_EXCLUSIVEADDRUSE",
    "WSS_PORTS",
    "WS_PORTS",
    "BoundPort",
    "PortsUnavailableError",
    "address_reuse_option",
    "bind_first_free",
    "port_holder",
]

WSS_PORTS = (27360, 27361, 27362)
WS_PORTS = (27370, 27371, 27372)
LOOPBACK_HOSTS = ("127.0.0.1", "::1")


class PortsUnavailableError(OSError):
    """No port of a list could be bound; ``holders`` maps each port to a description."""

    def __init__(self, holders: dict[int, str]) -> None:
        described = ", ".join(f"{port} held by {holder}" for port, holder in holders.items())
        super().__init__(f"no free loopback port: {described}")
        self.holders = holders


@dataclass
class BoundPort:
    """Listening sockets on one port, one per loopback address that could be bound."""

    port: int
    sockets: list[socket.socket]

    def close(self) -> None:
        """Close every socket (only needed when the server never took them over)."""
        for listening in self.sockets:
            listening.close()


def port_holder(port: int) -> str:
    """Describe the process listening on loopback ``port`` ("name (pid N)" or "unknown")."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return "an unknown process"
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            if connection.pid is None:
                return "a process of another user"
            try:
                name = psutil.Process(connection.pid).name()
            except psutil.Error:
                name = "a process"
            return f"{name} (pid {connection.pid})"
    return "an unknown process"


#: Winsock's SO_EXCLUSIVEADDRUSE, ``~SO_REUSEADDR`` = ``~4`` (``socket`` has it on Windows only).
SO_EXCLUSIVEADDRUSE: int = getattr(socket, "SO_EXCLUSIVEADDRUSE", ~4)


def address_reuse_option(platform: str = sys.platform) -> int:
    """The ``SOL_SOCKET`` option to set to 1 before binding a listening socket on ``platform``.

    POSIX: ``SO_REUSEADDR``, so a restarted agent can bind its port while old connections are in
    TIME_WAIT (another process still cannot bind a port that is listening).  Windows:
    ``SO_EXCLUSIVEADDRUSE``, because there ``SO_REUSEADDR`` would let a process of another user
    bind the same port and take the agent's connections (research: local-agents.md §3.6).
    """
    return SO_EXCLUSIVEADDRUSE if platform == "win32" else socket.SO_REUSEADDR


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, address_reuse_option(), 1)
        if family == socket.AF_INET6:
            listening.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listening.bind((host, port))
        listening.listen(128)
        listening.setblocking(False)
    except OSError:
        listening.close()
        raise
    return listening


def _bind_port(port: int) -> BoundPort:
    """Bind 127.0.0.1 (required) and ::1 (when IPv6 loopback exists) on ``port``."""
    ipv4 = _listen(LOOPBACK_HOSTS[0], port)
    bound = BoundPort(port=ipv4.getsockname()[1], sockets=[ipv4])
    try:
        bound.sockets.append(_listen(LOOPBACK_HOSTS[1], bound.port))
    except OSError as error:
        if error.errno not in {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}:
            bound.close()
            raise
    return bound


def bind_first_free(ports: Sequence[int]) -> BoundPort:
    """Bind the first port of ``ports`` that is free on loopback (0 picks any free port)."""
    holders: dict[int, str] = {}
    for port in ports:
        # Port 0 (tests) draws a random port for 127.0.0.1 that may be taken on ::1: redraw.
        for _attempt in range(8 if port == 0 else 1):
            try:
                return _bind_port(port)
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
        holders[port] = port_holder(port)
    raise PortsUnavailableError(holders)
