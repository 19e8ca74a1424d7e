"""APDUs, bytes and time: Bitaqa's PIV driver next to OpenSC on the same virtual card.

    sudo .venv/bin/python benchmarks/card_apdus.py [--round-trips 1000]

Starts a private pcscd (``unshare -m``, root needed, the test harness in ``tests/support/pcsc.py``)
and the virtual card process, once per card profile (ECC: 9A P-256 / 9C P-384; RSA: both
RSA-2048).  Counts are taken on the card side (the virtual card's control channel), so both
contenders are measured by the same meter.  Rows:

* Bitaqa, first authentication after insertion: connect, pick the driver by ATR, read the 9A
  certificate and the PIN status, VERIFY and GENERAL AUTHENTICATE (what ``authenticate`` does).
* Bitaqa, second authentication: the same on the same insertion (certificate cached).
* Bitaqa, signature: read the 9C certificate and PIN status, VERIFY, GENERAL AUTHENTICATE 9C.
* OpenSC, ``pkcs11-tool --login --sign`` with the 9A key and with the 9C key, each a new
  process (login + sign is the smallest thing it can do), run twice to show any caching.
  Its time includes starting the process; the ``pkcs11-tool -I`` row shows what merely
  initialising the module and finding the token costs.

Then the APDU round trip through pyscard -> pcscd -> vpcd -> card: median and p95 of many
GET DATA (Discovery) commands.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bitaqa.agent.cards.base import HashFunction, PaddingScheme, PinKind
from bitaqa.agent.cards.pcsc import PcscConnector
from bitaqa.agent.cards.registry import default_registry
from bitaqa.vcard.factory import build_profiles
from support.pcsc import PcscEnvironment, VirtualCardProcess, free_port_pair

OPENSC_MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
PIN = b"123456"
# pkcs11-tool object ids of the PIV keys (OpenSC's pkcs15-piv emulation): 01 = 9A, 02 = 9C.
OPENSC_SIGNATURES = {
    "ecc": {"01": "ECDSA-SHA256", "02": "ECDSA-SHA384"},
    "rsa": {"01": "SHA256-RSA-PKCS", "02": "SHA256-RSA-PKCS-PSS"},
}
AUTHENTICATION_ALGORITHM = {"ecc": "ES256", "rsa": "RS256"}
SIGNING_ALGORITHM = {
    "ecc": (HashFunction.SHA_384, PaddingScheme.NONE),
    "rsa": (HashFunction.SHA_256, PaddingScheme.PSS),
}


def measure(card: VirtualCardProcess, action: Callable[[], object]) -> tuple[int, int, float]:
    """Run ``action``; return (APDUs, bytes both ways, milliseconds) as the card counted them."""
    card.reset_counters()
    started = time.perf_counter()
    action()
    elapsed = (time.perf_counter() - started) * 1000
    status = card.status()
    return status["apdus"], status["bytes_in"] + status["bytes_out"], elapsed


def bitaqa_rows(card: VirtualCardProcess, profile: str) -> list[tuple[str, int, int, float]]:
    """The three Bitaqa rows for one card insertion."""
    connector = PcscConnector()
    registry = default_registry()  # imports the families outside the timed part
    state: dict[str, Any] = {}
    auth_digest = hashlib.sha256(b"H(origin)||H(nonce)").digest()

    def authenticate() -> None:
        driver = state.get("driver")
        if driver is None:
            driver = state["driver"] = registry.open(connector.connect(card.reader_name))
        with driver.transaction():
            driver.authentication_certificate()
            driver.pin_status(PinKind.AUTHENTICATION)
        with driver.transaction():
            driver.verify_pin(PinKind.AUTHENTICATION, bytearray(PIN))
            driver.sign_with_authentication_key(auth_digest, AUTHENTICATION_ALGORITHM[profile])

    def sign() -> None:
        driver = state["driver"]
        hash_function, padding = SIGNING_ALGORITHM[profile]
        digest = hashlib.new(hash_function.hashlib_name, b"document").digest()
        with driver.transaction():
            driver.signing_certificate()
            driver.pin_status(PinKind.SIGNING)
        with driver.transaction():
            driver.verify_pin(PinKind.SIGNING, bytearray(PIN))
            driver.sign_with_signing_key(digest, hash_function, padding)

    try:
        return [
            ("Bitaqa: first authentication after insertion", *measure(card, authenticate)),
            ("Bitaqa: second authentication (cached)", *measure(card, authenticate)),
            ("Bitaqa: signature with 9C", *measure(card, sign)),
        ]
    finally:
        connector.close()


def opensc_rows(
    card: VirtualCardProcess, profile: str, environment: PcscEnvironment, data: Path
) -> list[tuple[str, int, int, float]]:
    """pkcs11-tool login + sign with 9A and 9C, each twice; and the bare process start."""
    rows = []
    base = ["pkcs11-tool", "--module", OPENSC_MODULE]

    def run(arguments: list[str]) -> Callable[[], None]:
        def action() -> None:
            subprocess.run(base + arguments, env=environment.env, check=True, capture_output=True)

        return action

    label = "OpenSC: pkcs11-tool -I (initialise and find the token, no login)"
    rows.append((label, *measure(card, run(["-I"]))))
    for key_id, mechanism in OPENSC_SIGNATURES[profile].items():
        slot = {"01": "9A", "02": "9C"}[key_id]
        arguments = ["--login", "--pin", PIN.decode(), "--sign", "--id", key_id]
        arguments += ["-m", mechanism, "-i", str(data), "-o", str(data) + ".sig"]
        for attempt in ("1st", "2nd"):
            label = f"OpenSC: login + sign {slot} {mechanism} ({attempt})"
            rows.append((label, *measure(card, run(arguments))))
    return rows


def round_trips(reader: str, count: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``count`` GET DATA (Discovery) APDUs."""
    connector = PcscConnector()
    try:
        transport = connector.connect(reader)
        command = bytes.fromhex("00cb3fff035c017e00")
        times = []
        for _ in range(count):
            started = time.perf_counter()
            transport.transmit(command)
            times.append((time.perf_counter() - started) * 1000)
        transport.close()
    finally:
        connector.close()
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def main() -> int:
    """Run every measurement and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--round-trips", type=int, default=1000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bitaqa-bench-") as scratch:
        directory = Path(scratch)
        profiles = build_profiles(directory / "profiles")
        data = directory / "data.txt"
        data.write_bytes(b"The document to sign.\n")
        environment = PcscEnvironment(directory / "pcsc", free_port_pair())
        environment.directory.mkdir()
        os.environ["PCSCLITE_CSOCK_NAME"] = str(environment.socket_path)
        environment.start_pcscd()
        try:
            print("| card | operation | APDUs | bytes | time (ms) |")
            print("|---|---|---:|---:|---:|")
            for profile in ("ecc", "rsa"):
                card = VirtualCardProcess(environment, profiles[profile], name=profile)
                card.start()
                try:
                    rows = bitaqa_rows(card, profile)
                    rows += opensc_rows(card, profile, environment, data)
                    for label, apdus, size, elapsed in rows:
                        print(f"| {profile} | {label} | {apdus} | {size} | {elapsed:.1f} |")
                finally:
                    card.stop()
            card = VirtualCardProcess(environment, profiles["ecc"], name="round-trip")
            card.start()
            try:
                median, p95 = round_trips(card.reader_name, arguments.round_trips)
            finally:
                card.stop()
            print(
                f"\nAPDU round trip pyscard -> pcscd -> vpcd -> virtual card "
                f"({arguments.round_trips} GET DATA): median {median:.3f} ms, p95 {p95:.3f} ms"
            )
        finally:
            environment.stop_pcscd()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
