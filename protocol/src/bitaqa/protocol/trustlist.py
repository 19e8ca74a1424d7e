"""The trust list: which origins may use the card, for what, and with which request keys.

SPEC.md §15.  The signed list is a compact JWS (``typ: bitaqa-trustlist+jwt``) made
with an authority key pinned in the install (ES256 or EdDSA).  IT may add local entries in the
machine policy file (:class:`LocalPolicy`); :func:`effective_trust_list` merges the two.  The
agent keeps the highest version it has accepted and refuses lower ones
(:func:`choose_trust_list`); an expired list is refused, and the agent keeps its last good one.

Every failure is a :class:`TrustListRejectedError` with a :class:`TrustListReason`; its wire
code is ``ORIGIN_NOT_ALLOWED``, because without a usable list no origin is allowed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from bitaqa.protocol.codec import JSONValue, decode_json
from bitaqa.protocol.errors import ErrorCode, MessageError, OriginError, TrustListError
from bitaqa.protocol.limits import Limits
from bitaqa.protocol.origin import parse_origin
from bitaqa.protocol.signed_request import (
    CLOCK_SKEW_SECONDS,
    OPERATIONS,
    Check,
    LocalizedText,
    PrivateKey,
    PublicKey,
    SignedRequestRefusedError,
    algorithm_for_key,
    base64url_decode,
    base64url_encode,
    encode_compact_jws,
    is_display_text,
    verify_compact_jws,
)

__all__ = [
    "AUTHORITY_ALGORITHMS",
    "TRUST_LIST_LIMITS",
    "TRUST_LIST_TYPE",
    "LocalPolicy",
    "TrustEntry",
    "TrustList",
    "TrustListReason",
    "TrustListRejectedError",
    "TrustedKey",
    "choose_trust_list",
    "effective_trust_list",
    "encode_trust_list",
    "parse_local_policy",
    "parse_trust_list",
    "public_jwk",
]

TRUST_LIST_TYPE: Final = "bitaqa-trustlist+jwt"
AUTHORITY_ALGORITHMS: Final = frozenset({"ES256", "EdDSA"})
TRUST_LIST_LIMITS: Final = Limits(
    max_frame_bytes=1_048_576, max_depth=6, max_string_length=4096, max_array_length=4096
)
"""Bounds on a signed list (token characters, JSON) and on a local policy file (bytes, JSON)."""

MAX_KEYS_PER_ENTRY: Final = 16
MAX_NAME_LENGTH: Final = 100
REQUEST_OPERATIONS: Final = frozenset({"sign", "readIdentity"})
"""Operations that always need a signed request, so an entry allowing them needs a key."""

_LIST_MEMBERS: Final = frozenset({"version", "issuedAt", "expiresAt", "entries"})
_ENTRY_MEMBERS: Final = frozenset(
    {"origin", "name", "keys", "operations", "authenticateRequiresSignedRequest"}
)
_POLICY_MEMBERS: Final = frozenset(
    {"allowLocalEntries", "allowInsecureLocalhost", "overrideSignedEntries", "entries"}
)
_JWK_MEMBERS: Final[Mapping[str, frozenset[str]]] = {
    "EC": frozenset({"kty", "kid", "crv", "x", "y", "alg", "use"}),
    "OKP": frozenset({"kty", "kid", "crv", "x", "alg", "use"}),
    "RSA": frozenset({"kty", "kid", "n", "e", "alg", "use"}),
}
_CURVES: Final[Mapping[str, tuple[ec.EllipticCurve, int]]] = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
}
_RSA_EXPONENT: Final = 65537


class TrustListReason(enum.Enum):
    """Why a trust list or local policy was refused."""

    MALFORMED = "MALFORMED"
    SIGNATURE = "SIGNATURE"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    ROLLBACK = "ROLLBACK"
    ENTRY_INVALID = "ENTRY_INVALID"
    POLICY_INVALID = "POLICY_INVALID"


class TrustListRejectedError(TrustListError):
    """A :class:`TrustListError` naming its :class:`TrustListReason` (code ORIGIN_NOT_ALLOWED)."""

    def __init__(self, reason: TrustListReason, message: str) -> None:
        super().__init__(ErrorCode.ORIGIN_NOT_ALLOWED, message)
        self.reason = reason


@dataclass(frozen=True)
class TrustedKey:
    """A portal backend's request-signing key: its ``kid``, its one algorithm and the key."""

    kid: str
    algorithm: str
    public_key: PublicKey


