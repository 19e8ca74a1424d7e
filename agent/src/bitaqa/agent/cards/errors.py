"""The card layer's exception tree: every failure a card, reader or PC/SC service can cause.

Each class maps 1:1 to one wire code of :class:`bitaqa.protocol.errors.ErrorCode` (the table in
``protocol/error-codes.json``), so the controller answers ``error.code = exc.code`` without
looking inside.  ``retriable`` follows that table and the libelectronic-id split: a retriable
error goes away when the resident does something (start the service, plug a reader, insert or
re-insert the card, type the PIN again); a fatal one does not.

Exception tree::

    CardError                     root; carries ``code`` and ``retriable``
    ├── PcscUnavailable           pcscd / WinSCard is not running          PCSC_UNAVAILABLE
    ├── NoReader                  no reader is connected                    NO_READER
    ├── NoCard                    the reader is empty                       NO_CARD
    ├── UnknownCard               no driver recognises the card             UNKNOWN_CARD
    ├── CardRemoved               card gone during an operation             CARD_REMOVED
    │   └── ReaderRemoved         the reader itself went away               CARD_REMOVED
    ├── CardCommunicationError    transport failure or unexpected SW        CARD_ERROR
    │   └── PinNotVerified        6982: the key needs a PIN not presented   CARD_ERROR
    ├── PinIncorrect              wrong PIN; ``tries_left``                 PIN_INCORRECT
    ├── PinBlocked                PIN blocked (6983 or counter at 0)        PIN_BLOCKED
    ├── CertificateMismatch       the named certificate is not on the card  CERTIFICATE_MISMATCH
    └── OperationNotSupported     no such key/object/algorithm on the card  OPERATION_NOT_SUPPORTED

Third-party exceptions (pyscard) are translated into these in ``bitaqa.agent.cards.pcsc`` and
nowhere else.  Messages are short English for logs; they never contain a PIN, key material or
card data.
"""

# The class names mirror the wire reasons (NO_CARD -> NoCard), so no "Error" suffix:
# ruff: noqa: N818

from __future__ import annotations

from typing import ClassVar

from bitaqa.protocol.errors import ErrorCode

__all__ = [
    "CardCommunicationError",
    "CardError",
    "CardRemoved",
    "CertificateMismatch",
    "NoCard",
    "NoReader",
    "OperationNotSupported",
    "PcscUnavailable",
    "PinBlocked",
    "PinIncorrect",
    "PinNotVerified",
    "ReaderRemoved",
    "UnknownCard",
]


class CardError(Exception):
    """Root of the card layer's failures.

    Attributes:
        code: the wire code the page will see.
        retriable: True when a user action (re-insert, retry, start the service) can fix it.
    """

    code: ClassVar[ErrorCode] = ErrorCode.CARD_ERROR
    retriable: ClassVar[bool] = True

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code.name)

    @property
    def fatal(self) -> bool:
        """The opposite of :attr:`retriable`: retrying the same request cannot succeed."""
        return not self.retriable

    @property
    def wire_data(self) -> dict[str, int]:
        """Extra wire-visible fields for ``error.data`` (empty unless a subclass adds some)."""
        return {}


class PcscUnavailable(CardError):
    """The smart card service is not running, not installed, or stopped during the call."""

    code = ErrorCode.PCSC_UNAVAILABLE


class NoReader(CardError):
    """No card reader is connected (or the named reader does not exist)."""

    code = ErrorCode.NO_READER


class NoCard(CardError):
    """The reader is there but holds no card."""

    code = ErrorCode.NO_CARD


class UnknownCard(CardError):
    """A card is present but neither its ATR nor a probe matched a driver."""

    code = ErrorCode.UNKNOWN_CARD


class CardRemoved(CardError):
    """The card, or its reader, went away while an operation was using it."""

    code = ErrorCode.CARD_REMOVED


class ReaderRemoved(CardRemoved):
    """The reader holding the card was unplugged (or vanished from the service)."""


class CardCommunicationError(CardError):
    """The transport failed, or the card answered a status word we cannot attribute to the user."""

    code = ErrorCode.CARD_ERROR


class PinNotVerified(CardCommunicationError):
    """The card refused a key operation for want of a PIN (6982), e.g. another application reset
    the card between VERIFY and the signature."""


class PinIncorrect(CardError):
    """The card refused the PIN; ``tries_left`` tries remain (at least 1)."""

    code = ErrorCode.PIN_INCORRECT

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"PIN incorrect, {tries_left} tries left")
        self.tries_left = tries_left

    @property
    def wire_data(self) -> dict[str, int]:
        """``{"triesLeft": n}`` for ``error.data``."""
        return {"triesLeft": self.tries_left}


class PinBlocked(CardError):
    """The PIN is blocked; only the issuer (PUK) can unblock it."""

    code = ErrorCode.PIN_BLOCKED
    retriable = False


class CertificateMismatch(CardError):
    """The certificate a request names is not the one the card holds."""

    code = ErrorCode.CERTIFICATE_MISMATCH
    retriable = False


class OperationNotSupported(CardError):
    """The card has no key, certificate or data object for this operation, or not this algorithm."""

    code = ErrorCode.OPERATION_NOT_SUPPORTED
    retriable = False
