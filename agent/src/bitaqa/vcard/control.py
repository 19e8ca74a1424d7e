"""The control channel of ``bitaqa vcard``: a Unix socket that tests use to steer the card.

Protocol: the client sends one command per line and gets one line back.

==================  =========================================================================
``status``          a JSON object: ``inserted``, ``connected`` (to vpcd), ``profile``,
                    ``apdus``, ``bytes_in``, ``bytes_out`` (counted since the last reset),
                    ``pin_tries_left``
``remove``          take the card out of the reader; answers ``ok``
``insert``          put it back; answers ``ok``
``reset-counters``  set the APDU and byte counters to zero; answers ``ok``
anything else       ``error unknown command``
==================  =========================================================================

The socket file is created with mode 0600 and removed when the server stops.
"""

from __future__ import annotations

import json
import os
import socketserver
import threading
from pathlib import Path

from bitaqa.vcard.card import VirtualPivCard
from bitaqa.vcard.vpcd import VpcdLink

__all__ = ["ControlServer"]

_MAX_LINE = 256


class ControlServer:
    """Serves the control protocol for ``link`` (and its card) on the Unix socket ``path``."""

    def __init__(self, path: Path, link: VpcdLink, card: VirtualPivCard) -> None:
        self.path = path
        self._link = link
        self._card = card
        if path.exists() or path.is_symlink():
            path.unlink()
        handler = _make_handler(self)
        old_umask = os.umask(0o177)
        try:
            self._server = socketserver.ThreadingUnixStreamServer(str(path), handler)
        finally:
            os.umask(old_umask)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="vcard-control", daemon=True
        )

    def start(self) -> None:
        """Start answering in a background thread."""
        self._thread.start()

    def close(self) -> None:
        """Stop answering, close the socket and remove its file."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self.path.unlink(missing_ok=True)

    def answer(self, command: str) -> str:
        """Return the one-line answer to ``command`` (without the newline)."""
        if command == "status":
            with self._link.card_lock:
                counters = self._card.counters
                status = {
                    "inserted": self._link.inserted,
                    "connected": self._link.connected,
                    "profile": self._card.profile.name,
                    "apdus": counters.apdus,
                    "bytes_in": counters.bytes_in,
                    "bytes_out": counters.bytes_out,
                    "pin_tries_left": self._card.pin_tries_left,
                }
            return json.dumps(status)
        if command == "remove":
            self._link.remove()
            return "ok"
        if command == "insert":
            self._link.insert()
            return "ok"
        if command == "reset-counters":
            with self._link.card_lock:
                self._card.counters.reset()
            return "ok"
        return "error unknown command"


def _make_handler(server: ControlServer) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while True:
                line = self.rfile.readline(_MAX_LINE)
                if not line:
                    return
                reply = server.answer(line.decode("utf-8", "replace").strip())
                self.wfile.write(reply.encode() + b"\n")

    return Handler
