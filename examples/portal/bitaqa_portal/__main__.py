"""Run the example portal: ``python -m bitaqa_portal --config portal.json [--port 8443]``.

Serves https when ``--tls-cert``/``--tls-key`` are given (the agent's trust list names the
portal's exact origin, so scheme and port must match the config's ``origin``).
"""

from __future__ import annotations

import argparse
import ssl
import sys
from pathlib import Path
from typing import Any

from bitaqa_portal.app import create_app
from bitaqa_portal.config import load_config

__all__ = ["main"]


class _LazyHandshakeContext(ssl.SSLContext):
    """TLS whose handshake runs in each connection's thread, on its first read.

    Werkzeug's server would otherwise shake hands inside its accept loop, where one connection
    that never speaks (a browser's speculative pre-connection) stalls every other request.
    """

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:  # type: ignore[override]
        kwargs["do_handshake_on_connect"] = False
        return super().wrap_socket(*args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and serve until interrupted; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bitaqa_portal", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the portal's JSON settings")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain for https")
    parser.add_argument("--tls-key", type=Path, help="PEM private key for https")
    args = parser.parse_args(argv)
    context = None
    if args.tls_cert and args.tls_key:
        context = _LazyHandshakeContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    app = create_app(load_config(args.config))
    print(f"portal listening on {args.host}:{args.port}", flush=True)
    app.run(host=args.host, port=args.port, ssl_context=context, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
