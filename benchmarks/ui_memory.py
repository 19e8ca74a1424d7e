"""Idle memory of the agent with and without a dialog having been shown (issue 5).

    .venv/bin/python benchmarks/ui_memory.py

Prints RSS and USS (unique set size: what the process alone costs) in MiB for:

1. the real agent (``bitaqa agent --no-wss``), idle, without the tray and (when a display is
   available, e.g. ``xvfb-run -a dbus-run-session -- .venv/bin/python benchmarks/ui_memory.py``)
   with it;
2. a process that imports what the agent imports (``bitaqa.agent.app`` and the Qt client),
   idle, then after one PIN dialog was shown by the short-lived dialog process (offscreen Qt; the
   dialog times out after one second), then after importing PySide6 and creating a QApplication
   in-process — what the agent would cost if it drew its dialogs itself;
3. the dialog process itself while its window is open.

Nothing is asserted; the figures go into the closing note of the issue.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

MIB = 1024 * 1024

_STAND_IN = textwrap.dedent(
    """
    import asyncio, gc, json, os, sys, psutil
    import bitaqa.agent.app
    from bitaqa.agent.ui.base import Operation, PinPrompt, PortalName
    from bitaqa.agent.ui.errors import DialogTimedOut
    from bitaqa.agent.ui.qt import QtUserInterface

    def measure():
        gc.collect()
        info = psutil.Process().memory_full_info()
        return {"rss": info.rss, "uss": info.uss}

    figures = {"idle": measure()}
    prompt = PinPrompt(origin="https://portal.example", portal=PortalName("بوابة", "Portal"),
                       operation=Operation.AUTHENTICATE, pin_label="PIV PIN", tries_left=3,
                       timeout_seconds=1.0)
    async def show():
        try:
            await QtUserInterface("ar").ask_pin(prompt)
        except DialogTimedOut:
            pass
    asyncio.run(show())
    figures["after_dialog"] = measure()
    figures["pyside6_loaded"] = "PySide6" in sys.modules
    from PySide6.QtWidgets import QApplication
    application = QApplication(["stand-in", "-platform", "offscreen"])
    figures["qt_in_process"] = measure()
    print(json.dumps(figures))
    """
)


def _memory(pid: int) -> dict[str, int]:
    info = psutil.Process(pid).memory_full_info()
    return {"rss": info.rss, "uss": info.uss}


def _row(label: str, figures: dict[str, int]) -> str:
    return f"| {label} | {figures['rss'] / MIB:.1f} | {figures['uss'] / MIB:.1f} |"


def _real_agent(workdir: Path, *, tray: bool) -> dict[str, int]:
    ready = workdir / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bitaqa.cli",
            "agent",
            *([] if tray else ["--no-tray"]),
            "--no-wss",
            "--no-keyring",
            "--ws-port",
            "0",
            "--config-dir",
            str(workdir / "config"),
            "--system-policy-dir",
            str(workdir / "system"),
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        return _memory(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _dialog_process() -> dict[str, int]:
    request = {
        "kind": "message",
        "language": "ar",
        "timeoutSeconds": 30,
        "title": "بطاقة",
        "body": "قياس الذاكرة",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bitaqa.agent.ui.qt.dialog_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(request).encode() + b"\n")
    process.stdin.flush()
    time.sleep(2.0)
    figures = _memory(process.pid)
    process.stdin.close()
    process.wait(timeout=10)
    return figures


def main() -> None:
    """Measure and print the table."""
    with tempfile.TemporaryDirectory() as folder:
        agent = _real_agent(Path(folder), tray=False)
    tray = None
    if os.environ.get("DISPLAY"):
        with tempfile.TemporaryDirectory() as folder:
            tray = _real_agent(Path(folder), tray=True)
    stand_in = json.loads(
        subprocess.run(
            [sys.executable, "-c", _STAND_IN],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        ).stdout
    )
    print("| process | RSS MiB | USS MiB |")
    print("|---|---:|---:|")
    print(_row("agent (bitaqa agent --no-tray), idle", agent))
    if tray is not None:
        print(_row("agent with its tray icon (pystray + GTK), idle", tray))
    print(_row("agent imports + Qt client, idle, no dialog yet", stand_in["idle"]))
    print(_row("same, after one PIN dialog (child process)", stand_in["after_dialog"]))
    print(_row("same, if PySide6 + QApplication were in-process", stand_in["qt_in_process"]))
    print(_row("the dialog process, window open", _dialog_process()))
    print(f"PySide6 imported by the agent side after the dialog: {stand_in['pyside6_loaded']}")


if __name__ == "__main__":
    main()
