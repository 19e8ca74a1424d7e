"""The methods and notifications of protocol v1: typed params, result and notification builders.

:func:`parse_params` turns the ``params`` object of a :class:`~bitaqa.protocol.jsonrpc.Request`
into one frozen dataclass per method, refusing unknown methods (``METHOD_NOT_FOUND``) and any
missing, extra, mistyped or out-of-range member (``INVALID_PARAMS``).  The ``*_result`` and
notification builders return exactly the JSON shapes of ``protocol/schemas`` (SPEC.md §6, §7).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NoReturn, TypeAlias

from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.errors import ErrorCode, MessageError
from bitaqa.protocol.jsonrpc import MAX_ID_LENGTH, Notification, Request, RequestId, parse_request
from bitaqa.protocol.limits import AGENT_LIMITS, MAX_SIGNED_REQUEST_LENGTH, Limits
from bitaqa.protocol.origin import Origin

__all__ = [
    "IDENTITY_FIELDS",
    "LANGUAGES",
    "MAX_READER_NAME_LENGTH",
    "METHODS",
    "NOTIFICATIONS",
    "PROTOCOL_VERSION",
    "SIGNED_REQUEST_ALGORITHMS",
    "SUBPROTOCOL",
    "AuthenticateParams",
    "Call",
    "CancelParams",
    "Card",
    "CertificateInfo",
    "GetCertificatesParams",
    "GetSigningCertificateParams",
    "Identity",
    "IssuerSignature",
    "ListReadersParams",
    "Params",
    "Photo",
    "ReadIdentityParams",
    "Reader",
    "SignParams",
    "SignatureAlgorithm",
    "StatusParams",
    "authenticate_result",
    "cancel_result",
    "card_inserted",
    "card_removed",
    "get_certificates_result",
    "hello",
    "list_readers_result",
    "parse_call",
    "parse_params",
    "read_identity_result",
    "reader_attached",
    "reader_detached",
    "sign_result",
    "signing_certificate_result",
    "status_result",
]

#: The WebSocket subprotocol of this major version (SPEC.md §3.4).
SUBPROTOCOL = "bitaqa.v1"
#: ``major.minor`` of the spec this module implements (SPEC.md §12).
PROTOCOL_VERSION = "1.0"
#: Methods a page may call, in the order of SPEC.md §6.
METHODS = (
    "status",
    "listReaders",
    "getCertificates",
    "authenticate",
    "getSigningCertificate",
    "sign",
    "readIdentity",
    "cancel",
)
#: Notifications the agent sends (SPEC.md §7).
NOTIFICATIONS = ("hello", "readerAttached", "readerDetached", "cardInserted", "cardRemoved")
#: Languages of dialogs a page may ask for.
LANGUAGES = ("ar", "en")
#: JWS algorithms of signed requests (SPEC.md §14), announced in ``hello``.
SIGNED_REQUEST_ALGORITHMS = ("ES256", "ES384", "EdDSA", "PS256")
#: Longest PC/SC reader name, in characters.
MAX_READER_NAME_LENGTH = 128
#: Identity fields a ``readIdentity`` result may carry, and a signed request's ``fields`` may name.
IDENTITY_FIELDS = (
    "nameEn",
    "nameAr",
    "idNumber",
    "cardNumber",
    "nationality",
    "sex",
    "dateOfBirth",
    "dateOfIssue",
    "dateOfExpiry",
    "employeeAffiliation",
    "organizationAffiliation",
    "agencyCardSerial",
    "issuer",
    "photo",
)

_NONCE_LENGTHS = range(44, 129)
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PROFILE = re.compile(r"[a-z0-9][a-z0-9\-]{0,31}")

Language: TypeAlias = Literal["ar", "en"]


@dataclass(frozen=True)
class StatusParams:
    """``status`` takes no params."""

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return {}


@dataclass(frozen=True)
class ListReadersParams:
    """``listReaders`` takes no params."""

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return {}


@dataclass(frozen=True)
class GetCertificatesParams:
    """``getCertificates``: the certificates of the card in ``reader`` (any card if ``None``)."""

    reader: str | None = None

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return _without_none({"reader": self.reader})


@dataclass(frozen=True)
class AuthenticateParams:
    """``authenticate``: sign ``H(origin) || H(challengeNonce)`` with the authentication key.

    ``signed_request`` is needed when the trust list says so for the origin (SPEC.md §6.4).
    """

    challenge_nonce: str
    reader: str | None = None
    lang: Language | None = None
    signed_request: str | None = None

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return _without_none(
            {
                "challengeNonce": self.challenge_nonce,
                "reader": self.reader,
                "lang": self.lang,
                "signedRequest": self.signed_request,
            }
        )


@dataclass(frozen=True)
class GetSigningCertificateParams:
    """``getSigningCertificate``: the signing certificate, after the user chose the card.

    ``signed_request`` is needed when the trust list says so for the origin (SPEC.md §6.5).
    """

    reader: str | None = None
    lang: Language | None = None
    signed_request: str | None = None

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return _without_none(
            {"reader": self.reader, "lang": self.lang, "signedRequest": self.signed_request}
        )


@dataclass(frozen=True)
class SignParams:
    """``sign``: the hash, algorithm, certificate and text all come from ``signed_request``."""

    signed_request: str
    reader: str | None = None
    lang: Language | None = None

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return _without_none(
            {"signedRequest": self.signed_request, "reader": self.reader, "lang": self.lang}
        )


@dataclass(frozen=True)
class ReadIdentityParams:
    """``readIdentity``: the fields to read come from ``signed_request``."""

    signed_request: str
    reader: str | None = None
    lang: Language | None = None

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return _without_none(
            {"signedRequest": self.signed_request, "reader": self.reader, "lang": self.lang}
        )


@dataclass(frozen=True)
class CancelParams:
    """``cancel``: cancel the request with this ``id`` on the same connection."""

    id: RequestId

    def to_wire(self) -> dict[str, JSONValue]:
        """The ``params`` object."""
        return {"id": self.id}


Params: TypeAlias = (
    StatusParams
    | ListReadersParams
    | GetCertificatesParams
    | AuthenticateParams
    | GetSigningCertificateParams
    | SignParams
    | ReadIdentityParams
    | CancelParams
)


@dataclass(frozen=True)
class Call:
    """A request whose method is known and whose params are valid."""

    request: Request
    params: Params


def parse_params(method: str, params: Mapping[str, JSONValue]) -> Params:
    """Check ``params`` against ``method``'s schema and return its typed form.

    Raises:
        MessageError: ``METHOD_NOT_FOUND`` for a method not in :data:`METHODS`, else
            ``INVALID_PARAMS`` for a missing, extra, mistyped or out-of-range member.
    """
    parse = _PARSERS.get(method)
    if parse is None:
        raise MessageError(ErrorCode.METHOD_NOT_FOUND, "method is not part of protocol v1")
    reader = _Reader(params)
    parsed = parse(reader)
    reader.finish()
    return parsed


def parse_call(frame: bytes | str, limits: Limits = AGENT_LIMITS) -> Call:
    """Read a frame a page sent and check its params: :func:`parse_request`, :func:`parse_params`.

    Raises:
        MessageError: as the two functions do; ``request_id`` is set once the ``id`` was read.
    """
    request = parse_request(frame, limits)
    try:
        return Call(request, parse_params(request.method, request.params))
    except MessageError as error:
        raise MessageError(error.code, error.message, request_id=request.id) from None


@dataclass(frozen=True)
class Card:
    """A card in a reader: its ATR and the profile of the driver that recognised it.

    ``profile`` is ``piv``, ``uae-eid``, ``bahrain-cpr``, ``pkcs11`` or ``unknown`` today; newer
    agents may add names (lower case, digits, hyphens, at most 32 characters).
    """

    atr: bytes
    profile: str = "unknown"

    def to_wire(self) -> dict[str, JSONValue]:
        """``{"atr": upper-case hex, "profile": name}``."""
        if not 2 <= len(self.atr) <= 33 or not _PROFILE.fullmatch(self.profile):
            raise ValueError("an ATR has 2 to 33 bytes and a profile is a short lower-case name")
        return {"atr": self.atr.hex().upper(), "profile": self.profile}


@dataclass(frozen=True)
class Reader:
    """A PC/SC reader and the card in it, if any."""

    name: str
    card: Card | None = None

    def to_wire(self) -> dict[str, JSONValue]:
        """``{"name", "card": {...} | null}``."""
        return {
            "name": _reader_name(self.name),
            "card": None if self.card is None else self.card.to_wire(),
        }


@dataclass(frozen=True)
class CertificateInfo:
    """A certificate on a card, for ``getCertificates``."""

    reader: str
    purpose: Literal["authentication", "signing"]
    certificate: bytes

    def to_wire(self) -> dict[str, JSONValue]:
        """``{"reader", "purpose", "certificate": base64 DER}``."""
        return {
            "reader": _reader_name(self.reader),
            "purpose": self.purpose,
            "certificate": _base64(self.certificate),
        }


@dataclass(frozen=True)
class SignatureAlgorithm:
    """A signature algorithm in Web eID's shape: crypto algorithm, hash function, padding."""

    crypto_algorithm: Literal["ECC", "RSA"]
    hash_function: Literal["SHA-256", "SHA-384", "SHA-512"]
    padding_scheme: Literal["NONE", "PKCS1.5", "PSS"]

    def to_wire(self) -> dict[str, JSONValue]:
        """The JSON object."""
        return {
            "cryptoAlgorithm": self.crypto_algorithm,
            "hashFunction": self.hash_function,
            "paddingScheme": self.padding_scheme,
        }


