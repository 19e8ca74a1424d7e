"""Signed requests: the portal backend's compact JWS that authorises one card operation.

SPEC.md §14.  :func:`verify_signed_request` runs its checks in this order and stops
at the first failure: shape and size, header, key, signature, claims, origin, operation, time,
replay.  The ``jti`` is remembered only after every other check passed, so a forged or expired
request cannot burn a genuine one.  Failures are :class:`SignedRequestRefusedError` with one of
three wire codes and a deliberately uninformative message; its ``check`` attribute names the
failed step for the agent's log and for the test vectors.

The JWS code uses ``cryptography`` directly rather than PyJWT: header and claims must be parsed
strictly (no duplicate members, no floats, integers only for times), time is ``now`` rather than
the wall clock, test vectors must be reproducible (RFC 6979 deterministic ECDSA, which PyJWT's
encoder lacks), and the raw ``r||s`` ECDSA code is shared with the ``web-eid:1.0`` token.  The
tests check interoperability against PyJWT in both directions.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from bitaqa.protocol.authtoken import (
    check_challenge_nonce,
    ecdsa_der_to_raw,
    ecdsa_raw_to_der,
)
from bitaqa.protocol.codec import JSONValue, decode_json, encode_json
from bitaqa.protocol.errors import AuthTokenError, ErrorCode, MessageError, SignedRequestError
from bitaqa.protocol.limits import MAX_SIGNED_REQUEST_LENGTH, Limits
from bitaqa.protocol.methods import IDENTITY_FIELDS

__all__ = [
    "ALGORITHMS",
    "CLOCK_SKEW_SECONDS",
    "MAX_LIFETIME_SECONDS",
    "OPERATIONS",
    "REQUEST_LIMITS",
    "REQUEST_TYPE",
    "AuthenticateDetails",
    "Check",
    "LocalizedText",
    "MemoryReplayCache",
    "PrivateKey",
    "PublicKey",
    "ReadIdentityDetails",
    "ReplayCache",
    "SignDetails",
    "SignedRequest",
    "SignedRequestRefusedError",
    "algorithm_for_key",
    "base64url_decode",
    "base64url_encode",
    "encode_compact_jws",
    "encode_signed_request",
    "is_display_text",
    "verify_compact_jws",
    "verify_signed_request",
]

PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

ALGORITHMS: Final = ("ES256", "ES384", "EdDSA", "PS256")
"""The only JWS algorithms accepted; each key type allows exactly one of them."""

REQUEST_TYPE: Final = "bitaqa-request+jwt"
MAX_LIFETIME_SECONDS: Final = 300
CLOCK_SKEW_SECONDS: Final = 30
OPERATIONS: Final = frozenset({"authenticate", "sign", "readIdentity", "getSigningCertificate"})

HASH_LENGTHS: Final[Mapping[str, int]] = {"SHA-256": 32, "SHA-384": 48, "SHA-512": 64}
MIN_RSA_BITS: Final = 2048
MAX_TEXT_LENGTH: Final = 500
MAX_DOCUMENT_NAME_LENGTH: Final = 200
MIN_JTI_LENGTH: Final = 16
MAX_JTI_LENGTH: Final = 128
MAX_KID_LENGTH: Final = 128

_HEADER_MEMBERS: Final = frozenset({"alg", "typ", "kid"})
_COMMON_CLAIMS: Final = frozenset({"origin", "op", "jti", "iat", "exp"})
_OPERATION_CLAIMS: Final[Mapping[str, frozenset[str]]] = {
    "authenticate": frozenset({"challengeNonce"}),
    "sign": frozenset({"hash", "hashAlgorithm", "certificateSha256", "text", "documentName"}),
    "readIdentity": frozenset({"fields"}),
    "getSigningCertificate": frozenset(),
}
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_JTI: Final = re.compile(r"[A-Za-z0-9._~-]+")
# Bidirectional embeddings, overrides and isolates could reorder what the dialog shows.
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
REQUEST_LIMITS: Final = Limits(
    max_frame_bytes=MAX_SIGNED_REQUEST_LENGTH,
    max_depth=4,
    max_string_length=MAX_SIGNED_REQUEST_LENGTH,
    max_array_length=32,
)


class Check(enum.Enum):
    """The verification steps, in the order :func:`verify_signed_request` runs them."""

    SHAPE = "shape"
    HEADER = "header"
    KEY = "key"
    SIGNATURE = "signature"
    CLAIMS = "claims"
    ORIGIN = "origin"
    OPERATION = "operation"
    TIME = "time"
    REPLAY = "replay"


_CODES: Final[Mapping[Check, ErrorCode]] = {
    Check.TIME: ErrorCode.REQUEST_EXPIRED,
    Check.REPLAY: ErrorCode.REQUEST_REPLAYED,
}
_MESSAGES: Final[Mapping[ErrorCode, str]] = {
    ErrorCode.REQUEST_SIGNATURE_INVALID: "signed request refused",
    ErrorCode.REQUEST_EXPIRED: "signed request expired or not yet valid",
    ErrorCode.REQUEST_REPLAYED: "signed request already used",
}


class SignedRequestRefusedError(SignedRequestError):
    """A signed request failed :class:`Check` ``check``.

    The wire code is ``REQUEST_EXPIRED`` for :attr:`Check.TIME`, ``REQUEST_REPLAYED`` for
    :attr:`Check.REPLAY` and ``REQUEST_SIGNATURE_INVALID`` for every other step; the message
    never says more than the code.  ``check`` is for the agent's log only.
    """

    def __init__(self, check: Check) -> None:
        code = _CODES.get(check, ErrorCode.REQUEST_SIGNATURE_INVALID)
        super().__init__(code, _MESSAGES[code])
        self.check = check


@dataclass(frozen=True)
class LocalizedText:
    """The text the user sees in the signing dialog, in Arabic and English."""

    ar: str
    en: str


@dataclass(frozen=True)
class AuthenticateDetails:
    """Claims of an ``authenticate`` request: the nonce the card will sign with the origin."""

    challenge_nonce: str


@dataclass(frozen=True)
class SignDetails:
    """Claims of a ``sign`` request.

    Attributes:
        hash: the digest the signing key will sign, its length matching ``hash_algorithm``.
        hash_algorithm: ``"SHA-256"``, ``"SHA-384"`` or ``"SHA-512"``.
        certificate_sha256: SHA-256 of the DER of the signing certificate the portal expects.
        text: what the dialog shows the user.
        document_name: an optional file or document name the dialog shows too.
    """

    hash: bytes
    hash_algorithm: str
    certificate_sha256: bytes
    text: LocalizedText
    document_name: str | None


@dataclass(frozen=True)
class ReadIdentityDetails:
    """Claims of a ``readIdentity`` request: the items asked for, each from IDENTITY_FIELDS."""

    fields: tuple[str, ...]


Details: TypeAlias = AuthenticateDetails | SignDetails | ReadIdentityDetails | None


@dataclass(frozen=True)
class SignedRequest:
    """A verified signed request.

    Attributes:
        origin: the ``origin`` claim, equal to the handshake origin.
        operation: the ``op`` claim, one of OPERATIONS.
        jti: the request's unique identifier (now remembered by the replay cache).
        issued_at: ``iat``, seconds since the epoch.
        expires_at: ``exp``, seconds since the epoch.
        key_id: the header's ``kid``.
        algorithm: the header's ``alg``.
        details: the operation's own claims; ``None`` for ``getSigningCertificate``.
    """

    origin: str
    operation: str
    jti: str
    issued_at: int
    expires_at: int
    key_id: str
    algorithm: str
    details: Details


class ReplayCache(Protocol):
    """Where used ``jti`` values are kept until they could no longer be accepted."""

    def check_and_remember(self, jti: str, expires_at: int, now: int) -> bool:
        """Remember ``jti`` until ``expires_at``; return False if it is already remembered.

        Must be atomic.  Returning False for any other reason (a full cache) also refuses the
        request: the cache must fail closed.
        """
        ...


class MemoryReplayCache:
    """A bounded in-memory :class:`ReplayCache`.

    An entry stops counting once ``now`` is past its ``expires_at``; expired entries are
    dropped when the cache fills up and by :meth:`purge`.  When ``max_entries`` unexpired
    entries are held, new ones are refused (fail closed) rather than evicting one that could
    still be replayed.  :attr:`entries` (after :meth:`purge`) and the ``entries`` argument let
    the agent persist the cache across restarts.
    """

    def __init__(self, max_entries: int = 100_000, entries: Mapping[str, int] | None = None):
        self.max_entries = max_entries
        self._entries: dict[str, int] = dict(entries or {})

    @property
    def entries(self) -> Mapping[str, int]:
        """A copy of the remembered ``jti`` → ``expires_at`` pairs."""
        return dict(self._entries)

    def purge(self, now: int) -> None:
        """Forget every entry whose ``expires_at`` is before ``now``."""
        self._entries = {jti: until for jti, until in self._entries.items() if until >= now}

    def check_and_remember(self, jti: str, expires_at: int, now: int) -> bool:
        """See :meth:`ReplayCache.check_and_remember`."""
        if jti in self._entries and self._entries[jti] >= now:
            return False
        if len(self._entries) >= self.max_entries:
            self.purge(now)
            if len(self._entries) >= self.max_entries:
                return False
        self._entries[jti] = expires_at
        return True


def algorithm_for_key(key: PublicKey | PrivateKey) -> str | None:
    """Return the one JWS algorithm ``key`` may be used with, or None if it is not allowed.

    EC P-256 → ES256, EC P-384 → ES384, Ed25519 → EdDSA, RSA of at least 2048 bits → PS256.
    """
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return {"secp256r1": "ES256", "secp384r1": "ES384"}.get(key.curve.name)
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey) and key.key_size >= MIN_RSA_BITS:
        return "PS256"
    return None


def base64url_encode(data: bytes) -> str:
    """Encode ``data`` as unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_decode(text: str) -> bytes:
    """Decode unpadded, canonical base64url; raise ``ValueError`` for anything else."""
    if _BASE64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64url_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _json_object(data: bytes, check: Check, limits: Limits) -> dict[str, JSONValue]:
    try:
        value = decode_json(data, limits)
    except MessageError:
        raise SignedRequestRefusedError(check) from None
    if not isinstance(value, dict):
        raise SignedRequestRefusedError(check)
    return value


