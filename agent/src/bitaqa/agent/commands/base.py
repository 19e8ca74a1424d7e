"""What a command is, and what it is given.

A command is one protocol method.  The controller has already checked the params' shape
(``bitaqa.protocol.methods.parse_params``) before the command runs; the command then checks policy
(trust list, signed request, rate limits) before it asks for its card turn; only with the turn
held does it ask consent and talk to the card and the resident, so one request at a time uses a
card, dialogs included (SPEC.md §8.1).  Commands depend on interfaces only: the card queue
(``bitaqa.agent.cardqueue``), the access gate (``bitaqa.agent.policy.gate``) and the
:class:`~bitaqa.agent.ui.base.UserInterface`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bitaqa.agent.cardqueue import CardTurn
from bitaqa.protocol.codec import JSONValue
from bitaqa.protocol.jsonrpc import RequestId
from bitaqa.protocol.methods import Params

__all__ = ["Command", "Invocation"]


@dataclass
class Invocation:
    """One request as a command sees it.

    Attributes:
        origin: the handshake origin of the connection (never a value from the message).
        request_id: the JSON-RPC id, for logs.
        params: the typed params, already validated.
    """

    origin: str
    request_id: RequestId
    params: Params
    _card: tuple[str, int] | None = field(default=None, repr=False)

    def bind(self, turn: CardTurn) -> None:
        """Record that this request now uses ``turn``'s card (for CARD_REMOVED)."""
        self._card = (turn.reader, turn.generation)

    def bind_slot(self, reader: str, generation: int) -> None:
        """Record the card insertion this request queued for."""
        self._card = (reader, generation)

    def is_bound_to(self, reader: str, generation: int) -> bool:
        """True if this request queued for or uses that insertion."""
        return self._card == (reader, generation)


class Command(Protocol):
    """One protocol method.

    ``immediate`` commands (no card I/O, no dialog, no waiting) are answered inline, in frame
    order, without a task of their own; they cannot be cancelled and do not count as in flight.
    """

    immediate: bool

    async def run(self, invocation: Invocation) -> JSONValue:
        """Do the method and return its ``result``; raise an error carrying an ErrorCode."""
        ...
