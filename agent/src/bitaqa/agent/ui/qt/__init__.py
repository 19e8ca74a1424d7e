"""Qt consent and PIN dialogs, shown by a short-lived child process.

Importing this package does not import Qt: :class:`QtUserInterface` (the agent's side) only
starts ``python -m bitaqa.agent.ui.qt.dialog_process`` and reads its answer.  ``dialogs`` and
``dialog_process`` import PySide6 and run only in that child (and in tests).
"""

from __future__ import annotations

from bitaqa.agent.ui.qt.client import (
    DEFAULT_DIALOG_COMMAND,
    QtUserInterface,
    close_dialog,
    show_message,
)

__all__ = ["DEFAULT_DIALOG_COMMAND", "QtUserInterface", "close_dialog", "show_message"]
