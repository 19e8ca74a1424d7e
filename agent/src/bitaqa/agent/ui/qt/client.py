"""The agent's side of the dialogs: start a short-lived dialog process, read its answer.

The agent never imports Qt.  Each prompt runs ``python -m bitaqa.agent.ui.qt.dialog_process`` (see
``dialog_process.py``), writes the request on its stdin and reads one answer frame from its
stdout with ``readinto`` on an unbuffered pipe, so a PIN lands directly in a ``bytearray`` owned
by the caller.  Cancelling the awaiting coroutine closes the child's stdin (the child closes its
window and exits), kills it if it lingers, and re-raises ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Sequence
from typing import NoReturn

from bitaqa.agent.ui import i18n
from bitaqa.agent.ui.base import ConsentAnswer, ConsentPrompt, Notice, PinPrompt, wipe
from bitaqa.agent.ui.errors import DialogCancelled, DialogFailed, DialogTimedOut
from bitaqa.agent.ui.qt._wire import MAX_PAYLOAD, DialogRequest, Kind, Status, encode_request

__all__ = ["DEFAULT_DIALOG_COMMAND", "QtUserInterface", "close_dialog", "show_message"]

DEFAULT_DIALOG_COMMAND: tuple[str, ...] = (
    sys.executable,
    "-m",
    "bitaqa.agent.ui.qt.dialog_process",
)
"""How the dialog process is started; a frozen build passes its own command."""

_STARTUP_GRACE_SECONDS = 20.0
_EXIT_GRACE_SECONDS = 5.0
_CONSENT_ANSWERS = {
    b"1": ConsentAnswer.ALLOW_ONCE,
    b"A": ConsentAnswer.ALLOW_ALWAYS,
    b"D": ConsentAnswer.DENY,
}
_NOTICE_MESSAGES = {
    Notice.PIN_BLOCKED: ("pin.blocked.title", "notice.pin-blocked"),
    Notice.UNKNOWN_CARD: ("notice.title", "notice.unknown-card"),
}


def _start(command: Sequence[str], request: DialogRequest) -> subprocess.Popen[bytes]:
    try:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
        )
    except OSError as error:
        raise DialogFailed(f"cannot start the dialog process: {error}") from None
    assert process.stdin is not None
    try:
        process.stdin.write(encode_request(request))
        process.stdin.flush()
    except OSError:
        pass  # the child died at start; reading its answer reports that.
    return process


def _read_exactly(process: subprocess.Popen[bytes], view: memoryview) -> int:
    stream = process.stdout
    assert stream is not None
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])  # type: ignore[attr-defined]
        if not count:
            break
        filled += count
    return filled


def _read_answer(process: subprocess.Popen[bytes], payload: bytearray) -> tuple[Status, int]:
    """Block until the child answers; the payload goes into ``payload`` (no other copy)."""
    header = bytearray(2)
    if _read_exactly(process, memoryview(header)) != 2:
        return Status.FAILED, 0
    try:
        status = Status(header[0])
    except ValueError:
        return Status.FAILED, 0
    length = header[1]
    if length > len(payload) or _read_exactly(process, memoryview(payload)[:length]) != length:
        return Status.FAILED, 0
    return status, length


def _finish(process: subprocess.Popen[bytes]) -> None:
    """Close the child's stdin (it closes its window and exits), kill it if it does not."""
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    try:
        process.wait(timeout=_EXIT_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


async def _exchange(
    command: Sequence[str], request: DialogRequest, payload: bytearray, *, keep_open: bool = False
) -> tuple[Status, int, subprocess.Popen[bytes]]:
    process = _start(command, request)
    reading = asyncio.ensure_future(asyncio.to_thread(_read_answer, process, payload))
    try:
        status, length = await asyncio.wait_for(
            asyncio.shield(reading), request.timeout_seconds + _STARTUP_GRACE_SECONDS
        )
    except BaseException as error:
        # Cancelled or overdue: the child must go, and whatever it sent must be wiped.
        process.kill()
        with contextlib.suppress(Exception):
            await reading
        wipe(payload)
        await asyncio.to_thread(_finish, process)
        if isinstance(error, TimeoutError):
            raise DialogTimedOut("the dialog process did not answer in time") from None
        raise
    if not keep_open:
        await asyncio.to_thread(_finish, process)
    return status, length, process


def _raise_for(status: Status) -> NoReturn:
    if status is Status.CANCELLED or status is Status.CLOSED:
        raise DialogCancelled("the resident closed the dialog")
    if status is Status.TIMED_OUT:
        raise DialogTimedOut("the dialog was not answered in time")
    raise DialogFailed(f"the dialog process gave no valid answer ({status.name})")


def show_message(
    title: str,
    body: str,
    language: str,
    *,
    timeout_seconds: float = 60.0,
    command: Sequence[str] = DEFAULT_DIALOG_COMMAND,
) -> subprocess.Popen[bytes]:
    """Start a dialog process showing ``title`` and ``body`` with a Close button; do not wait.

    The window closes when the resident closes it, after ``timeout_seconds``, or when the caller
    passes the returned process to :func:`close_dialog` (which also reaps it).
    """
    request = DialogRequest(
        kind=Kind.MESSAGE,
        language=language,
        timeout_seconds=timeout_seconds,
        title=title,
        body=body,
    )
    return _start(command, request)


def close_dialog(process: subprocess.Popen[bytes]) -> None:
    """Close a dialog started by :func:`show_message` (if still open) and reap its process.

    Also reaps any other short-lived child (closes its stdin pipe if any, waits, kills after
    a few seconds).
    """
    _finish(process)


class QtUserInterface:
    """The real :class:`~bitaqa.agent.ui.base.UserInterface`: Qt dialogs in a child process.

    Args:
        language: ``"ar"`` or ``"en"``; None follows the tray override, then the system language,
            looked up again for every prompt.
        consent_timeout_seconds: how long a consent dialog waits for an answer.
        command: how to start the dialog process (a frozen build passes its own executable).

    ``ask_consent`` and ``ask_pin`` raise ``DialogCancelled``, ``DialogTimedOut`` or
    ``DialogFailed`` (``bitaqa.agent.ui.errors``); the controller maps
    them to USER_CANCELLED, USER_TIMEOUT and INTERNAL_ERROR.

    PIN-pad readers: ``ask_pin`` returns an empty ``bytearray`` as soon as the countdown dialog is
    on screen; the dialog stays until the timeout, the next prompt, or :meth:`close_pin_pad`.
    """

    def __init__(
        self,
        language: str | None = None,
        *,
        consent_timeout_seconds: float = 120.0,
        command: Sequence[str] = DEFAULT_DIALOG_COMMAND,
    ) -> None:
        if language is not None and language not in i18n.LANGUAGES:
            raise ValueError(f"no catalog for language {language!r}")
        self._language = language
        self._consent_timeout = consent_timeout_seconds
        self._command = tuple(command)
        self._pin_pad: subprocess.Popen[bytes] | None = None
        self._messages: list[subprocess.Popen[bytes]] = []

    def _current_language(self) -> str:
        return self._language or i18n.current_language()

    async def ask_consent(self, prompt: ConsentPrompt) -> ConsentAnswer:
        """Ask whether ``prompt.origin`` may use the card (allow once / always / deny)."""
        await self.close_pin_pad()
        request = DialogRequest(
            kind=Kind.CONSENT,
            language=self._current_language(),
            timeout_seconds=self._consent_timeout,
            consent=prompt,
        )
        payload = bytearray(MAX_PAYLOAD)
        status, length, _ = await _exchange(self._command, request, payload)
        if status is Status.CONSENT and bytes(payload[:length]) in _CONSENT_ANSWERS:
            return _CONSENT_ANSWERS[bytes(payload[:length])]
        _raise_for(status)

    async def ask_pin(self, prompt: PinPrompt) -> bytearray:
        """Show the PIN dialog and return the PIN digits in a new bytearray the caller wipes."""
        await self.close_pin_pad()
        request = DialogRequest(
            kind=Kind.PIN,
            language=self._current_language(),
            timeout_seconds=prompt.timeout_seconds,
            pin=prompt,
        )
        payload = bytearray(MAX_PAYLOAD)
        try:
            status, length, process = await _exchange(
                self._command, request, payload, keep_open=prompt.pin_pad
            )
            if status is not Status.PIN:
                if prompt.pin_pad:
                    await asyncio.to_thread(_finish, process)
                _raise_for(status)
            if prompt.pin_pad:
                self._pin_pad = process
            return payload[:length]
        finally:
            wipe(payload)

    async def close_pin_pad(self) -> None:
        """Close the PIN-pad countdown dialog if one is open (the reader has answered)."""
        process, self._pin_pad = self._pin_pad, None
        if process is not None:
            await asyncio.to_thread(_finish, process)

    async def notify(self, notice: Notice) -> None:
        """Show PIN_BLOCKED and UNKNOWN_CARD in a message dialog without waiting for it.

        Card inserted / removed are the tray's job (desktop notifications); they are ignored here.
        """
        for process in [process for process in self._messages if process.poll() is not None]:
            await asyncio.to_thread(_finish, process)
            self._messages.remove(process)
        if notice not in _NOTICE_MESSAGES:
            return
        language = self._current_language()
        texts = i18n.messages(language)
        title_id, body_id = _NOTICE_MESSAGES[notice]
        self._messages.append(
            show_message(texts.text(title_id), texts.text(body_id), language, command=self._command)
        )

    async def aclose(self) -> None:
        """Close every dialog this object opened (agent shutting down)."""
        await self.close_pin_pad()
        for process in self._messages:
            await asyncio.to_thread(_finish, process)
        self._messages.clear()
