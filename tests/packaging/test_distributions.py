"""The validator distribution installs alone, without any agent-only dependency (BRIEF, issue 2)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
AGENT_ONLY_DISTRIBUTIONS = {"pyscard", "websockets", "pyside6-essentials", "pyside6", "pystray"}


@pytest.fixture(scope="module")
def protocol_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the bitaqa-protocol wheel from the checkout."""
    output = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(output),
            str(REPOSITORY / "protocol"),
        ],
        check=True,
    )
    return next(output.glob("bitaqa_protocol-*.whl"))


@pytest.mark.slow
def test_portal_backend_gets_the_validator_without_agent_dependencies(
    protocol_wheel: Path, tmp_path: Path
) -> None:
    """pip install of bitaqa-protocol brings no pyscard, websockets or GUI toolkit."""
    environment = tmp_path / "portal-venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", str(protocol_wheel)], check=True)

    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True, text=True
    ).stdout
    installed = {line.split("==")[0].lower() for line in listed.splitlines() if "==" in line}
    assert "bitaqa-protocol" in installed
    assert not installed & AGENT_ONLY_DISTRIBUTIONS

    probe = (
        "import importlib.util, bitaqa.validator, bitaqa.protocol.errors;"
        "from importlib.resources import files;"
        "assert files('bitaqa.protocol').joinpath('error-codes.json').is_file();"
        "assert importlib.util.find_spec('bitaqa.agent') is None;"
        "assert importlib.util.find_spec('agent') is None;"
        "assert importlib.util.find_spec('protocol') is None"
    )
    # Run outside the checkout, so its top-level folders cannot shadow installed names.
    subprocess.run([python, "-c", probe], check=True, cwd=tmp_path)


def test_installed_top_level_names_belong_to_the_project(protocol_wheel: Path) -> None:
    """The wheel installs only under the bitaqa namespace (no bare `protocol` or `agent`)."""
    import zipfile

    with zipfile.ZipFile(protocol_wheel) as wheel:
        top_levels = {name.split("/")[0] for name in wheel.namelist()}
    assert top_levels == {"bitaqa", next(n for n in top_levels if n.endswith(".dist-info"))}
