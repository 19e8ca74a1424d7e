"""``bitaqa doctor``: check the set-up and explain what is wrong, in the resident's language.

Each check has a stable id and ends ``ok``, ``warning`` or ``error``:

=====================  =====================================================================
``pcsc.service``       a PC/SC context can be established (pcscd / WinSCard running)
``pcsc.readers``       at least one reader is connected
``card.driver``        a card is inserted and a driver recognises it (which driver)
``agent.port``         each port set (wss, ws) has a port that is free or held by the agent;
                       a port held by another program names it (psutil)
``tls.root``           the agent's local root (``<config>/tls/root.pem``) is in the system
                       store; NSS (``~/.pki/nssdb``) and Firefox profiles when ``certutil`` exists
``trustlist``          the trust list verifies, is current and was not rolled back
``browser.policies``   Chrome/Chromium and Firefox policies pre-allow the portals' origins
=====================  =====================================================================

Output is human-readable by default, ``--json`` for scripts: ``{"language", "ok", "checks":
[{"id", "status", "title", "message", "details"}]}``.  Exit status: 0 when no check is an
error, 1 otherwise, 2 for bad arguments.  Checking the trust list loads it as the agent does
(which may record the accepted version in the agent's folder, exactly as starting the agent would).
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
from cryptography import x509

from bitaqa.agent.ui import i18n

__all__ = ["Finding", "Machine", "Status", "main", "run_checks"]


class Status(enum.Enum):
    """How one check ended."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: stable ``check`` id, status, explanation and machine details."""

    check: str
    status: Status
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _default_config_dir() -> Path:
    from bitaqa.agent.command import default_config_dir  # noqa: PLC0415 - keeps start-up light

    return default_config_dir()


def _default_system_dir() -> Path:
    from bitaqa.agent.command import default_system_policy_dir  # noqa: PLC0415

    return default_system_policy_dir()


@dataclass(frozen=True)
class Machine:
    """Where the checks look; the defaults describe this machine (tests point elsewhere)."""

    config_dir: Path = field(default_factory=_default_config_dir)
    system_policy_dir: Path = field(default_factory=_default_system_dir)
    home: Path = field(default_factory=Path.home)
    wss_ports: tuple[int, ...] = (27360, 27361, 27362)
    ws_ports: tuple[int, ...] = (27370, 27371, 27372)
    ca_certificate_dirs: tuple[Path, ...] = (
        Path("/usr/local/share/ca-certificates"),
        Path("/etc/ssl/certs"),
    )
    chromium_policy_dirs: tuple[Path, ...] = (
        Path("/etc/chromium/policies/managed"),
        Path("/etc/opt/chrome/policies/managed"),
    )
    firefox_policy_files: tuple[Path, ...] = (
        Path("/etc/firefox/policies/policies.json"),
        Path("/usr/lib/firefox/distribution/policies.json"),
        Path("/usr/lib/firefox-esr/distribution/policies.json"),
    )


