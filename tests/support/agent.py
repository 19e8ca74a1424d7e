"""The real agent process for tests: started, scripted, inspected and stopped by its PID.

The agent runs as ``python tests/support/scripted_ui.py SCRIPT RECORD -- <bitaqa agent args>``,
i.e. the installed agent code with the scripted UI (see ``support.scripted_ui``), its own config
and policy folders under the test's temporary directory, ``ws://`` and ``wss://`` on free ports,
and debug logging to ``<config>/logs/agent.log``.

Fixtures (``pytest_plugins = ["support.agent"]``):

``trust_authority``
    a :class:`TrustAuthority` (session): the test authority key (pinned by every agent started
    here) and the portal request-signing key; it makes trust lists and signed requests.
``start_agent``
    a factory: ``start_agent(pcsc=None | PcscEnvironment, trust_version=1, entries=None,
    extra_arguments=(), config_dir=None, log_level="debug", environment=None)`` returns a
    running :class:`AgentProcess` (see :func:`launch_agent`); every agent it started is stopped
    at the end of the test.  Without ``pcsc`` the agent's PC/SC client points at a socket that
    does not exist, so it reports ``pcscUnavailable``.
``shared_agent``
    one agent without PC/SC per test module, for tests that change no state.

Example::

    async def test_status(start_agent):
        agent = start_agent()
        async with agent.connect() as page:      # handshake from TRUSTED_ORIGIN, hello read
            answer = await page.call("status")
            assert answer["result"]["card"] == "pcscUnavailable"

Helpers: :func:`raw_handshake` sends a hand-written HTTP upgrade request (exact Host and Origin
headers) and returns the status code; :class:`Page` is a small JSON-RPC client over websockets.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from websockets.asyncio.client import ClientConnection, connect

from bitaqa.protocol.signed_request import encode_signed_request
from bitaqa.protocol.trustlist import encode_trust_list, public_jwk
from support.scripted_ui import write_script

__all__ = [
    "OTHER_ORIGINS",
    "STRICT_ORIGIN",
    "TRUSTED_ORIGIN",
    "AgentProcess",
    "Page",
    "TrustAuthority",
    "launch_agent",
    "nonce",
    "raw_handshake",
    "upgrade_headers",
]

TRUSTED_ORIGIN = "https://portal.example"
OTHER_ORIGINS = ("https://portal2.example", "https://portal3.example", "https://portal4.example")
STRICT_ORIGIN = "https://strict.example"  # authenticate needs a signed request
_LAUNCHER = Path(__file__).with_name("scripted_ui.py")
_ALL_OPERATIONS = ["authenticate", "sign", "readIdentity", "getSigningCertificate"]
_START_TIMEOUT = 20.0


@dataclass
class TrustAuthority:
    """The test trust authority and one portal backend key shared by every trusted origin."""

    authority_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    request_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    authority_kid: str = "test-authority"
    request_kid: str = "portal-2026"

    def entry(self, origin: str, *, strict: bool = False) -> dict[str, Any]:
        """A trust-list entry allowing every operation with the portal key."""
        return {
            "origin": origin,
            "name": {"ar": "بوابة الاختبار", "en": f"Test portal {origin}"},
            "keys": [public_jwk(self.request_key.public_key(), self.request_kid)],
            "operations": _ALL_OPERATIONS,
            "authenticateRequiresSignedRequest": strict,
        }

    def default_entries(self) -> list[dict[str, Any]]:
        """Entries for TRUSTED_ORIGIN, OTHER_ORIGINS and STRICT_ORIGIN."""
        entries = [self.entry(origin) for origin in (TRUSTED_ORIGIN, *OTHER_ORIGINS)]
        return [*entries, self.entry(STRICT_ORIGIN, strict=True)]

    def trust_list(
        self,
        version: int,
        entries: Sequence[Mapping[str, Any]] | None = None,
        *,
        lifetime: int = 86_400,
        issued_at: int | None = None,
    ) -> str:
        """A signed trust list of ``version`` (default entries unless given)."""
        issued = int(time.time()) - 60 if issued_at is None else issued_at
        return encode_trust_list(
            version=version,
            issued_at=issued,
            expires_at=issued + lifetime,
            entries=list(entries if entries is not None else self.default_entries()),
            private_key=self.authority_key,
            kid=self.authority_kid,
        )

    def authority_pem(self) -> bytes:
        """The authority public key, as the install pins it."""
        return self.authority_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def signed_request(
        self,
        operation: str,
        origin: str = TRUSTED_ORIGIN,
        *,
        lifetime: int = 120,
        issued_at: int | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
        jti: str | None = None,
        **claims: Any,
    ) -> str:
        """A signed request for ``operation`` from ``origin``; ``claims`` add or override."""
        issued = int(time.time()) if issued_at is None else issued_at
        payload: dict[str, Any] = {
            "origin": origin,
            "op": operation,
            "jti": jti or uuid.uuid4().hex,
            "iat": issued,
            "exp": issued + lifetime,
        }
        payload.update(claims)
        return encode_signed_request(payload, key or self.request_key, self.request_kid)


def nonce() -> str:
    """A fresh 44-character challenge nonce."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


