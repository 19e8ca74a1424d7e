"""``authenticate``: a ``web-eid:1.0`` token over ``H(origin) || H(nonce)`` (invariants 3, 4).

What the authentication key signs is computed here and nowhere else: the digest of
:func:`bitaqa.protocol.authtoken.signed_message` over the *handshake* origin and the page's
nonce.  No parameter of any method reaches ``sign_with_authentication_key`` in another way, so
a page cannot make the authentication key sign a hash of its choosing.
"""

from __future__ import annotations

from bitaqa.agent.cards.base import PinKind
from bitaqa.agent.commands._pin import PinRequest, with_pin
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.base import Invocation
from bitaqa.agent.errors import SignedRequestRequired
from bitaqa.agent.ui.base import Operation
from bitaqa.protocol.authtoken import ALGORITHMS, signed_message
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.errors import ErrorCode, SignedRequestError
from bitaqa.protocol.methods import AuthenticateParams, authenticate_result
from bitaqa.protocol.signed_request import AuthenticateDetails

__all__ = ["AuthenticateCommand"]

APP_VERSION_URL = "https://github.com/bitaqa/bitaqa/releases/tag/v{version}"


class AuthenticateCommand:
    """``authenticate``: trust list → signed request (if the list says so) → consent → PIN."""

    immediate = False

    def __init__(self, services: Services) -> None:
        self._services = services

    async def run(self, invocation: Invocation) -> JSONValue:
        """Return the token object; the nonce is signed as given, never decoded."""
        params = invocation.params
        assert isinstance(params, AuthenticateParams)
        gate, origin = self._services.gate, invocation.origin
        entry = gate.require(origin, "authenticate")
        if params.signed_request is not None:
            signed = gate.verify(origin, "authenticate", params.signed_request)
            details = signed.details
            if (
                not isinstance(details, AuthenticateDetails)
                or details.challenge_nonce != params.challenge_nonce
            ):
                raise SignedRequestError(
                    ErrorCode.REQUEST_SIGNATURE_INVALID, "signed request names another nonce"
                )
        elif entry.authenticate_requires_signed_request:
            raise SignedRequestRequired("the trust list asks for a signed request")
        gate.card_operation(origin)
        slot = self._services.cards.choose(params.reader)
        invocation.bind_slot(slot.reader, slot.generation)
        async with self._services.cards.turn(slot) as turn:  # dialogs included (SPEC.md §8.1)
            await gate.consent(origin, Operation.AUTHENTICATE)
            driver = turn.driver
            certificate = await turn.call(driver.authentication_certificate)
            algorithm = (await turn.call(driver.authentication_algorithms))[0]
            digest = ALGORITHMS[algorithm].digest(
                signed_message(origin, params.challenge_nonce, algorithm)
            )
            signature = await with_pin(
                gate,
                self._services.ui,
                turn,
                PinRequest(origin, Operation.AUTHENTICATE, PinKind.AUTHENTICATION),
                lambda: driver.sign_with_authentication_key(digest, algorithm),
            )
        return authenticate_result(
            certificate=certificate,
            algorithm=algorithm,
            signature=signature,
            app_version=APP_VERSION_URL.format(version=self._services.agent_version),
        )
