"""``bitaqa vcard``: run the virtual PIV card against the vpcd driver of a pcscd.

    bitaqa vcard [--host 127.0.0.1] [--port 35963] [--profile FILE] [--control SOCKET] [-v]

The card connects to vpcd (pcscd's reader "Virtual PCD 00 00" listens on 35963 with Debian's
configuration; the next port is reader "00 01"), answers APDUs, and reconnects by itself when
pcscd restarts. Without ``--profile`` it uses the built-in ECC profile (``bitaqa pki`` writes
others). ``--control`` opens the control socket described in ``bitaqa.vcard.control``. SIGTERM and
SIGINT stop it cleanly (exit status 0). Exit status 2: bad arguments or an unusable profile.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from bitaqa.vcard.card import VirtualPivCard
from bitaqa.vcard.control import ControlServer
from bitaqa.vcard.profile import ProfileError, load_profile
from bitaqa.vcard.vpcd import VpcdLink

__all__ = ["DEFAULT_PORT", "main"]

DEFAULT_PORT = 35963
"""The vpcd port of Debian's ``/etc/reader.conf.d/vpcd`` (CHANNELID 0x8C7B)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bitaqa vcard", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="where vpcd listens")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="vpcd port (reader slot)")
    parser.add_argument("--profile", type=Path, help="card profile JSON (default: built-in ECC)")
    parser.add_argument("--control", type=Path, help="Unix socket for remove/insert/status")
    parser.add_argument(
        "--no-quickack", action="store_true", help="do not re-arm TCP_QUICKACK (for measurements)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log connections")
    return parser


def _default_profile() -> Path:
    # Imported only when needed: building profiles pulls in the test PKI and an image library.
    from bitaqa.vcard.factory import default_profile_path  # noqa: PLC0415

    return default_profile_path()


def main(argv: list[str]) -> int:
    """Run the card until SIGTERM or SIGINT; return the exit status."""
    arguments = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="bitaqa vcard: %(message)s",
    )
    try:
        profile = load_profile(arguments.profile or _default_profile())
    except ProfileError as error:
        print(f"bitaqa vcard: {error}", file=sys.stderr)
        return 2
    card = VirtualPivCard(profile)
    link = VpcdLink(card, arguments.host, arguments.port, quickack=not arguments.no_quickack)
    control = ControlServer(arguments.control, link, card) if arguments.control else None

    def stop(_signal: int, _frame: FrameType | None) -> None:
        link.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if control is not None:
        control.start()
    try:
        link.run()
    finally:
        if control is not None:
            control.close()
    return 0