@dataclass(frozen=True)
class Photo:
    """The holder's facial image as stored on the card."""

    data: bytes
    media_type: Literal["image/jpeg", "image/jp2"] = "image/jpeg"


@dataclass(frozen=True)
class IssuerSignature:
    """Whether the agent checked the issuer's signature over the identity data it returns.

    ``valid`` is ``None`` exactly when ``checked`` is false; ``signer`` is the signer
    certificate's subject when known.
    """

    checked: bool
    valid: bool | None = None
    signer: str | None = None

    def to_wire(self) -> dict[str, JSONValue]:
        """``{"checked", "valid", "signer"}``."""
        if self.checked == (self.valid is None):
            raise ValueError("valid is None exactly when the signature was not checked")
        return {"checked": self.checked, "valid": self.valid, "signer": self.signer}


@dataclass(frozen=True)
class Identity:
    """Identity data read from a card; ``None`` fields were not asked for or not on the card.

    The fields cover PIV Printed Information and Facial Image (SP 800-73) and the Gulf ID
    cards' public data (SPEC.md §6.7).
    """

    profile: str
    issuer_signature: IssuerSignature
    name_en: str | None = None
    name_ar: str | None = None
    id_number: str | None = None
    card_number: str | None = None
    nationality: str | None = None
    sex: Literal["M", "F", "X"] | None = None
    date_of_birth: date | None = None
    date_of_issue: date | None = None
    date_of_expiry: date | None = None
    employee_affiliation: str | None = None
    organization_affiliation: str | None = None
    agency_card_serial: str | None = None
    issuer: str | None = None
    photo: Photo | None = field(default=None, repr=False)


