"""The access gate: every policy decision a command needs, in the order it needs them.

For a card operation the commands call, in this order and before any card I/O:

1. :meth:`AccessGate.require` — the origin is on the effective trust list for this operation
   (ORIGIN_NOT_ALLOWED);
2. :meth:`AccessGate.verify` — the signed request, if the operation needs one
   (SIGNED_REQUEST_REQUIRED, REQUEST_SIGNATURE_INVALID, REQUEST_EXPIRED, REQUEST_REPLAYED);
3. :meth:`AccessGate.card_operation` — the origin's card-operation rate (RATE_LIMITED);
4. :meth:`AccessGate.consent` — a remembered decision, or a consent dialog (USER_DENIED, ...).

:meth:`AccessGate.ask_pin` shows the PIN dialog under the same prompt rate limit and back-off
as consent.  The UI's :mod:`~bitaqa.agent.ui.errors` become USER_CANCELLED, USER_TIMEOUT or
INTERNAL_ERROR here; a dialog the resident cancels or lets time out, or that the page cancels
(``cancel``, closed connection) while it is open, starts the origin's back-off (a withdrawn
card does not).  Dialogs are shown one at a time.  All dialogs get the handshake origin and
the trust list's portal name, never text a page chose — except a signing text, which comes from
the *signed* request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from bitaqa.agent.errors import (
    CARD_REMOVED_CANCEL,
    AgentError,
    OriginNotAllowed,
    SignedRequestRequired,
    UserCancelled,
    UserDenied,
    UserTimeout,
)
from bitaqa.agent.log import log_event
from bitaqa.agent.policy.consent import ConsentStore, Decision
from bitaqa.agent.policy.ratelimit import RateLimiter
from bitaqa.agent.ui.base import (
    ConsentAnswer,
    ConsentPrompt,
    Operation,
    PinPrompt,
    PortalName,
    UserInterface,
)
from bitaqa.agent.ui.errors import DialogCancelled, DialogError, DialogTimedOut
from bitaqa.protocol.signed_request import (
    ReplayCache,
    SignedRequest,
    SignedRequestRefusedError,
    verify_signed_request,
)
from bitaqa.protocol.trustlist import TrustEntry

__all__ = ["AccessGate", "TrustView"]

_logger = logging.getLogger("bitaqa.agent.policy.gate")
_Answer = TypeVar("_Answer")


class TrustView(Protocol):
    """The effective trust list as the gate sees it."""

    def entry(self, origin: str) -> TrustEntry | None:
        """The entry for exactly ``origin``, or None."""
        ...


class AccessGate:
    """Trust list, signed requests, rate limits and consent for every command.

    Args:
        trust: the effective trust list.
        consent: remembered decisions.
        limiter: per-origin rate limits and back-off.
        replay_cache: where used ``jti`` values go.
        ui: the resident's dialogs.
        wall_clock: seconds since the epoch (signed-request expiry).
        dialog_seconds: how long a dialog may wait for the resident.
    """

    def __init__(
        self,
        *,
        trust: TrustView,
        consent: ConsentStore,
        limiter: RateLimiter,
        replay_cache: ReplayCache,
        ui: UserInterface,
        wall_clock: Callable[[], int],
        dialog_seconds: float,
    ) -> None:
        self._trust = trust
        self._consent = consent
        self._limiter = limiter
        self._replay_cache = replay_cache
        self._ui = ui
        self._wall_clock = wall_clock
        self._dialog_seconds = dialog_seconds
        self._dialog_lock = asyncio.Lock()

    def require(self, origin: str, method: str) -> TrustEntry:
        """The origin's entry if it may call ``method``; else OriginNotAllowed."""
        entry = self._trust.entry(origin)
        if entry is None or method not in entry.operations:
            raise OriginNotAllowed(f"{method} not allowed for this origin")
        return entry

    def verify(self, origin: str, method: str, token: str | None) -> SignedRequest:
        """Verify ``token`` for ``method`` from ``origin`` (SPEC.md, signed requests)."""
        entry = self.require(origin, method)
        if token is None:
            raise SignedRequestRequired(f"{method} needs a signed request")
        try:
            return verify_signed_request(
                token,
                trusted_keys=entry.request_keys,
                origin=origin,
                operation=method,
                now=self._wall_clock(),
                replay_cache=self._replay_cache,
            )
        except SignedRequestRefusedError as refusal:
            log_event(
                _logger,
                logging.WARNING,
                "signed-request-refused",
                origin=origin,
                method=method,
                check=refusal.check.value,
            )
            raise

    def card_operation(self, origin: str) -> None:
        """Count one card operation for ``origin`` (RateLimited when over the rate)."""
        self._limiter.allow_card_operation(origin)

    async def _dialog(self, origin: str, show: Callable[[], Awaitable[_Answer]]) -> _Answer:
        async with self._dialog_lock:  # one dialog on screen at a time (SPEC.md §8.1)
            return await self._show(origin, show)

    async def _show(self, origin: str, show: Callable[[], Awaitable[_Answer]]) -> _Answer:
        self._limiter.allow_prompt(origin)
        try:
            async with asyncio.timeout(self._dialog_seconds):  # from when the dialog is shown
                return await show()
        except asyncio.CancelledError as cancelled:  # the page cancelled or left meanwhile
            # A withdrawn card closes the dialog too, but that is not the page's doing.
            if CARD_REMOVED_CANCEL not in cancelled.args:
                self._limiter.prompt_refused(origin)
            raise
        except (TimeoutError, DialogTimedOut):
            self._limiter.prompt_refused(origin)
            raise UserTimeout("dialog not answered") from None
        except DialogCancelled:
            self._limiter.prompt_refused(origin)
            raise UserCancelled("dialog closed") from None
        except DialogError as failure:
            log_event(_logger, logging.ERROR, "dialog-failed", origin=origin, detail=str(failure))
            raise AgentError("dialog failed") from None

    async def consent(self, origin: str, operation: Operation) -> None:
        """Return if ``origin`` may use the card now; else raise UserDenied (or a dialog error)."""
        remembered = self._consent.decision(origin)
        if remembered is Decision.ALLOW:
            return
        if remembered is Decision.DENY:
            raise UserDenied("remembered deny")
        prompt = ConsentPrompt(origin, self.portal(origin), operation)
        answer = await self._dialog(origin, lambda: self._ui.ask_consent(prompt))
        if answer is ConsentAnswer.DENY:
            self._consent.remember(origin, Decision.DENY)
            self._limiter.prompt_refused(origin)
            raise UserDenied("denied")
        if answer is ConsentAnswer.ALLOW_ALWAYS:
            self._consent.remember(origin, Decision.ALLOW)
        self._limiter.prompt_accepted(origin)

    async def ask_pin(self, prompt: PinPrompt) -> bytearray:
        """Show the PIN dialog; the caller owns and wipes the returned PIN."""
        pin = await self._dialog(prompt.origin, lambda: self._ui.ask_pin(prompt))
        self._limiter.prompt_accepted(prompt.origin)
        return pin

    def require_entry(self, origin: str) -> TrustEntry:
        """The origin's entry (any operation); else OriginNotAllowed."""
        entry = self._trust.entry(origin)
        if entry is None:
            raise OriginNotAllowed("origin not on the trust list")
        return entry

    def portal(self, origin: str) -> PortalName:
        """The trust-list name of ``origin``."""
        name = self.require_entry(origin).name
        return PortalName(arabic=name.ar, english=name.en)
