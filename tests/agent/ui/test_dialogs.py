"""The Qt dialogs as widgets (offscreen): texts, layout direction, keyboard use, PIN rules."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

from bitaqa.agent.ui import i18n
from bitaqa.agent.ui.base import ConsentAnswer, Operation
from bitaqa.agent.ui.qt.dialogs import ConsentDialog, MessageDialog, Outcome, PinDialog
from support.gui import SCREENSHOTS, ink_box

pytestmark = pytest.mark.usefixtures("qt_application")


def _child(dialog: QWidget, kind: type, name: str):  # type: ignore[no-untyped-def]
    widget = dialog.findChild(kind, name)
    assert widget is not None, f"{name} missing"
    return widget


def _save(widget: QWidget, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


def _label_ink(label: QLabel) -> tuple[float, float]:
    """Where the label's ink starts and ends, as fractions of its width."""
    path = _save(label, f"_ink-{label.objectName()}")
    with Image.open(path) as image:
        box = ink_box(image)
        width = image.width
    path.unlink()
    assert box is not None, f"{label.objectName()} drew nothing"
    return box[0] / width, box[2] / width


def _shown(dialog: QWidget) -> QWidget:
    dialog.show()
    QApplication.processEvents()
    return dialog


@pytest.mark.parametrize("language", ["ar", "en"])
def test_consent_dialog_names_portal_origin_and_operation(language, consent_prompt) -> None:
    """The consent dialog shows the portal in the resident's language, the origin and operation."""
    texts = i18n.messages(language)
    dialog = _shown(ConsentDialog(consent_prompt(Operation.SIGN), texts, 60))
    portal = _child(dialog, QLabel, "portal").text()
    assert portal == (
        "بوابة الخدمات الحكومية" if language == "ar" else "Government Services Portal"
    )
    assert "https://portal.gov.example" in _child(dialog, QLabel, "origin").text()
    assert texts.text("operation.sign") in _child(dialog, QLabel, "operation").text()
    expected = (
        Qt.LayoutDirection.RightToLeft if language == "ar" else Qt.LayoutDirection.LeftToRight
    )
    assert dialog.layoutDirection() == expected
    assert dialog.windowTitle() == texts.text("consent.title")
    for name in ("allowOnceButton", "allowAlwaysButton", "denyButton"):
        button = _child(dialog, QPushButton, name)
        assert button.accessibleName() == button.text() != ""
    assert _child(dialog, QPushButton, "allowOnceButton").isDefault()
    _save(dialog, f"consent-{language}-offscreen")
    dialog.close_for_parent()


@pytest.mark.parametrize(
    ("button", "answer"),
    [
        ("allowOnceButton", ConsentAnswer.ALLOW_ONCE),
        ("allowAlwaysButton", ConsentAnswer.ALLOW_ALWAYS),
        ("denyButton", ConsentAnswer.DENY),
    ],
)
def test_consent_buttons_give_their_answer(button, answer, consent_prompt) -> None:
    """Each consent button ends the dialog with its own answer."""
    dialog = _shown(ConsentDialog(consent_prompt(), i18n.messages("en"), 60))
    QTest.mouseClick(_child(dialog, QPushButton, button), Qt.MouseButton.LeftButton)
    assert (dialog.outcome, dialog.answer) == (Outcome.ANSWERED, answer)


def test_escape_cancels_the_consent_dialog(consent_prompt) -> None:
    """Escape closes the consent dialog as cancelled, not as a denial."""
    dialog = _shown(ConsentDialog(consent_prompt(), i18n.messages("ar"), 60))
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert (dialog.outcome, dialog.answer) == (Outcome.CANCELLED, None)


def test_arabic_text_is_right_aligned_and_english_left_aligned(consent_prompt) -> None:
    """Arabic text is drawn against the right edge, English against the left; buttons mirror."""
    arabic = _shown(ConsentDialog(consent_prompt(), i18n.messages("ar"), 60))
    english = _shown(ConsentDialog(consent_prompt(), i18n.messages("en"), 60))
    for name in ("portal", "operation", "question"):
        start, end = _label_ink(_child(arabic, QLabel, name))
        assert end > 0.95, f"Arabic {name} does not reach the right edge: {end:.2f}"
        assert start > 0.05, f"Arabic {name} starts at the left edge: {start:.2f}"
        start, end = _label_ink(_child(english, QLabel, name))
        assert start < 0.05, f"English {name} does not start at the left edge: {start:.2f}"
        assert end < 0.95, f"English {name} reaches the right edge: {end:.2f}"

    def button_order(dialog: QWidget) -> int:
        once = _child(dialog, QPushButton, "allowOnceButton")
        deny = _child(dialog, QPushButton, "denyButton")
        return (
            once.mapTo(dialog, once.rect().center()).x()
            - deny.mapTo(dialog, deny.rect().center()).x()
        )

    # The button row is mirrored: what is on the right in English is on the left in Arabic.
    assert button_order(arabic) * button_order(english) < 0
    arabic.close_for_parent()
    english.close_for_parent()


