"""A private pcscd with the vpcd driver, and virtual PIV cards in it, for tests that need PC/SC.

Each test session gets its own pcscd, isolated from any system pcscd: it runs in a private mount
namespace (``unshare -m``) where a temporary directory is bind-mounted on ``/run/pcscd``, so its
socket is ``<tmp>/run/pcscd.comm``. Clients reach it through ``PCSCLITE_CSOCK_NAME``: the fixture
sets it in ``os.environ`` (pyscard in the test process) and in ``PcscEnvironment.env`` (for
subprocesses such as the agent, ``pkcs11-tool`` or ``yubico-piv-tool``). libpcsclite reads that
variable once per process, which is why the socket path stays the same for a whole session, also
across ``restart_pcscd()``. The vpcd driver listens on a free port pair (``vpcd_ports``); its two
readers are ``Bitaqa Test 00 00`` and ``Bitaqa Test 00 01`` (``reader_names``).

Fixtures (registered through ``pytest_plugins = ["support.pcsc"]`` in ``tests/conftest.py``):

``pcsc_environment``
    the session's ``PcscEnvironment``, with pcscd running when the test starts (a test that
    stopped or killed pcscd does not break the next one).
``pcsc_session``
    the same object, session-scoped, for fixtures of a wider scope (such as a card shared by
    the read-only tests of one module).
``card_profiles``
    ``{"ecc": Path, "rsa": Path, "pki": Path}``: the standard profiles and the test PKI directory,
    built once per session by ``bitaqa.vcard.factory.build_profiles``.
``virtual_card``
    a fresh ``bitaqa vcard`` process with the ECC profile in reader ``Bitaqa Test 00 00``, present
    when the test starts (PIN 123456, PUK 12345678, 3 tries each); stopped afterwards.
``virtual_card_factory``
    ``virtual_card_factory(profile="rsa", slot=1)`` starts more cards (profile name or a profile
    file); each is stopped at the end of the test.

Example::

    def test_card_is_seen(pcsc_environment, virtual_card):
        from smartcard.System import readers
        assert virtual_card.reader_name in [str(r) for r in readers()]
        virtual_card.remove()            # waits until PC/SC reports the card gone
        virtual_card.insert()            # waits until it is present again
        print(virtual_card.status())     # {"apdus": ..., "bytes_in": ..., "inserted": true, ...}

Every process is stopped by its own PID: pcscd (``sh`` execs it inside ``unshare``, so the child's
PID is pcscd's) and each card process.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "PcscEnvironment",
    "VirtualCardProcess",
    "card_profiles",
    "free_port_pair",
    "pcsc_environment",
    "pcsc_session",
    "virtual_card",
    "virtual_card_factory",
]

PCSCD = "/usr/sbin/pcscd"
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
READER_PREFIX = "Bitaqa Test"
_START_TIMEOUT = 10.0
_CARD_TIMEOUT = 10.0


class PcscEnvironment:
    """One private pcscd with a vpcd reader pair; the paths and ports clients need to reach it."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.run_directory = directory / "run"
        self.socket_path = self.run_directory / "pcscd.comm"
        self.config_path = directory / "reader.conf"
        self.log_path = directory / "pcscd.log"
        self.vpcd_ports = (port, port + 1)
        self.reader_names = (f"{READER_PREFIX} 00 00", f"{READER_PREFIX} 00 01")
        self.env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(self.socket_path)}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """pcscd's process id while it runs."""
        return self._process.pid if self._process and self._process.poll() is None else None

    def start_pcscd(self) -> None:
        """Start pcscd (same socket path and ports as before) and wait until vpcd listens."""
        if self.pid is not None:
            return
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
        self.run_directory.mkdir(parents=True, exist_ok=True)
        for leftover in self.run_directory.iterdir():  # after a SIGKILL pcscd leaves its files
            leftover.unlink()
        channel = f"0x{self.vpcd_ports[0]:04X}"
        self.config_path.write_text(
            f'FRIENDLYNAME "{READER_PREFIX}"\nDEVICENAME /dev/null:{channel}\n'
            f"LIBPATH {VPCD_DRIVER}\nCHANNELID {channel}\n"
        )
        script = (
            f"mount --bind '{self.run_directory}' /run/pcscd && "
            f"exec {PCSCD} --foreground --config '{self.config_path}'"
        )
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while not (self.socket_path.exists() and self._vpcd_listening()):
            if self._process.poll() is not None:
                raise RuntimeError(f"pcscd exited: {self.log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                self.stop_pcscd(kill=True)
                raise RuntimeError("pcscd did not start listening in time")
            time.sleep(0.02)

    def stop_pcscd(self, *, kill: bool = False) -> None:
        """Stop pcscd by its PID: SIGTERM (clean) or, with ``kill=True``, SIGKILL (a crash)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def restart_pcscd(self, *, kill: bool = False) -> None:
        """Stop pcscd (SIGTERM, or SIGKILL with ``kill=True``) and start it again."""
        self.stop_pcscd(kill=kill)
        self.start_pcscd()

    def readers(self) -> list[str]:
        """The reader names pcscd reports now (empty when pcscd is down)."""
        from smartcard import scard

        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if result != scard.SCARD_S_SUCCESS:
            return []
        try:
            result, names = scard.SCardListReaders(context, [])
            return list(names) if result == scard.SCARD_S_SUCCESS else []
        finally:
            scard.SCardReleaseContext(context)

    def card_present(self, reader: str) -> bool:
        """Whether PC/SC reports a card in ``reader`` right now."""
        return self._card_state(reader, 0) is True

    def wait_for_card(self, reader: str, *, present: bool, timeout: float = _CARD_TIMEOUT) -> None:
        """Block (SCardGetStatusChange) until ``reader`` has a card (or none, ``present=False``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._card_state(reader, 250) is present:
                return
            time.sleep(0.02)
        raise TimeoutError(f"{reader}: card {'present' if present else 'absent'} not seen")

    def _card_state(self, reader: str, wait_ms: int) -> bool | None:
        from smartcard import scard

        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if result != scard.SCARD_S_SUCCESS:
            return None
        try:
            result, states = scard.SCardGetStatusChange(
                context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
            )
            if result != scard.SCARD_S_SUCCESS:
                return None
            event_state = states[0][1]
            if wait_ms:
                # Block until the state changes (or the wait ends), then report the new state.
                result, changed = scard.SCardGetStatusChange(
                    context, wait_ms, [(reader, event_state & ~scard.SCARD_STATE_CHANGED)]
                )
                if result == scard.SCARD_S_SUCCESS:
                    event_state = changed[0][1]
            if event_state & scard.SCARD_STATE_UNKNOWN:
                return None
            return bool(event_state & scard.SCARD_STATE_PRESENT)
        finally:
            scard.SCardReleaseContext(context)

    def _vpcd_listening(self) -> bool:
        """Whether pcscd itself holds listening sockets on both vpcd ports."""
        if self._process is None:
            return False
        inodes = _socket_inodes(self._process.pid)
        return all(_listening_inode(port) in inodes for port in self.vpcd_ports)


class VirtualCardProcess:
    """A ``bitaqa vcard`` process in one reader of a ``PcscEnvironment``, steered by its control
    socket (see ``bitaqa.vcard.control``)."""

    def __init__(
        self, environment: PcscEnvironment, profile: Path, *, slot: int = 0, name: str = "card"
    ) -> None:
        self.environment = environment
        self.profile = profile
        self.slot = slot
        self.reader_name = environment.reader_names[slot]
        self.port = environment.vpcd_ports[slot]
        self.control_path = environment.directory / f"{name}-{slot}.control"
        self.log_path = environment.directory / f"{name}-{slot}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The card process's id while it runs."""
        return self._process.pid if self._process and self._process.poll() is None else None

    def start(self, *, wait: bool = True) -> None:
        """Start the card process; with ``wait`` return once PC/SC reports the card present."""
        command = [sys.executable, "-m", "bitaqa.cli", "vcard", "--port", str(self.port)]
        command += ["--profile", str(self.profile), "--control", str(self.control_path), "-v"]
        self.control_path.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                env=self.environment.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + _CARD_TIMEOUT
        while not self.control_path.exists():
            if self._process.poll() is not None:
                raise RuntimeError(f"vcard exited: {self.log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError("vcard did not open its control socket in time")
            time.sleep(0.02)
        if wait:
            self.environment.wait_for_card(self.reader_name, present=True)

    def stop(self) -> None:
        """Stop the card process by its PID (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def command(self, line: str) -> str:
        """Send one control command and return the card's one-line answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(5)
            connection.connect(str(self.control_path))
            connection.sendall(line.encode() + b"\n")
            with connection.makefile("rb") as answer:
                return answer.readline().decode().strip()

    def status(self) -> dict[str, Any]:
        """The card's status: inserted, connected, profile, apdus, bytes_in, bytes_out, tries."""
        return dict(json.loads(self.command("status")))

    def reset_counters(self) -> None:
        """Set the card's APDU and byte counters to zero."""
        self._expect_ok("reset-counters")

    def remove(self, *, wait: bool = True) -> None:
        """Take the card out; with ``wait`` return once PC/SC reports the reader empty."""
        self._expect_ok("remove")
        if wait:
            self.environment.wait_for_card(self.reader_name, present=False)

    def insert(self, *, wait: bool = True) -> None:
        """Put the card back; with ``wait`` return once PC/SC reports it present."""
        self._expect_ok("insert")
        if wait:
            self.environment.wait_for_card(self.reader_name, present=True)

    def _expect_ok(self, line: str) -> None:
        answer = self.command(line)
        if answer != "ok":
            raise RuntimeError(f"vcard answered {answer!r} to {line!r}")


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for entry in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(entry)
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def _listening_inode(port: int) -> int | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "0A":  # 0A = LISTEN
                    return int(fields[9])
    return None


def free_port_pair() -> int:
    """A port p such that p and p + 1 are both free now (vpcd binds all interfaces)."""
    generator = random.SystemRandom()
    for _ in range(200):
        port = generator.randrange(20000, 60000, 2)
        sockets = []
        try:
            for candidate in (port, port + 1):
                probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(probe)
                probe.bind(("0.0.0.0", candidate))
            return port
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    raise RuntimeError("no free port pair for vpcd")


def _require_tools() -> None:
    missing = [tool for tool in (PCSCD, VPCD_DRIVER) if not Path(tool).exists()]
    missing += [tool for tool in ("unshare", "mount") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"PC/SC test set-up is missing {missing}: run scripts/test.sh")


@pytest.fixture(scope="session")
def pcsc_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscEnvironment]:
    """The session's private pcscd, for module- or session-scoped fixtures (``pcsc_environment``
    also makes sure pcscd runs when each test starts)."""
    _require_tools()
    directory = tmp_path_factory.mktemp("pcsc")
    environment = PcscEnvironment(directory, free_port_pair())
    previous = os.environ.get("PCSCLITE_CSOCK_NAME")
    os.environ["PCSCLITE_CSOCK_NAME"] = str(environment.socket_path)
    try:
        for _ in range(2):  # another test run may take the probed ports first: try new ones
            try:
                environment.start_pcscd()
                break
            except RuntimeError:
                environment = PcscEnvironment(directory, free_port_pair())
        environment.start_pcscd()
        yield environment
    finally:
        environment.stop_pcscd()
        if previous is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = previous


@pytest.fixture
def pcsc_environment(pcsc_session: PcscEnvironment) -> PcscEnvironment:
    """The session's private pcscd, running when the test starts."""
    pcsc_session.start_pcscd()
    return pcsc_session


@pytest.fixture(scope="session")
def card_profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The standard card profiles ("ecc", "rsa") and the test PKI directory ("pki")."""
    from bitaqa.vcard.factory import build_profiles

    directory = tmp_path_factory.mktemp("profiles")
    profiles = build_profiles(directory)
    return {**profiles, "pki": directory / "pki"}


@pytest.fixture
def virtual_card_factory(
    pcsc_environment: PcscEnvironment, card_profiles: dict[str, Path]
) -> Iterator[Callable[..., VirtualCardProcess]]:
    """Start cards: ``factory(profile="ecc"|"rsa"|Path, slot=0, wait=True)``."""
    started: list[VirtualCardProcess] = []

    def start(
        profile: str | Path = "ecc", *, slot: int = 0, wait: bool = True
    ) -> VirtualCardProcess:
        path = card_profiles[profile] if isinstance(profile, str) else profile
        card = VirtualCardProcess(pcsc_environment, path, slot=slot, name=f"card{len(started)}")
        started.append(card)
        card.start(wait=wait)
        return card

    yield start
    for card in started:
        card.stop()


@pytest.fixture
def virtual_card(
    virtual_card_factory: Callable[..., VirtualCardProcess],
) -> VirtualCardProcess:
    """A fresh ECC virtual card, present in reader "Bitaqa Test 00 00"."""
    return virtual_card_factory("ecc")
