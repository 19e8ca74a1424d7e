"""The Web eID ``web-eid:1.0`` authentication token (SPEC.md §16).

The card signs ``H(origin) || H(challenge nonce)``, where ``H`` is the hash of the token's JWA
algorithm, ``origin`` is the ASCII serialisation of the handshake origin and the nonce is the
base64 *string* the portal issued.  The token carries no origin, nonce or time by design: the
verifier rebuilds the message from the values it stored itself, so existing Web eID validators
accept our tokens and we accept theirs.

Everything here is pure: :func:`parse_auth_token` checks shape only (length bounds, format,
algorithm, base64 and DER of the certificate); :func:`verify_auth_token_signature` checks the
signature for an origin and nonce the caller supplies.  Certificate purpose, chain and revocation
belong to ``bitaqa.validator``.  Every failure is an :class:`AuthTokenRejectedError` with a
:class:`AuthTokenReason`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from bitaqa.protocol.errors import AuthTokenError, ErrorCode, OriginError
from bitaqa.protocol.origin import parse_origin

__all__ = [
    "ALGORITHMS",
    "DEFAULT_APP_VERSION",
    "MAX_TOKEN_LENGTH",
    "MIN_TOKEN_LENGTH",
    "WEB_EID_FORMAT",
    "AuthToken",
    "AuthTokenReason",
    "AuthTokenRejectedError",
    "JwaAlgorithm",
    "build_auth_token",
    "check_challenge_nonce",
    "ecdsa_der_to_raw",
    "ecdsa_raw_to_der",
    "parse_auth_token",
    "signed_message",
    "verify_auth_token_signature",
]

WEB_EID_FORMAT: Final = "web-eid:1.0"
"""The format this agent writes; parsers accept ``web-eid:1`` and any ``web-eid:1.<minor>``."""

DEFAULT_APP_VERSION: Final = "https://github.com/bitaqa/bitaqa/releases/0.1.0"
"""Informative ``appVersion`` value; verifiers must not depend on it."""

MIN_TOKEN_LENGTH: Final = 100
MAX_TOKEN_LENGTH: Final = 10_000
"""Bounds on the token's JSON text in characters, as in the Web eID validators."""

MIN_NONCE_LENGTH: Final = 44
MAX_NONCE_LENGTH: Final = 128

_FORMAT_PATTERN: Final = re.compile(r"web-eid:1(?:\.[0-9]{1,9})?")
_NONCE_PATTERN: Final = re.compile(
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
)


class AuthTokenReason(enum.Enum):
    """Why a token, nonce, origin or signature was refused (for logs and test vectors)."""

    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    MALFORMED = "MALFORMED"
    FIELD_INVALID = "FIELD_INVALID"
    FORMAT_UNSUPPORTED = "FORMAT_UNSUPPORTED"
    ALGORITHM_UNSUPPORTED = "ALGORITHM_UNSUPPORTED"
    CERTIFICATE_INVALID = "CERTIFICATE_INVALID"
    NONCE_INVALID = "NONCE_INVALID"
    ORIGIN_INVALID = "ORIGIN_INVALID"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"


class AuthTokenRejectedError(AuthTokenError):
    """An :class:`AuthTokenError` that names its :class:`AuthTokenReason`.

    The wire code is always ``INVALID_PARAMS``: the agent raises it for a bad nonce from the page,
    and portal validators translate it into their own errors.
    """

    def __init__(self, reason: AuthTokenReason, message: str) -> None:
        super().__init__(ErrorCode.INVALID_PARAMS, message)
        self.reason = reason


@dataclass(frozen=True)
class JwaAlgorithm:
    """One row of the RFC 7518 algorithm table a ``web-eid:1.0`` token may name.

    Attributes:
        name: the JWA name, for example ``"ES384"``.
        family: ``"ES"`` (ECDSA, raw ``r||s``), ``"PS"`` (RSASSA-PSS, MGF1 with the same hash,
            salt length = digest length) or ``"RS"`` (RSASSA-PKCS1-v1_5).
        hash_name: ``"SHA-256"``, ``"SHA-384"`` or ``"SHA-512"``.
        curve: for ``ES*``, the only curve the key may be on; ``None`` otherwise.
    """

    name: str
    family: str
    hash_name: str
    curve: str | None

    def hash_algorithm(self) -> hashes.HashAlgorithm:
        """Return a fresh ``cryptography`` hash object for this algorithm."""
        return _HASHES[self.hash_name]()

    def digest(self, data: bytes) -> bytes:
        """Return ``H(data)``."""
        context = hashes.Hash(self.hash_algorithm())
        context.update(data)
        return context.finalize()

    @property
    def coordinate_size(self) -> int:
        """Byte length of ``r`` (and of ``s``) in a raw ECDSA signature; 0 for RSA families."""
        return _COORDINATE_SIZES.get(self.curve or "", 0)


