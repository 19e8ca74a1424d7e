"""``bitaqa demo``: the virtual card, the agent and the example portal, together, in one command.

    bitaqa demo [--port 8443] [--no-browser] [--in-process-card] [--vpcd-port 35963]
                [--agent-ports WSS WS] [--https] [--tls-cert FILE --tls-key FILE]

What it starts, all from a source checkout and with no configuration or card reader:

1. the virtual card — through PC/SC (``bitaqa vcard`` into pcscd's vpcd reader) when pcscd and
   the vpcd driver are installed, otherwise inside the agent (``--in-process-card``);
2. the agent, with a fresh folder and a machine policy whose one explicit local trust-list entry
   admits the portal's development origin and pins its key;
3. the example portal (``examples/portal``) on that origin.

The origin is ``http://localhost:<port>`` by default: a development origin (SPEC.md §13) that
the policy admits with ``allowInsecureLocalhost`` and the portal's validator with
``allow_insecure_localhost``, so the browser shows no certificate warning.  With
``--tls-cert``/``--tls-key`` (a locally trusted certificate, for example made with mkcert) the
portal serves ``https://localhost:<port>`` instead; ``--https`` alone does the same with a
certificate made on the spot, which the browser warns about once.

It prints the URL and the card's PIN, opens a browser where one exists, and on Ctrl-C (or
SIGTERM) stops every process it started, by PID, and deletes its temporary folder.
Exit status: 0 after Ctrl-C, 1 if a process failed to start or died, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bitaqa.protocol.origin import parse_origin
from bitaqa.protocol.trustlist import public_jwk
from bitaqa.vcard.factory import build_profiles

__all__ = [
    "DEMO_PIN",
    "PORTAL_DIRECTORY",
    "REQUEST_KEY_ID",
    "local_policy",
    "main",
    "write_localhost_certificate",
    "write_portal_files",
]

#: The virtual card's PIN (the standard profiles' default).
DEMO_PIN = "123456"
#: The example portal in a source checkout.
PORTAL_DIRECTORY = Path(__file__).resolve().parents[3] / "examples" / "portal"
_VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
_PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
#: The ``kid`` of the portal's request-signing key in the trust-list entry.
REQUEST_KEY_ID = "demo-portal"
_START_TIMEOUT = 30.0
_OPERATIONS = ["authenticate", "getSigningCertificate", "sign", "readIdentity"]


def local_policy(origin: str, request_key: ec.EllipticCurvePrivateKey) -> dict[str, object]:
    """The machine policy (``policy.json``) admitting ``origin`` as one explicit local entry.

    An ``http`` development origin (only ``localhost``, ``127.0.0.1`` or ``[::1]``) also sets
    ``allowInsecureLocalhost``, without which the agent refuses an http entry; an https origin
    leaves it unset.
    """
    entry = {
        "origin": origin,
        "name": {"ar": "البوابة التجريبية", "en": "Bitaqa example portal"},
        "keys": [public_jwk(request_key.public_key(), REQUEST_KEY_ID)],
        "operations": _OPERATIONS,
        "authenticateRequiresSignedRequest": True,
    }
    policy: dict[str, object] = {"allowLocalEntries": True}
    if _is_development_http(origin):
        policy["allowInsecureLocalhost"] = True
    policy["entries"] = [entry]
    return policy


def write_portal_files(
    directory: Path,
    *,
    origin: str,
    card_pki: Path,
    request_key: ec.EllipticCurvePrivateKey,
    request_key_id: str = REQUEST_KEY_ID,
    agent_ports: Sequence[int] = (),
) -> Path:
    """Write the portal's request key and config into ``directory``; return the config path.

    ``card_pki`` is the folder ``bitaqa pki`` wrote (its ``intermediate.pem`` issues the card's
    certificates).  ``agent_ports`` ([wss, ws]) is for an agent on non-standard ports.  An
    ``http`` development origin sets the config's ``allowInsecureLocalhost``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "request-key.pem").write_bytes(_private_pem(request_key))
    config = {
        "origin": origin,
        "requestKeyFile": "request-key.pem",
        "requestKeyId": request_key_id,
        "trustAnchorFiles": [str(card_pki / "intermediate.pem")],
        "chainFiles": [str(card_pki / "intermediate.pem")],
        "agentPorts": list(agent_ports),
        "allowInsecureLocalhost": _is_development_http(origin),
    }
    path = directory / "portal.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def write_localhost_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed TLS certificate for ``localhost`` and ``127.0.0.1``; return (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "tls.pem", directory / "tls-key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_private_pem(key))
    return certificate_path, key_path


