"""The files ``bitaqa demo`` writes: the agent's policy, the portal's config and certificate."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from bitaqa_portal.config import load_config
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from bitaqa.demo import (
    REQUEST_KEY_ID,
    local_policy,
    main,
    write_localhost_certificate,
    write_portal_files,
)
from bitaqa.protocol.trustlist import effective_trust_list, parse_local_policy
from bitaqa.testing.pki import TestPki

ORIGIN = "https://localhost:8443"


def test_the_policy_admits_exactly_the_portal_origin_with_its_key() -> None:
    """The agent's parser accepts the policy; only the portal's origin is trusted, key pinned."""
    key = ec.generate_private_key(ec.SECP256R1())
    policy = parse_local_policy(json.dumps(local_policy(ORIGIN, key)))
    trusted = effective_trust_list(None, policy)
    entry = trusted.entry_for(ORIGIN)
    assert entry is not None
    assert [found.origin for found in trusted.entries] == [ORIGIN]
    assert entry.authenticate_requires_signed_request
    assert entry.requires_signed_request("sign")
    assert entry.request_keys[REQUEST_KEY_ID].public_numbers() == key.public_key().public_numbers()
    assert trusted.entry_for("https://localhost:8444") is None


def test_the_portal_config_round_trips_through_the_portal_loader(
    tmp_path: Path, pki: TestPki
) -> None:
    """What the demo writes is what the portal reads: origin, key, anchors, agent ports."""
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "intermediate.pem").write_bytes(pki.intermediate.pem())
    key = ec.generate_private_key(ec.SECP256R1())
    path = write_portal_files(
        tmp_path / "portal", origin=ORIGIN, card_pki=tmp_path / "pki", request_key=key,
        agent_ports=(27460, 27470),
    )  # fmt: skip
    config = load_config(path)
    assert config.origin == ORIGIN
    assert config.request_key_id == REQUEST_KEY_ID
    assert config.request_key.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    assert config.trust_anchors == (pki.intermediate.certificate,)
    assert config.agent_ports == (27460, 27470)


def test_the_portal_certificate_names_localhost_and_its_address(tmp_path: Path) -> None:
    """The self-made certificate is valid for https://localhost and https://127.0.0.1."""
    certificate_path, _ = write_localhost_certificate(tmp_path)
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]


@pytest.mark.parametrize("arguments", [["--no-such-option"], ["--tls-cert", "cert.pem"]])
def test_bad_arguments_exit_with_status_2(arguments: list[str]) -> None:
    """An unknown option, or a certificate without its key, is refused before anything starts."""
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