_HASHES: Final[Mapping[str, type[hashes.HashAlgorithm]]] = {
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}
_COORDINATE_SIZES: Final[Mapping[str, int]] = {"secp256r1": 32, "secp384r1": 48, "secp521r1": 66}

ALGORITHMS: Final[Mapping[str, JwaAlgorithm]] = {
    "ES256": JwaAlgorithm("ES256", "ES", "SHA-256", "secp256r1"),
    "ES384": JwaAlgorithm("ES384", "ES", "SHA-384", "secp384r1"),
    "ES512": JwaAlgorithm("ES512", "ES", "SHA-512", "secp521r1"),
    "PS256": JwaAlgorithm("PS256", "PS", "SHA-256", None),
    "PS384": JwaAlgorithm("PS384", "PS", "SHA-384", None),
    "PS512": JwaAlgorithm("PS512", "PS", "SHA-512", None),
    "RS256": JwaAlgorithm("RS256", "RS", "SHA-256", None),
    "RS384": JwaAlgorithm("RS384", "RS", "SHA-384", None),
    "RS512": JwaAlgorithm("RS512", "RS", "SHA-512", None),
}
"""The nine algorithms Web eID allows, keyed by JWA name."""


@dataclass(frozen=True)
class AuthToken:
    """A parsed ``web-eid:1.0`` token; nothing in it is trusted until verified.

    Attributes:
        certificate_der: the DER of ``unverifiedCertificate`` (already checked to be X.509).
        algorithm: the JWA algorithm name, one of :data:`ALGORITHMS`.
        signature: the decoded signature bytes (raw ``r||s`` for ``ES*``).
        format: the token's ``format`` string, ``web-eid:1`` or ``web-eid:1.<minor>``.
        app_version: the informative ``appVersion``, or ``None`` when absent.
    """

    certificate_der: bytes
    algorithm: str
    signature: bytes
    format: str
    app_version: str | None

    @property
    def certificate(self) -> x509.Certificate:
        """The unverified certificate, loaded from :attr:`certificate_der`."""
        return x509.load_der_x509_certificate(self.certificate_der)


def _reject(reason: AuthTokenReason, message: str) -> AuthTokenRejectedError:
    return AuthTokenRejectedError(reason, message)


def _algorithm(name: object) -> JwaAlgorithm:
    if not isinstance(name, str) or name not in ALGORITHMS:
        raise _reject(AuthTokenReason.ALGORITHM_UNSUPPORTED, "unsupported signature algorithm")
    return ALGORITHMS[name]


def check_challenge_nonce(nonce: object) -> str:
    """Return ``nonce`` if it is a valid challenge nonce, else raise ``NONCE_INVALID``.

    A nonce is 44 to 128 characters of padded standard base64 (RFC 4648 §4); the portal makes
    it from at least 32 random bytes.  It is signed as the string, never decoded.
    """
    if (
        not isinstance(nonce, str)
        or not MIN_NONCE_LENGTH <= len(nonce) <= MAX_NONCE_LENGTH
        or _NONCE_PATTERN.fullmatch(nonce) is None
    ):
        raise _reject(AuthTokenReason.NONCE_INVALID, "challenge nonce is not 44..128 base64 chars")
    return nonce


def _check_origin(origin: object) -> str:
    # Only the normal form the handshake check produced is signed (lower case, Punycode, no
    # default port); http is possible for the loopback development origins local policy allows.
    try:
        normal = parse_origin(str(origin), allow_insecure_localhost=True).serialize()
    except OriginError:
        normal = None
    if not isinstance(origin, str) or normal != origin:
        raise _reject(AuthTokenReason.ORIGIN_INVALID, "origin is not an ASCII-serialised origin")
    return origin