class _Checker:
    """Runs the checks in order; later checks use what earlier ones found."""

    def __init__(self, machine: Machine, texts: i18n.Messages) -> None:
        self.machine = machine
        self.texts = texts
        self.readers: list[str] | None = None
        self.origins: frozenset[str] | None = None

    def finding(self, check: str, status: Status, message_id: str, **values: Any) -> Finding:
        details = {key: value for key, value in values.items() if not key.startswith("_")}
        shown = {key.lstrip("_"): value for key, value in values.items()}
        return Finding(check, status, self.texts.text(message_id, **shown), details)

    # -- PC/SC ------------------------------------------------------------------------------

    def pcsc_service(self) -> Finding:
        from bitaqa.agent.cards.errors import CardError  # noqa: PLC0415 - loads pyscard
        from bitaqa.agent.cards.pcsc import PcscConnector  # noqa: PLC0415

        connector = PcscConnector()
        try:
            self.readers = connector.list_readers()
        except CardError as error:
            return self.finding(
                "pcsc.service", Status.ERROR, "doctor.pcsc.error", reason=str(error)
            )
        finally:
            connector.close()
        return self.finding("pcsc.service", Status.OK, "doctor.pcsc.ok")

    def pcsc_readers(self) -> Finding:
        if self.readers is None:
            return self.finding("pcsc.readers", Status.WARNING, "doctor.skipped.no-service")
        if not self.readers:
            return self.finding("pcsc.readers", Status.ERROR, "doctor.readers.none", readers=[])
        return self.finding(
            "pcsc.readers",
            Status.OK,
            "doctor.readers.ok",
            readers=list(self.readers),
            _readers=", ".join(self.readers),
        )

    def card_driver(self) -> Finding:
        if self.readers is None:
            return self.finding("card.driver", Status.WARNING, "doctor.skipped.no-service")
        if not self.readers:
            return self.finding("card.driver", Status.WARNING, "doctor.skipped.no-reader")
        from bitaqa.agent.cards.errors import CardError, NoCard, UnknownCard  # noqa: PLC0415
        from bitaqa.agent.cards.pcsc import PcscConnector  # noqa: PLC0415
        from bitaqa.agent.cards.registry import default_registry  # noqa: PLC0415

        connector = PcscConnector()
        registry = default_registry()
        unknown: Finding | None = None
        try:
            for reader in self.readers:
                try:
                    transport = connector.connect(reader)
                except NoCard:
                    continue
                except CardError:
                    continue
                try:
                    driver = registry.open(transport)
                    return self.finding(
                        "card.driver",
                        Status.OK,
                        "doctor.card.ok",
                        reader=reader,
                        driver=driver.driver_name,
                        atr=transport.atr.hex(" "),
                    )
                except UnknownCard:
                    unknown = unknown or self.finding(
                        "card.driver",
                        Status.ERROR,
                        "doctor.card.unknown",
                        reader=reader,
                        atr=transport.atr.hex(" "),
                    )
                except CardError:
                    continue
                finally:
                    transport.close()
        finally:
            connector.close()
        return unknown or self.finding("card.driver", Status.WARNING, "doctor.card.none")

    # -- ports ------------------------------------------------------------------------------

    def agent_port(self) -> Finding:
        holders = _listeners()
        worst = Status.OK
        ports: list[dict[str, Any]] = []
        lines: list[str] = []
        for port_set in (self.machine.wss_ports, self.machine.ws_ports):
            usable = False
            for index, port in enumerate(port_set):
                entry = _describe_port(port, holders)
                ports.append(entry)
                if entry["state"] in ("free", "agent"):
                    usable = True
                    if entry["state"] == "agent":
                        lines.append(self.texts.text("doctor.port.agent", **entry))
                    break
                if index == 0:
                    worst = _worse(worst, Status.WARNING)
                message_id = "doctor.port.other" if entry["pid"] else "doctor.port.hidden"
                lines.append(self.texts.text(message_id, **entry))
            if not usable:
                worst = Status.ERROR
                lines.append(self.texts.text("doctor.port.all-taken"))
        if not lines:
            lines.append(self.texts.text("doctor.port.free", port=ports[0]["port"]))
        return Finding("agent.port", worst, " ".join(lines), {"ports": ports})

    # -- TLS --------------------------------------------------------------------------------

    def tls_root(self) -> Finding:
        root_path = self.machine.config_dir / "tls" / "root.pem"
        try:
            root = x509.load_pem_x509_certificate(root_path.read_bytes())
        except (OSError, ValueError):
            return self.finding(
                "tls.root", Status.WARNING, "doctor.tls.no-root", root=str(root_path)
            )
        fingerprint = root.fingerprint(root.signature_hash_algorithm or _sha256())
        trusted: list[str] = []
        missing: list[str] = []
        if any(fingerprint in _pem_fingerprints(path) for path in self._system_files()):
            trusted.append("system")
        else:
            return self.finding("tls.root", Status.ERROR, "doctor.tls.missing", root=str(root_path))
        for name, database in self._nss_databases():
            (trusted if _nss_has(database, root) else missing).append(name)
        details = {"root": str(root_path), "trusted": trusted, "missing": missing}
        if missing:
            return self.finding(
                "tls.root",
                Status.WARNING,
                "doctor.tls.browser-missing",
                _stores=", ".join(missing),
                **details,
            )
        return self.finding(
            "tls.root", Status.OK, "doctor.tls.ok", _stores=", ".join(trusted), **details
        )

    def _system_files(self) -> Iterable[Path]:
        for folder in self.machine.ca_certificate_dirs:
            if folder.is_dir():
                yield from sorted(folder.glob("*.crt"))
                yield from sorted(folder.glob("*.pem"))

    def _nss_databases(self) -> list[tuple[str, Path]]:
        if shutil.which("certutil") is None:
            return []
        found = []
        shared = self.machine.home / ".pki" / "nssdb"
        if (shared / "cert9.db").exists():
            found.append(("NSS (Chrome/Chromium)", shared))
        firefox = self.machine.home / ".mozilla" / "firefox"
        for profile in sorted(firefox.glob("*/cert9.db")) if firefox.is_dir() else []:
            found.append((f"Firefox {profile.parent.name}", profile.parent))
        return found

    # -- trust list and browser policies ----------------------------------------------------

    def trust_list(self) -> Finding:
        from bitaqa.agent.policy.trust import TrustLocations, TrustStore  # noqa: PLC0415

        store = TrustStore(
            TrustLocations(self.machine.system_policy_dir, self.machine.config_dir),
            lambda: int(time.time()),
        )
        report = store.report
        self.origins = store.origins()
        reported = report["problems"]
        problems = dict(reported) if isinstance(reported, dict) else {}
        details = {"version": report["version"], "state": report["state"], "problems": problems}
        reason = ", ".join(f"{where}: {why}" for where, why in problems.items())
        if report["state"] == "none":
            message_id = "doctor.trustlist.invalid" if problems else "doctor.trustlist.missing"
            return self.finding("trustlist", Status.ERROR, message_id, _reason=reason, **details)
        if report["state"] == "fallback" or problems:
            return self.finding(
                "trustlist", Status.WARNING, "doctor.trustlist.invalid", _reason=reason, **details
            )
        return self.finding(
            "trustlist",
            Status.OK,
            "doctor.trustlist.ok",
            count=len(self.origins),
            **details,
        )

    def browser_policies(self) -> Finding:
        origins = sorted(self.origins or ())
        if not origins:
            return self.finding("browser.policies", Status.WARNING, "doctor.policies.skipped")
        chromium = _chromium_allowed(self.machine.chromium_policy_dirs)
        firefox = _firefox_allowed(self.machine.firefox_policy_files)
        if chromium is None and firefox is None:
            return self.finding("browser.policies", Status.WARNING, "doctor.policies.none")
        lines: list[str] = []
        details: dict[str, Any] = {}
        status = Status.OK
        for browser, allowed in (("Chrome/Chromium", chromium), ("Firefox", firefox)):
            if allowed is None:
                continue
            missing = [origin for origin in origins if not allowed(origin)]
            details[browser] = {"missing": missing}
            if missing:
                status = Status.WARNING
                lines.append(
                    self.texts.text(
                        "doctor.policies.missing", browser=browser, origins=", ".join(missing)
                    )
                )
            else:
                lines.append(self.texts.text("doctor.policies.ok", browser=browser))
        return Finding("browser.policies", status, " ".join(lines), details)