def _ecdsa_hash(algorithm: str) -> hashes.HashAlgorithm:
    return hashes.SHA384() if algorithm == "ES384" else hashes.SHA256()


def _signature_valid(algorithm: str, key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            size = 48 if algorithm == "ES384" else 32
            if len(signature) != 2 * size:
                return False
            key.verify(ecdsa_raw_to_der(signature), data, ec.ECDSA(_ecdsa_hash(algorithm)))
        else:
            key.verify(signature, data, _pss(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def verify_compact_jws(
    token: object, *, expected_type: str, keys: Mapping[str, PublicKey], limits: Limits
) -> tuple[dict[str, JSONValue], dict[str, JSONValue]]:
    """Verify a compact JWS of type ``expected_type`` against ``keys``; return header and payload.

    Runs the first four checks of :func:`verify_signed_request` (shape and size, header, key,
    signature), then decodes the payload as a JSON object (failure: :attr:`Check.CLAIMS`).  The
    token may be at most ``limits.max_frame_bytes`` characters; header and payload are decoded
    with ``limits`` (:func:`~bitaqa.protocol.codec.decode_json`).  The
    header must be exactly ``{"alg", "typ", "kid"}``; ``alg`` must be the one algorithm
    :func:`algorithm_for_key` gives for ``keys[kid]``.  Raises :class:`SignedRequestRefusedError`.
    """
    if not isinstance(token, str) or len(token) > limits.max_frame_bytes or not token.isascii():
        raise SignedRequestRefusedError(Check.SHAPE)
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise SignedRequestRefusedError(Check.SHAPE)
    try:
        header_bytes, payload_bytes, signature = (base64url_decode(part) for part in parts)
    except (ValueError, binascii.Error):
        raise SignedRequestRefusedError(Check.SHAPE) from None
    header = _json_object(header_bytes, Check.HEADER, limits)
    kid = header.get("kid")
    if (
        header.keys() != _HEADER_MEMBERS
        or header["alg"] not in ALGORITHMS
        or header["typ"] != expected_type
        or not isinstance(kid, str)
        or not 0 < len(kid) <= MAX_KID_LENGTH
    ):
        raise SignedRequestRefusedError(Check.HEADER)
    key = keys.get(kid)
    if key is None or algorithm_for_key(key) != header["alg"]:
        raise SignedRequestRefusedError(Check.KEY)
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    if not _signature_valid(str(header["alg"]), key, signature, signing_input):
        raise SignedRequestRefusedError(Check.SIGNATURE)
    return header, _json_object(payload_bytes, Check.CLAIMS, limits)


def encode_compact_jws(
    payload: Mapping[str, Any], private_key: PrivateKey, *, token_type: str, kid: str
) -> str:
    """Sign ``payload`` as a compact JWS with header ``{"alg", "typ", "kid"}``.

    The algorithm follows from the key (:func:`algorithm_for_key`).  ECDSA signatures are
    deterministic (RFC 6979) and Ed25519 is deterministic by design, so the same inputs give
    the same token; PS256 signatures are randomised.  Raises ``ValueError`` for a key type the
    protocol does not allow and ``TypeError`` for a payload JSON cannot carry.
    """
    algorithm = algorithm_for_key(private_key)
    if algorithm is None:
        raise ValueError("key type not allowed for signed requests and trust lists")
    header: dict[str, JSONValue] = {"alg": algorithm, "typ": token_type, "kid": kid}
    signing_input = ".".join(
        base64url_encode(encode_json(part).encode("utf-8")) for part in (header, dict(payload))
    )
    data = signing_input.encode("ascii")
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        signature = private_key.sign(data)
    elif isinstance(private_key, ec.EllipticCurvePrivateKey):
        der = private_key.sign(data, ec.ECDSA(_ecdsa_hash(algorithm), deterministic_signing=True))
        signature = ecdsa_der_to_raw(der, algorithm)
    else:
        signature = private_key.sign(data, _pss(), hashes.SHA256())
    return f"{signing_input}.{base64url_encode(signature)}"


def encode_signed_request(claims: Mapping[str, Any], private_key: PrivateKey, kid: str) -> str:
    """Return a signed request carrying ``claims`` exactly as given (the issuer's building block).

    The caller supplies every claim, ``jti`` and ``iat`` included, so the result is
    reproducible; claims are not checked here, which lets tests build invalid requests.
    """
    return encode_compact_jws(claims, private_key, token_type=REQUEST_TYPE, kid=kid)


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise SignedRequestRefusedError(Check.CLAIMS)
    return value


def _string(value: object, minimum: int, maximum: int) -> str:
    if not isinstance(value, str) or not minimum <= len(value) <= maximum:
        raise SignedRequestRefusedError(Check.CLAIMS)
    return value


def is_display_text(value: object, maximum: int) -> bool:
    """Whether ``value`` may be shown in an agent dialog.

    It must be a string of 1 to ``maximum`` characters without leading or trailing white space,
    control characters, line or paragraph separators, surrogates, private-use or unassigned code
    points, or the bidirectional embedding, override and isolate controls (which could reorder
    what the user reads).  Marks such as ZWNJ and RLM, which Arabic text uses, are allowed.
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= maximum
        and value == value.strip()
        and not any(
            character in _BIDI_CONTROLS or unicodedata.category(character) in _REFUSED_CATEGORIES
            for character in value
        )
    )


def _display_string(value: object, maximum: int) -> str:
    if not is_display_text(value, maximum):
        raise SignedRequestRefusedError(Check.CLAIMS)
    return str(value)


def _sign_details(claims: Mapping[str, JSONValue]) -> SignDetails:
    hash_algorithm = claims.get("hashAlgorithm")
    hash_text = claims.get("hash")
    certificate_text = claims.get("certificateSha256")
    text = claims.get("text")
    if (
        not isinstance(hash_algorithm, str)
        or hash_algorithm not in HASH_LENGTHS
        or not isinstance(hash_text, str)
        or not isinstance(certificate_text, str)
        or not isinstance(text, dict)
        or text.keys() != {"ar", "en"}
    ):
        raise SignedRequestRefusedError(Check.CLAIMS)
    try:
        digest = base64.b64decode(hash_text, validate=True)
        certificate_sha256 = base64url_decode(certificate_text)
    except (ValueError, binascii.Error):
        raise SignedRequestRefusedError(Check.CLAIMS) from None
    if (
        base64.b64encode(digest).decode("ascii") != hash_text
        or len(digest) != HASH_LENGTHS[hash_algorithm]
        or len(certificate_sha256) != HASH_LENGTHS["SHA-256"]
    ):
        raise SignedRequestRefusedError(Check.CLAIMS)
    document_name = claims.get("documentName")
    return SignDetails(
        hash=digest,
        hash_algorithm=hash_algorithm,
        certificate_sha256=certificate_sha256,
        text=LocalizedText(
            ar=_display_string(text["ar"], MAX_TEXT_LENGTH),
            en=_display_string(text["en"], MAX_TEXT_LENGTH),
        ),
        document_name=None
        if document_name is None
        else _display_string(document_name, MAX_DOCUMENT_NAME_LENGTH),
    )


def _identity_details(claims: Mapping[str, JSONValue]) -> ReadIdentityDetails:
    fields = claims.get("fields")
    if (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(field, str) and field in IDENTITY_FIELDS for field in fields)
        or len(set(map(str, fields))) != len(fields)
    ):
        raise SignedRequestRefusedError(Check.CLAIMS)
    return ReadIdentityDetails(fields=tuple(map(str, fields)))


def _details(operation: str, claims: Mapping[str, JSONValue]) -> Details:
    if operation == "authenticate":
        try:
            return AuthenticateDetails(check_challenge_nonce(claims.get("challengeNonce")))
        except AuthTokenError:
            raise SignedRequestRefusedError(Check.CLAIMS) from None
    if operation == "sign":
        return _sign_details(claims)
    if operation == "readIdentity":
        return _identity_details(claims)
    return None


def verify_signed_request(
    token: object,
    *,
    trusted_keys: Mapping[str, PublicKey],
    origin: str,
    operation: str,
    now: int,
    replay_cache: ReplayCache,
) -> SignedRequest:
    """Verify a signed request for one operation on one connection; return its claims.

    Args:
        token: the compact JWS the page passed on (at most 8192 characters).
        trusted_keys: ``kid`` → public key, pinned for the handshake origin in the trust list.
        origin: the handshake origin, serialised; the ``origin`` claim must equal it exactly.
        operation: the JSON-RPC method being run; the ``op`` claim must equal it.
        now: the current time, seconds since the epoch.
        replay_cache: remembers ``jti`` values until ``exp`` + the clock skew.

    Time rule: ``0 < exp - iat <= 300`` and ``iat - 30 <= now <= exp + 30``.

    Raises:
        SignedRequestRefusedError: at the first failing :class:`Check`, in declaration order.
    """
    header, claims = verify_compact_jws(
        token,
        expected_type=REQUEST_TYPE,
        keys=trusted_keys,
        limits=REQUEST_LIMITS,
    )
    operation_claim = claims.get("op")
    if not isinstance(operation_claim, str) or operation_claim not in OPERATIONS:
        raise SignedRequestRefusedError(Check.CLAIMS)
    if not claims.keys() <= _COMMON_CLAIMS | _OPERATION_CLAIMS[operation_claim]:
        raise SignedRequestRefusedError(Check.CLAIMS)
    origin_claim = _string(claims.get("origin"), 1, 255)
    jti = _string(claims.get("jti"), MIN_JTI_LENGTH, MAX_JTI_LENGTH)
    if _JTI.fullmatch(jti) is None:
        raise SignedRequestRefusedError(Check.CLAIMS)
    issued_at = _integer(claims.get("iat"))
    expires_at = _integer(claims.get("exp"))
    details = _details(operation_claim, claims)
    if origin_claim != origin:
        raise SignedRequestRefusedError(Check.ORIGIN)
    if operation_claim != operation:
        raise SignedRequestRefusedError(Check.OPERATION)
    if (
        not 0 < expires_at - issued_at <= MAX_LIFETIME_SECONDS
        or now < issued_at - CLOCK_SKEW_SECONDS
        or now > expires_at + CLOCK_SKEW_SECONDS
    ):
        raise SignedRequestRefusedError(Check.TIME)
    if not replay_cache.check_and_remember(jti, expires_at + CLOCK_SKEW_SECONDS, now):
        raise SignedRequestRefusedError(Check.REPLAY)
    return SignedRequest(
        origin=origin_claim,
        operation=operation_claim,
        jti=jti,
        issued_at=issued_at,
        expires_at=expires_at,
        key_id=str(header["kid"]),
        algorithm=str(header["alg"]),
        details=details,
    )
