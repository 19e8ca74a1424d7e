"""``sign``: sign the hash named by a valid signed request with the signing key.

Everything that matters comes from the signed request, never from the page: the hash, its
algorithm, the expected certificate (by SHA-256) and the text the dialog shows.  The hash length
must match the algorithm (the core refuses otherwise), the certificate must be the card's
(CERTIFICATE_MISMATCH), and the card must support the algorithm (OPERATION_NOT_SUPPORTED) —
all checked before the PIN dialog opens.
"""

from __future__ import annotations

import hashlib
import hmac

from bitaqa.agent.cards.base import HashFunction, PinKind
from bitaqa.agent.cards.errors import CertificateMismatch, OperationNotSupported
from bitaqa.agent.commands._pin import PinRequest, with_pin
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.base import Invocation
from bitaqa.agent.commands.certificates import wire_algorithms
from bitaqa.agent.ui.base import Operation
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.errors import ErrorCode, SignedRequestError
from bitaqa.protocol.methods import SignParams, sign_result
from bitaqa.protocol.signed_request import SignDetails

__all__ = ["SignCommand"]


class SignCommand:
    """``sign``: signed request → consent → certificate and algorithm checks → PIN → signature."""

    immediate = False

    def __init__(self, services: Services) -> None:
        self._services = services

    async def run(self, invocation: Invocation) -> JSONValue:
        """Return ``{"signature", "signatureAlgorithm"}``."""
        params = invocation.params
        assert isinstance(params, SignParams)
        gate, origin = self._services.gate, invocation.origin
        details = gate.verify(origin, "sign", params.signed_request).details
        if not isinstance(details, SignDetails):
            raise SignedRequestError(ErrorCode.REQUEST_SIGNATURE_INVALID, "not a sign request")
        hash_function = HashFunction(details.hash_algorithm)
        gate.card_operation(origin)
        slot = self._services.cards.choose(params.reader)
        invocation.bind_slot(slot.reader, slot.generation)
        async with self._services.cards.turn(slot) as turn:  # dialogs included (SPEC.md §8.1)
            await gate.consent(origin, Operation.SIGN)
            driver = turn.driver
            certificate = await turn.call(driver.signing_certificate)
            if not hmac.compare_digest(
                hashlib.sha256(certificate).digest(), details.certificate_sha256
            ):
                raise CertificateMismatch("signed request names another certificate")
            algorithms = await turn.call(driver.signing_algorithms)
            usable = [a for a in algorithms if a.hash_function is hash_function]
            if not usable:
                raise OperationNotSupported("the signing key does not support this hash")
            padding = usable[0].padding_scheme
            result = await with_pin(
                gate,
                self._services.ui,
                turn,
                PinRequest(
                    origin,
                    Operation.SIGN,
                    PinKind.SIGNING,
                    text_arabic=details.text.ar,
                    text_english=details.text.en,
                    document_name=details.document_name or "",
                ),
                lambda: driver.sign_with_signing_key(details.hash, hash_function, padding),
            )
        return sign_result(result.signature, wire_algorithms((result.algorithm,))[0])