@dataclass(frozen=True)
class TrustEntry:
    """One origin on the trust list.

    Attributes:
        origin: the origin in normal form (:func:`~bitaqa.protocol.origin.parse_origin`).
        name: the portal's name as dialogs show it.
        keys: the keys its signed requests may be made with (may be empty only when the entry
            needs no signed request).
        operations: the card operations it may ask for (a subset of OPERATIONS).
        authenticate_requires_signed_request: whether ``authenticate`` needs a signed request.
        local: True for an entry from the machine policy rather than the signed list.
    """

    origin: str
    name: LocalizedText
    keys: tuple[TrustedKey, ...]
    operations: frozenset[str]
    authenticate_requires_signed_request: bool
    local: bool = False

    @property
    def request_keys(self) -> Mapping[str, PublicKey]:
        """``kid`` → public key, as :func:`~.signed_request.verify_signed_request` takes them."""
        return {key.kid: key.public_key for key in self.keys}

    def requires_signed_request(self, operation: str) -> bool:
        """Whether ``operation`` from this origin must carry a signed request."""
        return operation in REQUEST_OPERATIONS or (
            operation == "authenticate" and self.authenticate_requires_signed_request
        )


@dataclass(frozen=True)
class TrustList:
    """A verified signed trust list, or the effective list after local additions.

    ``version`` is 0 and the times are 0 for an effective list built without a signed list.
    """

    version: int
    issued_at: int
    expires_at: int
    entries: tuple[TrustEntry, ...]
    _by_origin: Mapping[str, TrustEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_origin", {entry.origin: entry for entry in self.entries})

    def entry_for(self, origin: str) -> TrustEntry | None:
        """Return the entry for ``origin`` (normal form, as the handshake produced it), if any."""
        return self._by_origin.get(origin)


@dataclass(frozen=True)
class LocalPolicy:
    """The trust-related part of the machine policy file (unsigned, written by IT).

    Attributes:
        allow_local_entries: whether :attr:`entries` are used at all.
        allow_insecure_localhost: whether local entries may name ``http://localhost``,
            ``http://127.0.0.1`` or ``http://[::1]`` origins (any port) for development.
        override_signed_entries: whether a local entry replaces a signed entry for the same
            origin; by default the signed entry wins and the local one is ignored.
        entries: the local entries, in the signed list's entry format.
    """

    allow_local_entries: bool = False
    allow_insecure_localhost: bool = False
    override_signed_entries: bool = False
    entries: tuple[TrustEntry, ...] = ()


def _reject(reason: TrustListReason, message: str) -> TrustListRejectedError:
    return TrustListRejectedError(reason, message)


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _jwk_key(jwk: Mapping[str, JSONValue]) -> PublicKey:
    # Raises ValueError (or a base64 error, a ValueError too) for anything but an allowed key.
    kty = jwk.get("kty")
    if not isinstance(kty, str) or kty not in _JWK_MEMBERS or not jwk.keys() <= _JWK_MEMBERS[kty]:
        raise ValueError("unsupported JWK")
    coordinates = {
        name: base64url_decode(value)
        for name in ("x", "y", "n", "e")
        if isinstance(value := jwk.get(name), str)
    }
    crv = jwk.get("crv")
    if kty == "EC" and isinstance(crv, str) and crv in _CURVES:
        curve, size = _CURVES[crv]
        x, y = coordinates.get("x", b""), coordinates.get("y", b"")
        if len(x) != size or len(y) != size:
            raise ValueError("EC coordinate length")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve
        )
        return numbers.public_key()
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(coordinates.get("x", b""))
    if kty == "RSA" and coordinates.get("n") and coordinates.get("e"):
        exponent = int.from_bytes(coordinates["e"], "big")
        modulus = int.from_bytes(coordinates["n"], "big")
        if exponent != _RSA_EXPONENT:
            raise ValueError("RSA exponent")
        return rsa.RSAPublicNumbers(exponent, modulus).public_key()
    raise ValueError("unsupported JWK")


def _trusted_key(jwk: JSONValue) -> TrustedKey:
    if not isinstance(jwk, dict):
        raise _reject(TrustListReason.ENTRY_INVALID, "a key is not a JWK object")
    kid = jwk.get("kid")
    try:
        public_key = _jwk_key(jwk)
    except ValueError:
        raise _reject(TrustListReason.ENTRY_INVALID, "a key is not an allowed public JWK") from None
    algorithm = algorithm_for_key(public_key)
    if (
        algorithm is None
        or not is_display_text(kid, 128)
        or jwk.get("alg", algorithm) != algorithm
        or jwk.get("use", "sig") != "sig"
    ):
        raise _reject(TrustListReason.ENTRY_INVALID, "a key has a bad kid, alg, use or size")
    return TrustedKey(kid=str(kid), algorithm=algorithm, public_key=public_key)


