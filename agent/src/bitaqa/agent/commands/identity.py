"""``readIdentity``: the identity fields a signed request names, read after consent and PIN.

Only the fields listed in the signed request's ``fields`` claim are returned; the claim and the
result use the same field names (``bitaqa.protocol.methods.IDENTITY_FIELDS``, SPEC.md §6.7).
"""

from __future__ import annotations

import base64

from cryptography import x509

from bitaqa.agent.cards.base import IdentityData, IssuerSignatureStatus, PinKind
from bitaqa.agent.commands._pin import PinRequest, with_pin
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.base import Invocation
from bitaqa.agent.commands.readers import card_of
from bitaqa.agent.ui.base import Operation
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.errors import ErrorCode, SignedRequestError
from bitaqa.protocol.methods import IssuerSignature, ReadIdentityParams
from bitaqa.protocol.signed_request import ReadIdentityDetails

__all__ = ["ReadIdentityCommand", "identity_result"]


def _photo_type(photo: bytes) -> str:
    return (
        "image/jp2"
        if photo.startswith((b"\x00\x00\x00\x0cjP", b"\xff\x4f\xff\x51"))
        else "image/jpeg"
    )


def _signer(certificate: bytes | None) -> str | None:
    if certificate is None:
        return None
    try:
        return x509.load_der_x509_certificate(certificate).subject.rfc4514_string()
    except ValueError:
        return None


def identity_result(profile: str, data: IdentityData, wanted: tuple[str, ...]) -> JSONValue:
    """The ``readIdentity`` result holding only the ``wanted`` items."""
    fields: dict[str, JSONValue] = {}
    for name in wanted:
        if name == "photo":
            if data.photo is not None:
                fields["photo"] = {
                    "mediaType": _photo_type(data.photo),
                    "data": base64.b64encode(data.photo).decode("ascii"),
                }
            continue
        value = data.fields.get(name)
        if value is not None:
            fields[name] = value
    checked = data.issuer_signature is not IssuerSignatureStatus.ABSENT
    signature = IssuerSignature(
        checked=checked,
        valid=(data.issuer_signature is IssuerSignatureStatus.VALID) if checked else None,
        signer=_signer(data.signer_certificate),
    )
    return {"profile": profile, "fields": fields, "issuerSignature": signature.to_wire()}


class ReadIdentityCommand:
    """``readIdentity``: signed request → consent → PIN → read and filter."""

    immediate = False

    def __init__(self, services: Services) -> None:
        self._services = services

    async def run(self, invocation: Invocation) -> JSONValue:
        """Return ``{"profile", "fields", "issuerSignature"}``."""
        params = invocation.params
        assert isinstance(params, ReadIdentityParams)
        gate, origin = self._services.gate, invocation.origin
        details = gate.verify(origin, "readIdentity", params.signed_request).details
        if not isinstance(details, ReadIdentityDetails):
            raise SignedRequestError(
                ErrorCode.REQUEST_SIGNATURE_INVALID, "not a readIdentity request"
            )
        gate.card_operation(origin)
        slot = self._services.cards.choose(params.reader)
        invocation.bind_slot(slot.reader, slot.generation)
        async with self._services.cards.turn(slot) as turn:  # dialogs included (SPEC.md §8.1)
            await gate.consent(origin, Operation.READ_IDENTITY)
            driver = turn.driver
            data = await with_pin(
                gate,
                self._services.ui,
                turn,
                PinRequest(origin, Operation.READ_IDENTITY, PinKind.AUTHENTICATION),
                driver.read_identity,
            )
        card = card_of(slot)
        return identity_result(card.profile if card else "unknown", data, details.fields)
