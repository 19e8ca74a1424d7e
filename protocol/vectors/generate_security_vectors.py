"""Rebuild the security test vectors: signed-requests.json, trust-lists.json, auth-tokens.json.

Run ``.venv/bin/python protocol/vectors/generate_security_vectors.py``; the output is the same
byte for byte on every run.  EC and Ed25519 keys come from fixed integers; the one RSA key was
generated once and is read back from the existing files (its PEM is test data).  ECDSA uses RFC
6979 nonces, and RSA-PSS uses a salt derived from the message, so signatures are reproducible.

Tokens are built here by hand (own JSON, own base64url, own signing) rather than with
``bitaqa.protocol``'s encoders, so the vectors check the implementation instead of mirroring it.
The format of the files is described in ``SECURITY-VECTORS.md``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bitaqa.protocol.trustlist import public_jwk

HERE = Path(__file__).resolve().parent
NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
ORIGIN = "https://portal.example"
NONCE = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGho="
JTI = "Qk1zT0VxQ3d4b2xKd1pVWA"
CERTIFICATE_SHA256 = base64.urlsafe_b64encode(hashlib.sha256(b"signing certificate").digest())

Json = dict[str, Any]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Keys ---------------------------------------------------------------------------------------


def ec_key(curve: ec.EllipticCurve, seed: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(seed, curve)


def ed_key(seed: int) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"%d" % seed).digest())


def stored_rsa_key() -> rsa.RSAPrivateKey:
    """The RSA test key: read back from a vector file, generated only if none exists yet."""
    for name in ("signed-requests.json", "auth-tokens.json"):
        path = HERE / name
        if path.exists():
            pem = json.loads(path.read_text())["keys"].get("portal-rsa", {}).get("privateKeyPem")
            if pem:
                key = serialization.load_pem_private_key(pem.encode(), password=None)
                assert isinstance(key, rsa.RSAPrivateKey)
                return key
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


# Signatures ---------------------------------------------------------------------------------

HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}
HASHLIB = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}


def ecdsa_raw(key: ec.EllipticCurvePrivateKey, data: bytes, hash_name: str) -> bytes:
    der = key.sign(data, ec.ECDSA(HASHES[hash_name](), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _mgf1(seed: bytes, length: int, hash_name: str) -> bytes:
    output = b""
    counter = 0
    while len(output) < length:
        output += HASHLIB[hash_name](seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return output[:length]


def pss_deterministic(key: rsa.RSAPrivateKey, data: bytes, hash_name: str) -> bytes:
    """RSASSA-PSS (RFC 8017 §8.1) with salt length = digest length and a message-derived salt."""
    digest = HASHLIB[hash_name]
    hash_length = digest().digest_size
    salt = digest(b"bitaqa test vector salt" + data).digest()
    message_hash = digest(data).digest()
    numbers = key.private_numbers()
    modulus_bits = numbers.public_numbers.n.bit_length()
    em_bits = modulus_bits - 1
    em_length = (em_bits + 7) // 8
    h = digest(b"\0" * 8 + message_hash + salt).digest()
    db = b"\0" * (em_length - 2 * hash_length - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, _mgf1(h, len(db), hash_name), strict=True))
    masked = bytes([masked[0] & (0xFF >> (8 * em_length - em_bits))]) + masked[1:]
    encoded = int.from_bytes(masked + h + b"\xbc", "big")
    signature = pow(encoded, numbers.d, numbers.public_numbers.n)
    signature_bytes = signature.to_bytes((modulus_bits + 7) // 8, "big")
    # Check with the library, so a mistake here cannot produce a wrong "valid" vector.
    key.public_key().verify(
        signature_bytes,
        data,
        padding.PSS(mgf=padding.MGF1(HASHES[hash_name]()), salt_length=hash_length),
        HASHES[hash_name](),
    )
    return signature_bytes


def pkcs1(key: rsa.RSAPrivateKey, data: bytes, hash_name: str) -> bytes:
    return key.sign(data, padding.PKCS1v15(), HASHES[hash_name]())


def sign_with(key: Any, alg: str) -> Callable[[bytes], bytes]:
    """A signer for a JWS algorithm name."""
    if alg == "EdDSA":
        return lambda data: bytes(key.sign(data))
    if alg in ("ES256", "ES384", "ES512"):
        return lambda data: ecdsa_raw(key, data, "SHA-" + alg[2:])
    if alg.startswith("PS"):
        return lambda data: pss_deterministic(key, data, "SHA-" + alg[2:])
    return lambda data: pkcs1(key, data, "SHA-" + alg[2:])


def jws(header: Json | str, payload: Json | str, signer: Callable[[bytes], bytes]) -> str:
    """A compact JWS; header and payload may be given as raw JSON text to forge odd cases."""
    head = b64url((header if isinstance(header, str) else compact(header)).encode())
    body = b64url((payload if isinstance(payload, str) else compact(payload)).encode())
    signature = signer(f"{head}.{body}".encode())
    return f"{head}.{body}.{b64url(signature)}"


STANDARD_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
URL_ALPHABET = STANDARD_ALPHABET[:-2] + "-_"


def set_unused_bit(text: str, alphabet: str) -> str:
    """Set the lowest bit of the last data character: same bytes, non-canonical encoding."""
    stripped = text.rstrip("=")
    last = alphabet[alphabet.index(stripped[-1]) | 1]
    return stripped[:-1] + last + "=" * (len(text) - len(stripped))


def flip_character(text: str, index: int) -> str:
    """Change one base64url character so that the decoded bytes change."""
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


# Real Web eID test tokens (public test data, quoted unchanged) ---------------------------

_RIA_ES384 = {
    "algorithm": "ES384",
    "unverifiedCertificate": (
        "MIIEBDCCA2WgAwIBAgIQY5OGshxoPMFg+Wfc0gFEaTAKBggqhkjOPQQDBDBgMQswCQYDVQQGEwJFRTEbMBkG"
        "A1UECgwSU0sgSUQgU29sdXRpb25zIEFTMRcwFQYDVQRhDA5OVFJFRS0xMDc0NzAxMzEbMBkGA1UEAwwSVEVT"
        "VCBvZiBFU1RFSUQyMDE4MB4XDTIxMDcyMjEyNDMwOFoXDTI2MDcwOTIxNTk1OVowfzELMAkGA1UEBhMCRUUx"
        "KjAoBgNVBAMMIUrDlUVPUkcsSkFBSy1LUklTVEpBTiwzODAwMTA4NTcxODEQMA4GA1UEBAwHSsOVRU9SRzEW"
        "MBQGA1UEKgwNSkFBSy1LUklTVEpBTjEaMBgGA1UEBRMRUE5PRUUtMzgwMDEwODU3MTgwdjAQBgcqhkjOPQIB"
        "BgUrgQQAIgNiAAQmwEKsJTjaMHSaZj19hb9EJaJlwbKc5VFzmlGMFSJVk4dDy+eUxa5KOA7tWXqzcmhh5SYd"
        "v+MxcaQKlKWLMa36pfgv20FpEDb03GCtLqjLTRZ7649PugAQ5EmAqIic29CjggHDMIIBvzAJBgNVHRMEAjAA"
        "MA4GA1UdDwEB/wQEAwIDiDBHBgNVHSAEQDA+MDIGCysGAQQBg5EhAQIBMCMwIQYIKwYBBQUHAgEWFWh0dHBz"
        "Oi8vd3d3LnNrLmVlL0NQUzAIBgYEAI96AQIwHwYDVR0RBBgwFoEUMzgwMDEwODU3MThAZWVzdGkuZWUwHQYD"
        "VR0OBBYEFPlp/ceABC52itoqppEmbf71TJz6MGEGCCsGAQUFBwEDBFUwUzBRBgYEAI5GAQUwRzBFFj9odHRw"
        "czovL3NrLmVlL2VuL3JlcG9zaXRvcnkvY29uZGl0aW9ucy1mb3ItdXNlLW9mLWNlcnRpZmljYXRlcy8TAkVO"
        "MCAGA1UdJQEB/wQWMBQGCCsGAQUFBwMCBggrBgEFBQcDBDAfBgNVHSMEGDAWgBTAhJkpxE6fOwI09pnhClYA"
        "CCk+ezBzBggrBgEFBQcBAQRnMGUwLAYIKwYBBQUHMAGGIGh0dHA6Ly9haWEuZGVtby5zay5lZS9lc3RlaWQy"
        "MDE4MDUGCCsGAQUFBzAChilodHRwOi8vYy5zay5lZS9UZXN0X29mX0VTVEVJRDIwMTguZGVyLmNydDAKBggq"
        "hkjOPQQDBAOBjAAwgYgCQgDCAgybz0u3W+tGI+AX+PiI5CrE9ptEHO5eezR1Jo4j7iGaO0i39xTGUB+NSC7P"
        "6AQbyE/ywqJjA1a62jTLcS9GHAJCARxN4NO4eVdWU3zVohCXm8WN3DWA7XUcn9TZiLGQ29P4xfQZOXJi/z4P"
        "NRRsR4plvSNB3dfyBvZn31HhC7my8woi"
    ),
    "appVersion": "https://web-eid.eu/web-eid-app/releases/2.5.0+0",
    "signature": (
        "0Ov7ME6pTY1K2GXMj8Wxov/o2fGIMEds8OMY5dKdkB0nrqQX7fG1E5mnsbvyHpMDecMUH6Yg+p1HXdgB/lLq"
        "OcFZjt/OVXPjAAApC5d1YgRYATDcxsR1zqQwiNcHdmWn"
    ),
    "format": "web-eid:1.0",
}

_FINNISH_PS256 = {
    "action": "web-eid:authenticate-success",
    "algorithm": "PS256",
    "appVersion": "https://web-eid.eu/web-eid-app/releases/2.7.0+965",
    "format": "web-eid:1.0",
    "signature": (
        "TFJ+l/NyDIMzoRyJxXprA88kBZXTvQ1gu2vUWhf4sz468acq46WWllIVs9/nIwBRMt3cPnDwKT21EkgIBc/b"
        "hBO+7SlWcRAov0N9Nja0pebJAfYKyY0VONN9T4/LRnCg3NVFZequuk+6roV1vVPhySmOz29w/HM5F5tENbxk"
        "gn5uw3q7H44qUVE/s01vhmiCHpz98HGm01jX4p6Pm1IxQ5lcx+2wSYvm0t1G973pz+SXmJBE0rGOS8v+bmP1"
        "5mIiIyGYeUFIvgw9cWsLhgyhYZwymm+Isfa/wAKbtmxT1bI2a7xIR+XDrG4xrwqOETaYUzshOfgvD5JViY+G"
        "LianbA=="
    ),
    "unverifiedCertificate": (
        "MIIGfDCCBGSgAwIBAgIEBgzM/jANBgkqhkiG9w0BAQ0FADB5MQswCQYDVQQGEwJGSTEjMCEGA1UECgwaVmFl"
        "c3RvcmVraXN0ZXJpa2Vza3VzIFRFU1QxGDAWBgNVBAsMD1Rlc3RpdmFybWVudGVldDErMCkGA1UEAwwiVlJL"
        "IFRFU1QgQ0EgZm9yIFRlc3QgUHVycG9zZXMgLSBHNDAeFw0yMDA2MDgwNjUwMjhaFw0yNTA1MjIyMDU5NTla"
        "MHUxCzAJBgNVBAYTAkZJMRIwEAYDVQQFEwk5OTkwMTExMkgxDTALBgNVBCoMBFZFTEkxGTAXBgNVBAQMEFNQ"
        "RUNJTUVOLUJBQkFGw5YxKDAmBgNVBAMMH1NQRUNJTUVOLUJBQkFGw5YgVkVMSSA5OTkwMTExMkgwggEiMA0G"
        "CSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCqIgAEE3XvFvRruqDKdQacfCstkNMNZSKC0lj/zTpJbzF4SzoQ"
        "Aw9RJnZ2TAZEFQ+K7RhQpc7vIcdSEtFT4Qvqak2z79r8wO82c8IkeWmo412FgUzUNJcXA0fYcPQsYuociefQ"
        "vGINrWWWMdHFZYvMlMgRL9VSgEjxN0JZ/+5sZW6IjFfy0VvKWH2jkDPA/eoX7boMzPx+sNlAIjvsZYgup313"
        "l1QYWwHQe3MjhJHcEKY+fXWI0zxiFFFJretr1atso2jqUc0vl0zaZImttj8h0DC6IlcieizT3HEf/yAjxMrn"
        "UYmAPexLQGspAk2J7UO8DGV/5z8rwfa5YPDgrcJtAgMBAAGjggIOMIICCjAfBgNVHSMEGDAWgBQ9mqO1+BUR"
        "7xHK68dcTZOAssc/wTAdBgNVHQ4EFgQUDWLtdQXSHmoD5CAjnCoFSKiLHnswDgYDVR0PAQH/BAQDAgSwMIHO"
        "BgNVHSAEgcYwgcMwgcAGCiqBdoQFYwqBSgEwgbEwJwYIKwYBBQUHAgEWG2h0dHA6Ly93d3cuZmluZWlkLmZp"
        "L2Nwczk5LzCBhQYIKwYBBQUHAgIweRp3VmFybWVubmVwb2xpdGlpa2thIG9uIHNhYXRhdmlsbGEgLSBDZXJ0"
        "aWZpa2F0IHBvbGljeSBmaW5ucyAtIENlcnRpZmljYXRlIHBvbGljeSBpcyBhdmFpbGFibGUgaHR0cDovL3d3"
        "dy5maW5laWQuZmkvY3BzOTkwLQYDVR0RBCYwJIEiZzR2ZWxpMTEyLnNwZWNpbWVuLWJhYmFmb0B0ZXN0aS5m"
        "aTAPBgNVHRMBAf8EBTADAQEAMDcGA1UdHwQwMC4wLKAqoCiGJmh0dHA6Ly9wcm94eS5maW5laWQuZmkvY3Js"
        "L3Zya3RwNGMuY3JsMG4GCCsGAQUFBwEBBGIwYDAwBggrBgEFBQcwAoYkaHR0cDovL3Byb3h5LmZpbmVpZC5m"
        "aS9jYS92cmt0cDQuY3J0MCwGCCsGAQUFBzABhiBodHRwOi8vb2NzcHRlc3QuZmluZWlkLmZpL3Zya3RwNDAN"
        "BgkqhkiG9w0BAQ0FAAOCAgEAkj0Hm/egBQ2LTpzP+DexrRJZcnGbqqg2zoh0uK6Gt+Pc2Z1phe6/kyCh/Wdb"
        "JcGqz4z8NZNFsse74VjyZupwDeX7VW/763XikOYoOMiLmdmC2EBMbTb1cjzEoyc/+VrfH2tqO6qJXf0LjaXd"
        "E9t6tGfbjH2XiJNuzLQCfnfc6kUrAfQCH1xkaaEBFHicpYVfkGxt2urDjeeG8caxFFiZrxMvWTy/zYub8ZMq"
        "ked11JUgs5t0ycP8+zfSlehBDAhsv954JvfE7VZG+YpP3XXVUp/2rZzlOnXnjCqd0VsLSLNG5wzvjZ0+da2H"
        "DsdKtYrWAfjfueFLUbu9jJ+xIokYFOGxMM0frfQBms7Yk6UK1P7fdrcJRtbZVdEIEtDsx7sjPt892omX0ORm"
        "sVYUv2NZNqZaGKWNwQFCOL7W+1WQVpLpUBYEy9XKV5GYhzKj0BnfZJoGSWNhMavhJVanl5cjCCT4Md2MlV3y"
        "o2Wjrn7YY82IwpVK4nPPIK+rlG6agwIllQfejWrgEK+//rdnOrm/W+ryucfRS8Y6kIw+7IIiqpJsCb/vyny4"
        "wkfobdykidpnsiHS10dkaQ01fhN2GrdHcsVXviZCPvM5YTOht4tb+M0qNPdzs1ROgmWL+glH8N7dKn2m3XLB"
        "suROGajGFMdkN9xkdlQ6KO8WJqT46o9RH6c="
    ),
}

_BELGIAN_RS256 = {
    "action": "web-eid:authenticate-success",
    "algorithm": "RS256",
    "appVersion": "https://web-eid.eu/web-eid-app/releases/2.7.0+965",
    "format": "web-eid:1.0",
    "signature": (
        "KQsMoSj3lWz1H3NZ2LYtV27oIi2LdiBonYVjxZrRUt7qFBmepRRHY+vtM0qOZ0J8i9DwR25hmVi60S2yNAkY"
        "MIdYp3g2o8FamSpdz5MZBAGCpxF0yqK74sHN+87qjqj4qMv2rUIKMluhvjuwLSzZHaJzJyels/jdOHTQNgZ8"
        "S3ufEoCvLYcVU19TFryoo7ZWKfSB8qTWIv3UdOBTWG7fcU/fOwQmw9YAGrfKTJevTDIwcdLccqKXc1JzDWx6"
        "eargAx9Pa3Ehwa1SwB0aTXYVsfO+9awlFzjTXAnCudzKLoYBmNJedmv0MXlxNHSFQ9sNZDVgV4Sb5nQSlXE0"
        "st9uoQ=="
    ),
    "unverifiedCertificate": (
        "MIID7zCCA3WgAwIBAgIQEAAAAAAA8evx/gAAAAHu2TAKBggqhkjOPQQDAzAuMQswCQYDVQQGEwJCRTEfMB0G"
        "A1UEAwwWZUlEIFRFU1QgRUMgQ2l0aXplbiBDQTAeFw0yMzA5MjYyMjAwMDBaFw0zMzA5MjYyMjAwMDBaMHYx"
        "CzAJBgNVBAYTAkJFMScwJQYDVQQDDB5Ob3JhIFNwZWNpbWVuIChBdXRoZW50aWNhdGlvbikxETAPBgNVBAQM"
        "CFNwZWNpbWVuMRUwEwYDVQQqDAxOb3JhIEFuZ8OobGUxFDASBgNVBAUTCzAxMDUwMzk5ODY0MIIBIjANBgkq"
        "hkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx/JkeHwt4rQhx/QrpPSCLUd98YxiZRvtKyo1glLiByNvDu7D6Jgg"
        "70tj2wlrwn3X0c8Rz/Yy3SgLIPzc92ptvaJG0H52cecRKABzDKwn9Qf/ZwsasDkKnprx0KUbiTaBU9Se1AEi"
        "m5hyG4naahcfQJo+SwvIMhjIVPk1l1B+fbwRBlYG+LoJXdLSwoYRWArnf+4vx2PXR1nrmfLDw0NrtuNQy637"
        "O58DSL2XGd0+jKpQfYCBrqN0B26zA2RU0Uzb0ztEf4VXYH26dmv+bqwpXdPQYPQ7elNFXzFCRnmgJfxt4aKS"
        "kGZ2sQFWrKeIRxzVizLFDnfW8TSV5S4tuwYSMwIDAQABo4IBYDCCAVwwHwYDVR0jBBgwFoAU3bN/45oZjlnJ"
        "EVYCLfX6nW/ehEswDgYDVR0PAQH/BAQDAgeAMEkGA1UdIARCMEAwPgYHYDgMAQECAjAzMDEGCCsGAQUFBwIB"
        "FiVodHRwOi8vZWlkZGV2Y2FyZHMuemV0ZXNjYXJkcy5iZS9jZXJ0MBMGA1UdJQQMMAoGCCsGAQUFBwMCMEUG"
        "A1UdHwQ+MDwwOqA4oDaGNGh0dHA6Ly9laWRkZXZjYXJkcy56ZXRlc2NhcmRzLmJlL2NybC9jaXRpemVuY2FF"
        "Qy5jcmwwgYEGCCsGAQUFBwEBBHUwczA+BggrBgEFBQcwAoYyaHR0cDovL2VpZGRldmNhcmRzLnpldGVzY2Fy"
        "ZHMuYmUvY2VydC9yb290Y2FFQy5jcnQwMQYIKwYBBQUHMAGGJWh0dHA6Ly9laWRkZXZjYXJkcy56ZXRlc2Nh"
        "cmRzLmJlOjg4ODgwCgYIKoZIzj0EAwMDaAAwZQIwL3Mp3pSlxfjUQ6zlsAwLHBbs1//7vPiqx//IcyUZYuVX"
        "Z00KG8MelmaMNbmzDVxaAjEAnqHxkwV5sSDwQCUbb6Tofaypm+DO6C2LriHS5r+s84x2Eq+s+lAJ1L4Wkcgs"
        "Kxns"
    ),
}


# Signed requests ----------------------------------------------------------------------------


def request_keys(rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return {
        "portal-p256": ec_key(ec.SECP256R1(), 0x5EC0DE01),
        "portal-p384": ec_key(ec.SECP384R1(), 0x5EC0DE02),
        "portal-ed25519": ed_key(3),
        "portal-rsa": rsa_key,
        "attacker-p256": ec_key(ec.SECP256R1(), 0xBAD),
    }


def request_claims(op: str = "authenticate", **changes: Any) -> Json:
    claims: Json = {"origin": ORIGIN, "op": op, "jti": JTI, "iat": NOW - 10, "exp": NOW + 110}
    extra: dict[str, Json] = {
        "authenticate": {"challengeNonce": NONCE},
        "sign": {
            "hash": base64.b64encode(hashlib.sha256(b"document").digest()).decode(),
            "hashAlgorithm": "SHA-256",
            "certificateSha256": CERTIFICATE_SHA256.rstrip(b"=").decode(),
            "text": {"ar": "توقيع طلب رخصة البناء", "en": "Sign the building permit application"},
            "documentName": "permit-2027-0042.pdf",
        },
        "readIdentity": {"fields": ["idNumber", "nameAr", "nameEn"]},
        "getSigningCertificate": {},
    }
    claims.update(extra[op])
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def signed_request_vectors(keys: dict[str, Any]) -> list[Json]:  # noqa: PLR0915 (one flat list of cases)
    p256 = keys["portal-p256"]
    algs = {
        "portal-p256": "ES256",
        "portal-p384": "ES384",
        "portal-ed25519": "EdDSA",
        "portal-rsa": "PS256",
    }

    def token(claims: Json | str, kid: str = "portal-p256", **header: Any) -> str:
        alg = header.pop("alg", algs.get(kid, "ES256"))
        head: Json = {"alg": alg, "typ": "bitaqa-request+jwt", "kid": kid, **header}
        head = {name: value for name, value in head.items() if value is not None}
        return jws(head, claims, sign_with(keys.get(kid, p256), alg))

    good = token(request_claims())
    head, body, signature = good.split(".")
    vectors: list[Json] = []

    def add(name: str, description: str, jwt: str, expect: Json, **context: Any) -> None:
        vector: Json = {
            "name": name,
            "description": description,
            "token": jwt,
            "trustedKeys": context.pop("trusted", ["portal-p256", "portal-p384"]),
            "origin": context.pop("origin", ORIGIN),
            "operation": context.pop("operation", "authenticate"),
            "now": context.pop("now", NOW),
            "replayCache": context.pop("replay", {}),
        }
        assert not context, context
        vector["expect"] = expect
        vectors.append(vector)

    def valid(claims: Json, kid: str) -> Json:
        return {"valid": True, "keyId": kid, "algorithm": algs[kid], "claims": claims}

    def refused(error: str, check: str) -> Json:
        return {"valid": False, "error": error, "check": check}

    bad = "REQUEST_SIGNATURE_INVALID"
    for op, kid in (
        ("authenticate", "portal-p256"),
        ("sign", "portal-p384"),
        ("readIdentity", "portal-ed25519"),
        ("getSigningCertificate", "portal-rsa"),
    ):
        claims = request_claims(op)
        add(
            f"valid-{op}-{algs[kid].lower()}",
            f"A well-formed {op} request signed with {algs[kid]}.",
            token(claims, kid),
            valid(claims, kid),
            operation=op,
            trusted=[kid],
        )
    claims = request_claims()
    add(
        "valid-at-latest-moment",
        "Accepted at exp + 30 s (the clock skew allowance).",
        good,
        valid(claims, "portal-p256"),
        now=NOW + 110 + 30,
    )
    add(
        "valid-at-earliest-moment",
        "Accepted at iat - 30 s.",
        good,
        valid(claims, "portal-p256"),
        now=NOW - 10 - 30,
    )
    add(
        "valid-replay-cache-holds-other-jti",
        "A remembered jti of another request does not block this one.",
        good,
        valid(claims, "portal-p256"),
        replay={"T3RoZXJSZXF1ZXN0SmRp": NOW + 140},
    )
    add(
        "valid-replay-cache-entry-expired",
        "A remembered entry for this jti that has itself expired no longer blocks it.",
        good,
        valid(claims, "portal-p256"),
        replay={JTI: NOW - 1},
    )

    # Shape
    add("shape-two-parts", "Only two dot-separated parts.", f"{head}.{body}", refused(bad, "shape"))
    add("shape-four-parts", "Four parts.", f"{good}.{signature}", refused(bad, "shape"))
    none_header = {"alg": "none", "typ": "bitaqa-request+jwt", "kid": "portal-p256"}
    add(
        "alg-none-empty-signature",
        '"alg":"none" with the empty signature part of an unsecured JWS.',
        f"{b64url(compact(none_header).encode())}.{body}.",
        refused(bad, "shape"),
    )
    add(
        "shape-padded-base64url",
        "The signature part carries '=' padding.",
        good + "==",
        refused(bad, "shape"),
    )
    add(
        "shape-standard-base64",
        "The signature part uses '+' and '/' (base64, not base64url).",
        f"{head}.{body}.{signature[:-4]}+/+/",
        refused(bad, "shape"),
    )
    add(
        "shape-too-long",
        "More than 8192 characters.",
        token(request_claims(padding="x" * 6200)),
        refused(bad, "shape"),
    )
    add("shape-empty", "The empty string.", "", refused(bad, "shape"))
    add(
        "shape-non-canonical-base64url",
        "The signature's last character has non-zero unused bits.",
        f"{head}.{body}.{set_unused_bit(signature, URL_ALPHABET)}",
        refused(bad, "shape"),
    )
    add("shape-non-ascii", "A non-ASCII character.", good[:-1] + "é", refused(bad, "shape"))

    # Header
    add(
        "alg-none-with-signature",
        '"alg":"none" followed by some signature bytes.',
        jws(
            {"alg": "none", "typ": "bitaqa-request+jwt", "kid": "portal-p256"},
            claims,
            lambda _: b"\0" * 64,
        ),
        refused(bad, "header"),
    )
    public_pem = p256.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    add(
        "alg-hs256-public-key-as-secret",
        "HS256 keyed with the trusted public key's PEM (algorithm confusion).",
        jws(
            {"alg": "HS256", "typ": "bitaqa-request+jwt", "kid": "portal-p256"},
            claims,
            lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
        ),
        refused(bad, "header"),
    )
    add(
        "alg-rs256-refused",
        "RS256 (PKCS#1 v1.5) is not on the allowlist even with a trusted RSA key.",
        token(claims, "portal-rsa", alg="RS256"),
        refused(bad, "header"),
        trusted=["portal-rsa"],
    )
    add(
        "alg-es512-refused",
        "ES512 is not on the allowlist.",
        jws(
            {"alg": "ES512", "typ": "bitaqa-request+jwt", "kid": "portal-p256"},
            claims,
            sign_with(ec_key(ec.SECP521R1(), 7), "ES512"),
        ),
        refused(bad, "header"),
    )
    add(
        "typ-jwt",
        'typ "JWT" instead of "bitaqa-request+jwt".',
        token(claims, typ="JWT"),
        refused(bad, "header"),
    )
    add("typ-missing", "No typ.", token(claims, typ=None), refused(bad, "header"))
    add(
        "kid-missing",
        "No kid.",
        jws({"alg": "ES256", "typ": "bitaqa-request+jwt"}, claims, sign_with(p256, "ES256")),
        refused(bad, "header"),
    )
    add(
        "header-embedded-jwk",
        "An extra header member (jwk) is refused.",
        token(claims, jwk=public_jwk(p256.public_key(), "portal-p256")),
        refused(bad, "header"),
    )
    add(
        "header-crit",
        "A crit header member is refused.",
        token(claims, crit=["exp"]),
        refused(bad, "header"),
    )
    add(
        "header-duplicate-alg",
        "The header names alg twice (none, then ES256).",
        jws(
            '{"alg":"none","alg":"ES256","typ":"bitaqa-request+jwt","kid":"portal-p256"}',
            claims,
            sign_with(p256, "ES256"),
        ),
        refused(bad, "header"),
    )
    add(
        "header-not-json",
        "The header is not JSON.",
        jws("alg=ES256", claims, sign_with(p256, "ES256")),
        refused(bad, "header"),
    )

    # Key
    add(
        "kid-unknown",
        "A kid that is not pinned for the origin.",
        token(claims, kid="portal-p256-old", alg="ES256"),
        refused(bad, "key"),
    )
    add(
        "kid-of-another-origin",
        "Signed with a key the trust list pins for a different origin.",
        token(claims, "portal-ed25519"),
        refused(bad, "key"),
    )
    add(
        "alg-does-not-match-key",
        "Header says ES384 while the pinned key for the kid is P-256.",
        jws(
            {"alg": "ES384", "typ": "bitaqa-request+jwt", "kid": "portal-p256"},
            claims,
            sign_with(p256, "ES384"),
        ),
        refused(bad, "key"),
    )

    # Signature
    add(
        "signature-by-other-key",
        "The trusted kid, but signed by an attacker's P-256 key.",
        jws(
            {"alg": "ES256", "typ": "bitaqa-request+jwt", "kid": "portal-p256"},
            claims,
            sign_with(keys["attacker-p256"], "ES256"),
        ),
        refused(bad, "signature"),
    )
    tampered = compact(request_claims(origin="https://evil.example"))
    add(
        "tampered-payload",
        "The payload was replaced after signing (origin changed).",
        f"{head}.{b64url(tampered.encode())}.{signature}",
        refused(bad, "signature"),
    )
    add(
        "tampered-signature",
        "One character of the signature changed.",
        f"{head}.{body}.{flip_character(signature, 10)}",
        refused(bad, "signature"),
    )
    add(
        "signature-der-encoded",
        "An ES256 signature in DER form instead of raw r||s.",
        jws(
            {"alg": "ES256", "typ": "bitaqa-request+jwt", "kid": "portal-p256"},
            claims,
            lambda data: p256.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)),
        ),
        refused(bad, "signature"),
    )

    # Claims
    def claims_case(name: str, description: str, changed: Json, op: str = "authenticate") -> None:
        add(name, description, token(changed), refused(bad, "claims"), operation=op)

    claims_case("claims-missing-jti", "No jti.", request_claims(jti=None))
    claims_case("claims-short-jti", "jti of 15 characters.", request_claims(jti="a" * 15))
    claims_case("claims-jti-space", "jti with a space.", request_claims(jti="abcdefgh ijklmnop"))
    claims_case("claims-long-jti", "jti of 129 characters.", request_claims(jti="a" * 129))
    claims_case("claims-iat-string", "iat as a string.", request_claims(iat=str(NOW)))
    claims_case("claims-exp-bool", "exp as true.", request_claims(exp=True))
    claims_case(
        "claims-unknown-claim",
        "A claim the protocol does not define.",
        request_claims(nbf=NOW - 10),
    )
    claims_case(
        "claims-sign-claims-in-authenticate",
        "A sign claim (hash) inside an authenticate request.",
        request_claims(hash=base64.b64encode(b"\0" * 32).decode()),
    )
    claims_case(
        "claims-missing-nonce",
        "authenticate without challengeNonce.",
        request_claims(challengeNonce=None),
    )
    claims_case(
        "claims-short-nonce",
        "challengeNonce of 43 characters.",
        request_claims(challengeNonce=NONCE[:43]),
    )
    claims_case("claims-unknown-op", "op is not an operation.", request_claims() | {"op": "status"})
    add(
        "claims-float-exp",
        "exp written as a number with a fraction.",
        token(compact(request_claims(exp=0)).replace('"exp":0', f'"exp":{NOW + 110}.0')),
        refused(bad, "claims"),
    )
    add(
        "claims-duplicate-origin",
        "The payload names origin twice (the evil one last).",
        token(compact(request_claims()).replace('"op"', '"origin":"https://evil.example","op"')),
        refused(bad, "claims"),
        origin="https://evil.example",
    )
    add(
        "claims-payload-not-object",
        "The payload is a JSON array.",
        token("[1,2,3]"),
        refused(bad, "claims"),
    )
    for name, description, change in (
        (
            "hash-length-mismatch",
            "SHA-384 named, 32-byte hash given.",
            {"hashAlgorithm": "SHA-384"},
        ),
        ("hash-algorithm-md5", "hashAlgorithm MD5.", {"hashAlgorithm": "MD5"}),
        ("hash-not-base64", "hash is not base64.", {"hash": "not base64!"}),
        (
            "hash-base64url",
            "hash in the base64url alphabet, not base64.",
            {"hash": base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode()},
        ),
        (
            "certificate-digest-short",
            "certificateSha256 of 31 bytes.",
            {"certificateSha256": b64url(b"\1" * 31)},
        ),
        ("text-missing-arabic", "text without ar.", {"text": {"en": "Sign"}}),
        ("text-empty", "An empty English text.", {"text": {"ar": "توقيع", "en": ""}}),
        (
            "text-control-character",
            "A newline in the text.",
            {"text": {"ar": "توقيع", "en": "Sign\nnow"}},
        ),
        (
            "text-bidi-override",
            "A right-to-left override that could reorder the displayed text.",
            {"text": {"ar": "توقيع", "en": "Pay \u202e0001 \u202cSAR"}},
        ),
        ("text-too-long", "501 characters of text.", {"text": {"ar": "ت" * 501, "en": "Sign"}}),
        ("document-name-empty", "documentName is the empty string.", {"documentName": ""}),
    ):
        claims_case(f"sign-{name}", description, request_claims("sign", **change), op="sign")
    for name, description, fields in (
        ("fields-empty", "An empty fields list.", []),
        ("fields-unknown", "A field that is not defined.", ["idNumber", "bloodGroup"]),
        ("fields-duplicate", "A field named twice.", ["idNumber", "idNumber"]),
    ):
        claims_case(
            f"read-identity-{name}",
            description,
            request_claims("readIdentity", fields=fields),
            op="readIdentity",
        )

    # Origin, operation
    for name, description, origin in (
        ("origin-other-site", "The request names another origin.", "https://other.example"),
        ("origin-trailing-slash", "The handshake origin plus a slash.", ORIGIN + "/"),
        ("origin-port", "The same host on another port.", ORIGIN + ":8443"),
        ("origin-http", "The http origin of the same host.", "http://portal.example"),
    ):
        add(f"wrong-{name}", description, good, refused(bad, "origin"), origin=origin)
    add(
        "wrong-operation",
        "An authenticate request presented for sign.",
        good,
        refused(bad, "operation"),
        operation="sign",
    )

    # Time
    expired = "REQUEST_EXPIRED"
    add("expired", "Presented at exp + 31 s.", good, refused(expired, "time"), now=NOW + 141)
    add("not-yet-valid", "Presented at iat - 31 s.", good, refused(expired, "time"), now=NOW - 41)
    add(
        "lifetime-too-long",
        "exp - iat = 301 s.",
        token(request_claims(exp=NOW - 10 + 301)),
        refused(expired, "time"),
    )
    add(
        "lifetime-zero",
        "exp equals iat.",
        token(request_claims(exp=NOW - 10)),
        refused(expired, "time"),
    )

    # Replay
    add(
        "replayed-jti",
        "The jti is already in the replay cache.",
        good,
        refused("REQUEST_REPLAYED", "replay"),
        replay={JTI: NOW + 140},
    )
    return vectors


def signed_requests_document(rsa_key: rsa.RSAPrivateKey) -> Json:
    keys = request_keys(rsa_key)
    return {
        "description": (
            "Signed requests (compact JWS, typ bitaqa-request+jwt) with the expected verdict of "
            "verify_signed_request. See SECURITY-VECTORS.md."
        ),
        "keys": {
            kid: {"publicJwk": public_jwk(key.public_key(), kid)}
            | ({"privateKeyPem": rsa_pem(key)} if kid == "portal-rsa" else {})
            for kid, key in keys.items()
        },
        "vectors": signed_request_vectors(keys),
    }


# Trust lists --------------------------------------------------------------------------------


def trust_entry(origin: str, keys: list[Any], **changes: Any) -> Json:
    entry: Json = {
        "origin": origin,
        "name": {"ar": "بوابة الخدمات", "en": "Services portal"},
        "keys": keys,
        "operations": ["authenticate", "getSigningCertificate", "sign", "readIdentity"],
        "authenticateRequiresSignedRequest": True,
    }
    entry.update(changes)
    return entry


def trust_list_vectors(authorities: dict[str, Any], request_jwks: dict[str, Json]) -> list[Json]:
    authority = authorities["authority-es256"]
    entries = [
        trust_entry(ORIGIN, [request_jwks["portal-p256"], request_jwks["portal-p384"]]),
        trust_entry(
            "https://xn--mgbh0fb.example:8443",
            [request_jwks["portal-ed25519"], request_jwks["portal-rsa"]],
            name={"ar": "مثال", "en": "Example"},
            operations=["authenticate"],
            authenticateRequiresSignedRequest=False,
        ),
        trust_entry(
            "https://login.example",
            [],
            operations=["authenticate", "getSigningCertificate"],
            authenticateRequiresSignedRequest=False,
        ),
    ]
    payload: Json = {
        "version": 7,
        "issuedAt": NOW - 86_400,
        "expiresAt": NOW + 30 * 86_400,
        "entries": entries,
    }

    def listing(
        body: Json | str, kid: str = "authority-es256", key: Any = None, **header: Any
    ) -> str:
        signer_key = key or authorities.get(kid, authority)
        alg = header.pop("alg", "EdDSA" if kid == "authority-ed25519" else "ES256")
        head = {"alg": alg, "typ": "bitaqa-trustlist+jwt", "kid": kid, **header}
        return jws(head, body, sign_with(signer_key, alg))

    vectors: list[Json] = []

    def add(name: str, description: str, token: str, expect: Json, **context: Any) -> None:
        vectors.append(
            {
                "name": name,
                "description": description,
                "token": token,
                "authorityKeys": context.pop("authority", ["authority-es256", "authority-ed25519"]),
                "now": context.pop("now", NOW),
                "currentVersion": context.pop("current", None),
                "expect": expect,
            }
        )
        assert not context, context

    def refused(reason: str) -> Json:
        return {"valid": False, "error": "ORIGIN_NOT_ALLOWED", "reason": reason}

    summary = {
        "valid": True,
        "version": 7,
        "origins": [entry["origin"] for entry in entries],
        "keyIds": {entry["origin"]: [jwk["kid"] for jwk in entry["keys"]] for entry in entries},
    }
    good = listing(payload)
    add("valid-es256-authority", "A list signed by the ES256 authority key.", good, summary)
    add(
        "valid-eddsa-authority",
        "The same list signed by the Ed25519 authority key.",
        listing(payload, "authority-ed25519"),
        summary,
    )
    add("valid-same-version", "Version equal to the current one.", good, summary, current=7)
    add("valid-newer-version", "Version above the current one.", good, summary, current=6)
    add(
        "valid-just-before-expiry",
        "One second before expiresAt.",
        good,
        summary,
        now=NOW + 30 * 86_400 - 1,
    )
    add(
        "rollback",
        "Version 7 when version 8 was accepted before.",
        good,
        refused("ROLLBACK"),
        current=8,
    )
    add("expired", "Presented at expiresAt.", good, refused("EXPIRED"), now=NOW + 30 * 86_400)
    add(
        "not-yet-valid",
        "Presented 31 s before issuedAt.",
        good,
        refused("NOT_YET_VALID"),
        now=NOW - 86_400 - 31,
    )
    add(
        "wrong-authority",
        "Signed by another key under the authority's kid.",
        listing(payload, key=authorities["attacker-es256"]),
        refused("SIGNATURE"),
    )
    add(
        "unknown-authority-kid",
        "Signed by a key that is not pinned.",
        listing(payload, "attacker-es256"),
        refused("SIGNATURE"),
    )
    add(
        "authority-es384-not-allowed",
        "A pinned P-384 authority key: trust lists use ES256 or EdDSA only.",
        listing(payload, "authority-p384", alg="ES384"),
        refused("SIGNATURE"),
        authority=["authority-p384"],
    )
    head, _, signature = good.split(".")
    add(
        "tampered-payload",
        "Version raised after signing.",
        f"{head}.{b64url(compact(payload | {'version': 70}).encode())}.{signature}",
        refused("SIGNATURE"),
    )
    add(
        "typ-request",
        "typ of a signed request.",
        listing(payload, typ="bitaqa-request+jwt"),
        refused("MALFORMED"),
    )
    add("not-a-jws", "Not a compact JWS.", "trust-list", refused("MALFORMED"))
    for name, description, changed in (
        ("version-zero", "version 0.", payload | {"version": 0}),
        ("version-string", "version as a string.", payload | {"version": "7"}),
        (
            "issued-after-expiry",
            "issuedAt after expiresAt.",
            payload | {"issuedAt": NOW + 31 * 86_400},
        ),
        (
            "missing-entries",
            "No entries member.",
            {k: v for k, v in payload.items() if k != "entries"},
        ),
        ("unknown-member", "An extra top-level member.", payload | {"comment": "x"}),
        ("entries-not-list", "entries is an object.", payload | {"entries": {}}),
    ):
        add(f"payload-{name}", description, listing(changed), refused("MALFORMED"))
    p256 = request_jwks["portal-p256"]
    private_jwk = p256 | {"d": b64url(b"\1" * 32)}
    off_curve = p256 | {"y": b64url(b"\1" * 32)}
    for name, description, entry in (
        (
            "http-origin",
            "An http origin in the signed list.",
            trust_entry("http://portal.example", [p256]),
        ),
        (
            "localhost-origin",
            "http://localhost in the signed list.",
            trust_entry("http://localhost:8443", [p256]),
        ),
        (
            "origin-not-normal",
            "Origin in upper case.",
            trust_entry("https://Portal.example", [p256]),
        ),
        ("origin-with-path", "Origin with a path.", trust_entry(ORIGIN + "/login", [p256])),
        (
            "private-key-member",
            "A key JWK carries the private member d.",
            trust_entry(ORIGIN, [private_jwk]),
        ),
        ("key-off-curve", "An EC point that is not on P-256.", trust_entry(ORIGIN, [off_curve])),
        ("key-p521", "A P-521 key.", trust_entry(ORIGIN, [request_jwks["other-p521"]])),
        ("key-not-object", "A key given as a string.", trust_entry(ORIGIN, ["portal-p256"])),
        (
            "key-short-coordinate",
            "A P-256 key whose x has 31 bytes.",
            trust_entry(ORIGIN, [p256 | {"x": b64url(b"\1" * 31)}]),
        ),
        (
            "key-rsa-exponent-3",
            "An RSA key with public exponent 3.",
            trust_entry(ORIGIN, [request_jwks["portal-rsa"] | {"e": b64url(b"\3")}]),
        ),
        (
            "key-rsa-1024",
            "An RSA key of 1024 bits.",
            trust_entry(ORIGIN, [request_jwks["other-rsa-1024"]]),
        ),
        (
            "key-alg-mismatch",
            "alg ES384 on a P-256 key.",
            trust_entry(ORIGIN, [p256 | {"alg": "ES384"}]),
        ),
        ("key-use-enc", "use enc.", trust_entry(ORIGIN, [p256 | {"use": "enc"}])),
        (
            "key-without-kid",
            "A key without kid.",
            trust_entry(ORIGIN, [{k: v for k, v in p256.items() if k != "kid"}]),
        ),
        (
            "duplicate-kid",
            "The same kid twice.",
            trust_entry(ORIGIN, [p256, request_jwks["portal-p384"] | {"kid": p256["kid"]}]),
        ),
        ("sign-without-key", "sign allowed but no request key.", trust_entry(ORIGIN, [])),
        (
            "flag-without-key",
            "authenticateRequiresSignedRequest set, only getSigningCertificate, no request key.",
            trust_entry(ORIGIN, [], operations=["getSigningCertificate"]),
        ),
        (
            "unknown-operation",
            "An operation that does not exist.",
            trust_entry(ORIGIN, [p256], operations=["sign", "format"]),
        ),
        (
            "name-control-character",
            "A tab in the name.",
            trust_entry(ORIGIN, [p256], name={"ar": "بوابة", "en": "Por\ttal"}),
        ),
        (
            "name-missing-arabic",
            "name without ar.",
            trust_entry(ORIGIN, [p256], name={"en": "Portal"}),
        ),
        (
            "flag-not-boolean",
            "authenticateRequiresSignedRequest as 1.",
            trust_entry(ORIGIN, [p256], authenticateRequiresSignedRequest=1),
        ),
        ("unknown-member", "An extra entry member.", trust_entry(ORIGIN, [p256], note="x")),
    ):
        add(
            f"entry-{name}",
            description,
            listing(payload | {"entries": [entry]}),
            refused("ENTRY_INVALID"),
        )
    add(
        "entry-duplicate-origin",
        "Two entries for one origin.",
        listing(payload | {"entries": [entries[0], entries[0]]}),
        refused("ENTRY_INVALID"),
    )
    return vectors


def local_policy_vectors(request_jwks: dict[str, Any]) -> list[Json]:
    p256 = request_jwks["portal-p256"]
    dev = trust_entry("http://localhost:8443", [p256])
    vectors: list[Json] = []

    def add(name: str, description: str, policy: Any, expect: Json) -> None:
        text = policy if isinstance(policy, str) else compact(policy)
        vectors.append({"name": name, "description": description, "policy": text, "expect": expect})

    add(
        "valid-development-origin",
        "http://localhost allowed by allowInsecureLocalhost.",
        {"allowLocalEntries": True, "allowInsecureLocalhost": True, "entries": [dev]},
        {"valid": True, "origins": ["http://localhost:8443"]},
    )
    add(
        "valid-empty",
        "An empty policy: every member is optional.",
        {},
        {"valid": True, "origins": []},
    )
    add(
        "valid-https-entry",
        "A local https entry without any flag but allowLocalEntries.",
        {"allowLocalEntries": True, "entries": [trust_entry("https://intranet.example", [p256])]},
        {"valid": True, "origins": ["https://intranet.example"]},
    )
    invalid = {"valid": False, "error": "ORIGIN_NOT_ALLOWED"}
    add(
        "http-without-flag",
        "http://localhost without allowInsecureLocalhost.",
        {"allowLocalEntries": True, "entries": [dev]},
        invalid | {"reason": "ENTRY_INVALID"},
    )
    add(
        "http-not-loopback",
        "allowInsecureLocalhost does not admit http on other hosts.",
        {
            "allowLocalEntries": True,
            "allowInsecureLocalhost": True,
            "entries": [trust_entry("http://intranet.example", [p256])],
        },
        invalid | {"reason": "ENTRY_INVALID"},
    )
    add(
        "unknown-member",
        "A member the policy does not define.",
        {"allowLocalEntries": True, "trustEverything": True},
        invalid | {"reason": "POLICY_INVALID"},
    )
    add(
        "flag-not-boolean",
        "allowLocalEntries as a string.",
        {"allowLocalEntries": "yes"},
        invalid | {"reason": "POLICY_INVALID"},
    )
    add("not-json", "Not JSON.", "allowLocalEntries=1", invalid | {"reason": "POLICY_INVALID"})
    add("not-object", "A JSON array.", "[]", invalid | {"reason": "POLICY_INVALID"})
    return vectors


def trust_lists_document(rsa_key: rsa.RSAPrivateKey) -> Json:
    authorities: dict[str, Any] = {
        "authority-es256": ec_key(ec.SECP256R1(), 0xA7701),
        "authority-ed25519": ed_key(0xA7702),
        "authority-p384": ec_key(ec.SECP384R1(), 0xA7703),
        "attacker-es256": ec_key(ec.SECP256R1(), 0xBAD),
    }
    request_jwks = {
        kid: public_jwk(key.public_key(), kid) for kid, key in request_keys(rsa_key).items()
    }
    p521 = ec_key(ec.SECP521R1(), 0x521).public_key().public_numbers()
    request_jwks["other-p521"] = {
        "kty": "EC",
        "crv": "P-521",
        "x": b64url(p521.x.to_bytes(66, "big")),
        "y": b64url(p521.y.to_bytes(66, "big")),
        "kid": "other-p521",
    }
    small = rsa_key.public_key().public_numbers()
    request_jwks["other-rsa-1024"] = {
        "kty": "RSA",
        "n": b64url((small.n >> 1024 | 1 << 1023 | 1).to_bytes(128, "big")),
        "e": b64url(small.e.to_bytes(3, "big")),
        "kid": "other-rsa-1024",
    }
    return {
        "description": (
            "Signed trust lists (compact JWS, typ bitaqa-trustlist+jwt) with the expected verdict "
            "of parse_trust_list then choose_trust_list, and local policy files with the verdict "
            "of parse_local_policy. See SECURITY-VECTORS.md."
        ),
        "authorityKeys": {
            kid: {"publicJwk": public_jwk(key.public_key(), kid)}
            for kid, key in authorities.items()
        },
        "vectors": trust_list_vectors(authorities, request_jwks),
        "localPolicies": local_policy_vectors(request_jwks),
    }


# Authentication tokens ----------------------------------------------------------------------

WEB_EID_SOURCE = (
    "web-eid/web-eid-authtoken-validation-java and -php test suites (MIT licence, Estonian "
    "Information System Authority): {}"
)
NGROK_ORIGIN = "https://47f0-46-131-86-189.ngrok-free.app"


def holder_certificate(key: Any, alg: str) -> bytes:
    """A holder certificate for the token's key, issued by a fixed test CA (deterministic)."""
    ca_key = ec_key(ec.SECP256R1(), 0xCA)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bitaqa Vector Test CA")])
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "QA"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"TEST HOLDER {alg}"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCQA-28463400001"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(0x1000 + len(alg) * 7 + sum(alg.encode()))
        .not_valid_before(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def message(origin: str, nonce: str, hash_name: str) -> bytes:
    digest = HASHLIB[hash_name]
    return digest(origin.encode()).digest() + digest(nonce.encode()).digest()


def auth_token_vectors(rsa_key: rsa.RSAPrivateKey) -> list[Json]:
    holders: dict[str, Any] = {
        "ES256": ec_key(ec.SECP256R1(), 0xE5256),
        "ES384": ec_key(ec.SECP384R1(), 0xE5384),
        "ES512": ec_key(ec.SECP521R1(), 0xE5512),
        "RS256": rsa_key,
        "PS256": rsa_key,
        "PS384": rsa_key,
    }
    certificates = {alg: holder_certificate(key, alg) for alg, key in holders.items()}
    vectors: list[Json] = []

    def token(alg: str, origin: str = ORIGIN, nonce: str = NONCE, **changes: Any) -> str:
        signature = sign_with(holders[alg], alg)(message(origin, nonce, "SHA-" + alg[2:]))
        document: Json = {
            "unverifiedCertificate": base64.b64encode(certificates[alg]).decode(),
            "algorithm": alg,
            "signature": base64.b64encode(signature).decode(),
            "format": "web-eid:1.0",
            "appVersion": "https://github.com/bitaqa/bitaqa/releases/0.1.0",
        }
        for name, value in changes.items():
            if value is None:
                document.pop(name, None)
            else:
                document[name] = value
        return compact(document)

    def add(name: str, description: str, text: str, expect: Json, **context: Any) -> None:
        vector: Json = {
            "name": name,
            "description": description,
            "token": text,
            "origin": context.pop("origin", ORIGIN),
            "challengeNonce": context.pop("nonce", NONCE),
            "now": context.pop("now", NOW),
        }
        if "source" in context:
            vector["source"] = context.pop("source")
        assert not context, context
        vector["expect"] = expect
        vectors.append(vector)

    def valid(alg: str, origin: str = ORIGIN, nonce: str = NONCE) -> Json:
        return {
            "valid": True,
            "algorithm": alg,
            "signedMessageHex": message(origin, nonce, "SHA-" + alg[2:]).hex(),
        }

    def refused(reason: str, stage: str) -> Json:
        return {"valid": False, "stage": stage, "reason": reason}

    for alg in holders:
        add(f"valid-{alg.lower()}", f"A token signed with {alg}.", token(alg), valid(alg))
    add(
        "valid-without-app-version",
        "appVersion is informative and optional; unknown members are ignored.",
        token("ES256", appVersion=None, action="web-eid:authenticate-success"),
        valid("ES256"),
    )
    add(
        "valid-format-without-minor",
        'format "web-eid:1" (older tokens).',
        token("ES256", format="web-eid:1"),
        valid("ES256"),
    )
    add(
        "valid-http-localhost-origin",
        "A development origin on the loopback host (allowed only by local policy).",
        token("ES256", origin="http://localhost:8443"),
        valid("ES256", "http://localhost:8443"),
        origin="http://localhost:8443",
    )
    real = (
        (
            "web-eid-ria-es384",
            _RIA_ES384,
            "https://ria.ee",
            "12345678123456781234567812345678912356789123",
            "2026-01-01",
            "AbstractTestWithValidator.VALID_AUTH_TOKEN",
        ),
        (
            "web-eid-finnish-ps256",
            _FINNISH_PS256,
            NGROK_ORIGIN,
            "ZqlDATkQRqh7LkqEbspBc2qDjot29oiNLlITdLgiVIo=",
            "2024-12-24",
            "AuthTokenCertificateFinnishIdCardTest.FINNISH_TEST_ID_CARD_BABAFO_VELI_AUTH_TOKEN",
        ),
        (
            "web-eid-belgian-rs256",
            _BELGIAN_RS256,
            NGROK_ORIGIN,
            "YPVgYc7Qds0qmK/RilPLffnsIg7IIovM4BAWqGZWwiY=",
            "2024-12-24",
            "AuthTokenCertificateBelgianIdCardTest.BELGIAN_TEST_ID_CARD_AUTH_TOKEN_RSA",
        ),
    )
    for name, document, origin, nonce, day, constant in real:
        now = int(datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.UTC).timestamp())
        source = WEB_EID_SOURCE.format(constant)
        alg = document["algorithm"]
        add(
            f"valid-{name}",
            "A real Web eID test-card token.",
            compact(document),
            valid(alg, origin, nonce),
            origin=origin,
            nonce=nonce,
            now=now,
            source=source,
        )
    ria_text = compact(_RIA_ES384)
    ria_time = int(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).timestamp())
    add(
        "web-eid-ria-wrong-nonce",
        "The real ES384 token with the nonce's last digit changed.",
        ria_text,
        refused("SIGNATURE_INVALID", "verify"),
        origin="https://ria.ee",
        nonce="12345678123456781234567812345678912356789124",
        now=ria_time,
        source=WEB_EID_SOURCE.format("AuthTokenSignatureTest"),
    )
    add(
        "web-eid-ria-wrong-origin",
        "The real ES384 token verified for another origin.",
        ria_text,
        refused("SIGNATURE_INVALID", "verify"),
        origin="https://invalid.org",
        nonce="12345678123456781234567812345678912356789123",
        now=ria_time,
        source=WEB_EID_SOURCE.format("AuthTokenSignatureTest"),
    )

    good = token("ES256")
    document = json.loads(good)
    signature = base64.b64decode(document["signature"])
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    for name, description, text, context in (
        ("wrong-origin", "Verified for another origin.", good, {"origin": "https://other.example"}),
        (
            "wrong-origin-port",
            "Verified for the origin with a port.",
            good,
            {"origin": ORIGIN + ":8443"},
        ),
        ("wrong-nonce", "Verified with another nonce.", good, {"nonce": NONCE[:-2] + "Y="}),
        (
            "tampered-signature",
            "One bit of the signature flipped.",
            compact(document | {"signature": base64.b64encode(tampered).decode()}),
            {},
        ),
        (
            "algorithm-swapped",
            "An ES256 signature labelled ES384.",
            compact(document | {"algorithm": "ES384"}),
            {},
        ),
        (
            "rsa-padding-swapped",
            "A PKCS#1 v1.5 (RS256) signature labelled PS256.",
            token("RS256", algorithm="PS256"),
            {},
        ),
        (
            "signature-der",
            "An ES256 signature in DER rather than raw r||s.",
            compact(
                document
                | {
                    "signature": base64.b64encode(
                        holders["ES256"].sign(
                            message(ORIGIN, NONCE, "SHA-256"),
                            ec.ECDSA(hashes.SHA256(), deterministic_signing=True),
                        )
                    ).decode()
                }
            ),
            {},
        ),
        (
            "certificate-of-other-key",
            "The signature is by the ES256 key, the certificate is the ES384 holder's.",
            compact(
                document
                | {"unverifiedCertificate": base64.b64encode(certificates["ES384"]).decode()}
            ),
            {},
        ),
    ):
        add(name, description, text, refused("SIGNATURE_INVALID", "verify"), **context)
    add(
        "nonce-too-short",
        "A 43-character nonce is refused before any signature check.",
        good,
        refused("NONCE_INVALID", "verify"),
        nonce=NONCE[:43],
    )
    add(
        "nonce-bad-character",
        "A nonce with a character outside base64.",
        good,
        refused("NONCE_INVALID", "verify"),
        nonce=NONCE[:-1] + "!",
    )
    add(
        "origin-not-normal",
        "An origin that is not in ASCII normal form.",
        good,
        refused("ORIGIN_INVALID", "verify"),
        origin="https://Portal.example",
    )
    for name, description, text, reason in (
        ("too-short", "99 characters.", good[:99], "TOO_SHORT"),
        (
            "too-long",
            "10001 characters.",
            token("ES256", padding="x" * 10_000)[:10_001],
            "TOO_LONG",
        ),
        ("not-json", "Not JSON.", "x" * 120, "MALFORMED"),
        ("json-array", "A JSON array.", compact([good] * 2), "MALFORMED"),
        (
            "duplicate-member",
            "algorithm named twice.",
            good.replace('"algorithm":"ES256"', '"algorithm":"ES256","algorithm":"RS256"'),
            "MALFORMED",
        ),
        (
            "format-invalid",
            'format "invalid".',
            token("ES256", format="invalid"),
            "FORMAT_UNSUPPORTED",
        ),
        (
            "format-v2",
            'format "web-eid:2".',
            token("ES256", format="web-eid:2"),
            "FORMAT_UNSUPPORTED",
        ),
        (
            "format-v10",
            'format "web-eid:10".',
            token("ES256", format="web-eid:10"),
            "FORMAT_UNSUPPORTED",
        ),
        ("format-missing", "No format.", token("ES256", format=None), "FORMAT_UNSUPPORTED"),
        (
            "algorithm-none",
            'algorithm "NONE".',
            token("ES256", algorithm="NONE"),
            "ALGORITHM_UNSUPPORTED",
        ),
        (
            "algorithm-hs256",
            'algorithm "HS256".',
            token("ES256", algorithm="HS256"),
            "ALGORITHM_UNSUPPORTED",
        ),
        (
            "algorithm-empty",
            "algorithm empty.",
            token("ES256", algorithm=""),
            "ALGORITHM_UNSUPPORTED",
        ),
        ("signature-missing", "No signature.", token("ES256", signature=None), "FIELD_INVALID"),
        (
            "signature-non-canonical",
            "signature base64 with non-zero unused bits.",
            token("ES256", signature=set_unused_bit(document["signature"], STANDARD_ALPHABET)),
            "FIELD_INVALID",
        ),
        (
            "signature-number",
            "signature as a number.",
            token("ES256", signature=5),
            "FIELD_INVALID",
        ),
        (
            "signature-not-base64",
            "signature with characters outside base64.",
            token("ES256", signature="***"),
            "FIELD_INVALID",
        ),
        (
            "certificate-missing",
            "No unverifiedCertificate.",
            token("ES256", unverifiedCertificate=None),
            "FIELD_INVALID",
        ),
        (
            "certificate-array",
            "unverifiedCertificate as an array.",
            token("ES256", unverifiedCertificate=["MII"]),
            "FIELD_INVALID",
        ),
        (
            "certificate-bad-version",
            "A certificate whose version field is 106 (found by the fuzzer).",
            token(
                "ES256",
                unverifiedCertificate=base64.b64encode(
                    certificates["ES256"].replace(
                        b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x6a", 1
                    )
                ).decode(),
            ),
            "CERTIFICATE_INVALID",
        ),
        (
            "certificate-not-der",
            "unverifiedCertificate is base64 but not a certificate.",
            token("ES256", unverifiedCertificate=base64.b64encode(b"not a certificate").decode()),
            "CERTIFICATE_INVALID",
        ),
    ):
        add(name, description, text, refused(reason, "parse"))
    return vectors


def auth_tokens_document(rsa_key: rsa.RSAPrivateKey) -> Json:
    return {
        "description": (
            "web-eid:1.0 authentication tokens with the origin and nonce to verify them for, and "
            "the expected verdict of parse_auth_token then verify_auth_token_signature. See "
            "SECURITY-VECTORS.md."
        ),
        "keys": {"portal-rsa": {"privateKeyPem": rsa_pem(rsa_key)}},
        "vectors": auth_token_vectors(rsa_key),
    }


def main() -> None:
    rsa_key = stored_rsa_key()
    documents = {
        "signed-requests.json": signed_requests_document(rsa_key),
        "trust-lists.json": trust_lists_document(rsa_key),
        "auth-tokens.json": auth_tokens_document(rsa_key),
    }
    for name, document in documents.items():
        text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(document['vectors'])} vectors")


if __name__ == "__main__":
    main()
