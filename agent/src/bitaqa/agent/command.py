"""``bitaqa agent``: run the agent (tray, WebSocket server, card access).

    bitaqa agent [--port N] [--ws-port N] [--no-wss] [--config-dir DIR]
                 [--system-policy-dir DIR] [--trust-list FILE] [--authority-keys DIR]
                 [--log-level off|error|warning|info|debug] [--in-process-card PROFILE]
                 [--no-tray] [--ready-file FILE]
    bitaqa agent --renew-certificate [--config-dir DIR]

Without ``--port`` / ``--ws-port`` the agent tries the ports of ARCHITECTURE.md (wss 27360-27362,
ws 27370-27372); with them it uses exactly that port (0: any free port, for tests).  The log goes
to stderr and ``<config-dir>/logs/agent.log`` as JSON lines; the default level is ``warning``.

``--renew-certificate`` replaces the per-install TLS root and server certificate (the root key
is discarded again) and prints the new root's path: the installer or the resident must trust it.

Exit status: 0 after a clean stop (SIGTERM, SIGINT, tray "quit"); 1 when no port could be bound
(the log names the process holding each port); 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from bitaqa.agent.app import Agent, AgentConfig, CardFeed, build_agent
from bitaqa.agent.log import LEVELS, configure_logging
from bitaqa.agent.server.ports import WS_PORTS, WSS_PORTS
from bitaqa.agent.server.tls import TlsFiles, renew_certificates
from bitaqa.agent.ui.base import StatusIndicator, TrayCallbacks, UserInterface

__all__ = ["default_config_dir", "default_system_policy_dir", "main", "parse_arguments", "serve"]


def default_config_dir() -> Path:
    """The resident's agent folder for this platform."""
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "Bitaqa"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Bitaqa"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bitaqa"


def default_system_policy_dir() -> Path:
    """IT's machine policy folder for this platform."""
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "Bitaqa"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/Bitaqa")
    return Path("/etc/bitaqa")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bitaqa agent", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, help="wss:// port (default: 27360, then 27361, 27362)")
    parser.add_argument(
        "--ws-port", type=int, help="ws:// port (default: 27370, then 27371, 27372)"
    )
    parser.add_argument("--no-wss", action="store_true", help="serve plain ws:// only")
    parser.add_argument("--config-dir", type=Path, default=None, help="the resident's agent folder")
    parser.add_argument("--system-policy-dir", type=Path, default=None, help="IT's policy folder")
    parser.add_argument("--trust-list", type=Path, help="an extra signed trust list to consider")
    parser.add_argument("--authority-keys", type=Path, help="folder of trust-list authority keys")
    parser.add_argument("--log-level", choices=list(LEVELS), default="warning")
    parser.add_argument(
        "--in-process-card",
        type=Path,
        metavar="PROFILE",
        help="demo: a virtual card inside the agent instead of PC/SC",
    )
    parser.add_argument("--no-tray", action="store_true", help="run without the tray icon")
    parser.add_argument(
        "--no-keyring",
        action="store_true",
        help="keep the consent key in a file instead of the OS keyring",
    )
    parser.add_argument("--ready-file", type=Path, help="write {pid, ports} here once listening")
    parser.add_argument(
        "--renew-certificate",
        action="store_true",
        help="replace the TLS root and server certificate, then exit",
    )
    return parser


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; exits with status 2 on bad arguments."""
    return _parser().parse_args(argv)


def _config(arguments: argparse.Namespace) -> AgentConfig:
    return AgentConfig(
        config_dir=arguments.config_dir or default_config_dir(),
        system_policy_dir=arguments.system_policy_dir or default_system_policy_dir(),
        trust_list=arguments.trust_list,
        authority_keys_dir=arguments.authority_keys,
        wss_ports=()
        if arguments.no_wss
        else ((arguments.port,) if arguments.port is not None else WSS_PORTS),
        ws_ports=(arguments.ws_port,) if arguments.ws_port is not None else WS_PORTS,
        ready_file=arguments.ready_file,
        use_keyring=not arguments.no_keyring,
    )


def _feed(arguments: argparse.Namespace) -> CardFeed:
    if arguments.in_process_card is not None:
        from bitaqa.agent.cardfeed import InProcessCardFeed  # noqa: PLC0415

        return InProcessCardFeed(arguments.in_process_card)
    from bitaqa.agent.cardfeed import PcscCardFeed  # noqa: PLC0415

    return PcscCardFeed()


async def _run(agent: Agent) -> int:
    loop = asyncio.get_running_loop()
    handlers = [(signal.SIGTERM, agent.stop), (signal.SIGINT, agent.stop)]
    if hasattr(signal, "SIGHUP"):  # re-read the trust list and policy (POSIX only)
        handlers.append((signal.SIGHUP, agent.trust.reload))
    for number, handler in handlers:
        with contextlib.suppress(NotImplementedError):  # Windows: the tray's quit stops the agent
            loop.add_signal_handler(number, handler)
    return await agent.run()


def serve(
    argv: list[str],
    ui: UserInterface,
    indicator: Callable[[TrayCallbacks], StatusIndicator] | None = None,
) -> int:
    """Run the agent with ``ui`` (and a tray made by ``indicator``); return the exit status.

    This is how test support code runs the real agent with its scripted UI: the UI is an
    argument of this function, never a setting.
    """
    arguments = parse_arguments(argv)
    config = _config(arguments)
    configure_logging(arguments.log_level, config.log_dir / "agent.log")
    if arguments.renew_certificate:
        root = renew_certificates(
            TlsFiles(config.config_dir / "tls"), datetime.datetime.now(datetime.UTC)
        )
        print(root)
        return 0

    async def main_loop() -> int:
        agent = build_agent(config, ui, _feed(arguments))
        if indicator is not None and not arguments.no_tray:
            agent.attach_indicator(indicator(agent))
        return await _run(agent)

    return asyncio.run(main_loop())


def _tray(callbacks: TrayCallbacks) -> StatusIndicator:
    from bitaqa.agent.ui.tray import Tray  # noqa: PLC0415  # the GUI toolkit loads only here

    return Tray(callbacks)


def main(argv: list[str]) -> int:
    """``bitaqa agent``: the resident's agent with Qt dialogs and the tray."""
    from bitaqa.agent.ui.qt import QtUserInterface  # noqa: PLC0415

    return serve(argv, QtUserInterface(), _tray)
