"""Which local user owns the other end of a loopback connection (invariant 9).

On a terminal server every user shares 127.0.0.1, so a browser in another session can reach this
user's agent.  The server asks a :class:`PeerUserCheck` before every handshake and refuses peers
that do not belong to the agent's own user.  :func:`default_peer_check` picks the check:

* Linux (:class:`ProcNetPeerCheck`): the peer's TCP socket appears in ``/proc/net/tcp`` or
  ``/proc/net/tcp6`` with local address = the peer's address and remote address = ours; that line's
  ``uid`` column is the owner of the peer socket.  An entry that cannot be found is refused.
* Every other platform, i.e. Windows and macOS (:class:`PsutilPeerCheck`): the ESTABLISHED TCP
  connection whose local address is the peer's address and whose remote address is ours gives the
  owning PID (``psutil.net_connections``; on Windows that is ``GetExtendedTcpTable`` with
  ``TCP_TABLE_OWNER_PID_ALL``, the way NexU and AusweisApp find it).  The process's user
  (``psutil.Process.username()``: on Windows ``DOMAIN\\user`` from the process token, on POSIX the
  name of its real uid) must equal the agent's, and on POSIX its effective uid must equal the
  agent's effective uid.

Limits of :class:`PsutilPeerCheck`, all of which refuse (fail closed):

* macOS: the system-wide listing needs root (``psutil.AccessDenied``).  The check then lists the
  connections of each process it may inspect, which are the agent's own user's processes; a peer
  owned by another user is therefore not found and refused, which is the right answer.
* Linux without root: ``psutil`` reports connections of other users' processes with no PID; such
  a connection is refused.
* Windows: a process that ends or cannot be opened between the listing and the user look-up is
  refused.  The Windows session id is not compared: the same user logged on in two sessions is
  the same user, which invariant 9 allows.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import psutil

__all__ = [
    "PeerConnection",
    "PeerUserCheck",
    "ProcNetPeerCheck",
    "PsutilPeerCheck",
    "default_peer_check",
    "peer_process",
    "per_process_tcp_connections",
    "socket_owner",
    "system_tcp_connections",
    "tcp_connections",
]

_ESTABLISHED_OR_CLOSING = {"01", "02", "03", "04", "05", "06", "07", "08", "0A", "0B"}


class PeerUserCheck(Protocol):
    """Decides whether a connected peer belongs to the agent's user."""

    def is_same_user(self, peer: tuple[str, int], local: tuple[str, int]) -> bool:
        """True if the process owning ``peer`` (address, port) runs as the agent's user."""
        ...


def _proc_address(host: str, port: int) -> str:
    """The ``/proc/net/tcp*`` spelling of an address: 32-bit words in host (little-endian) order."""
    packed = ipaddress.ip_address(host).packed
    words = [packed[index : index + 4][::-1] for index in range(0, len(packed), 4)]
    return f"{b''.join(words).hex().upper()}:{port:04X}"


def socket_owner(
    peer: tuple[str, int], local: tuple[str, int], proc_net: Path = Path("/proc/net")
) -> int | None:
    """The uid owning the TCP socket whose local end is ``peer`` and remote end is ``local``."""
    version = ipaddress.ip_address(peer[0]).version
    wanted_local = _proc_address(peer[0], peer[1])
    wanted_remote = _proc_address(local[0], local[1])
    table = proc_net / ("tcp6" if version == 6 else "tcp")
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        if (
            fields[1] == wanted_local
            and fields[2] == wanted_remote
            and fields[3] in _ESTABLISHED_OR_CLOSING
        ):
            return int(fields[7])
    return None


class ProcNetPeerCheck:
    """Linux: the peer socket's owner from ``/proc/net/tcp{,6}`` must be ``uid``."""

    def __init__(self, uid: int, proc_net: Path = Path("/proc/net")) -> None:
        self._uid = uid
        self._proc_net = proc_net

    def is_same_user(self, peer: tuple[str, int], local: tuple[str, int]) -> bool:
        """True only if the peer socket is found and owned by the agent's uid."""
        return socket_owner(peer, local, self._proc_net) == self._uid


