"""``getCertificates`` and ``getSigningCertificate``: certificates from the card, after consent."""

from __future__ import annotations

from bitaqa.agent.cards.base import SignatureAlgorithm as CardAlgorithm
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.base import Invocation
from bitaqa.agent.ui.base import Operation
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.methods import (
    CertificateInfo,
    GetCertificatesParams,
    GetSigningCertificateParams,
    SignatureAlgorithm,
    get_certificates_result,
    signing_certificate_result,
)

__all__ = ["GetCertificatesCommand", "GetSigningCertificateCommand", "wire_algorithms"]

_WIRE_HASHES = ("SHA-256", "SHA-384", "SHA-512")


def wire_algorithms(algorithms: tuple[CardAlgorithm, ...]) -> list[SignatureAlgorithm]:
    """The card's signing algorithms that the protocol can name (SHA-2 family only)."""
    return [
        SignatureAlgorithm(
            algorithm.crypto_algorithm.value,
            algorithm.hash_function.value,
            algorithm.padding_scheme.value,
        )
        for algorithm in algorithms
        if algorithm.hash_function.value in _WIRE_HASHES
    ]


class GetCertificatesCommand:
    """``getCertificates``: both holder certificates of the chosen card."""

    immediate = False

    def __init__(self, services: Services) -> None:
        self._services = services

    async def run(self, invocation: Invocation) -> JSONValue:
        """Consent, then read the certificates (cached per insertion by the driver)."""
        params = invocation.params
        assert isinstance(params, GetCertificatesParams)
        gate, origin = self._services.gate, invocation.origin
        gate.require(origin, "authenticate")  # it reveals the authentication certificate
        gate.card_operation(origin)
        slot = self._services.cards.choose(params.reader)
        invocation.bind_slot(slot.reader, slot.generation)
        async with self._services.cards.turn(slot) as turn:  # dialogs included (SPEC.md §8.1)
            await gate.consent(origin, Operation.GET_CERTIFICATES)
            certificates = await turn.call(turn.driver.certificates)
        found = [CertificateInfo(turn.reader, "authentication", certificates.authentication)]
        if certificates.signing is not None:
            found.append(CertificateInfo(turn.reader, "signing", certificates.signing))
        return get_certificates_result(found)


class GetSigningCertificateCommand:
    """``getSigningCertificate``: the signing certificate and the algorithms its key supports."""

    immediate = False

    def __init__(self, services: Services) -> None:
        self._services = services

    async def run(self, invocation: Invocation) -> JSONValue:
        """Signed request (if given), consent, then the signing certificate and algorithms."""
        params = invocation.params
        assert isinstance(params, GetSigningCertificateParams)
        gate, origin = self._services.gate, invocation.origin
        gate.require(origin, "getSigningCertificate")
        if params.signed_request is not None:  # optional, but verified when present (SPEC §14.1)
            gate.verify(origin, "getSigningCertificate", params.signed_request)
        gate.card_operation(origin)
        slot = self._services.cards.choose(params.reader)
        invocation.bind_slot(slot.reader, slot.generation)
        async with self._services.cards.turn(slot) as turn:  # dialogs included (SPEC.md §8.1)
            await gate.consent(origin, Operation.GET_SIGNING_CERTIFICATE)
            certificate = await turn.call(turn.driver.signing_certificate)
            algorithms = await turn.call(turn.driver.signing_algorithms)
        return signing_certificate_result(certificate, wire_algorithms(algorithms))
