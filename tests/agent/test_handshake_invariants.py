"""Invariants 1, 2, 9 and 11 against the real agent process: who may connect, and how."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import ssl
import subprocess
import textwrap

import psutil
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from support.agent import TRUSTED_ORIGIN, raw_handshake, upgrade_headers


def test_agent_listens_on_loopback_only(shared_agent):
    """Invariant 1: every listening socket of the agent process is on 127.0.0.1 or ::1."""
    agent = shared_agent
    listening = [
        connection.laddr
        for connection in psutil.Process(agent.pid).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    ]
    assert {address.port for address in listening} == set(agent.ports.values())
    assert {address.ip for address in listening} <= {"127.0.0.1", "::1"}
    assert all(ipaddress.ip_address(address.ip).is_loopback for address in listening)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://portal.example",
        "https://portal.example:8443",
        "https://sub.portal.example",
        "https://portal.example.evil.example",
        "null",
        None,
    ],
)
def test_handshake_refuses_untrusted_null_and_missing_origins(shared_agent, origin):
    """Invariant 2: only an exact trust-list origin passes; null and missing origins do not."""
    agent = shared_agent
    port = agent.ports["ws"]
    assert raw_handshake(port, upgrade_headers(port, TRUSTED_ORIGIN))[0] == 101
    assert raw_handshake(port, upgrade_headers(port, origin))[0] == 403


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "127.0.0.1:{other}",
        "127.0.0.1",
        "localhost.evil.example:{port}",
        "127.0.0.2:{port}",
        "[::1]:{other}",
    ],
)
def test_handshake_refuses_rebinding_host(shared_agent, host):
    """Invariant 2 (DNS rebinding): a Host other than the agent's loopback host:port is refused."""
    agent = shared_agent
    port = agent.ports["ws"]
    for good in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert raw_handshake(port, upgrade_headers(port, host=good))[0] == 101
    bad = host.format(port=port, other=port + 1)
    assert raw_handshake(port, upgrade_headers(port, host=bad))[0] == 421


def test_handshake_requires_the_versioned_subprotocol(shared_agent):
    """A client that does not offer bitaqa.v1 is refused (the client reports 'agent too old')."""
    agent = shared_agent
    port = agent.ports["ws"]
    headers = upgrade_headers(port)
    headers["Sec-WebSocket-Protocol"] = "bitaqa.v2"
    assert raw_handshake(port, headers)[0] == 400
    del headers["Sec-WebSocket-Protocol"]
    assert raw_handshake(port, headers)[0] == 400


def test_discovery_answers_cors_for_trusted_origins_only(shared_agent):
    """GET /.well-known/bitaqa: the body and CORS headers for trusted origins only; a missing,
    `null` or untrusted Origin gets 403 without CORS headers, never a reflection (SPEC §3.5)."""
    agent = shared_agent
    port = agent.ports["ws"]
    host = {"Host": f"127.0.0.1:{port}"}
    status, headers, body = raw_handshake(
        port, {**host, "Origin": TRUSTED_ORIGIN}, "/.well-known/bitaqa"
    )
    assert status == 200
    assert json.loads(body) == {"agent": "bitaqa", "version": "0.1.0", "protocols": ["bitaqa.v1"]}
    assert headers["access-control-allow-origin"] == TRUSTED_ORIGIN
    assert headers["access-control-allow-private-network"] == "true"
    assert headers["vary"] == "Origin"
    for refused in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        status, headers, body = raw_handshake(port, {**host, **refused}, "/.well-known/bitaqa")
        assert status == 403, refused
        assert b"bitaqa.v1" not in body
        assert "access-control-allow-origin" not in headers
        assert "access-control-allow-private-network" not in headers
        assert headers["vary"] == "Origin"
    status, _, _ = raw_handshake(
        port, {"Host": "evil.example", "Origin": TRUSTED_ORIGIN}, "/.well-known/bitaqa"
    )
    assert status == 421