class Page:
    """A page's connection: JSON-RPC calls with increasing ids, notifications kept aside."""

    def __init__(self, connection: ClientConnection, hello: dict[str, Any]) -> None:
        self.connection = connection
        self.hello = hello
        self.notifications: list[dict[str, Any]] = []
        self._next_id = 1

    async def send(self, method: str, params: Mapping[str, Any] | None = None) -> int:
        """Send a request; return its id."""
        request_id = self._next_id
        self._next_id += 1
        frame = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": dict(params or {})}
        await self.connection.send(json.dumps(frame))
        return request_id

    async def receive(self) -> dict[str, Any]:
        """The next answer (notifications are stored in :attr:`notifications`)."""
        while True:
            message = json.loads(await self.connection.recv())
            if "id" in message:
                return message
            self.notifications.append(message)

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send a request and return its answer (the next answer on this connection)."""
        request_id = await self.send(method, params)
        answer = await self.receive()
        assert answer["id"] == request_id, answer
        return answer


@dataclass
class AgentProcess:
    """A running agent started by :func:`start_agent`."""

    process: subprocess.Popen[bytes]
    config_dir: Path
    system_dir: Path
    script_path: Path
    record_path: Path
    ready_path: Path
    arguments: list[str]
    environment: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        """The agent's process id."""
        return self.process.pid

    @property
    def stderr_path(self) -> Path:
        """Everything the agent process wrote to stderr (its log lines, and any traceback)."""
        return self.ready_path.with_name("stderr.log")

    def crashes(self) -> list[str]:
        """Tracebacks and unretrieved task exceptions on stderr: each is a bug in the agent."""
        text = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        markers = ("Traceback (most recent call last)", "exception was never retrieved")
        return [line for line in text.splitlines() if any(m in line for m in markers)]

    @property
    def log_path(self) -> Path:
        """The agent's JSON-lines log."""
        return self.config_dir / "logs" / "agent.log"

    @property
    def root_certificate(self) -> Path:
        """The per-install TLS root."""
        return self.config_dir / "tls" / "root.pem"

    def script(self, **script: Any) -> None:
        """Set how the scripted UI answers (see ``support.scripted_ui``)."""
        write_script(self.script_path, **script)

    def prompts(self) -> list[dict[str, Any]]:
        """Every dialog the agent showed so far."""
        if not self.record_path.exists():
            return []
        return [json.loads(line) for line in self.record_path.read_text().splitlines()]

    def wait_ready(self) -> None:
        """Block until the agent wrote its ready file (or fail with its stderr)."""
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.ready_path.exists():
                self.ports = json.loads(self.ready_path.read_text())["ports"]
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"agent exited with {self.process.returncode}")
            time.sleep(0.05)
        raise TimeoutError("agent did not start")

    def stop(self) -> int:
        """SIGTERM the agent and wait; return its exit status."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode

    def reload_policy(self) -> None:
        """SIGHUP: the agent re-reads its trust list and policy; wait until it logged that."""

        def loads() -> int:
            return sum(1 for e in self.log_events() if e["event"] == "trust-list-loaded")

        before = loads()
        os.kill(self.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + _START_TIMEOUT
        while loads() == before:
            if time.monotonic() > deadline:
                raise TimeoutError("agent did not reload its policy")
            time.sleep(0.02)

    def restart(self) -> None:
        """Stop and start again with the same folders and arguments."""
        self.stop()
        self.ready_path.unlink(missing_ok=True)
        self.process = _spawn(self.arguments, self.environment, self.stderr_path)
        self.wait_ready()

    def url(self, kind: str = "ws", host: str = "127.0.0.1") -> str:
        """``ws://host:port`` or ``wss://...`` for this agent."""
        shown = f"[{host}]" if ":" in host else host
        return f"{kind}://{shown}:{self.ports[kind]}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting only this install's root."""
        return ssl.create_default_context(cafile=str(self.root_certificate))

    @contextlib.asynccontextmanager
    async def connect(
        self,
        origin: str = TRUSTED_ORIGIN,
        *,
        kind: str = "ws",
        host: str = "127.0.0.1",
        **options: Any,
    ) -> AsyncIterator[Page]:
        """A handshake as a page of ``origin`` would make it; the ``hello`` is read first."""
        if kind == "wss":
            options.setdefault("ssl", self.ssl_context())
        async with connect(
            self.url(kind, host),
            origin=origin,
            subprotocols=["bitaqa.v1"],
            open_timeout=10,
            **options,
        ) as connection:
            hello = json.loads(await connection.recv())
            assert hello["method"] == "hello", hello
            yield Page(connection, hello)

    def wait_for_card(self, state: str = "ready") -> None:
        """Poll ``status`` until its ``card`` member is ``state`` (the monitor reports at start)."""

        async def poll() -> None:
            async with self.connect() as page:
                for _ in range(200):
                    if (await page.call("status"))["result"]["card"] == state:
                        return
                    await asyncio.sleep(0.05)
            raise TimeoutError(f"status never said card={state}")

        asyncio.run(poll())

    def log_text(self) -> str:
        """Everything the agent logged so far."""
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def log_events(self) -> list[dict[str, Any]]:
        """The log as parsed JSON lines."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith("{")]


def _spawn(
    arguments: list[str], environment: dict[str, str], stderr: Path
) -> subprocess.Popen[bytes]:
    with stderr.open("ab") as stream:
        return subprocess.Popen(
            [sys.executable, str(_LAUNCHER), *arguments],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stream,
        )


def raw_handshake(
    port: int, headers: Mapping[str, str], path: str = "/"
) -> tuple[int, dict[str, str], bytes]:
    """Send a request with exactly ``headers``; return its status, headers and body."""
    lines = [f"GET {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as stream:
        stream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = stream.recv(4096)
            if not chunk:
                break
            response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        received = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            received[name.strip().lower()] = value.strip()
        length = int(received.get("content-length", "0"))
        while len(body) < length:
            chunk = stream.recv(4096)
            if not chunk:
                break
            body += chunk
    return int(status_line.split()[1]), received, body


def upgrade_headers(
    port: int, origin: str | None = TRUSTED_ORIGIN, host: str | None = None
) -> dict[str, str]:
    """A valid WebSocket upgrade request's headers (override or drop Host/Origin)."""
    headers = {
        "Host": host if host is not None else f"127.0.0.1:{port}",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Protocol": "bitaqa.v1",
    }
    if origin is not None:
        headers["Origin"] = origin
    return headers