def _render(text: str) -> Image.Image:
    label = QLabel(text)
    font = label.font()
    font.setPointSize(48)
    label.setFont(font)
    label.resize(label.fontMetrics().horizontalAdvance("ببببب"), label.fontMetrics().height() * 2)
    path = _save(label, "_ink-probe")
    with Image.open(path) as image:
        copy = image.copy()
    path.unlink()
    return copy


def test_qt_renders_arabic_right_to_left_and_joined() -> None:
    """In 'اب' the alef (first letter) is drawn on the right; 'بب' is joined (narrower)."""
    beh_box = ink_box(_render("ب"))
    pair = _render("اب")
    pair_box = ink_box(pair)
    assert beh_box is not None
    assert pair_box is not None
    # Only the tall alef reaches above the beh's top: find it there.
    above_beh = pair.crop((0, 0, pair.width, beh_box[1] - 2))
    alef_box = ink_box(above_beh)
    assert alef_box is not None, "no alef above the beh"
    alef_centre = ((alef_box[0] + alef_box[2]) / 2 - pair_box[0]) / (pair_box[2] - pair_box[0])
    assert alef_centre > 0.5, f"alef drawn at {alef_centre:.2f} of the word: not right to left"
    joined = ink_box(_render("بب"))
    assert joined is not None
    assert joined[2] - joined[0] < 2 * (beh_box[2] - beh_box[0]) * 0.85, "letters not joined"


def test_pin_ok_is_enabled_only_for_valid_lengths_and_digits(pin_prompt) -> None:
    """Letters are refused, OK waits for min_length digits, input stops at max_length."""
    dialog = _shown(PinDialog(pin_prompt(min_length=6, max_length=8), i18n.messages("en")))
    field = _child(dialog, QLineEdit, "pinField")
    ok = _child(dialog, QPushButton, "okButton")
    assert field.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.focusWidget() is field
    QTest.keyClicks(field, "12ab34")
    assert field.text() == "1234"
    assert not ok.isEnabled()
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert dialog.outcome is Outcome.CLOSED  # Enter does nothing while too short
    QTest.keyClicks(field, "567890")
    assert field.text() == "12345678"
    assert ok.isEnabled()
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert dialog.outcome is Outcome.ANSWERED
    pin = dialog.take_pin()
    assert isinstance(pin, bytearray)
    assert pin == bytearray(b"12345678")
    assert field.text() == ""