class PeerConnection(NamedTuple):
    """One TCP connection as listed by psutil, with the PID owning it (None if unknown)."""

    pid: int | None
    laddr: tuple[str, int] | None
    raddr: tuple[str, int] | None
    status: str


def _endpoint(address: Sequence[Any]) -> tuple[str, int] | None:
    """psutil's ``addr(ip, port)``, or None for its empty tuple (no remote end)."""
    return (str(address[0]), int(address[1])) if len(address) == 2 else None


def system_tcp_connections() -> list[PeerConnection]:
    """Every TCP connection on the machine (``psutil.net_connections``; root on macOS)."""
    return [
        PeerConnection(
            connection.pid,
            _endpoint(connection.laddr),
            _endpoint(connection.raddr),
            connection.status,
        )
        for connection in psutil.net_connections(kind="tcp")
    ]


def per_process_tcp_connections() -> Iterator[PeerConnection]:
    """The TCP connections of every process this process may inspect (no root needed)."""
    for process in psutil.process_iter():
        try:
            connections = process.net_connections(kind="tcp")
        except (psutil.Error, OSError):
            continue
        for connection in connections:
            yield PeerConnection(
                process.pid,
                _endpoint(connection.laddr),
                _endpoint(connection.raddr),
                connection.status,
            )


def tcp_connections() -> Iterable[PeerConnection]:
    """The system-wide listing, or the per-process one where that needs privileges (macOS)."""
    try:
        return system_tcp_connections()
    except (psutil.Error, OSError):
        return per_process_tcp_connections()


def _same_endpoint(address: tuple[str, int] | None, wanted: tuple[str, int]) -> bool:
    if address is None or address[1] != wanted[1]:
        return False
    try:
        return ipaddress.ip_address(address[0].split("%")[0]) == ipaddress.ip_address(wanted[0])
    except ValueError:
        return False


def peer_process(
    peer: tuple[str, int],
    local: tuple[str, int],
    connections: Callable[[], Iterable[PeerConnection]] = tcp_connections,
) -> int | None:
    """The PID owning the ESTABLISHED connection from ``peer`` to ``local``, or None."""
    for connection in connections():
        if (
            connection.status == psutil.CONN_ESTABLISHED
            and _same_endpoint(connection.laddr, peer)
            and _same_endpoint(connection.raddr, local)
        ):
            return connection.pid
    return None


class PsutilPeerCheck:
    """Windows, macOS: the process owning the peer's connection must run as the agent's user.

    ``username`` is compared with ``psutil.Process.username()``; ``uid`` (POSIX only, None on
    Windows) with the peer process's effective uid.
    """

    def __init__(
        self,
        username: str,
        uid: int | None,
        connections: Callable[[], Iterable[PeerConnection]] = tcp_connections,
    ) -> None:
        self._username = username
        self._uid = uid
        self._connections = connections

    @classmethod
    def for_this_process(
        cls, connections: Callable[[], Iterable[PeerConnection]] = tcp_connections
    ) -> PsutilPeerCheck:
        """The check for the agent's own user (and on POSIX its effective uid)."""
        uid = os.geteuid() if hasattr(os, "geteuid") else None
        return cls(psutil.Process().username(), uid, connections)

    def is_same_user(self, peer: tuple[str, int], local: tuple[str, int]) -> bool:
        """True only if the peer's process is found and its user can be read and is ours."""
        try:
            pid = peer_process(peer, local, self._connections)
            if pid is None:
                return False
            process = psutil.Process(pid)
            if process.username() != self._username:
                return False
            if self._uid is not None and process.uids().effective != self._uid:
                return False
        except (psutil.Error, OSError, ValueError):
            return False
        return True


def default_peer_check() -> PeerUserCheck:
    """The check for this platform (see the module docstring)."""
    if sys.platform.startswith("linux"):
        return ProcNetPeerCheck(os.geteuid())
    return PsutilPeerCheck.for_this_process()
