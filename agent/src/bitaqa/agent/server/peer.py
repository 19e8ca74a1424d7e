"""Which local user owns the other end of a loopback connection (invariant 9).

On a terminal server every user shares 127.0.0.1, so a browser in another session can reach this
user's agent.  The server asks a :class:`PeerUserCheck` before every handshake and refuses peers
that do not belong to the agent's own user.

* Linux (:class:`ProcNetPeerCheck`): the peer's TCP socket appears in ``/proc/net/tcp`` or
  ``/proc/net/tcp6`` with local address = the peer's address and remote address = ours; that line's
  ``uid`` column is the owner of the peer socket.  An entry that cannot be found is refused.
* Windows (not implemented here): ``GetExtendedTcpTable(TCP_TABLE_OWNER_PID_ALL)`` gives the
  owning PID of the peer's connection; ``OpenProcess`` + ``OpenProcessToken`` +
  ``GetTokenInformation(TokenUser)`` give its user SID, compared with the agent's SID (the way
  NexU and AusweisApp do it).  Until that exists, :func:`default_peer_check` returns
  :class:`SameMachineOnly` there, which documents that the check is not enforced.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Protocol

__all__ = [
    "PeerUserCheck",
    "ProcNetPeerCheck",
    "SameMachineOnly",
    "default_peer_check",
    "socket_owner",
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


class SameMachineOnly:
    """Platforms without a peer-owner check yet: only loopback binding protects the agent."""

    def is_same_user(self, peer: tuple[str, int], local: tuple[str, int]) -> bool:
        """Always True; the server binds loopback only, so peers are on this machine."""
        return True


def default_peer_check() -> PeerUserCheck:
    """The check for this platform (see the module docstring)."""
    if sys.platform.startswith("linux"):
        return ProcNetPeerCheck(os.getuid())
    return SameMachineOnly()
