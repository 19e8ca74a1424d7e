"""A real ``openssl ocsp`` responder serving a test PKI's index, started and stopped by the tests.

The harness picks a free port first and builds the PKI with ``http://127.0.0.1:<port>/`` in the
holder certificates' AIA extension, so the validator finds the responder the way it would in
production. ``start()`` writes ``index.txt`` from ``TestPki.index_txt()`` and launches
``openssl ocsp -index ... -port <port> -rsigner ... -rkey ... -CA ...``; every process it started
is stopped by its PID at teardown.

OpenSSL 3.0's responder cannot bind one address: it listens on the wildcard address of that port
for the duration of a test.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bitaqa.testing.pki import IssuedCertificate, TestPki, build_test_pki

__all__ = ["OcspHarness", "free_loopback_port", "ocsp_harness", "wait_for_log_line"]

_START_TIMEOUT = 10.0


def free_loopback_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_log_line(text: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``log`` contains ``text``; fail with the log if ``process`` exits first.

    A connect probe is not an option: the single-process responder blocks on a connection that
    sends no request.
    """
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}: {log.read_text()}")
        time.sleep(0.02)
    raise RuntimeError(f"no {text!r} in time: {log.read_text()}")


@dataclass
class OcspHarness:
    """A test PKI whose AIA points at ``url``, and the responder processes started for it."""

    pki: TestPki
    port: int
    directory: Path
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The responder URL written into the holder certificates."""
        return self.pki.ocsp_url

    def start(
        self, *, signer: IssuedCertificate | None = None, next_update_minutes: int = 5
    ) -> None:
        """(Re)start the responder with the PKI's current index, signing with ``signer``.

        ``signer`` defaults to the PKI's authorised OCSP responder certificate.
        """
        self.stop()
        signer = signer or self.pki.ocsp_responder
        files = {
            "index.txt": self.pki.index_txt().encode(),
            # Several certificates share one subject (a holder's authentication and signing
            # certificates), which the default unique_subject = yes would refuse.
            "index.txt.attr": b"unique_subject = no\n",
            "ca.pem": self.pki.intermediate.pem(),
            "signer.pem": signer.pem(),
            "signer.key": signer.key_pem(),
        }
        for name, content in files.items():
            (self.directory / name).write_bytes(content)
        log = self.directory / "responder.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    "openssl", "ocsp",
                    "-index", str(self.directory / "index.txt"),
                    "-CA", str(self.directory / "ca.pem"),
                    "-rsigner", str(self.directory / "signer.pem"),
                    "-rkey", str(self.directory / "signer.key"),
                    "-port", str(self.port),
                    "-nmin", str(next_update_minutes),
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._processes.append(process)
        wait_for_log_line("waiting for OCSP client connections", process, log)

    def stop(self) -> None:
        """Stop every responder this harness started, by PID."""
        while self._processes:
            process = self._processes.pop()
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def ocsp_harness(tmp_path: Path) -> Iterator[OcspHarness]:
    """A fresh test PKI with its AIA on a free loopback port; call ``start()`` to serve OCSP."""
    port = free_loopback_port()
    directory = tmp_path / "ocsp"
    directory.mkdir()
    harness = OcspHarness(
        build_test_pki(ocsp_url=f"http://127.0.0.1:{port}/"), port=port, directory=directory
    )
    try:
        yield harness
    finally:
        harness.stop()
