"""The agent's own failures, each carrying the wire :class:`ErrorCode` the page will see.

Exception tree::

    AgentError                 root; ``code`` (ErrorCode), ``message`` (log only), ``data`` (wire)
    ├── UserCancelled          the resident closed a dialog            USER_CANCELLED
    ├── UserTimeout            the resident did not answer in time     USER_TIMEOUT
    ├── UserDenied             the resident (or a remembered deny) refused   USER_DENIED
    ├── RateLimited            too many prompts or card operations     RATE_LIMITED (+retryAfter)
    ├── RequestCancelled       ``cancel`` or the connection closed     REQUEST_CANCELLED
    ├── OriginNotAllowed       not on the trust list for this operation     ORIGIN_NOT_ALLOWED
    ├── SignedRequestRequired  the operation needs a signed request    SIGNED_REQUEST_REQUIRED
    └── Busy                   the card's queue is full                BUSY

Failures from the protocol core (:class:`bitaqa.protocol.errors.ProtocolError`) and from the card
layer carry their own ``code``; the controller turns any of them into an error response.  Anything
else becomes INTERNAL_ERROR with no detail for the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bitaqa.protocol.errors import ErrorCode

__all__ = [
    "CARD_REMOVED_CANCEL",
    "AgentError",
    "Busy",
    "OriginNotAllowed",
    "RateLimited",
    "RequestCancelled",
    "SignedRequestRequired",
    "UserCancelled",
    "UserDenied",
    "UserTimeout",
]


#: The message a request's task is cancelled with when its card is withdrawn: not the page's
#: doing, so a dialog closed that way does not start the origin's back-off (policy.gate).
CARD_REMOVED_CANCEL = "card-removed"


class AgentError(Exception):
    """Root of the agent's failures; ``code`` is what the page sees, ``message`` stays in logs."""

    code = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message or self.code.name)
        self.message = message or self.code.name
        self.data: Mapping[str, Any] = dict(data or {})


class UserCancelled(AgentError):  # noqa: N818 - named after the wire code
    """The resident closed the consent or PIN dialog."""

    code = ErrorCode.USER_CANCELLED


class UserTimeout(AgentError):  # noqa: N818 - named after the wire code
    """The resident did not answer the dialog (or the PIN pad) in time."""

    code = ErrorCode.USER_TIMEOUT


class UserDenied(AgentError):  # noqa: N818 - named after the wire code
    """The resident refused this origin, now or in a remembered decision."""

    code = ErrorCode.USER_DENIED


class RateLimited(AgentError):  # noqa: N818 - named after the wire code
    """The origin asked too often; ``data.retryAfter`` says when it may ask again (seconds)."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited", {"retryAfter": retry_after})


class RequestCancelled(AgentError):  # noqa: N818 - named after the wire code
    """The page cancelled the request or closed its connection."""

    code = ErrorCode.REQUEST_CANCELLED


class OriginNotAllowed(AgentError):  # noqa: N818 - named after the wire code
    """The origin is not on the trust list, or not for this operation."""

    code = ErrorCode.ORIGIN_NOT_ALLOWED


class SignedRequestRequired(AgentError):  # noqa: N818 - named after the wire code
    """The operation needs a signed request and none came."""

    code = ErrorCode.SIGNED_REQUEST_REQUIRED


class Busy(AgentError):  # noqa: N818 - named after the wire code
    """The card's queue is full."""

    code = ErrorCode.BUSY