def _entry(document: JSONValue, *, local: bool, allow_insecure_localhost: bool) -> TrustEntry:
    if not isinstance(document, dict) or document.keys() != _ENTRY_MEMBERS:
        raise _reject(TrustListReason.ENTRY_INVALID, "an entry does not have exactly the members")
    origin_text, name, keys, operations, requires = (
        document[member]
        for member in ("origin", "name", "keys", "operations", "authenticateRequiresSignedRequest")
    )
    try:
        origin = parse_origin(
            str(origin_text), allow_insecure_localhost=allow_insecure_localhost
        ).serialize()
    except OriginError:
        raise _reject(TrustListReason.ENTRY_INVALID, "an entry's origin is not allowed") from None
    if (
        origin != origin_text
        or not isinstance(name, dict)
        or name.keys() != {"ar", "en"}
        or not all(is_display_text(text, MAX_NAME_LENGTH) for text in name.values())
        or not isinstance(keys, list)
        or len(keys) > MAX_KEYS_PER_ENTRY
        or not isinstance(operations, list)
        or not all(isinstance(item, str) and item in OPERATIONS for item in operations)
        or len(set(map(str, operations))) != len(operations)
        or not isinstance(requires, bool)
    ):
        raise _reject(TrustListReason.ENTRY_INVALID, f"entry for {origin} is malformed")
    trusted_keys = tuple(_trusted_key(jwk) for jwk in keys)
    entry = TrustEntry(
        origin=origin,
        name=LocalizedText(ar=str(name["ar"]), en=str(name["en"])),
        keys=trusted_keys,
        operations=frozenset(map(str, operations)),
        authenticate_requires_signed_request=requires,
        local=local,
    )
    if len({key.kid for key in trusted_keys}) != len(trusted_keys):
        raise _reject(TrustListReason.ENTRY_INVALID, f"entry for {origin} repeats a kid")
    if not trusted_keys and (requires or any(map(entry.requires_signed_request, entry.operations))):
        raise _reject(TrustListReason.ENTRY_INVALID, f"entry for {origin} needs a request key")
    return entry


def _entries(
    documents: JSONValue, *, local: bool, allow_insecure_localhost: bool
) -> tuple[TrustEntry, ...]:
    if not isinstance(documents, list):
        raise _reject(TrustListReason.MALFORMED, "entries is not a list")
    entries = tuple(
        _entry(document, local=local, allow_insecure_localhost=allow_insecure_localhost)
        for document in documents
    )
    if len({entry.origin for entry in entries}) != len(entries):
        raise _reject(TrustListReason.ENTRY_INVALID, "an origin appears in two entries")
    return entries


def parse_trust_list(
    token: object, *, authority_keys: Mapping[str, PublicKey], now: int
) -> TrustList:
    """Verify a signed trust list with the pinned authority keys and return it.

    Checks, in order: the JWS (shape, header with ``typ: bitaqa-trustlist+jwt``, ``kid`` of an
    authority key, ES256 or EdDSA, signature) → ``MALFORMED`` or ``SIGNATURE``; the payload has
    exactly ``version`` (integer ≥ 1), ``issuedAt`` < ``expiresAt`` (integers) and ``entries`` →
    ``MALFORMED``; each entry → ``ENTRY_INVALID``; ``now`` ≥ ``issuedAt`` - 30 s →
    ``NOT_YET_VALID``; ``now`` < ``expiresAt`` → ``EXPIRED``.  Signed entries must be https
    origins, written in normal form.
    """
    keys = {
        kid: key
        for kid, key in authority_keys.items()
        if algorithm_for_key(key) in AUTHORITY_ALGORITHMS
    }
    try:
        _, payload = verify_compact_jws(
            token, expected_type=TRUST_LIST_TYPE, keys=keys, limits=TRUST_LIST_LIMITS
        )
    except SignedRequestRefusedError as error:
        if error.check in (Check.KEY, Check.SIGNATURE):
            raise _reject(TrustListReason.SIGNATURE, "trust list signature invalid") from None
        raise _reject(TrustListReason.MALFORMED, "trust list is not a valid JWS") from None
    version = _integer(payload.get("version"))
    issued_at = _integer(payload.get("issuedAt"))
    expires_at = _integer(payload.get("expiresAt"))
    if (
        payload.keys() != _LIST_MEMBERS
        or version is None
        or version < 1
        or issued_at is None
        or expires_at is None
        or issued_at >= expires_at
    ):
        raise _reject(TrustListReason.MALFORMED, "trust list payload is malformed")
    entries = _entries(payload["entries"], local=False, allow_insecure_localhost=False)
    if now < issued_at - CLOCK_SKEW_SECONDS:
        raise _reject(TrustListReason.NOT_YET_VALID, f"trust list v{version} is not valid yet")
    if now >= expires_at:
        raise _reject(TrustListReason.EXPIRED, f"trust list v{version} has expired")
    return TrustList(version=version, issued_at=issued_at, expires_at=expires_at, entries=entries)