def status_result(
    *,
    agent_version: str,
    pcsc_available: bool,
    card: str,
    trust_list_version: int,
    trust_list_state: str,
    trust_list_problems: Sequence[str],
    consent_store: str,
) -> dict[str, JSONValue]:
    """The result of ``status`` (SPEC.md §6.1): versions, card readiness and policy health.

    ``card`` is one of :data:`CARD_READINESS`; the policy members carry reasons only, never file
    paths or other local detail.
    """
    return {
        "agentVersion": agent_version,
        "protocolVersion": PROTOCOL_VERSION,
        "pcscAvailable": pcsc_available,
        "card": card,
        "policy": {
            "trustList": {
                "version": trust_list_version,
                "state": trust_list_state,
                "problems": list(trust_list_problems),
            },
            "consentStore": consent_store,
        },
    }


def list_readers_result(readers: Sequence[Reader]) -> dict[str, JSONValue]:
    """The result of ``listReaders``."""
    return {"readers": [reader.to_wire() for reader in readers]}


def get_certificates_result(certificates: Sequence[CertificateInfo]) -> dict[str, JSONValue]:
    """The result of ``getCertificates``."""
    return {"certificates": [certificate.to_wire() for certificate in certificates]}


def authenticate_result(
    *, certificate: bytes, algorithm: str, signature: bytes, app_version: str
) -> dict[str, JSONValue]:
    """The result of ``authenticate``: a Web eID ``web-eid:1.0`` token (SPEC.md §16)."""
    return {
        "unverifiedCertificate": _base64(certificate),
        "algorithm": algorithm,
        "signature": _base64(signature),
        "format": "web-eid:1.0",
        "appVersion": app_version,
    }


