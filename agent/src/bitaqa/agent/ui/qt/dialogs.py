"""The consent, PIN and message dialogs (Qt Widgets).  Only the dialog process imports this.

Each dialog shows who asks (portal name from the trust list, and the handshake origin) and what
for, counts down to its timeout, and ends with an :class:`Outcome`.  Layout direction, fonts and
sizes come from the application (right to left for Arabic) and the font metrics, never from fixed
pixel sizes, so they scale on high-DPI screens.

Object names (stable, for tests and xdotool scripts): ``portal``, ``origin``, ``operation``,
``countdown``, ``pinField``, ``pinPrompt``, ``triesLeft``, ``wrongPin``, ``blocked``,
``signedText``, ``documentName``, ``padPrompt``, ``okButton``, ``cancelButton``,
``allowOnceButton``, ``allowAlwaysButton``, ``denyButton``, ``closeButton``, ``body``.
"""

from __future__ import annotations

import enum
import time

from PySide6.QtCore import QRegularExpression, Qt, QTimer
from PySide6.QtGui import QFont, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bitaqa.agent.ui.base import ConsentAnswer, ConsentPrompt, PinPrompt, PortalName
from bitaqa.agent.ui.i18n import Messages

__all__ = ["ConsentDialog", "MessageDialog", "Outcome", "PinDialog"]

# Unicode isolates keep a left-to-right origin intact inside an Arabic sentence.
_LEFT_TO_RIGHT_ISOLATE = "\u2066"
_POP_DIRECTIONAL_ISOLATE = "\u2069"
_WIDTH_IN_CHARACTERS = 48


class Outcome(enum.Enum):
    """How a dialog ended."""

    ANSWERED = "answered"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed-out"
    CLOSED = "closed"


def _label(text: str, name: str, accessible: str = "", *, scale: float = 1.0) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(accessible or text)
    if scale != 1.0:
        font = QFont(label.font())
        font.setPointSizeF(font.pointSizeF() * scale)
        font.setBold(True)
        label.setFont(font)
    return label


def _isolated(text: str) -> str:
    return f"{_LEFT_TO_RIGHT_ISOLATE}{text}{_POP_DIRECTIONAL_ISOLATE}"


def _portal_name(portal: PortalName, texts: Messages) -> str:
    return portal.arabic if texts.language == "ar" else portal.english


def _format_seconds(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class _PromptDialog(QDialog):
    """Header (portal, origin, operation), a body the subclass fills, countdown, button box."""

    def __init__(self, texts: Messages, title: str, timeout_seconds: float) -> None:
        super().__init__()
        self.texts = texts
        self.outcome = Outcome.CLOSED
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft
            if texts.right_to_left
            else Qt.LayoutDirection.LeftToRight
        )
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * _WIDTH_IN_CHARACTERS)
        self.content = QVBoxLayout(self)
        self._deadline = time.monotonic() + timeout_seconds
        self.countdown = _label("", "countdown", texts.text("a11y.countdown"))
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    def add_header(self, portal: PortalName, origin: str, operation_id: str) -> None:
        """Add the portal name, its origin and the operation, in that order."""
        texts = self.texts
        self.content.addWidget(
            _label(_portal_name(portal, texts), "portal", texts.text("a11y.portal"), scale=1.4)
        )
        self.content.addWidget(
            _label(
                texts.text("dialog.origin", origin=_isolated(origin)),
                "origin",
                texts.text("a11y.origin"),
            )
        )
        self.content.addWidget(
            _label(
                texts.text("dialog.operation", operation=texts.text(operation_id)),
                "operation",
                texts.text("a11y.operation"),
            )
        )

    def add_buttons(self, buttons: list[tuple[QPushButton, QDialogButtonBox.ButtonRole]]) -> None:
        """Add the countdown and the buttons (the first one is the default for Enter)."""
        self.content.addWidget(self.countdown)
        box = QDialogButtonBox()
        for button, role in buttons:
            box.addButton(button, role)
        buttons[0][0].setDefault(True)
        self.content.addWidget(box)
        self._tick()
        self._timer.start()

    def button(self, text_id: str, name: str) -> QPushButton:
        """A push button labelled from the catalog, with an accessible name."""
        button = QPushButton(self.texts.text(text_id))
        button.setObjectName(name)
        button.setAccessibleName(button.text())
        return button

    def remaining_seconds(self) -> int:
        """Whole seconds left before the dialog times out."""
        return max(0, round(self._deadline - time.monotonic()))

    def _tick(self) -> None:
        remaining = self.remaining_seconds()
        self.countdown.setText(
            self.texts.text("dialog.time-left", time=_isolated(_format_seconds(remaining)))
        )
        if remaining <= 0:
            self.finish(Outcome.TIMED_OUT)

    def finish(self, outcome: Outcome) -> None:
        """End the dialog with ``outcome``."""
        self._timer.stop()
        self.outcome = outcome
        self.done(0)

    def reject(self) -> None:
        """Escape or the window's close button: the resident cancelled."""
        self.finish(Outcome.CANCELLED)

    def close_for_parent(self) -> None:
        """The agent gave up on this prompt; close without an answer."""
        self.finish(Outcome.CLOSED)


