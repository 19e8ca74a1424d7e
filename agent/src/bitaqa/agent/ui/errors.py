"""Why a dialog gave no answer; the controller maps each to a wire error code.

Exception tree::

    DialogError            the resident gave no usable answer
    ├── DialogCancelled    closed or cancelled by the resident      -> USER_CANCELLED
    ├── DialogTimedOut     not answered before the prompt's timeout -> USER_TIMEOUT
    └── DialogFailed       the dialog could not be shown (no display, process crashed,
                           malformed answer)                         -> INTERNAL_ERROR

``asyncio.CancelledError`` is not part of this tree: when the awaiting coroutine is cancelled the
UI closes its dialog and re-raises it unchanged.
"""

from __future__ import annotations

__all__ = ["DialogCancelled", "DialogError", "DialogFailed", "DialogTimedOut"]


class DialogError(Exception):
    """Root of every reason a consent or PIN dialog returned no answer."""


class DialogCancelled(DialogError):  # noqa: N818 - names fixed by the agent's interface
    """The resident closed the dialog, pressed Cancel or Escape (wire: USER_CANCELLED)."""


class DialogTimedOut(DialogError):  # noqa: N818 - names fixed by the agent's interface
    """The dialog's countdown ran out before the resident answered (wire: USER_TIMEOUT)."""


class DialogFailed(DialogError):  # noqa: N818 - names fixed by the agent's interface
    """The dialog could not be shown or its process ended without a valid answer.

    The message is for the agent's log; it never contains a PIN (wire: INTERNAL_ERROR).
    """
