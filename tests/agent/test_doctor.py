"""``bitaqa doctor`` against a real private pcscd, virtual card, sockets, NSS and policy files."""

from __future__ import annotations

import datetime
import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from bitaqa.agent import doctor
from bitaqa.agent.doctor import Machine, Status, run_checks
from bitaqa.agent.server.tls import TlsFiles, issue_certificates
from support.agent import TRUSTED_ORIGIN, TrustAuthority


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """An empty machine: no agent files, no policies, no CA store entries, free ports."""
    for folder in ("config", "system", "home", "ca", "chromium", "firefox"):
        (tmp_path / folder).mkdir()
    return Machine(
        config_dir=tmp_path / "config",
        system_policy_dir=tmp_path / "system",
        home=tmp_path / "home",
        wss_ports=(_free_port(),),
        ws_ports=(_free_port(),),
        ca_certificate_dirs=(tmp_path / "ca",),
        chromium_policy_dirs=(tmp_path / "chromium",),
        firefox_policy_files=(tmp_path / "firefox" / "policies.json",),
    )


def _by_id(findings: list[doctor.Finding]) -> dict[str, doctor.Finding]:
    return {finding.check: finding for finding in findings}


def _install_trust_list(machine: Machine, authority: TrustAuthority, token: str) -> None:
    keys = machine.system_policy_dir / "authority-keys"
    keys.mkdir(exist_ok=True)
    (keys / f"{authority.authority_kid}.pem").write_bytes(authority.authority_pem())
    (machine.system_policy_dir / "trust-list.jws").write_text(token, encoding="ascii")


def test_stopped_pcscd_is_an_error_and_exit_status_one(pcsc_environment, machine) -> None:
    """With pcscd stopped the service check fails, readers/card are skipped, and exit is 1."""
    pcsc_environment.stop_pcscd()
    try:
        found = _by_id(run_checks(machine, "en"))
    finally:
        pcsc_environment.start_pcscd()
    assert found["pcsc.service"].status is Status.ERROR
    assert "pcscd" in found["pcsc.service"].message
    assert found["pcsc.readers"].status is Status.WARNING
    assert found["card.driver"].status is Status.WARNING


def test_no_card_lists_readers_and_asks_for_the_card(pcsc_environment, machine) -> None:
    """With pcscd running and no card: the vpcd readers are listed, the card check warns."""
    found = _by_id(run_checks(machine, "ar"))
    assert found["pcsc.service"].status is Status.OK
    assert found["pcsc.readers"].status is Status.OK
    assert found["pcsc.readers"].details["readers"] == list(pcsc_environment.reader_names)
    assert found["card.driver"].status is Status.WARNING
    assert found["card.driver"].message == "لا توجد بطاقة في القارئ. أدخل بطاقة الهوية."


def test_inserted_card_names_its_driver(pcsc_environment, virtual_card, machine) -> None:
    """The virtual PIV card is recognised and the driver named."""
    found = _by_id(run_checks(machine, "en"))["card.driver"]
    assert found.status is Status.OK
    assert found.details["driver"] == "piv"
    assert found.details["reader"] == virtual_card.reader_name


