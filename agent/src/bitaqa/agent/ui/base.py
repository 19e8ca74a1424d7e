"""The interface between the agent's controller and whatever talks to the resident.

The controller never imports a GUI toolkit; it calls a :class:`UserInterface`.  The real
implementation (Qt dialogs in a short-lived process, plus the tray) lives in ``bitaqa.agent.ui.qt``
and ``bitaqa.agent.ui.tray``; tests use ``bitaqa.agent.ui.scripted``, which only test code can
select (no setting, environment variable or message can).

Every method is a coroutine: a dialog may take minutes, and the agent keeps serving other tabs
meanwhile.  Each call can be cancelled (the page cancelled the request or closed); an
implementation must then close its dialog and raise ``asyncio.CancelledError``.

Contract for PINs: :meth:`UserInterface.ask_pin` returns a ``bytearray`` that the *caller* owns and
wipes (``wipe(pin)``) as soon as the card has seen it.  Implementations keep no other copy, never
log it, and wipe any intermediate buffer they created.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "ConsentAnswer",
    "ConsentPrompt",
    "Notice",
    "Operation",
    "PinPrompt",
    "PortalName",
    "StatusIndicator",
    "TrayCallbacks",
    "TrayState",
    "UserInterface",
    "wipe",
]


class Operation(enum.Enum):
    """What the page asked for; shown in every dialog."""

    AUTHENTICATE = "authenticate"
    GET_CERTIFICATES = "getCertificates"
    GET_SIGNING_CERTIFICATE = "getSigningCertificate"
    SIGN = "sign"
    READ_IDENTITY = "readIdentity"


class ConsentAnswer(enum.Enum):
    """The resident's answer to a consent prompt."""

    ALLOW_ONCE = "allow-once"
    ALLOW_ALWAYS = "allow-always"
    DENY = "deny"


@dataclass(frozen=True)
class PortalName:
    """The portal's display name from the trust list, in both languages."""

    arabic: str
    english: str


@dataclass(frozen=True)
class ConsentPrompt:
    """Ask whether ``origin`` may use the card for ``operation``.

    ``origin`` is the handshake origin (never a value from a message body); ``portal`` is the
    trust-list name for it.
    """

    origin: str
    portal: PortalName
    operation: Operation


@dataclass(frozen=True)
class PinPrompt:
    """Ask for a PIN.

    Attributes:
        origin: the handshake origin of the asking page.
        portal: the trust-list name of the portal.
        operation: authenticate, sign or readIdentity.
        pin_label: which PIN (for example "PIV PIN"), from the card driver.
        tries_left: remaining tries before the PIN blocks, or None if the card does not say.
        min_length, max_length: the PIN length the card accepts.
        text_arabic, text_english: for signing, the text from the signed request.
        document_name: for signing, the document name from the signed request, if any.
        retry: True when the previous attempt in this request was a wrong PIN.
        pin_pad: True when the reader has a PIN pad; the UI shows a countdown, and ask_pin
            returns an empty bytearray once the user has been told to type on the reader.
        timeout_seconds: how long the dialog waits before the request fails with USER_TIMEOUT.
    """

    origin: str
    portal: PortalName
    operation: Operation
    pin_label: str
    tries_left: int | None
    min_length: int = 4
    max_length: int = 8
    text_arabic: str = ""
    text_english: str = ""
    document_name: str = ""
    retry: bool = False
    pin_pad: bool = False
    timeout_seconds: float = 120.0


class Notice(enum.Enum):
    """One-way messages for the resident (tray balloon or dialog)."""

    PIN_BLOCKED = "pin-blocked"
    CARD_INSERTED = "card-inserted"
    CARD_REMOVED = "card-removed"
    UNKNOWN_CARD = "unknown-card"


class UserInterface(Protocol):
    """What the controller needs from the user interface."""

    async def ask_consent(self, prompt: ConsentPrompt) -> ConsentAnswer:
        """Show the consent dialog; raise a ``bitaqa.agent.ui.errors.DialogError`` if unanswered."""
        ...

    async def ask_pin(self, prompt: PinPrompt) -> bytearray:
        """Show the PIN dialog and return the PIN; the caller wipes it.

        Raises ``DialogCancelled`` or ``DialogTimedOut`` (``bitaqa.agent.ui.errors``) when the
        resident closes the dialog or does not answer in time, ``DialogFailed`` when it cannot
        be shown.
        """
        ...

    async def notify(self, notice: Notice) -> None:
        """Show a one-way notice; must not block the caller for long."""
        ...


class TrayState(enum.Enum):
    """What the tray icon shows; each state has its own icon and tooltip."""

    CARD_READY = "card-ready"
    NO_CARD = "no-card"
    NO_READER = "no-reader"
    UNKNOWN_CARD = "unknown-card"
    PCSC_UNAVAILABLE = "pcsc-unavailable"
    BUSY = "busy"
    ERROR = "error"


class TrayCallbacks(Protocol):
    """What the tray may ask of the agent (menu actions)."""

    def allowed_sites(self) -> Sequence[str]:
        """Origins the resident allowed with "always", for the menu."""
        ...

    def blocked_sites(self) -> Sequence[str]:
        """Origins the resident denied (a remembered deny), for the menu."""
        ...

    def revoke_site(self, origin: str) -> None:
        """Forget the remembered decision (allow or deny) for ``origin``; it is asked again."""
        ...

    def log_folder(self) -> str:
        """The folder "open log folder" shows."""
        ...

    def quit(self) -> None:
        """Stop the agent cleanly."""
        ...


class StatusIndicator(Protocol):
    """The agent's view of the tray: it only pushes state; the tray calls back via TrayCallbacks."""

    def show_state(self, state: TrayState, detail: str = "") -> None:
        """Switch icon and tooltip; ``detail`` is extra text such as the reader name."""
        ...

    def notify(self, notice: Notice) -> None:
        """Show a desktop notification (card inserted or removed); must return at once."""
        ...

    def refresh_menu(self) -> None:
        """Rebuild the menu because the remembered decisions changed; must return at once."""
        ...

    def close(self) -> None:
        """Remove the icon (agent shutting down)."""
        ...


def wipe(buffer: bytearray) -> None:
    """Overwrite ``buffer`` with zeros in place (PINs, see invariant 6)."""
    buffer[:] = bytes(len(buffer))
