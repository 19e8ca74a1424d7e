"""``bitaqa pki``: write the test PKI and the standard virtual-card profiles into a directory.

    bitaqa pki --output DIR [--ocsp-url URL]

Writes ``DIR/ecc.json`` and ``DIR/rsa.json`` (profiles for ``bitaqa vcard --profile``) and
``DIR/pki/`` (``root.pem``, ``intermediate.pem``, ``ocsp-responder.pem`` and ``.key``,
``document-signer.pem``, ``index.txt`` for ``openssl ocsp``, cached RSA keys). Running it again on
the same directory writes the same bytes. Prints one line per profile: ``<name> <path>``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bitaqa.testing.pki import DEFAULT_OCSP_URL
from bitaqa.vcard.factory import build_profiles

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Build the PKI and the profiles; return 0 (argparse exits with 2 on bad arguments)."""
    parser = argparse.ArgumentParser(prog="bitaqa pki", description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="directory to write into")
    parser.add_argument(
        "--ocsp-url", default=DEFAULT_OCSP_URL, help="OCSP URL in the holder certificates"
    )
    arguments = parser.parse_args(argv)
    for name, path in build_profiles(arguments.output, ocsp_url=arguments.ocsp_url).items():
        print(f"{name} {path}")
    return 0
