"""``status``: answers whatever state the machine is in, and says precisely which."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bitaqa.agent.cards.errors import CardError
from bitaqa.agent.cardstate import ServiceState
from bitaqa.agent.commands._services import Services
from bitaqa.agent.commands.base import Invocation
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.methods import status_result

__all__ = ["PolicyHealth", "StatusCommand", "card_readiness"]

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


@dataclass(frozen=True)
class PolicyHealth:
    """What ``status`` may tell a page about the policy: reasons only, never paths or keys."""

    trust_list_version: int
    trust_list_state: str
    trust_list_problems: tuple[str, ...]
    consent_store: str


class StatusCommand:
    """``status``: agent and protocol version, card readiness, policy health (SPEC.md §6.1).

    ``card`` (see :func:`card_readiness`) and ``policy`` let a page tell the resident what to
    fix.  No card I/O, no dialog.
    """

    immediate = True

    def __init__(self, services: Services, policy_health: Callable[[], PolicyHealth]):
        self._services = services
        self._policy_health = policy_health

    async def run(self, invocation: Invocation) -> JSONValue:
        """Return the status object."""
        health = self._policy_health()
        return status_result(
            agent_version=self._services.agent_version,
            pcsc_available=self._services.card_state.service is not ServiceState.UNAVAILABLE,
            card=card_readiness(self._services),
            trust_list_version=health.trust_list_version,
            trust_list_state=health.trust_list_state,
            trust_list_problems=health.trust_list_problems,
            consent_store=health.consent_store,
        )
