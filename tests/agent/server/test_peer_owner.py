"""Finding a loopback peer's owner in /proc/net/tcp{,6} (real sockets, this process)."""

from __future__ import annotations

import os
import socket

import pytest

from bitaqa.agent.server.peer import ProcNetPeerCheck, socket_owner


@pytest.mark.parametrize(
    ("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
)
def test_the_owner_of_a_connected_peer_is_this_process_user(family, host):
    """The client socket of a loopback connection is found and owned by our uid."""
    with socket.socket(family) as server:
        server.bind((host, 0))
        server.listen()
        with socket.socket(family) as client:
            client.connect(server.getsockname()[:2])
            accepted, peer = server.accept()
            with accepted:
                local = accepted.getsockname()[:2]
                assert socket_owner(peer[:2], local) == os.getuid()
                assert ProcNetPeerCheck(os.getuid()).is_same_user(peer[:2], local)
                assert not ProcNetPeerCheck(os.getuid() + 4242).is_same_user(peer[:2], local)


def test_an_unknown_peer_is_refused():
    """A peer that is not in the table (no such connection) is never treated as ours."""
    assert socket_owner(("127.0.0.1", 1), ("127.0.0.1", 2)) is None
    assert not ProcNetPeerCheck(os.getuid()).is_same_user(("127.0.0.1", 1), ("127.0.0.1", 2))
