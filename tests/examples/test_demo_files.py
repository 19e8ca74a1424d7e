"""The files ``bitaqa demo`` writes: the agent's policy, the portal's config and certificate.

The demo's default origin is ``http://localhost:<port>`` (SPEC.md §13); ``--https`` and
``--tls-cert``/``--tls-key`` give ``https://localhost:<port>``.  Both kinds are checked here.
"""

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
    _parser,
    _write_files,
    local_policy,
    main,
    write_localhost_certificate,
    write_portal_files,
)
from bitaqa.protocol.trustlist import (
    TrustListRejectedError,
    effective_trust_list,
    parse_local_policy,
)
from bitaqa.testing.pki import TestPki

HTTP_ORIGIN = "http://localhost:8443"
HTTPS_ORIGIN = "https://localhost:8443"


@pytest.mark.parametrize("origin", [HTTP_ORIGIN, HTTPS_ORIGIN])
def test_the_policy_admits_exactly_the_portal_origin_with_its_key(origin: str) -> None:
    """The agent's parser accepts the policy; only the portal's origin is trusted, key pinned;
    neither the other scheme nor another port is."""
    key = ec.generate_private_key(ec.SECP256R1())
    policy = parse_local_policy(json.dumps(local_policy(origin, key)))
    trusted = effective_trust_list(None, policy)
    entry = trusted.entry_for(origin)
    assert entry is not None
    assert [found.origin for found in trusted.entries] == [origin]
    assert entry.authenticate_requires_signed_request
    assert entry.requires_signed_request("sign")
    assert entry.request_keys[REQUEST_KEY_ID].public_numbers() == key.public_key().public_numbers()
    assert trusted.entry_for(origin.replace(":8443", ":8444")) is None
    other_scheme = HTTPS_ORIGIN if origin == HTTP_ORIGIN else HTTP_ORIGIN
    assert trusted.entry_for(other_scheme) is None


def test_only_the_http_policy_sets_allow_insecure_localhost_which_the_agent_needs() -> None:
    """The http entry is admitted through allowInsecureLocalhost (the agent's parser refuses it
    without); the https policy does not set the flag."""
    key = ec.generate_private_key(ec.SECP256R1())
    development = local_policy(HTTP_ORIGIN, key)
    assert development["allowInsecureLocalhost"] is True
    assert "allowInsecureLocalhost" not in local_policy(HTTPS_ORIGIN, key)
    del development["allowInsecureLocalhost"]
    with pytest.raises(TrustListRejectedError):
        parse_local_policy(json.dumps(development))


@pytest.mark.parametrize(("origin", "insecure"), [(HTTP_ORIGIN, True), (HTTPS_ORIGIN, False)])
def test_the_portal_config_round_trips_through_the_portal_loader(
    tmp_path: Path, pki: TestPki, origin: str, insecure: bool
) -> None:
    """What the demo writes is what the portal reads: origin, key, anchors, agent ports, and
    allowInsecureLocalhost for the http origin only."""
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "intermediate.pem").write_bytes(pki.intermediate.pem())
    key = ec.generate_private_key(ec.SECP256R1())
    path = write_portal_files(
        tmp_path / "portal", origin=origin, card_pki=tmp_path / "pki", request_key=key,
        agent_ports=(27460, 27470),
    )  # fmt: skip
    config = load_config(path)
    assert config.origin == origin
    assert config.request_key_id == REQUEST_KEY_ID
    assert config.request_key.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    assert config.trust_anchors == (pki.intermediate.certificate,)
    assert config.agent_ports == (27460, 27470)
    assert config.allow_insecure_localhost is insecure


def test_the_portal_loader_refuses_a_non_boolean_allow_insecure_localhost(
    tmp_path: Path, pki: TestPki
) -> None:
    """Only true or false: a string such as "yes" is a configuration error, not a yes."""
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "intermediate.pem").write_bytes(pki.intermediate.pem())
    path = write_portal_files(
        tmp_path / "portal", origin=HTTP_ORIGIN, card_pki=tmp_path / "pki",
        request_key=ec.generate_private_key(ec.SECP256R1()),
    )  # fmt: skip
    document = json.loads(path.read_text())
    document["allowInsecureLocalhost"] = "yes"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="allowInsecureLocalhost"):
        load_config(path)


def _demo_files(tmp_path: Path, arguments: list[str]) -> tuple[str, Path | None, Path | None]:
    """The origin and TLS files ``bitaqa demo <arguments>`` would use, and a check that its
    policy and portal config name that origin."""
    files = _write_files(_parser().parse_args(arguments), tmp_path)
    policy = json.loads((files.policy_dir / "policy.json").read_text())
    assert [entry["origin"] for entry in policy["entries"]] == [files.origin]
    assert load_config(files.portal_config).origin == files.origin
    return files.origin, files.tls_certificate, files.tls_key


def test_the_demo_serves_plain_http_localhost_by_default(tmp_path: Path) -> None:
    """No TLS options: http://localhost:<port>, no certificate at all (so no browser warning),
    and the policy and config admit that development origin."""
    origin, certificate, key = _demo_files(tmp_path, ["--port", "8123"])
    assert (origin, certificate, key) == ("http://localhost:8123", None, None)
    assert not list((tmp_path / "portal").glob("tls*.pem"))


def test_the_demo_serves_https_with_a_made_certificate_when_asked(tmp_path: Path) -> None:
    """--https: https://localhost:<port> with a certificate made on the spot for localhost."""
    origin, certificate, key = _demo_files(tmp_path, ["--https", "--port", "8123"])
    assert origin == "https://localhost:8123"
    assert certificate == tmp_path / "portal" / "tls.pem"
    assert key == tmp_path / "portal" / "tls-key.pem"
    extensions = x509.load_pem_x509_certificate(certificate.read_bytes()).extensions
    names = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]


def test_the_demo_serves_https_with_the_given_certificate(tmp_path: Path) -> None:
    """--tls-cert/--tls-key alone mean https, with exactly those files."""
    given = tmp_path / "given"
    given.mkdir()
    certificate, key = write_localhost_certificate(given)
    (tmp_path / "demo").mkdir()
    origin, used_certificate, used_key = _demo_files(
        tmp_path / "demo", ["--tls-cert", str(certificate), "--tls-key", str(key)]
    )
    assert origin == "https://localhost:8443"
    assert (used_certificate, used_key) == (certificate, key)


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