def signed_message(origin: str, challenge_nonce: str, algorithm: str) -> bytes:
    """Return the bytes the card signs: ``H(origin) || H(challenge_nonce)``.

    ``origin`` is the ASCII serialisation of the handshake origin (``https://host[:port]``,
    Punycode, no trailing slash); ``challenge_nonce`` is the nonce string as issued.  Raises
    :class:`AuthTokenRejectedError` (``ALGORITHM_UNSUPPORTED``, ``NONCE_INVALID`` or
    ``ORIGIN_INVALID``).  The card's signature over these bytes uses the same hash again, so
    for ``ES384`` the card signs ``SHA-384(SHA-384(origin) || SHA-384(nonce))``.
    """
    jwa = _algorithm(algorithm)
    ascii_origin = _check_origin(origin)
    nonce = check_challenge_nonce(challenge_nonce)
    return jwa.digest(ascii_origin.encode("ascii")) + jwa.digest(nonce.encode("ascii"))


def ecdsa_der_to_raw(der: bytes, algorithm: str) -> bytes:
    """Convert a DER ``ECDSA-Sig-Value`` (what PIV and OpenSSL return) to JWS raw ``r||s``.

    Each of ``r`` and ``s`` is left-padded to the curve's coordinate size.  Raises
    ``SIGNATURE_INVALID`` if ``der`` is not a DER signature that fits the algorithm's curve.
    """
    jwa = _algorithm(algorithm)
    if jwa.family != "ES":
        raise _reject(AuthTokenReason.ALGORITHM_UNSUPPORTED, "not an ECDSA algorithm")
    try:
        r, s = decode_dss_signature(der)
    except ValueError:
        raise _reject(AuthTokenReason.SIGNATURE_INVALID, "not a DER ECDSA signature") from None
    size = jwa.coordinate_size
    if not (0 < r < 1 << (8 * size) and 0 < s < 1 << (8 * size)):
        raise _reject(AuthTokenReason.SIGNATURE_INVALID, "ECDSA signature does not fit the curve")
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def ecdsa_raw_to_der(raw: bytes) -> bytes:
    """Convert a raw ``r||s`` ECDSA signature (two equal halves) to DER ``ECDSA-Sig-Value``."""
    if not raw or len(raw) % 2:
        raise _reject(AuthTokenReason.SIGNATURE_INVALID, "raw ECDSA signature has odd length")
    half = len(raw) // 2
    return encode_dss_signature(
        int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    )