def test_connections_per_origin_are_bounded(start_agent):
    """Invariant 10: an origin holding max_connections_per_origin connections gets no more."""
    agent = start_agent()

    async def scenario() -> None:
        pages = []
        async with asyncio.timeout(30):
            for _ in range(16):
                pages.append(
                    await connect(agent.url(), origin=TRUSTED_ORIGIN, subprotocols=["bitaqa.v1"])
                )
            with pytest.raises(InvalidStatus) as refused:
                await connect(agent.url(), origin=TRUSTED_ORIGIN, subprotocols=["bitaqa.v1"])
            assert refused.value.response.status_code == 429
            async with connect(
                agent.url(), origin="https://portal2.example", subprotocols=["bitaqa.v1"]
            ):
                pass
            await pages.pop().close()
            await asyncio.sleep(0.2)
            async with connect(agent.url(), origin=TRUSTED_ORIGIN, subprotocols=["bitaqa.v1"]):
                pass
            for page in pages:
                await page.close()

    asyncio.run(scenario())


_OTHER_USER_CLIENT = textwrap.dedent(
    """
    import base64, os, socket, sys
    port = int(sys.argv[1])
    request = (
        f"GET / HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\nUpgrade: websocket\\r\\n"
        "Connection: Upgrade\\r\\nSec-WebSocket-Version: 13\\r\\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\\r\\n"
        "Sec-WebSocket-Protocol: bitaqa.v1\\r\\nOrigin: https://portal.example\\r\\n\\r\\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as stream:
        stream.sendall(request.encode())
        print(stream.recv(4096).split(b"\\r\\n")[0].decode())
    """
)


def test_connection_from_another_local_user_is_refused(shared_agent, other_user):
    """Invariant 9: a peer socket owned by another user is refused; the agent's own user passes."""
    agent = shared_agent
    port = agent.ports["ws"]
    same_user = subprocess.run(
        ["/usr/bin/python3", "-c", _OTHER_USER_CLIENT, str(port)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert same_user.stdout.startswith("HTTP/1.1 101")
    foreign = subprocess.run(
        [
            "runuser",
            "-u",
            other_user,
            "--",
            "/usr/bin/python3",
            "-c",
            _OTHER_USER_CLIENT,
            str(port),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert foreign.stdout.startswith("HTTP/1.1 403"), foreign


def test_wss_serves_a_certificate_under_a_name_constrained_root_whose_key_is_gone(shared_agent):
    """Invariant 11: wss works with the install root; the root is constrained to loopback."""
    agent = shared_agent

    async def handshake(host: str) -> str:
        async with agent.connect(kind="wss", host=host) as page:
            return page.hello["params"]["origin"]

    assert asyncio.run(handshake("127.0.0.1")) == TRUSTED_ORIGIN
    assert asyncio.run(handshake("localhost")) == TRUSTED_ORIGIN
    root = x509.load_pem_x509_certificate(agent.root_certificate.read_bytes())
    constraints = root.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert set(constraints.value.permitted_subtrees) == {
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.1/32")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    }
    basic = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert basic.value.ca
    assert basic.value.path_length == 0
    server = x509.load_pem_x509_certificate((agent.config_dir / "tls" / "server.pem").read_bytes())
    assert server.not_valid_after_utc - server.not_valid_before_utc <= datetime.timedelta(days=826)
    root_public = root.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for path in agent.config_dir.rglob("*"):
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes():
            key = serialization.load_pem_private_key(path.read_bytes(), None)
            assert (
                key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                != root_public
            )
    context = ssl.create_default_context()  # the system store does not know the install root
    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(handshake_with(agent, context))


async def handshake_with(agent, context: ssl.SSLContext) -> None:
    async with connect(
        agent.url("wss"), origin=TRUSTED_ORIGIN, subprotocols=["bitaqa.v1"], ssl=context
    ):
        pass