class ConsentDialog(_PromptDialog):
    """Ask whether the portal may use the card: allow once (default), always allow, deny."""

    def __init__(self, prompt: ConsentPrompt, texts: Messages, timeout_seconds: float) -> None:
        super().__init__(texts, texts.text("consent.title"), timeout_seconds)
        self.answer: ConsentAnswer | None = None
        self.add_header(prompt.portal, prompt.origin, f"operation.{prompt.operation.value}")
        self.content.addWidget(_label(texts.text("consent.question"), "question", scale=1.1))
        self.content.addWidget(_label(texts.text("consent.revoke-hint"), "hint"))
        choices = [
            (self.button("consent.allow-once", "allowOnceButton"), ConsentAnswer.ALLOW_ONCE),
            (self.button("consent.allow-always", "allowAlwaysButton"), ConsentAnswer.ALLOW_ALWAYS),
            (self.button("consent.deny", "denyButton"), ConsentAnswer.DENY),
        ]
        for button, answer in choices:
            button.clicked.connect(lambda _=False, chosen=answer: self._choose(chosen))
        self.add_buttons(
            [
                (choices[0][0], QDialogButtonBox.ButtonRole.AcceptRole),
                (choices[1][0], QDialogButtonBox.ButtonRole.AcceptRole),
                (choices[2][0], QDialogButtonBox.ButtonRole.RejectRole),
            ]
        )

    def _choose(self, answer: ConsentAnswer) -> None:
        self.answer = answer
        self.finish(Outcome.ANSWERED)