def _b64decode(text: str, what: str) -> bytes:
    # Standard base64 with padding, strict alphabet and canonical encoding.
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _reject(AuthTokenReason.FIELD_INVALID, f"{what} is not base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise _reject(AuthTokenReason.FIELD_INVALID, f"{what} is not canonical base64")
    return data


def _required_string(document: Mapping[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise _reject(AuthTokenReason.FIELD_INVALID, f"'{name}' is missing or not a string")
    return value


def _json_object(text: str) -> Mapping[str, Any]:
    def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        members = dict(pairs)
        if len(members) != len(pairs):
            raise ValueError("duplicate member")
        return members

    try:
        document = json.loads(text, object_pairs_hook=unique_members)
    except (ValueError, RecursionError):
        raise _reject(AuthTokenReason.MALFORMED, "token is not a JSON object") from None
    if not isinstance(document, dict):
        raise _reject(AuthTokenReason.MALFORMED, "token is not a JSON object")
    return document


def parse_auth_token(text: str) -> AuthToken:
    """Parse a token's JSON text, checking shape only (not the signature, not the certificate).

    Checks, in order: type and length (100..10000 characters: ``TOO_SHORT``/``TOO_LONG``), JSON
    object without duplicate members (``MALFORMED``), ``format`` is ``web-eid:1`` or
    ``web-eid:1.<minor>`` (``FORMAT_UNSUPPORTED``), ``algorithm`` is one of :data:`ALGORITHMS`
    (``ALGORITHM_UNSUPPORTED``), ``signature`` and ``unverifiedCertificate`` are non-empty
    canonical base64 strings (``FIELD_INVALID``), the certificate is X.509 DER
    (``CERTIFICATE_INVALID``).  ``appVersion`` is optional; unknown members are ignored.
    """
    if not isinstance(text, str) or len(text) < MIN_TOKEN_LENGTH:
        raise _reject(AuthTokenReason.TOO_SHORT, "token is missing or too short")
    if len(text) > MAX_TOKEN_LENGTH:
        raise _reject(AuthTokenReason.TOO_LONG, "token is too long")
    document = _json_object(text)
    token_format = document.get("format")
    if not isinstance(token_format, str) or _FORMAT_PATTERN.fullmatch(token_format) is None:
        raise _reject(AuthTokenReason.FORMAT_UNSUPPORTED, "only format web-eid:1 is supported")
    algorithm = _algorithm(document.get("algorithm")).name
    signature = _b64decode(_required_string(document, "signature"), "signature")
    certificate_der = _b64decode(
        _required_string(document, "unverifiedCertificate"), "unverifiedCertificate"
    )
    try:
        x509.load_der_x509_certificate(certificate_der)
    except (ValueError, x509.InvalidVersion):
        raise _reject(AuthTokenReason.CERTIFICATE_INVALID, "not an X.509 certificate") from None
    app_version = document.get("appVersion")
    return AuthToken(
        certificate_der=certificate_der,
        algorithm=algorithm,
        signature=signature,
        format=token_format,
        app_version=app_version if isinstance(app_version, str) else None,
    )


def build_auth_token(
    certificate_der: bytes,
    algorithm: str,
    signature: bytes,
    *,
    app_version: str = DEFAULT_APP_VERSION,
) -> dict[str, str]:
    """Return the ``web-eid:1.0`` token object for a signature over :func:`signed_message`.

    ``signature`` is what the card produced, already in JWS form (raw ``r||s`` for ``ES*``; use
    :func:`ecdsa_der_to_raw` on DER output).  Member order follows the Web eID specification.
    """
    name = _algorithm(algorithm).name
    return {
        "unverifiedCertificate": base64.b64encode(certificate_der).decode("ascii"),
        "algorithm": name,
        "signature": base64.b64encode(signature).decode("ascii"),
        "format": WEB_EID_FORMAT,
        "appVersion": app_version,
    }


def verify_auth_token_signature(token: AuthToken, origin: str, challenge_nonce: str) -> None:
    """Check the token's signature over ``H(origin) || H(challenge_nonce)``; return or raise.

    ``origin`` and ``challenge_nonce`` must be the values the verifier itself holds (its own
    site origin, the nonce it stored for this session), never values read from the request.
    The key must suit the algorithm (RSA for ``RS*``/``PS*``, the matching curve for ``ES*``).
    Every failure raises :class:`AuthTokenRejectedError` with ``SIGNATURE_INVALID`` (or the reason
    :func:`signed_message` gives for a bad origin or nonce).
    """
    jwa = _algorithm(token.algorithm)
    message = signed_message(origin, challenge_nonce, jwa.name)
    try:
        public_key = token.certificate.public_key()
        _verify(jwa, public_key, token.signature, message)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, x509.InvalidVersion):
        raise _reject(AuthTokenReason.SIGNATURE_INVALID, "signature does not verify") from None


def _verify(jwa: JwaAlgorithm, public_key: object, signature: bytes, message: bytes) -> None:
    # Raises InvalidSignature (or ValueError for a malformed key or signature) on failure.
    if jwa.family == "ES":
        if (
            not isinstance(public_key, ec.EllipticCurvePublicKey)
            or public_key.curve.name != jwa.curve
            or len(signature) != 2 * jwa.coordinate_size
        ):
            raise InvalidSignature
        der = ecdsa_raw_to_der(signature)
        public_key.verify(der, message, ec.ECDSA(jwa.hash_algorithm()))
        return
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidSignature
    if jwa.family == "PS":
        scheme: padding.AsymmetricPadding = padding.PSS(
            mgf=padding.MGF1(jwa.hash_algorithm()), salt_length=jwa.hash_algorithm().digest_size
        )
    else:
        scheme = padding.PKCS1v15()
    public_key.verify(signature, message, scheme, jwa.hash_algorithm())
