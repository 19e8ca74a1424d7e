"""``status``: answers whatever state the machine is in, and says precisely which."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bitaqa.agent.cards.errors import CardError
from bitaqa.agent.cardstate import ServiceState
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.base import Invocation
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.methods import status_result

__all__ = ["StatusCommand", "card_readiness"]

_READINESS = {
    "PCSC_UNAVAILABLE": "pcscUnavailable",
    "NO_READER": "noReader",
    "NO_CARD": "noCard",
    "UNKNOWN_CARD": "unknownCard",
}


def card_readiness(services: Services) -> str:
    """``ready``, ``pcscUnavailable``, ``noReader``, ``noCard`` or ``unknownCard``."""
    try:
        services.cards.choose()
    except CardError as error:
        return _READINESS.get(error.code.name, "cardError")
    return "ready"


class StatusCommand:
    """``status``: agent and protocol version, card readiness, policy health.

    Members beyond the core's ``status_result``: ``card`` (see :func:`card_readiness`) and
    ``policy`` (trust-list version and state, consent-store state), so a page or the doctor can
    tell the resident what to fix.  No card I/O, no dialog.
    """

    immediate = True

    def __init__(self, services: Services, policy_state: Callable[[], Mapping[str, JSONValue]]):
        self._services = services
        self._policy_state = policy_state

    async def run(self, invocation: Invocation) -> JSONValue:
        """Return the status object."""
        result = status_result(
            agent_version=self._services.agent_version,
            pcsc_available=self._services.card_state.service is not ServiceState.UNAVAILABLE,
        )
        result["card"] = card_readiness(self._services)
        result["policy"] = dict(self._policy_state())
        return result
