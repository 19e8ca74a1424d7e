"""The agent's side of the dialogs without a desktop: failures, the wire format, no Qt import."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys

import pytest

from bitaqa.agent.ui.errors import DialogFailed
from bitaqa.agent.ui.qt import QtUserInterface
from bitaqa.agent.ui.qt._wire import (
    DialogRequest,
    Kind,
    Status,
    decode_request,
    encode_frame,
    encode_request,
)


def test_importing_the_agent_side_loads_no_gui_toolkit() -> None:
    """The daemon imports the Qt client and the tray module without loading PySide6 or pystray."""
    probe = (
        "import sys, bitaqa.agent.ui.qt, bitaqa.agent.ui.tray, bitaqa.agent.doctor;"
        "print(sorted(m for m in ('PySide6', 'pystray', 'gi') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert output.strip() == "[]"


def test_no_display_is_dialog_failed(pin_prompt, monkeypatch) -> None:
    """When the dialog process cannot open a display the agent gets DialogFailed, not a hang."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    with pytest.raises(DialogFailed):
        asyncio.run(asyncio.wait_for(QtUserInterface("en").ask_pin(pin_prompt()), 60))


def test_missing_dialog_program_is_dialog_failed(consent_prompt, tmp_path) -> None:
    """A dialog command that cannot start is DialogFailed."""
    ui = QtUserInterface("ar", command=[str(tmp_path / "missing")])
    with pytest.raises(DialogFailed):
        asyncio.run(ui.ask_consent(consent_prompt()))


def test_malformed_request_gets_a_failed_frame_and_status_two() -> None:
    """The dialog process answers a malformed request with FAILED and exits 2."""
    result = subprocess.run(
        [sys.executable, "-m", "bitaqa.agent.ui.qt.dialog_process"],
        input=b'{"kind": "pin", "language": "ar"}\n',
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == bytes([Status.FAILED, 0])


def test_request_round_trips_and_never_carries_a_pin(pin_prompt) -> None:
    """A PIN request encodes to one JSON line and decodes to the same prompt."""
    request = DialogRequest(
        kind=Kind.PIN, language="ar", timeout_seconds=30, pin=pin_prompt(tries_left=1)
    )
    line = encode_request(request)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert decode_request(io.BytesIO(line)) == request
    with pytest.raises(ValueError, match="malformed"):
        decode_request(io.BytesIO(b'{"kind": "nope"}\n'))
    with pytest.raises(ValueError, match="missing or too long"):
        decode_request(io.BytesIO(b"{}"))


def test_answer_frames_are_bounded() -> None:
    """Frames carry status, length and payload; an oversized payload is refused."""
    assert encode_frame(Status.PIN, b"1234") == bytearray(b"P\x041234")
    with pytest.raises(ValueError, match="too long"):
        encode_frame(Status.PIN, b"1" * 65)