def choose_trust_list(current_version: int | None, candidate: TrustList) -> TrustList:
    """Return ``candidate`` unless it would roll back the highest version accepted so far.

    ``current_version`` is the version the agent has persisted (None on first start).  An equal
    version is accepted (the same list fetched again); the authority must raise the version on
    every change.  A lower one raises ``ROLLBACK``.
    """
    if current_version is not None and candidate.version < current_version:
        raise _reject(
            TrustListReason.ROLLBACK,
            f"trust list v{candidate.version} is older than v{current_version}",
        )
    return candidate


def parse_local_policy(data: bytes | str) -> LocalPolicy:
    """Parse the trust part of the machine policy file (JSON object, every member optional).

    Members: ``allowLocalEntries``, ``allowInsecureLocalhost``, ``overrideSignedEntries``
    (booleans, default false) and ``entries`` (default empty).  Unknown members, wrong types,
    or ``http`` origins without ``allowInsecureLocalhost`` raise ``POLICY_INVALID`` or
    ``ENTRY_INVALID``.
    """
    try:
        document = decode_json(data, TRUST_LIST_LIMITS)
    except MessageError:
        raise _reject(TrustListReason.POLICY_INVALID, "policy file is not bounded JSON") from None
    if not isinstance(document, dict) or not document.keys() <= _POLICY_MEMBERS:
        raise _reject(TrustListReason.POLICY_INVALID, "policy has unknown members")
    flags = {
        name: document.get(name, False)
        for name in ("allowLocalEntries", "allowInsecureLocalhost", "overrideSignedEntries")
    }
    if not all(isinstance(value, bool) for value in flags.values()):
        raise _reject(TrustListReason.POLICY_INVALID, "policy flags must be booleans")
    allow_insecure_localhost = bool(flags["allowInsecureLocalhost"])
    return LocalPolicy(
        allow_local_entries=bool(flags["allowLocalEntries"]),
        allow_insecure_localhost=allow_insecure_localhost,
        override_signed_entries=bool(flags["overrideSignedEntries"]),
        entries=_entries(
            document.get("entries", []),
            local=True,
            allow_insecure_localhost=allow_insecure_localhost,
        ),
    )


def effective_trust_list(signed: TrustList | None, local: LocalPolicy | None) -> TrustList:
    """Merge the signed list with the local policy's entries.

    Local entries are used only if ``allowLocalEntries`` is set.  A local entry for an origin
    the signed list does not name is added.  For an origin both name, the signed entry wins
    (so IT cannot swap a portal's pinned keys by accident), unless ``overrideSignedEntries``
    is set, in which case the local entry replaces it whole.  Version and times are the signed
    list's (0 without one).
    """
    entries = {entry.origin: entry for entry in (signed.entries if signed else ())}
    if local is not None and local.allow_local_entries:
        for entry in local.entries:
            if entry.origin not in entries or local.override_signed_entries:
                entries[entry.origin] = entry
    return TrustList(
        version=signed.version if signed else 0,
        issued_at=signed.issued_at if signed else 0,
        expires_at=signed.expires_at if signed else 0,
        entries=tuple(entries.values()),
    )


def public_jwk(public_key: PublicKey, kid: str) -> dict[str, str]:
    """Return the public JWK (RFC 7517) of an allowed key, with ``kid`` and ``alg``.

    Raises ``ValueError`` for a key type the protocol does not allow.
    """
    algorithm = algorithm_for_key(public_key)
    if algorithm is None:
        raise ValueError("key type not allowed")
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        size = 48 if algorithm == "ES384" else 32
        numbers = public_key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-384" if algorithm == "ES384" else "P-256",
            "x": base64url_encode(numbers.x.to_bytes(size, "big")),
            "y": base64url_encode(numbers.y.to_bytes(size, "big")),
            "kid": kid,
            "alg": algorithm,
        }
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes_raw()
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": base64url_encode(raw),
            "kid": kid,
            "alg": algorithm,
        }
    rsa_numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "n": base64url_encode(rsa_numbers.n.to_bytes((rsa_numbers.n.bit_length() + 7) // 8, "big")),
        "e": base64url_encode(rsa_numbers.e.to_bytes((rsa_numbers.e.bit_length() + 7) // 8, "big")),
        "kid": kid,
        "alg": algorithm,
    }


def encode_trust_list(
    *,
    version: int,
    issued_at: int,
    expires_at: int,
    entries: Sequence[Any],
    private_key: PrivateKey,
    kid: str,
) -> str:
    """Sign a trust list with an authority key (ES256 or EdDSA); deterministic for given inputs.

    Entries are written as given (JSON objects in the entry format, or anything JSON can carry)
    and not checked, so tests can build invalid lists; :func:`parse_trust_list` is the check.
    """
    payload = {
        "version": version,
        "issuedAt": issued_at,
        "expiresAt": expires_at,
        "entries": list(entries),
    }
    return encode_compact_jws(payload, private_key, token_type=TRUST_LIST_TYPE, kid=kid)
