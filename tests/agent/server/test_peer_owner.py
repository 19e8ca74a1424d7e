"""Finding a loopback peer's owner: /proc/net/tcp{,6} and psutil (real sockets, no mocks)."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import textwrap

import psutil
import pytest

from bitaqa.agent.server.peer import (
    ProcNetPeerCheck,
    PsutilPeerCheck,
    default_peer_check,
    peer_process,
    per_process_tcp_connections,
    socket_owner,
    system_tcp_connections,
    tcp_connections,
)

FAMILIES = pytest.mark.parametrize(
    ("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
)
# Both ways PsutilPeerCheck lists connections: system-wide (Windows, root) and per process
# (macOS without root).  Both run on Linux with real sockets.
LISTINGS = pytest.mark.parametrize(
    "listing",
    [system_tcp_connections, per_process_tcp_connections, tcp_connections],
    ids=["system", "per-process", "default"],
)


@FAMILIES
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


@FAMILIES
@LISTINGS
def test_psutil_finds_a_peer_of_this_process_and_accepts_it(family, host, listing):
    """psutil: our own client connection maps to our PID and user; another user is refused."""
    this_user = psutil.Process().username()
    with socket.socket(family) as server:
        server.bind((host, 0))
        server.listen()
        with socket.socket(family) as client:
            client.connect(server.getsockname()[:2])
            accepted, peer = server.accept()
            with accepted:
                local = accepted.getsockname()[:2]
                assert peer_process(peer[:2], local, listing) == os.getpid()
                assert peer_process(peer[:2], (host, local[1] + 1), listing) is None
                assert PsutilPeerCheck.for_this_process(listing).is_same_user(peer[:2], local)
                assert not PsutilPeerCheck(f"not-{this_user}", os.geteuid(), listing).is_same_user(
                    peer[:2], local
                )
                assert not PsutilPeerCheck(this_user, os.geteuid() + 4242, listing).is_same_user(
                    peer[:2], local
                )


@LISTINGS
def test_psutil_refuses_an_unknown_peer(listing):
    """No connection from that peer to us: psutil's check refuses (fail closed)."""
    check = PsutilPeerCheck.for_this_process(listing)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        local = server.getsockname()[:2]
        assert peer_process(("127.0.0.1", 1), local, listing) is None
        assert not check.is_same_user(("127.0.0.1", 1), local)
        assert not check.is_same_user(("::1", 1), ("::1", local[1]))


def test_linux_keeps_the_proc_check_by_default():
    """On Linux the platform check is the /proc one; psutil is for Windows and macOS."""
    assert isinstance(default_peer_check(), ProcNetPeerCheck)


_HOLD_CONNECTION = textwrap.dedent(
    """
    import os, socket, sys
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as stream:
        print(os.getpid(), flush=True)
        sys.stdin.readline()
    """
)


@FAMILIES
def test_a_peer_of_another_local_user_is_refused_by_both_checks(family, host, other_user):
    """Invariant 9: a client process of a second user is found, attributed to it, and refused."""
    other_uid = pwd.getpwnam(other_user).pw_uid
    assert other_uid != os.geteuid()
    with socket.socket(family) as server:
        server.bind((host, 0))
        server.listen()
        server.settimeout(20)
        port = server.getsockname()[1]
        command = ["runuser", "-u", other_user, "--", "/usr/bin/python3", "-c", _HOLD_CONNECTION]
        client = subprocess.Popen(
            [*command, host, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            accepted, peer = server.accept()
            with accepted:
                client_pid = int(client.stdout.readline())
                local = accepted.getsockname()[:2]
                assert socket_owner(peer[:2], local) == other_uid
                assert not ProcNetPeerCheck(os.getuid()).is_same_user(peer[:2], local)
                for listing in (
                    system_tcp_connections,
                    per_process_tcp_connections,
                    tcp_connections,
                ):
                    assert peer_process(peer[:2], local, listing) == client_pid
                    assert not PsutilPeerCheck.for_this_process(listing).is_same_user(
                        peer[:2], local
                    )
                    # The same connection passes a check made for that user: the refusal above
                    # is about the user, not about a connection that was not found.
                    assert PsutilPeerCheck(other_user, other_uid, listing).is_same_user(
                        peer[:2], local
                    )
        finally:
            client.communicate("\n", timeout=20)
    assert client.returncode == 0