def signing_certificate_result(
    certificate: bytes, algorithms: Sequence[SignatureAlgorithm]
) -> dict[str, JSONValue]:
    """The result of ``getSigningCertificate``."""
    return {
        "certificate": _base64(certificate),
        "supportedSignatureAlgorithms": [algorithm.to_wire() for algorithm in algorithms],
    }


def sign_result(signature: bytes, algorithm: SignatureAlgorithm) -> dict[str, JSONValue]:
    """The result of ``sign``."""
    return {"signature": _base64(signature), "signatureAlgorithm": algorithm.to_wire()}


def read_identity_result(identity: Identity) -> dict[str, JSONValue]:
    """The result of ``readIdentity``: ``{"profile", "fields": {...}, "issuerSignature"}``."""
    fields: dict[str, JSONValue] = _without_none(
        {
            "nameEn": identity.name_en,
            "nameAr": identity.name_ar,
            "idNumber": identity.id_number,
            "cardNumber": identity.card_number,
            "nationality": identity.nationality,
            "sex": identity.sex,
            "dateOfBirth": _date(identity.date_of_birth),
            "dateOfIssue": _date(identity.date_of_issue),
            "dateOfExpiry": _date(identity.date_of_expiry),
            "employeeAffiliation": identity.employee_affiliation,
            "organizationAffiliation": identity.organization_affiliation,
            "agencyCardSerial": identity.agency_card_serial,
            "issuer": identity.issuer,
        }
    )
    if identity.photo is not None:
        fields["photo"] = {
            "mediaType": identity.photo.media_type,
            "data": _base64(identity.photo.data),
        }
    return {
        "profile": identity.profile,
        "fields": fields,
        "issuerSignature": identity.issuer_signature.to_wire(),
    }


def cancel_result(*, cancelled: bool) -> dict[str, JSONValue]:
    """The result of ``cancel``: whether a queued or running request was found and cancelled."""
    return {"cancelled": cancelled}


def hello(
    *,
    agent_version: str,
    origin: Origin,
    identity_profiles: Sequence[str] = (),
    limits: Limits = AGENT_LIMITS,
) -> Notification:
    """The first frame on every connection (SPEC.md §7.1).

    Args:
        agent_version: the agent's version, e.g. ``0.1.0``.
        origin: the handshake origin as the agent normalised it; the page can compare it.
        identity_profiles: card profiles whose identity data ``readIdentity`` can read.
        limits: the bounds the agent applies to this connection.
    """
    return Notification(
        "hello",
        {
            "agent": "bitaqa",
            "agentVersion": agent_version,
            "protocol": SUBPROTOCOL,
            "protocolVersion": PROTOCOL_VERSION,
            "origin": origin.serialize(),
            "methods": list(METHODS),
            "capabilities": {
                "signedRequestAlgorithms": list(SIGNED_REQUEST_ALGORITHMS),
                "identityProfiles": list(identity_profiles),
            },
            "limits": {
                "maxFrameBytes": limits.max_frame_bytes,
                "maxRequestsInFlight": limits.max_requests_in_flight,
                "userInteractionSeconds": limits.user_interaction_seconds,
            },
        },
    )


def reader_attached(reader: str) -> Notification:
    """A reader was connected."""
    return Notification("readerAttached", {"reader": _reader_name(reader)})


def reader_detached(reader: str) -> Notification:
    """A reader was disconnected (any card in it is gone too)."""
    return Notification("readerDetached", {"reader": _reader_name(reader)})