class PinDialog(_PromptDialog):
    """Ask for the PIN, or tell the resident to use the PIN pad, or that the PIN is blocked.

    The entry accepts digits only, up to ``max_length``; OK is enabled only between
    ``min_length`` and ``max_length`` digits.  :meth:`take_pin` moves the digits into a new
    ``bytearray`` and clears the field.
    """

    def __init__(self, prompt: PinPrompt, texts: Messages) -> None:
        super().__init__(texts, texts.text("pin.title"), prompt.timeout_seconds)
        self.prompt = prompt
        self.add_header(prompt.portal, prompt.origin, f"operation.{prompt.operation.value}")
        if prompt.text_arabic or prompt.text_english or prompt.document_name:
            self._add_signing_text()
        blocked = prompt.tries_left == 0
        if prompt.retry and not blocked:
            self.content.addWidget(_label(texts.text("pin.wrong"), "wrongPin", scale=1.0))
        if blocked:
            self.content.addWidget(
                _label(texts.text("pin.blocked.title"), "blockedTitle", scale=1.2)
            )
            self.content.addWidget(_label(texts.text("pin.blocked.body"), "blocked"))
        elif prompt.tries_left is not None:
            self.content.addWidget(
                _label(texts.plural("pin.tries-left", prompt.tries_left), "triesLeft")
            )
        self.field: QLineEdit | None = None
        if blocked:
            close = self.button("dialog.close", "closeButton")
            close.clicked.connect(self.reject)
            self.add_buttons([(close, QDialogButtonBox.ButtonRole.RejectRole)])
        elif prompt.pin_pad:
            self.content.addWidget(
                _label(
                    texts.text("pin.pad.prompt", label=_isolated(prompt.pin_label)),
                    "padPrompt",
                    scale=1.1,
                )
            )
            cancel = self.button("dialog.cancel", "cancelButton")
            cancel.clicked.connect(self.reject)
            self.add_buttons([(cancel, QDialogButtonBox.ButtonRole.RejectRole)])
        else:
            self._add_entry()

    def _add_signing_text(self) -> None:
        texts, prompt = self.texts, self.prompt
        self.content.addWidget(_label(texts.text("pin.sign.heading"), "signHeading", scale=1.0))
        signed = prompt.text_arabic if texts.language == "ar" else prompt.text_english
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        inner = QVBoxLayout(frame)
        inner.addWidget(
            _label(signed or prompt.text_english, "signedText", texts.text("a11y.signed-text"))
        )
        if prompt.document_name:
            inner.addWidget(
                _label(
                    texts.text("pin.sign.document", name=_isolated(prompt.document_name)),
                    "documentName",
                )
            )
        self.content.addWidget(frame)

    def _add_entry(self) -> None:
        texts, prompt = self.texts, self.prompt
        label = _label(
            texts.text("pin.prompt", label=_isolated(prompt.pin_label)), "pinPrompt", scale=1.1
        )
        field = QLineEdit()
        field.setObjectName("pinField")
        field.setAccessibleName(texts.text("a11y.pin-field"))
        field.setAccessibleDescription(
            texts.text("pin.length-hint", min=prompt.min_length, max=prompt.max_length)
        )
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setMaxLength(prompt.max_length)
        field.setValidator(
            QRegularExpressionValidator(
                QRegularExpression(f"[0-9]{{0,{prompt.max_length}}}"), field
            )
        )
        field.setInputMethodHints(
            Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData
        )
        field.setPlaceholderText(
            texts.text("pin.length-hint", min=prompt.min_length, max=prompt.max_length)
        )
        label.setBuddy(field)
        self.content.addWidget(label)
        self.content.addWidget(field)
        self.field = field
        self.ok = self.button("pin.ok", "okButton")
        self.ok.setEnabled(False)
        cancel = self.button("dialog.cancel", "cancelButton")
        self.ok.clicked.connect(self._accept_pin)
        cancel.clicked.connect(self.reject)
        field.textChanged.connect(self._length_changed)
        self.add_buttons(
            [
                (self.ok, QDialogButtonBox.ButtonRole.AcceptRole),
                (cancel, QDialogButtonBox.ButtonRole.RejectRole),
            ]
        )
        QWidget.setTabOrder(field, self.ok)
        QWidget.setTabOrder(self.ok, cancel)
        field.setFocus()

    def _length_ok(self, length: int) -> bool:
        return self.prompt.min_length <= length <= self.prompt.max_length

    def _length_changed(self, text: str) -> None:
        self.ok.setEnabled(self._length_ok(len(text)))

    def _accept_pin(self) -> None:
        if self.field is not None and self._length_ok(len(self.field.text())):
            self.finish(Outcome.ANSWERED)

    def take_pin(self) -> bytearray:
        """Move the typed digits into a new bytearray (the caller wipes it) and clear the field."""
        if self.field is None:
            return bytearray()
        pin = bytearray(self.field.text(), "ascii")
        self.field.clear()
        return pin


class MessageDialog(_PromptDialog):
    """A title, a text and a Close button (PIN blocked, unknown card, about)."""

    def __init__(self, title: str, body: str, texts: Messages, timeout_seconds: float) -> None:
        super().__init__(texts, title, timeout_seconds)
        self.content.addWidget(_label(title, "title", scale=1.3))
        self.content.addWidget(_label(body, "body"))
        close = self.button("dialog.close", "closeButton")
        close.clicked.connect(lambda: self.finish(Outcome.ANSWERED))
        self.add_buttons([(close, QDialogButtonBox.ButtonRole.AcceptRole)])