def main(argv: list[str]) -> int:
    """Run the demo until Ctrl-C; return the exit status."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    if bool(arguments.tls_cert) != bool(arguments.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    directory = Path(tempfile.mkdtemp(prefix="bitaqa-demo-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        return _run(arguments, directory, processes)
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bitaqa demo", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8443, help="the portal's port")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.add_argument(
        "--in-process-card", action="store_true", help="run the card inside the agent, not PC/SC"
    )
    parser.add_argument(
        "--vpcd-port", type=int, default=35963, help="vpcd reader port (Debian's: 35963)"
    )
    parser.add_argument(
        "--https", action="store_true",
        help="serve https://localhost with a certificate made on the spot (the browser warns)",
    )  # fmt: skip
    parser.add_argument(
        "--tls-cert", type=Path,
        help="serve https://localhost with this certificate (PEM), e.g. one made with mkcert",
    )  # fmt: skip
    parser.add_argument("--tls-key", type=Path, help="its private key (PEM)")
    parser.add_argument(
        "--agent-ports", type=int, nargs=2, metavar=("WSS", "WS"),
        help="run the agent on these ports instead of the standard ones",
    )  # fmt: skip
    return parser


@dataclass(frozen=True)
class _DemoFiles:
    """What the processes of one demo read."""

    origin: str
    card_profile: Path
    policy_dir: Path
    portal_config: Path
    #: The portal's TLS certificate and key; ``None`` for the plain http default.
    tls_certificate: Path | None
    tls_key: Path | None


def _write_files(arguments: argparse.Namespace, directory: Path) -> _DemoFiles:
    scheme = "https" if arguments.https or arguments.tls_cert else "http"
    origin = f"{scheme}://localhost:{arguments.port}"
    profile = build_profiles(directory / "card")["ecc"]
    request_key = ec.generate_private_key(ec.SECP256R1())
    policy = directory / "policy"
    policy.mkdir()
    (policy / "policy.json").write_text(json.dumps(local_policy(origin, request_key)))
    portal = directory / "portal"
    config = write_portal_files(
        portal,
        origin=origin,
        card_pki=directory / "card" / "pki",
        request_key=request_key,
        agent_ports=arguments.agent_ports or (),
    )
    certificate: Path | None = None
    key: Path | None = None
    if arguments.tls_cert:
        certificate, key = arguments.tls_cert, arguments.tls_key
    elif arguments.https:
        certificate, key = write_localhost_certificate(portal)
    return _DemoFiles(origin, profile, policy, config, certificate, key)


def _run(
    arguments: argparse.Namespace, directory: Path, processes: list[subprocess.Popen[bytes]]
) -> int:
    stop_requested: list[int] = []
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda received, _frame: stop_requested.append(received))
    files = _write_files(arguments, directory)
    through_pcscd = not arguments.in_process_card and _pcscd_with_vpcd()
    if through_pcscd:
        vcard = ["vcard", "--profile", str(files.card_profile), "--port", str(arguments.vpcd_port)]
        processes.append(_spawn(vcard))
    agent_arguments = [
        "agent", "--config-dir", str(directory / "agent"),
        "--system-policy-dir", str(files.policy_dir),
        "--ready-file", str(directory / "agent-ready.json"), "--no-keyring",
    ]  # fmt: skip
    if arguments.agent_ports:
        agent_arguments += ["--port", str(arguments.agent_ports[0])]
        agent_arguments += ["--ws-port", str(arguments.agent_ports[1])]
    if not through_pcscd:
        agent_arguments += ["--in-process-card", str(files.card_profile)]
    if not _has_display():
        agent_arguments.append("--no-tray")
    processes.append(_spawn(agent_arguments))
    portal_arguments = [sys.executable, "-m", "bitaqa_portal", "--config",
                        str(files.portal_config), "--port", str(arguments.port)]  # fmt: skip
    if files.tls_certificate is not None and files.tls_key is not None:
        portal_arguments += ["--tls-cert", str(files.tls_certificate)]
        portal_arguments += ["--tls-key", str(files.tls_key)]
    processes.append(
        subprocess.Popen(
            portal_arguments,
            cwd=PORTAL_DIRECTORY,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
    )
    if not _wait_until_started(directory / "agent-ready.json", arguments.port, processes):
        print("bitaqa demo: a process did not start; see the messages above", file=sys.stderr)
        return 1
    made_certificate = arguments.https and not arguments.tls_cert
    _announce(files.origin, through_pcscd=through_pcscd, made_certificate=made_certificate)
    if not arguments.no_browser and _has_display():
        webbrowser.open(f"{files.origin}/")
    while not stop_requested:
        if any(process.poll() is not None for process in processes):
            print("bitaqa demo: a process stopped unexpectedly", file=sys.stderr)
            return 1
        time.sleep(0.2)
    return 0


def _announce(origin: str, *, through_pcscd: bool, made_certificate: bool) -> None:
    card = "through pcscd (the vpcd reader)" if through_pcscd else "inside the agent"
    print(f"Bitaqa demo is running: {origin}/", flush=True)
    print(f"The virtual card runs {card}; its PIN is {DEMO_PIN}.", flush=True)
    if made_certificate:
        print("The portal's certificate is made on the spot: accept the browser's warning once.")
    print("Press Ctrl-C to stop.", flush=True)


def _is_development_http(origin: str) -> bool:
    # parse_origin refuses http on any host but the three loopback names, even with the flag.
    return parse_origin(origin, allow_insecure_localhost=True).scheme == "http"


def _spawn(bitaqa_arguments: list[str]) -> subprocess.Popen[bytes]:
    # A session of its own: Ctrl-C reaches only the demo, which stops each child by PID.
    return subprocess.Popen(
        [sys.executable, "-m", "bitaqa.cli", *bitaqa_arguments], start_new_session=True
    )


def _wait_until_started(
    ready_file: Path, portal_port: int, processes: Sequence[subprocess.Popen[bytes]]
) -> bool:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            return False
        if ready_file.exists() and _listening(portal_port):
            return True
        time.sleep(0.1)
    return False


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _pcscd_with_vpcd() -> bool:
    socket_path = Path(os.environ.get("PCSCLITE_CSOCK_NAME", _PCSCD_SOCKET))
    return _VPCD_DRIVER.exists() and socket_path.exists()


def _has_display() -> bool:
    if sys.platform in {"win32", "darwin"}:
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
