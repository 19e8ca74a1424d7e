"""Running a card operation behind the PIN dialog (shared by authenticate, sign, readIdentity).

The PIN goes from the dialog straight to the card: it is a ``bytearray`` that the worker thread
wipes right after ``verify_pin`` (whatever happened), it is never logged, and it never leaves the
agent (invariant 6).  A wrong PIN asks again, showing the tries left, until the card blocks it or
the resident gives up; every ask counts against the origin's prompt rate limit.  A resident who
closes the dialog after a wrong PIN ends the request with that ``PIN_INCORRECT`` and its tries
left, so the page can say how many remain (SPEC.md §8.3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bitaqa.agent.cardqueue import CardTurn
from bitaqa.agent.cards.base import PinKind
from bitaqa.agent.cards.errors import PinBlocked, PinIncorrect
from bitaqa.agent.errors import UserCancelled
from bitaqa.agent.policy.gate import AccessGate
from bitaqa.agent.ui.base import Notice, Operation, PinPrompt, UserInterface, wipe

__all__ = ["PinRequest", "with_pin"]

_Result = TypeVar("_Result")


class _PinRefusedError(Exception):
    """The driver refused the PIN's form before sending it to the card."""


@dataclass(frozen=True)
class PinRequest:
    """Who asks for the PIN and why (what the dialog shows besides the card's PIN rules)."""

    origin: str
    operation: Operation
    kind: PinKind
    text_arabic: str = ""
    text_english: str = ""
    document_name: str = ""


async def with_pin(
    gate: AccessGate,
    ui: UserInterface,
    turn: CardTurn,
    request: PinRequest,
    operation: Callable[[], _Result],
) -> _Result:
    """Ask the PIN, verify it and run ``operation`` in one card transaction; return its result."""
    driver = turn.driver
    wrong_pin: PinIncorrect | None = None
    refused_form = False
    while True:
        status = await turn.call(driver.pin_status, request.kind)
        if status.blocked:
            await ui.notify(Notice.PIN_BLOCKED)
            raise PinBlocked("PIN blocked")
        prompt = PinPrompt(
            origin=request.origin,
            portal=gate.portal(request.origin),
            operation=request.operation,
            pin_label=status.label,
            tries_left=status.tries_left,
            min_length=status.min_length,
            max_length=status.max_length,
            text_arabic=request.text_arabic,
            text_english=request.text_english,
            document_name=request.document_name,
            retry=wrong_pin is not None or refused_form,
        )
        try:
            pin = await gate.ask_pin(prompt)
        except UserCancelled:
            if wrong_pin is not None:
                raise wrong_pin from None
            raise

        def verified_operation(pin: bytearray = pin) -> _Result:
            try:
                with driver.transaction():
                    try:
                        driver.verify_pin(request.kind, pin)
                    except ValueError:  # the PIN broke the card's length rules; no try spent
                        raise _PinRefusedError from None
                    finally:
                        wipe(pin)
                    return operation()
            finally:
                wipe(pin)

        try:
            return await turn.call(verified_operation)
        except PinIncorrect as incorrect:
            wrong_pin = incorrect
        except _PinRefusedError:
            refused_form = True