@pytest.fixture(scope="session")
def trust_authority() -> TrustAuthority:
    """The session's test trust authority (see :class:`TrustAuthority`)."""
    return TrustAuthority()


def launch_agent(
    base: Path,
    authority: TrustAuthority,
    *,
    pcsc: Any = None,
    trust_version: int = 1,
    entries: Sequence[Mapping[str, Any]] | None = None,
    extra_arguments: Sequence[str] = (),
    config_dir: Path | None = None,
    log_level: str = "debug",
    environment: Mapping[str, str] | None = None,
) -> AgentProcess:
    """Start an agent whose folders live under ``base``; the caller stops it."""
    config = config_dir or base / "config"
    system = base / "system"
    (system / "authority-keys").mkdir(parents=True, exist_ok=True)
    (system / "authority-keys" / f"{authority.authority_kid}.pem").write_bytes(
        authority.authority_pem()
    )
    (system / "trust-list.jws").write_text(authority.trust_list(trust_version, entries))
    script, record, ready = base / "script.json", base / "prompts.jsonl", base / "ready.json"
    write_script(script, consent="allow-once", pins=["123456"])
    ready.unlink(missing_ok=True)
    env = dict(pcsc.env) if pcsc is not None else dict(os.environ)
    if pcsc is None:
        env["PCSCLITE_CSOCK_NAME"] = str(base / "no-pcscd.comm")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.update(environment or {})
    arguments = [
        str(script),
        str(record),
        "--",
        "--port",
        "0",
        "--ws-port",
        "0",
        "--no-tray",
        "--config-dir",
        str(config),
        "--system-policy-dir",
        str(system),
        "--log-level",
        log_level,
        "--ready-file",
        str(ready),
        *extra_arguments,
    ]
    base.mkdir(parents=True, exist_ok=True)
    agent = AgentProcess(
        _spawn(arguments, env, base / "stderr.log"),
        config,
        system,
        script,
        record,
        ready,
        arguments,
        env,
    )
    try:
        agent.wait_ready()
    except BaseException:
        agent.stop()
        raise
    return agent


@pytest.fixture
def start_agent(
    tmp_path: Path, trust_authority: TrustAuthority
) -> Iterator[Callable[..., AgentProcess]]:
    """Start agents with :func:`launch_agent`'s options; all are stopped when the test ends."""
    started: list[AgentProcess] = []

    def start(**options: Any) -> AgentProcess:
        agent = launch_agent(tmp_path / f"agent{len(started)}", trust_authority, **options)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()
    for agent in started:
        assert agent.crashes() == [], agent.stderr_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def shared_agent(
    tmp_path_factory: pytest.TempPathFactory, trust_authority: TrustAuthority
) -> Iterator[AgentProcess]:
    """One agent without PC/SC for a whole test module (for tests that change no state)."""
    agent = launch_agent(tmp_path_factory.mktemp("shared-agent"), trust_authority)
    yield agent
    agent.stop()
    assert agent.crashes() == [], agent.stderr_path.read_text(errors="replace")
