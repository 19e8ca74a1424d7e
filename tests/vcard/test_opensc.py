"""OpenSC accepts the virtual card: opensc-tool, pkcs11-tool listing, login and signatures."""

from __future__ import annotations

import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from bitaqa.vcard.profile import load_profile
from vcard.tools import pkcs11_tool, read_certificate_der, run

pytestmark = pytest.mark.pcscd

MESSAGE = "Bitaqa interoperability test: sign this.\n"


SHARED = ("--slot-index", "1")  # the shared card sits in the second reader


def test_opensc_tool_names_the_card_piv(pcsc_environment, shared_ecc_card):
    """``opensc-tool -n`` recognises a Personal Identity Verification Card."""
    result = run(["opensc-tool", "-r", shared_ecc_card.reader_name, "-n"], pcsc_environment.env)
    assert "Personal Identity Verification Card" in result.stdout


def test_pkcs11_tool_lists_the_four_certificates_and_keys(pcsc_environment, shared_ecc_card):
    """``pkcs11-tool -L -O`` shows four certificates and keys; the serial comes from the GUID."""
    listing = pkcs11_tool(pcsc_environment.env, *SHARED, "-O").stdout
    assert "PIV_II" in listing or "PIV Authentication" in listing
    for label in (
        "Certificate for PIV Authentication",
        "Certificate for Digital Signature",
        "Certificate for Key Management",
        "Certificate for Card Authentication",
    ):
        assert label in listing
    assert listing.count("Public Key Object; EC") == 4
    guid = load_profile(shared_ecc_card.profile).guid
    tokens = pkcs11_tool(pcsc_environment.env, "-L").stdout
    serial = next(
        line for line in tokens.split("Bitaqa Test 00 01")[1].splitlines() if "serial" in line
    )
    assert serial.split(":")[1].strip() == guid[-8:].hex()  # OpenSC: GUID of a non-federal CHUID


def test_private_keys_after_login_mark_9c_always_authenticate(pcsc_environment, shared_ecc_card):
    """After login OpenSC lists four private keys; only 9C needs the PIN for every use."""
    listing = pkcs11_tool(
        pcsc_environment.env, *SHARED, "--login", "--pin", "123456", "-O", "--type", "privkey"
    ).stdout
    keys = listing.split("Private Key Object")[1:]
    assert len(keys) == 4
    by_id = {re.search(r"ID:\s+(\d+)", key).group(1): key for key in keys}  # type: ignore[union-attr]
    assert "always authenticate" in by_id["02"]
    assert all("always authenticate" not in by_id[key_id] for key_id in ("01", "03", "04"))
    assert re.search(r"Usage:\s+derive", by_id["03"])


def _verify_ec(der: bytes, raw_signature: bytes, message: bytes, hash_algorithm) -> None:
    public_key = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    half = len(raw_signature) // 2
    signature = encode_dss_signature(
        int.from_bytes(raw_signature[:half], "big"), int.from_bytes(raw_signature[half:], "big")
    )
    public_key.verify(signature, message, ec.ECDSA(hash_algorithm))


@pytest.mark.parametrize(
    ("object_id", "mechanism", "hash_algorithm"),
    [("01", "ECDSA-SHA256", hashes.SHA256()), ("02", "ECDSA-SHA384", hashes.SHA384())],
)
def test_ecc_signatures_with_9a_and_9c_verify(
    pcsc_environment, shared_ecc_card, tmp_path, object_id, mechanism, hash_algorithm
):
    """pkcs11-tool signs with 9A (login) and 9C (login + context-specific PIN); both verify."""
    data = tmp_path / "data.txt"
    data.write_text(MESSAGE)
    output = tmp_path / "signature"
    pkcs11_tool(
        pcsc_environment.env, *SHARED,
        "--login", "--pin", "123456", "--sign", "--id", object_id, "-m", mechanism,
        "-i", str(data), "-o", str(output),
    )  # fmt: skip
    der = read_certificate_der(pcsc_environment.env, object_id, tmp_path, *SHARED)
    _verify_ec(der, output.read_bytes(), MESSAGE.encode(), hash_algorithm)


@pytest.mark.parametrize(
    ("object_id", "mechanism"),
    [("01", "SHA256-RSA-PKCS"), ("01", "SHA256-RSA-PKCS-PSS"), ("02", "SHA256-RSA-PKCS")],
)
def test_rsa_signatures_with_9a_and_9c_verify(
    pcsc_environment, virtual_card_factory, tmp_path, object_id, mechanism
):
    """RSA-2048: PKCS#1 v1.5 and PSS (padding built by OpenSC, raw RSA on the card) verify."""
    virtual_card_factory("rsa")
    data = tmp_path / "data.txt"
    data.write_text(MESSAGE)
    output = tmp_path / "signature"
    pkcs11_tool(
        pcsc_environment.env,
        "--login", "--pin", "123456", "--sign", "--id", object_id, "-m", mechanism,
        "-i", str(data), "-o", str(output),
    )  # fmt: skip
    der = read_certificate_der(pcsc_environment.env, object_id, tmp_path)
    public_key = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    if mechanism.endswith("PSS"):
        scheme: padding.AsymmetricPadding = padding.PSS(
            mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO
        )
    else:
        scheme = padding.PKCS1v15()
    public_key.verify(output.read_bytes(), MESSAGE.encode(), scheme, hashes.SHA256())


def test_wrong_pin_is_refused_and_counts_down(pcsc_environment, virtual_card, tmp_path):
    """A wrong PIN through OpenSC gives CKR_PIN_INCORRECT and the card has 2 tries left."""
    data = tmp_path / "data.txt"
    data.write_text(MESSAGE)
    result = pkcs11_tool(
        pcsc_environment.env,
        "--login", "--pin", "000000", "--sign", "--id", "01", "-m", "ECDSA-SHA256",
        "-i", str(data), "-o", str(tmp_path / "signature"),
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "CKR_PIN_INCORRECT" in result.stderr + result.stdout
    assert virtual_card.status()["pin_tries_left"] == 2


def test_login_and_sign_are_counted_by_the_card(pcsc_environment, virtual_card, tmp_path):
    """The card's counters see every APDU of a pkcs11-tool login + sign (figure for benchmarks)."""
    data = tmp_path / "data.txt"
    data.write_text(MESSAGE)
    virtual_card.reset_counters()
    assert virtual_card.status()["apdus"] == 0
    pkcs11_tool(
        pcsc_environment.env,
        "--login", "--pin", "123456", "--sign", "--id", "01", "-m", "ECDSA-SHA256",
        "-i", str(data), "-o", str(tmp_path / "signature"),
    )  # fmt: skip
    status = virtual_card.status()
    print(f"pkcs11-tool login + sign: {status['apdus']} APDUs, "
          f"{status['bytes_in']} bytes in, {status['bytes_out']} bytes out")  # fmt: skip
    assert status["apdus"] > 10
    assert status["bytes_out"] > 2000  # at least the certificates went out
