"""Running the third-party PC/SC tools (OpenSC, yubico-piv-tool) against the private pcscd."""

from __future__ import annotations

import subprocess
from pathlib import Path

OPENSC_MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"


def run(
    command: list[str], env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a tool with the harness environment; with ``check`` fail the test on a non-zero exit."""
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def pkcs11_tool(
    env: dict[str, str], *arguments: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``pkcs11-tool --module <OpenSC PKCS#11>`` with ``arguments``."""
    return run(["pkcs11-tool", "--module", OPENSC_MODULE, *arguments], env, check=check)


def piv_tool(
    env: dict[str, str], reader: str, *arguments: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``yubico-piv-tool -r <reader>`` with ``arguments``."""
    return run(["yubico-piv-tool", "-r", reader, *arguments], env, check=check)


def read_certificate_der(
    env: dict[str, str], object_id: str, directory: Path, *options: str
) -> bytes:
    """The certificate with PKCS#11 ID ``object_id``, read from the card by pkcs11-tool."""
    output = directory / f"cert-{object_id}.der"
    pkcs11_tool(
        env, *options, "--read-object", "--type", "cert", "--id", object_id, "-o", str(output)
    )
    return output.read_bytes()
