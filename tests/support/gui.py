"""A private desktop for GUI tests: Xvfb, a session D-Bus (dbus-run-session), trayer and dunst.

The ``gui_session`` fixture (session scope) starts, in order:

- ``Xvfb`` on a free display (``-displayfd``), 1280x800, no TCP;
- ``dbus-run-session -- sleep infinity``: a private session bus, so nothing autolaunches a bus
  that outlives the tests; stopping the ``sleep`` child makes dbus-run-session stop its bus;
- ``trayer`` (an XEmbed system tray host, top right) so a pystray icon can dock and be seen;
- ``dunst`` (the org.freedesktop.Notifications service) so desktop notifications work.

Every process is stopped by its PID at the end.  ``GuiSession.environment`` is what child
processes need (DISPLAY, DBUS_SESSION_BUS_ADDRESS, NO_AT_BRIDGE); the ``gui_environment``
fixture also applies it to the test process.  Screenshots go under ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from PIL import Image, ImageChops

__all__ = [
    "SCREENSHOTS",
    "GuiSession",
    "gui_environment",
    "gui_session",
    "ink_box",
    "stop_process",
    "wait_for_window",
    "xdotool",
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
"""Where GUI tests save their PNG artifacts (git-ignored)."""

SCREEN_WIDTH, SCREEN_HEIGHT = 1280, 800
_START_TIMEOUT = 15.0
_PRINT_BUS_AND_WAIT = 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep infinity'


def stop_process(
    process: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 5.0
) -> None:
    """Terminate ``process`` by its PID, kill it if it does not exit within ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until(condition: object, what: str, timeout: float = _START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


@dataclass
class GuiSession:
    """A running private desktop."""

    display: str
    bus_address: str

    @property
    def environment(self) -> dict[str, str]:
        """The environment for a child process that should use this desktop."""
        env = dict(os.environ)
        env.update(
            DISPLAY=self.display,
            DBUS_SESSION_BUS_ADDRESS=self.bus_address,
            NO_AT_BRIDGE="1",
        )
        env.pop("QT_QPA_PLATFORM", None)
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def screenshot(self, name: str, *, window: str = "root") -> Path:
        """Save the screen (or one X window id) as ``test-artifacts/screenshots/<name>.png``."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        subprocess.run(
            ["import", "-display", self.display, "-window", window, str(path)],
            check=True,
            timeout=30,
            env=self.environment,
        )
        return path

    def has_bus_name(self, name: str) -> bool:
        """True when ``name`` has an owner on the session bus."""
        reply = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            env=self.environment,
            check=False,
        )
        return "boolean true" in reply.stdout


def xdotool(session: GuiSession, *arguments: str, check: bool = True) -> str:
    """Run ``xdotool`` on the session's display and return its stdout."""
    result = subprocess.run(
        ["xdotool", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        env=session.environment,
        check=check,
    )
    return result.stdout


def wait_for_window(session: GuiSession, search: Sequence[str], timeout: float = 20.0) -> str:
    """Return the first X window id matching ``xdotool search <search>`` that is mapped."""
    found: list[str] = []

    def visible() -> bool:
        ids = xdotool(session, "search", "--onlyvisible", *search, check=False).split()
        found[:] = ids
        return bool(ids)

    _wait_until(visible, f"window {' '.join(search)}", timeout)
    return found[0]


def _start_xvfb(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{SCREEN_WIDTH}x{SCREEN_HEIGHT}x24",
            "-nolisten",
            "tcp",
            "-dpi",
            "96",
        ],
        pass_fds=(write_end,),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream:
        number = stream.readline().strip().decode()
    if not number:
        stop_process(process)
        raise RuntimeError("Xvfb did not report its display")
    return process, f":{number}"


def _start_bus(workdir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            'echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep infinity',
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=workdir,
    )
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    if not address:
        stop_process(process)
        raise RuntimeError("dbus-run-session did not report its bus")
    return process, address


def _stop_bus(process: subprocess.Popen[str]) -> None:
    # Ending the child (sleep) makes dbus-run-session stop its dbus-daemon and exit.
    try:
        children = psutil.Process(process.pid).children()
    except psutil.NoSuchProcess:
        children = []
    for child in children:
        if child.name() == "sleep":
            child.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        stop_process(process)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="session")
def gui_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuiSession]:
    """A private X display with a session bus, a tray host and a notification daemon."""
    for tool in ("Xvfb", "dbus-run-session", "trayer", "dunst", "xdotool", "import"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing; run scripts/test.sh to install the test packages")
    workdir = tmp_path_factory.mktemp("gui")
    started: list[subprocess.Popen[bytes]] = []
    xvfb, display = _start_xvfb(workdir)
    bus, address = _start_bus(workdir)
    session = GuiSession(display=display, bus_address=address)
    try:
        started.append(
            subprocess.Popen(
                [
                    "trayer",
                    "--edge",
                    "top",
                    "--align",
                    "right",
                    "--widthtype",
                    "request",
                    "--height",
                    "32",
                    "--SetDockType",
                    "true",
                    "--transparent",
                    "false",
                    "--tint",
                    "0xffffff",
                ],
                env=session.environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        started.append(
            subprocess.Popen(
                ["dunst"],
                env=session.environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_until(lambda: session.has_bus_name("org.freedesktop.Notifications"), "dunst")
        _wait_until(
            lambda: bool(xdotool(session, "search", "--class", "trayer", check=False).split()),
            "trayer",
        )
        yield session
    finally:
        for process in reversed(started):
            stop_process(process)
        _stop_bus(bus)
        stop_process(xvfb)


@pytest.fixture
def gui_environment(gui_session: GuiSession, monkeypatch: pytest.MonkeyPatch) -> GuiSession:
    """Apply the private desktop's environment to the test process for one test."""
    for name, value in gui_session.environment.items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    return gui_session


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of what differs clearly from the background.

    The background is the image's most common grey value; used to tell where text was drawn.
    """
    grey = image.convert("L")
    colours = grey.getcolors(256) or [(0, 0)]
    background = max(colours)[1]
    difference = ImageChops.difference(grey, Image.new("L", grey.size, background))
    return difference.point(lambda value: 255 if value > 60 else 0).getbbox()
