"""What the portal needs to know, read from one JSON file.

Example (paths relative to the file)::

    {
      "origin": "https://localhost:8443",
      "requestKeyFile": "request-key.pem",
      "requestKeyId": "portal-1",
      "trustAnchorFiles": ["id-card-ca.pem"],
      "chainFiles": ["id-card-ca.pem"],
      "agentDownloadUrl": "https://example.org/bitaqa/download",
      "agentPorts": [],
      "allowInsecureLocalhost": false
    }

``origin`` is the portal's own origin exactly as browsers send it; ``requestKeyFile`` holds the
private key of signed requests (its public half is pinned for ``origin`` in the agent's trust
list); ``trustAnchorFiles`` are the CAs that issue ID card certificates; ``chainFiles`` are the
CA certificates embedded in signed PDFs so a verifier can build the path to its root;
``agentPorts`` (``[wss, ws]``, optional) points the page at an agent on non-standard ports, as a
developer's CI may run one; ``allowInsecureLocalhost`` (optional, default false) lets ``origin``
be a development origin on plain http — ``http://localhost:<port>``, ``http://127.0.0.1:<port>``
or ``http://[::1]:<port>`` (SPEC.md §13), as ``bitaqa demo`` runs the portal — and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bitaqa.protocol.signed_request import PrivateKey

__all__ = ["PortalConfig", "load_config"]


@dataclass(frozen=True)
class PortalConfig:
    """The portal's settings; see the module docstring for the file format."""

    origin: str
    request_key: PrivateKey
    request_key_id: str
    trust_anchors: tuple[x509.Certificate, ...]
    chain: tuple[x509.Certificate, ...]
    agent_download_url: str
    agent_ports: tuple[int, ...] = ()
    allow_insecure_localhost: bool = False


def load_config(path: Path) -> PortalConfig:
    """Read the JSON file at ``path``; raises KeyError, ValueError or OSError if it is bad."""
    document = json.loads(path.read_text(encoding="utf-8"))
    base = path.parent
    key = load_pem_private_key((base / document["requestKeyFile"]).read_bytes(), password=None)
    allow_insecure_localhost = document.get("allowInsecureLocalhost", False)
    if not isinstance(allow_insecure_localhost, bool):
        raise ValueError("allowInsecureLocalhost must be true or false")
    return PortalConfig(
        origin=document["origin"],
        request_key=key,  # type: ignore[arg-type]  # SignedRequestIssuer checks the key type
        request_key_id=document["requestKeyId"],
        trust_anchors=_certificates(base, document["trustAnchorFiles"]),
        chain=_certificates(base, document.get("chainFiles", [])),
        agent_download_url=document.get("agentDownloadUrl", "https://github.com/bitaqa"),
        agent_ports=tuple(int(port) for port in document.get("agentPorts", [])),
        allow_insecure_localhost=allow_insecure_localhost,
    )


def _certificates(base: Path, names: list[str]) -> tuple[x509.Certificate, ...]:
    return tuple(
        certificate
        for name in names
        for certificate in x509.load_pem_x509_certificates((base / name).read_bytes())
    )