def test_port_taken_names_the_process(machine) -> None:
    """A port held by another program is an error naming its process when no fallback is free."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", machine.ws_ports[0]))
        holder.listen()
        found = _by_id(run_checks(machine, "en"))["agent.port"]
    assert found.status is Status.ERROR
    (ws,) = [entry for entry in found.details["ports"] if entry["port"] == machine.ws_ports[0]]
    assert ws["state"] == "other"
    assert ws["pid"] is not None
    assert ws["process"]
    assert ws["process"] in found.message
    assert f"Port {machine.ws_ports[0]} is taken" in found.message


def test_taken_first_port_with_free_fallback_is_a_warning(machine) -> None:
    """When the first port is taken but the fallback is free, the check warns only."""
    fallback = _free_port()
    machine = Machine(**{**machine.__dict__, "ws_ports": (machine.ws_ports[0], fallback)})
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", machine.ws_ports[0]))
        holder.listen()
        found = _by_id(run_checks(machine, "en"))["agent.port"]
    assert found.status is Status.WARNING


def test_broken_trust_list_is_an_error_with_the_reason(machine, trust_authority) -> None:
    """A trust list whose signature does not verify is reported with its reason; exit 1."""
    token = trust_authority.trust_list(3)
    header, payload, signature = token.split(".")
    broken = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    _install_trust_list(machine, trust_authority, broken)
    found = _by_id(run_checks(machine, "en"))["trustlist"]
    assert found.status is Status.ERROR
    assert found.details["state"] == "none"
    (reason,) = found.details["problems"].values()
    assert reason in found.message


def test_expired_trust_list_is_an_error(machine, trust_authority) -> None:
    """An expired trust list is not accepted."""
    _install_trust_list(
        machine, trust_authority, trust_authority.trust_list(2, lifetime=60, issued_at=1_000_000)
    )
    found = _by_id(run_checks(machine, "en"))["trustlist"]
    assert found.status is Status.ERROR
    assert found.details["problems"]


def test_valid_trust_list_and_browser_policies(machine, trust_authority) -> None:
    """A valid list is OK; browser policies that miss some portal origins are a warning."""
    _install_trust_list(machine, trust_authority, trust_authority.trust_list(4))
    chromium = machine.chromium_policy_dirs[0] / "bitaqa.json"
    chromium.write_text(json.dumps({"LocalNetworkAccessAllowedForUrls": [TRUSTED_ORIGIN]}))
    found = _by_id(run_checks(machine, "en"))
    assert found["trustlist"].status is Status.OK
    assert found["trustlist"].details["version"] == 4
    policies = found["browser.policies"]
    assert policies.status is Status.WARNING
    missing = policies.details["Chrome/Chromium"]["missing"]
    assert TRUSTED_ORIGIN not in missing
    assert missing
    origins = [entry["origin"] for entry in trust_authority.default_entries()]
    chromium.write_text(json.dumps({"LoopbackNetworkAllowedForUrls": origins}))
    firefox = {"policies": {"LocalNetworkAccess": {"Enabled": True, "SkipDomains": origins}}}
    machine.firefox_policy_files[0].write_text(json.dumps(firefox))
    policies = _by_id(run_checks(machine, "en"))["browser.policies"]
    assert policies.status is Status.OK
    assert "Firefox" in policies.message


def test_tls_root_in_system_store_and_nss(machine) -> None:
    """The agent's root must be in the system store; an NSS database without it is a warning."""
    issue_certificates(TlsFiles(machine.config_dir / "tls"), datetime.datetime.now(datetime.UTC))
    root = machine.config_dir / "tls" / "root.pem"
    assert _by_id(run_checks(machine, "en"))["tls.root"].status is Status.ERROR
    shutil.copy(root, machine.ca_certificate_dirs[0] / "bitaqa-root.crt")
    assert _by_id(run_checks(machine, "en"))["tls.root"].status is Status.OK
    if shutil.which("certutil") is None:
        pytest.fail("certutil (libnss3-tools) is missing; run scripts/test.sh")
    database = machine.home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{database}", "--empty-password"], check=True)
    found = _by_id(run_checks(machine, "en"))["tls.root"]
    assert found.status is Status.WARNING
    assert found.details["missing"] == ["NSS (Chrome/Chromium)"]
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{database}",
            "-n",
            "Bitaqa local root",
            "-t",
            "C,,",
            "-i",
            str(root),
        ],
        check=True,
    )
    found = _by_id(run_checks(machine, "en"))["tls.root"]
    assert found.status is Status.OK
    assert found.details["trusted"] == ["system", "NSS (Chrome/Chromium)"]


def test_command_line_json_and_arabic_text(machine, trust_authority, capsys) -> None:
    """--json prints every check with a stable id; the default output follows --language."""
    arguments = [
        "--config-dir",
        str(machine.config_dir),
        "--system-policy-dir",
        str(machine.system_policy_dir),
    ]
    status = doctor.main(["--json", "--language", "en", *arguments])
    document = json.loads(capsys.readouterr().out)
    assert [check["id"] for check in document["checks"]] == [
        "pcsc.service",
        "pcsc.readers",
        "card.driver",
        "agent.port",
        "tls.root",
        "trustlist",
        "browser.policies",
    ]
    assert document["ok"] is False  # no trust list installed
    assert status == 1
    assert doctor.main(["--language", "ar", *arguments]) == 1
    text = capsys.readouterr().out
    assert "فحص إعداد بطاقة" in text
    assert "[خطأ] قائمة المواقع الموثوقة" in text
    assert doctor.main(["--language", "xx"]) == 2
