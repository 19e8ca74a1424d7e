"""The interfaces every command is built with (the composition root fills them in)."""

from __future__ import annotations

from dataclasses import dataclass

from bitaqa.agent.cardqueue import CardQueue
from bitaqa.agent.cardstate import CardState
from bitaqa.agent.policy.gate import AccessGate
from bitaqa.agent.ui.base import UserInterface

__all__ = ["Services"]


@dataclass(frozen=True)
class Services:
    """Card queue and state, the access gate, the UI, and the agent's version."""

    cards: CardQueue
    card_state: CardState
    gate: AccessGate
    ui: UserInterface
    agent_version: str
