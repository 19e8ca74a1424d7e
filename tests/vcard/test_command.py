"""``bitaqa vcard`` and ``bitaqa pki`` as commands: arguments, profiles, control socket, signals."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bitaqa.vcard.profile import load_profile


def _vcard(arguments: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bitaqa.cli", "vcard", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def _ask(path: Path, line: str) -> str:
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(str(path))
        connection.sendall(line.encode() + b"\n")
        with connection.makefile("rb") as answer:
            return answer.readline().decode().strip()


@pytest.mark.parametrize(
    "content", [None, "{not json", '{"format": "other"}', '{"format": "bitaqa-vcard-profile/1"}']
)
def test_unusable_profile_exits_2_with_a_reason(tmp_path, content):
    """A missing, non-JSON, foreign or incomplete profile ends with status 2 and a message."""
    profile = tmp_path / "profile.json"
    if content is not None:
        profile.write_text(content)
    process = _vcard(["--profile", str(profile), "--port", str(_closed_port())])
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "profile" in stderr
    assert "Traceback" not in stderr


def test_profile_with_a_mismatched_certificate_is_refused(card_profiles, tmp_path):
    """A slot whose certificate belongs to another key is refused at load time."""
    document = json.loads(card_profiles["ecc"].read_text())
    document["slots"]["9a"]["certificate_pem"] = document["slots"]["9e"]["certificate_pem"]
    profile = tmp_path / "bad.json"
    profile.write_text(json.dumps(document))
    process = _vcard(["--profile", str(profile), "--port", str(_closed_port())])
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "does not match" in stderr


def test_default_profile_control_socket_and_clean_sigterm(tmp_path):
    """Without --profile the built-in ECC profile is made in the cache; SIGTERM exits 0 and
    removes the control socket, even while no pcscd is listening."""
    control = tmp_path / "control"
    env = {"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    process = _vcard(["--port", str(_closed_port()), "--control", str(control)], env=env)
    try:
        _wait_for(control, process)
        status = json.loads(_ask(control, "status"))
        assert status["profile"] == "ecc"
        assert (status["connected"], status["inserted"], status["apdus"]) == (False, True, 0)
        assert _ask(control, "shake") == "error unknown command"
        assert _ask(control, "remove") == "ok"
        assert json.loads(_ask(control, "status"))["inserted"] is False
        assert load_profile(tmp_path / "cache" / "bitaqa" / "vcard" / "ecc.json").name == "ecc"
        assert control.stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert not control.exists()


def test_pki_command_writes_the_same_profiles_twice(tmp_path):
    """``bitaqa pki`` is repeatable: a second run into the same directory changes no byte."""
    output = tmp_path / "out"
    command = [sys.executable, "-m", "bitaqa.cli", "pki", "--output", str(output)]
    first = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    assert {line.split()[0] for line in first.stdout.splitlines()} == {"ecc", "rsa"}
    snapshot = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}
    subprocess.run(command, capture_output=True, check=True, timeout=60)
    assert {path: path.read_bytes() for path in output.rglob("*") if path.is_file()} == snapshot
    for name in ("ecc", "rsa"):
        profile = load_profile(output / f"{name}.json")
        assert set(profile.slots) == {0x9A, 0x9C, 0x9D, 0x9E}
    index = (output / "pki" / "index.txt").read_text().splitlines()
    assert len(index) == 8  # four slots of two profiles, all valid, for `openssl ocsp -index`
    assert all(line.startswith("V\t") for line in index)