def card_inserted(reader: str, card: Card) -> Notification:
    """A card was inserted into ``reader``."""
    return Notification("cardInserted", {"reader": _reader_name(reader), "card": card.to_wire()})


def card_removed(reader: str) -> Notification:
    """The card was taken out of ``reader``."""
    return Notification("cardRemoved", {"reader": _reader_name(reader)})


def _reader_name(name: str) -> str:
    # PC/SC names longer than the wire bound are cut, never refused: the reader still works.
    return _CONTROL.sub(" ", name)[:MAX_READER_NAME_LENGTH] or "?"


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _without_none(members: dict[str, JSONValue]) -> dict[str, JSONValue]:
    return {key: value for key, value in members.items() if value is not None}


class _Reader:
    """Takes members out of a params object; ``finish`` refuses whatever was not taken."""

    def __init__(self, params: Mapping[str, JSONValue]) -> None:
        self._params = params
        self._taken: set[str] = set()

    def finish(self) -> None:
        extra = set(self._params) - self._taken
        if extra:
            _invalid(f"unknown member {sorted(extra)[0]!r}")

    def _take(self, name: str) -> JSONValue:
        self._taken.add(name)
        return self._params.get(name)

    def _string(self, name: str) -> str | None:
        value = self._take(name)
        if name not in self._params:
            return None
        if not isinstance(value, str):
            _invalid(f"{name} is a string")
        return value

    def reader(self) -> str | None:
        name = self._string("reader")
        if name is not None and not (
            1 <= len(name) <= MAX_READER_NAME_LENGTH and not _CONTROL.search(name)
        ):
            _invalid(f"reader is 1 to {MAX_READER_NAME_LENGTH} printable characters")
        return name

    def lang(self) -> Language | None:
        lang = self._string("lang")
        if lang is None:
            return None
        if lang == "ar":
            return "ar"
        if lang == "en":
            return "en"
        return _invalid("lang is ar or en")

    def nonce(self) -> str:
        nonce = self._take("challengeNonce")
        if not isinstance(nonce, str):
            _invalid("challengeNonce is a string")
        if len(nonce) not in _NONCE_LENGTHS or not _BASE64.fullmatch(nonce):
            _invalid("challengeNonce is 44 to 128 characters of padded base64")
        return nonce

    def signed_request(self) -> str:
        token = self.optional_signed_request()
        if token is None:  # SPEC.md §14.1: its own code, so a portal developer sees the cause
            raise MessageError(ErrorCode.SIGNED_REQUEST_REQUIRED, "signedRequest is required")
        return token

    def optional_signed_request(self) -> str | None:
        token = self._string("signedRequest")
        if token is not None and not (
            len(token) <= MAX_SIGNED_REQUEST_LENGTH and _COMPACT_JWS.fullmatch(token)
        ):
            _invalid(f"signedRequest is a compact JWS of at most {MAX_SIGNED_REQUEST_LENGTH} chars")
        return token

    def request_id(self) -> RequestId:
        value = self._take("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and 1 <= len(value) <= MAX_ID_LENGTH:
            return value
        return _invalid("id is the id of a request on this connection")


_PARSERS: dict[str, Callable[[_Reader], Params]] = {
    "status": lambda _: StatusParams(),
    "listReaders": lambda _: ListReadersParams(),
    "getCertificates": lambda read: GetCertificatesParams(read.reader()),
    "authenticate": lambda read: AuthenticateParams(
        read.nonce(), read.reader(), read.lang(), read.optional_signed_request()
    ),
    "getSigningCertificate": lambda read: GetSigningCertificateParams(
        read.reader(), read.lang(), read.optional_signed_request()
    ),
    "sign": lambda read: SignParams(read.signed_request(), read.reader(), read.lang()),
    "readIdentity": lambda read: ReadIdentityParams(
        read.signed_request(), read.reader(), read.lang()
    ),
    "cancel": lambda read: CancelParams(read.request_id()),
}


def _invalid(reason: str) -> NoReturn:
    raise MessageError(ErrorCode.INVALID_PARAMS, reason)
