"""The short-lived dialog process: ``python -m bitaqa.agent.ui.qt.dialog_process``.

Reads one request line on stdin (see ``_wire.py``), shows the dialog, writes one answer frame on
the original stdout and exits.  The agent started it and is its only reader; the PIN goes only
into that pipe.  Python's ``str`` copies of the PIN that Qt hands out cannot be wiped, which is why
this runs in its own process that exits right after answering; the bytearray written to the pipe
is wiped.

Closing stdin (the agent gave up, was cancelled or died) closes the dialog without an answer.

Driving it by hand or with xdotool (for end-to-end tests): the window's class is
``bitaqa-dialog`` (titles: "Bitaqa — enter your PIN" / "بطاقة — أدخل الرمز السري", "Bitaqa —
allow access to your ID card?" / "بطاقة — السماح باستخدام بطاقة الهوية؟"); the PIN field has
focus when the window opens and its accessible name is "PIN" (English) / "الرمز السري"
(Arabic); Enter presses OK once the length is valid, Escape cancels.  In the consent window
Enter allows once, Tab then Space allows always, Escape cancels.  For example:
``xdotool search --sync --onlyvisible --classname bitaqa-dialog``, then
``xdotool windowfocus --sync <id>``, ``xdotool type 123456`` and ``xdotool key Return``.

Exit status: 0 after an answer frame was written, 2 for a malformed request.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import IO

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication

from bitaqa.agent.ui import i18n
from bitaqa.agent.ui.base import ConsentAnswer, wipe
from bitaqa.agent.ui.qt._wire import DialogRequest, Kind, Status, decode_request, encode_frame
from bitaqa.agent.ui.qt.dialogs import ConsentDialog, MessageDialog, Outcome, PinDialog

__all__ = ["APPLICATION_NAME", "main"]

APPLICATION_NAME = "bitaqa-dialog"
"""The X11 WM_CLASS of every dialog window (what xdotool searches for)."""

_CONSENT_BYTES = {
    ConsentAnswer.ALLOW_ONCE: b"1",
    ConsentAnswer.ALLOW_ALWAYS: b"A",
    ConsentAnswer.DENY: b"D",
}
_OUTCOME_STATUS = {
    Outcome.CANCELLED: Status.CANCELLED,
    Outcome.TIMED_OUT: Status.TIMED_OUT,
    Outcome.CLOSED: Status.CLOSED,
}


class _ParentWatcher(QObject):
    """Emits ``gone`` (in the Qt thread) when the agent closes our stdin."""

    gone = Signal()

    def watch(self, descriptor: int) -> None:
        # os.read on the raw descriptor: a daemon thread blocked in a buffered reader would
        # hold its lock while the interpreter shuts down.
        def drain() -> None:
            while os.read(descriptor, 4096):
                pass
            # After the dialog answered, Qt may already have deleted this object while the
            # process exits; the parent closing stdin then has nothing left to close.
            with contextlib.suppress(RuntimeError):
                self.gone.emit()

        threading.Thread(target=drain, name="parent-watcher", daemon=True).start()


class _Answers:
    """The answer pipe: written once, frames wiped after writing."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.sent = False

    def send(self, status: Status, payload: bytes | bytearray = b"") -> None:
        if self.sent:
            return
        frame = encode_frame(status, payload)
        try:
            self._stream.write(frame)
            self._stream.flush()
        except OSError:
            pass  # the agent is gone; nothing to tell.
        finally:
            wipe(frame)
        self.sent = True


def _claim_stdout() -> IO[bytes]:
    """Keep the real stdout for answers; anything printed by libraries goes to stderr instead."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return answers


def _run(request: DialogRequest, answers: _Answers) -> None:
    texts = i18n.messages(request.language)
    application = QApplication([APPLICATION_NAME])
    application.setApplicationName(APPLICATION_NAME)
    application.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if texts.right_to_left else Qt.LayoutDirection.LeftToRight
    )
    if request.kind is Kind.CONSENT and request.consent is not None:
        dialog: ConsentDialog | PinDialog | MessageDialog = ConsentDialog(
            request.consent, texts, request.timeout_seconds
        )
    elif request.kind is Kind.PIN and request.pin is not None:
        dialog = PinDialog(request.pin, texts)
        if request.pin.pin_pad and request.pin.tries_left != 0:
            # The agent starts the reader's PIN entry once the resident has been told.
            QTimer.singleShot(0, lambda: answers.send(Status.PIN))
    else:
        dialog = MessageDialog(request.title, request.body, texts, request.timeout_seconds)
    watcher = _ParentWatcher()
    watcher.gone.connect(dialog.close_for_parent)
    watcher.watch(sys.stdin.fileno())
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    dialog.exec()
    if dialog.outcome is Outcome.ANSWERED:
        if isinstance(dialog, PinDialog):
            pin = dialog.take_pin()
            answers.send(Status.PIN, pin)
            wipe(pin)
        elif isinstance(dialog, ConsentDialog) and dialog.answer is not None:
            answers.send(Status.CONSENT, _CONSENT_BYTES[dialog.answer])
        else:
            answers.send(Status.CLOSED)
    else:
        answers.send(_OUTCOME_STATUS[dialog.outcome])


def main() -> int:
    """Run one dialog; see the module docstring for the protocol and the exit status."""
    answers = _Answers(_claim_stdout())
    try:
        request = decode_request(sys.stdin.buffer)
        if request.language not in i18n.LANGUAGES:
            raise ValueError("unknown language")
    except ValueError as error:
        print(f"bitaqa dialog: {error}", file=sys.stderr)
        answers.send(Status.FAILED)
        return 2
    _run(request, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