def test_pin_dialog_keyboard_order_is_field_ok_cancel(pin_prompt) -> None:
    """Tab goes from the PIN field to OK to Cancel; Escape cancels."""
    dialog = _shown(PinDialog(pin_prompt(), i18n.messages("ar")))
    field = _child(dialog, QLineEdit, "pinField")
    ok = _child(dialog, QPushButton, "okButton")
    cancel = _child(dialog, QPushButton, "cancelButton")
    QTest.keyClicks(field, "123456")
    assert dialog.focusWidget() is field
    QTest.keyClick(field, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is ok
    QTest.keyClick(ok, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is cancel
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.outcome is Outcome.CANCELLED


@pytest.mark.parametrize(
    ("tries", "arabic"),
    [
        (1, "بقيت محاولة واحدة"),
        (2, "بقيت محاولتان"),
        (3, "بقيت 3 محاولات"),
        (11, "بقيت 11 محاولة"),
    ],
)
def test_tries_left_uses_arabic_plural_forms(tries, arabic, pin_prompt) -> None:
    """The tries-left line uses the Arabic plural form for the count, and retry says 'wrong'."""
    dialog = _shown(PinDialog(pin_prompt(tries_left=tries, retry=True), i18n.messages("ar")))
    assert _child(dialog, QLabel, "triesLeft").text().startswith(arabic)
    assert _child(dialog, QLabel, "wrongPin").text() == "الرمز السري غير صحيح."
    english = _shown(PinDialog(pin_prompt(tries_left=tries), i18n.messages("en")))
    suffix = "attempt left" if tries == 1 else "attempts left"
    assert f"{tries} {suffix}" in _child(english, QLabel, "triesLeft").text()
    assert english.findChild(QLabel, "wrongPin") is None


@pytest.mark.parametrize("language", ["ar", "en"])
def test_blocked_pin_explains_what_to_do_and_has_no_entry(language, pin_prompt) -> None:
    """With no tries left the dialog says the PIN is blocked, points to the PUK, offers Close."""
    texts = i18n.messages(language)
    dialog = _shown(PinDialog(pin_prompt(tries_left=0), texts))
    assert dialog.findChild(QLineEdit, "pinField") is None
    assert "PUK" in _child(dialog, QLabel, "blocked").text()
    assert _child(dialog, QLabel, "blockedTitle").text() == texts.text("pin.blocked.title")
    _save(dialog, f"pin-blocked-{language}-offscreen")
    QTest.mouseClick(_child(dialog, QPushButton, "closeButton"), Qt.MouseButton.LeftButton)
    assert dialog.outcome is Outcome.CANCELLED


@pytest.mark.parametrize("language", ["ar", "en"])
def test_signing_shows_the_signed_text_in_the_residents_language(language, signing_prompt) -> None:
    """For signing, the request's text in the resident's language and the document name appear."""
    dialog = _shown(PinDialog(signing_prompt(), i18n.messages(language)))
    text = _child(dialog, QLabel, "signedText").text()
    expected = "أوافق على طلب تجديد الإقامة رقم ٤٥٦" if language == "ar" else "I approve residence"
    assert text.startswith(expected)
    assert "renewal-456.pdf" in _child(dialog, QLabel, "documentName").text()
    assert _child(dialog, QLabel, "origin").isVisible()
    assert _child(dialog, QLabel, "operation").isVisible()
    _save(dialog, f"pin-sign-{language}-offscreen")
    dialog.close_for_parent()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pin_pad_shows_countdown_instead_of_entry(language, pin_prompt) -> None:
    """A PIN-pad reader gets the 'use the keypad' text and a countdown, no entry field."""
    texts = i18n.messages(language)
    dialog = _shown(PinDialog(pin_prompt(pin_pad=True, timeout_seconds=90), texts))
    assert dialog.findChild(QLineEdit) is None
    assert "PIV PIN" in _child(dialog, QLabel, "padPrompt").text()
    countdown = _child(dialog, QLabel, "countdown").text()
    assert "1:30" in countdown or "1:29" in countdown
    _save(dialog, f"pin-pad-{language}-offscreen")
    dialog.close_for_parent()
    assert dialog.outcome is Outcome.CLOSED


def test_dialog_times_out_when_the_countdown_ends(pin_prompt) -> None:
    """When the countdown reaches zero the dialog ends as timed out."""
    dialog = _shown(PinDialog(pin_prompt(timeout_seconds=1.0), i18n.messages("en")))
    deadline = time.monotonic() + 5
    while dialog.outcome is not Outcome.TIMED_OUT and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.05)
    assert dialog.outcome is Outcome.TIMED_OUT


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_text_widget_has_an_accessible_name(language, signing_prompt) -> None:
    """Screen readers get a name for every label, button and the PIN field."""
    dialog = _shown(PinDialog(signing_prompt(tries_left=2), i18n.messages(language)))
    widgets = dialog.findChildren(QLabel) + dialog.findChildren(QPushButton)
    widgets += dialog.findChildren(QLineEdit)
    assert len(widgets) >= 10
    for widget in widgets:
        assert widget.accessibleName(), f"{widget.objectName()} has no accessible name"
    assert _child(dialog, QLineEdit, "pinField").accessibleName() == (
        "الرمز السري" if language == "ar" else "PIN"
    )
    _save(dialog, f"pin-{language}-offscreen")
    dialog.close_for_parent()


def test_sizes_follow_the_font_not_fixed_pixels(pin_prompt) -> None:
    """No widget has a fixed pixel size; the minimum width grows with the font."""
    dialog = PinDialog(pin_prompt(), i18n.messages("en"))
    for widget in [dialog, *dialog.findChildren(QWidget)]:
        assert widget.minimumSize() != widget.maximumSize()
    font = dialog.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    bigger = PinDialog(pin_prompt(), i18n.messages("en"))
    bigger.setFont(font)
    QApplication.processEvents()
    assert bigger.sizeHint().height() > dialog.sizeHint().height()


def test_message_dialog_shows_title_and_body() -> None:
    """The message dialog (PIN blocked notice, about) shows its texts and closes as answered."""
    texts = i18n.messages("ar")
    dialog = _shown(MessageDialog("عنوان", texts.text("notice.pin-blocked"), texts, 30))
    assert _child(dialog, QLabel, "body").text() == texts.text("notice.pin-blocked")
    assert dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft
    _save(dialog, "message-ar-offscreen")
    QTest.mouseClick(_child(dialog, QPushButton, "closeButton"), Qt.MouseButton.LeftButton)
    assert dialog.outcome is Outcome.ANSWERED