def _worse(first: Status, second: Status) -> Status:
    order = [Status.OK, Status.WARNING, Status.ERROR]
    return max(first, second, key=order.index)


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415

    return hashes.SHA256()


def _pem_fingerprints(path: Path) -> set[bytes]:
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return set()
    return {
        certificate.fingerprint(certificate.signature_hash_algorithm or _sha256())
        for certificate in certificates
    }


def _nss_has(database: Path, root: x509.Certificate) -> bool:
    """True when the NSS database holds ``root`` (compared by certificate, not by nickname)."""
    listing = subprocess.run(
        ["certutil", "-L", "-d", f"sql:{database}"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    ).stdout.splitlines()[4:]
    for line in listing:
        columns = line.rsplit(None, 1)
        if len(columns) != 2:
            continue
        exported = subprocess.run(
            ["certutil", "-L", "-d", f"sql:{database}", "-n", columns[0].strip(), "-a"],
            capture_output=True,
            timeout=20,
            check=False,
        ).stdout
        with contextlib.suppress(ValueError):
            if root in x509.load_pem_x509_certificates(exported):
                return True
    return False


def _listeners() -> dict[int, int | None]:
    """Local TCP port -> PID (None when another user's process) of every listening socket."""
    holders: dict[int, int | None] = {}
    with contextlib.suppress(psutil.Error, OSError):
        for connection in psutil.net_connections(kind="tcp"):
            if connection.status == psutil.CONN_LISTEN and connection.laddr:
                holders.setdefault(connection.laddr.port, connection.pid)
    return holders


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _describe_port(port: int, holders: dict[int, int | None]) -> dict[str, Any]:
    if port not in holders and not _port_taken(port):
        return {"port": port, "state": "free", "pid": None, "process": None}
    pid = holders.get(port)
    process_name = None
    state = "other"
    if pid is not None:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            process_name = process.name()
            command = " ".join(process.cmdline())
            if "bitaqa" in command and " agent" in command:
                state = "agent"
    return {"port": port, "state": state, "pid": pid, "process": process_name}


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _chromium_pattern_matches(pattern: str, origin: str) -> bool:
    """Chrome URL-pattern subset: ``*``, an exact origin, a host, or ``[*.]domain``."""
    pattern = pattern.strip().rstrip("/")
    host = urlsplit(origin).hostname or ""
    if pattern in ("*", origin, host):
        return True
    if "://" in pattern:
        pattern = pattern.split("://", 1)[1]
    if pattern.startswith("[*.]"):
        domain = pattern[4:]
        return host == domain or host.endswith("." + domain)
    return pattern == host


def _chromium_allowed(folders: Sequence[Path]) -> Callable[[str], bool] | None:
    patterns: list[str] = []
    seen = False
    for folder in folders:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            policy = _load_json(path)
            if not isinstance(policy, dict):
                continue
            seen = True
            for key in ("LocalNetworkAccessAllowedForUrls", "LoopbackNetworkAllowedForUrls"):
                value = policy.get(key)
                if isinstance(value, list):
                    patterns += [item for item in value if isinstance(item, str)]
    if not seen:
        return None
    return lambda origin: any(_chromium_pattern_matches(p, origin) for p in patterns)


def _firefox_allowed(files: Sequence[Path]) -> Callable[[str], bool] | None:
    for path in files:
        document = _load_json(path)
        if not isinstance(document, dict):
            continue
        policy = document.get("policies", {}).get("LocalNetworkAccess")
        if not isinstance(policy, dict):
            return lambda _origin: False
        if policy.get("Enabled") is False:
            return lambda _origin: True
        skip = [item for item in policy.get("SkipDomains", []) if isinstance(item, str)]
        return lambda origin: any(_chromium_pattern_matches(item, origin) for item in skip)
    return None


def run_checks(machine: Machine | None = None, language: str | None = None) -> list[Finding]:
    """Run every check on ``machine`` (default: this one), explained in ``language``."""
    checker = _Checker(machine or Machine(), i18n.messages(language))
    return [
        checker.pcsc_service(),
        checker.pcsc_readers(),
        checker.card_driver(),
        checker.agent_port(),
        checker.tls_root(),
        checker.trust_list(),
        checker.browser_policies(),
    ]


def _title(texts: i18n.Messages, check: str) -> str:
    return texts.text(
        {"tls.root": "doctor.check.tls.root", "trustlist": "doctor.check.trustlist"}.get(
            check, f"doctor.check.{check}"
        )
    )


def _render_text(findings: Sequence[Finding], texts: i18n.Messages) -> str:
    lines = [texts.text("doctor.title"), ""]
    for finding in findings:
        status = texts.text(f"doctor.status.{finding.status.value}")
        lines.append(f"[{status}] {_title(texts, finding.check)}: {finding.message}")
    errors = sum(finding.status is Status.ERROR for finding in findings)
    lines += [
        "",
        texts.plural("doctor.summary.problems", errors)
        if errors
        else texts.text("doctor.summary.ok"),
    ]
    return "\n".join(lines)


def _render_json(findings: Sequence[Finding], texts: i18n.Messages) -> str:
    document = {
        "language": texts.language,
        "ok": not any(finding.status is Status.ERROR for finding in findings),
        "checks": [
            {
                "id": finding.check,
                "status": finding.status.value,
                "title": _title(texts, finding.check),
                "message": finding.message,
                "details": finding.details,
            }
            for finding in findings
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bitaqa doctor", description="Check this machine's Bitaqa set-up."
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--language", choices=i18n.LANGUAGES, help="default: the resident's")
    parser.add_argument("--config-dir", type=Path, help="the agent's folder (default: per user)")
    parser.add_argument(
        "--system-policy-dir", type=Path, help="IT's policy folder (default: per platform)"
    )
    return parser


def main(argv: list[str]) -> int:
    """Run ``bitaqa doctor``; return 0 when nothing is an error, 1 otherwise (2: bad usage)."""
    try:
        arguments = _parser().parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    changes: dict[str, Any] = {}
    if arguments.config_dir is not None:
        changes["config_dir"] = arguments.config_dir
    if arguments.system_policy_dir is not None:
        changes["system_policy_dir"] = arguments.system_policy_dir
    texts = i18n.messages(arguments.language)
    findings = run_checks(Machine(**changes), texts.language)
    render = _render_json if arguments.json else _render_text
    sys.stdout.write(render(findings, texts) + "\n")
    return 1 if any(finding.status is Status.ERROR for finding in findings) else 0
