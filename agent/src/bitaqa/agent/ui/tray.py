"""The tray icon (pystray): one icon and tooltip per TrayState, and the resident's menu.

Menu: status line, allowed sites (each with "withdraw access"), blocked sites (each with
"unblock": the site is asked again on its next use), language (system / العربية / English, saved
in the settings file), open log folder, about, quit.  Desktop notifications (card inserted or
removed, PIN blocked) go through pystray's ``notify`` where the backend has one.

pystray is imported when a :class:`Tray` is created, never at module import: on Linux importing
it without a display fails.  The icon runs its own loop in a daemon thread ("bitaqa-tray"); on
macOS pystray needs the main thread, so a macOS build must call :meth:`Tray.run_in_main_thread`
instead.  Linux backends: AppIndicator when a StatusNotifier host runs, else GTK (XEmbed
trays); both need PyGObject and give menus.  Without PyGObject pystray falls back to plain Xorg
(icon and tooltip, no menu).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from typing import Any

from PIL import Image, ImageDraw

from bitaqa.agent.ui import i18n
from bitaqa.agent.ui.base import Notice, TrayCallbacks, TrayState
from bitaqa.agent.ui.qt.client import DEFAULT_DIALOG_COMMAND, close_dialog, show_message

__all__ = ["PROTOCOL_VERSION", "STATE_COLOURS", "Tray", "draw_icon"]

PROTOCOL_VERSION = "bitaqa.v1"
"""The protocol version shown in "about" (the WebSocket subprotocol the agent speaks)."""

STATE_COLOURS: dict[TrayState, tuple[int, int, int]] = {
    TrayState.CARD_READY: (22, 128, 61),
    TrayState.NO_CARD: (110, 110, 110),
    TrayState.NO_READER: (150, 150, 150),
    TrayState.UNKNOWN_CARD: (214, 137, 16),
    TrayState.PCSC_UNAVAILABLE: (176, 0, 32),
    TrayState.BUSY: (25, 103, 210),
    TrayState.ERROR: (176, 0, 32),
}
"""The card's fill colour for each state (the badge tells states of one colour apart)."""

_NOTICES = {
    Notice.CARD_INSERTED: "notice.card-inserted",
    Notice.CARD_REMOVED: "notice.card-removed",
    Notice.UNKNOWN_CARD: "notice.unknown-card",
    Notice.PIN_BLOCKED: "notice.pin-blocked",
}
_WHITE = (255, 255, 255, 255)
_STOP_SECONDS = 10.0


def _badge(draw: ImageDraw.ImageDraw, state: TrayState, size: int) -> None:
    """Draw the state's symbol on the card, in white, scaled to ``size``."""
    unit = size / 64
    width = max(2, round(5 * unit))

    def at(*points: float) -> list[float]:
        return [value * unit for value in points]

    if state is TrayState.CARD_READY:
        draw.line(at(20, 34, 29, 43, 45, 25), fill=_WHITE, width=width, joint="curve")
    elif state is TrayState.NO_CARD:
        draw.rounded_rectangle(at(14, 22, 50, 46), radius=3 * unit, outline=_WHITE, width=width)
    elif state is TrayState.NO_READER:
        draw.line(at(14, 48, 50, 16), fill=_WHITE, width=width)
        draw.ellipse(at(22, 24, 42, 44), outline=_WHITE, width=width)
    elif state is TrayState.UNKNOWN_CARD:
        draw.arc(at(23, 16, 41, 34), start=180, end=90, fill=_WHITE, width=width)
        draw.line(at(32, 34, 32, 40), fill=_WHITE, width=width)
        draw.ellipse(at(29, 43, 35, 49), fill=_WHITE)
    elif state is TrayState.PCSC_UNAVAILABLE:
        draw.line(at(32, 17, 32, 37), fill=_WHITE, width=width)
        draw.ellipse(at(29, 42, 35, 48), fill=_WHITE)
    elif state is TrayState.BUSY:
        for centre in (20, 32, 44):
            draw.ellipse(at(centre - 4, 28, centre + 4, 36), fill=_WHITE)
    else:
        draw.line(at(21, 21, 43, 43), fill=_WHITE, width=width)
        draw.line(at(43, 21, 21, 43), fill=_WHITE, width=width)


def draw_icon(state: TrayState, size: int = 64) -> Image.Image:
    """Draw the tray icon for ``state``: an ID card in the state's colour with a white symbol."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = size / 64
    draw.rounded_rectangle(
        [2 * unit, 8 * unit, 62 * unit, 56 * unit],
        radius=7 * unit,
        fill=(*STATE_COLOURS[state], 255),
    )
    _badge(draw, state, size)
    return image


def _prepare_linux_backend() -> None:
    """Before pystray is imported on Linux: keep the agent alive if the session bus goes, and
    use pystray's GTK (XEmbed) backend when no StatusNotifier host is running.

    GLib's shared session-bus connection (used by pystray's AppIndicator and notifications)
    raises SIGTERM in the process when the bus closes unless told otherwise.  pystray prefers
    AppIndicator, which shows nothing on desktops that only host XEmbed icons (many lightweight
    trays, trayer in the tests).  An explicit PYSTRAY_BACKEND is respected.
    """
    if sys.platform != "linux":
        return
    try:
        from gi.repository import Gio, GLib  # noqa: PLC0415 - optional, Linux only

        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        bus.set_exit_on_close(False)
        reply = bus.call_sync(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            GLib.Variant("(s)", ("org.kde.StatusNotifierWatcher",)),
            GLib.VariantType("(b)"),
            Gio.DBusCallFlags.NONE,
            2000,
            None,
        )
    except Exception:  # noqa: BLE001 - no PyGObject or no bus: leave pystray's own choice
        return
    if not reply.unpack()[0] and "PYSTRAY_BACKEND" not in os.environ:
        # pystray reads its backend from the environment when it is first imported.
        os.environ["PYSTRAY_BACKEND"] = "gtk"


def _agent_version() -> str:
    try:
        return metadata.version("bitaqa")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _open_folder(path: str) -> subprocess.Popen[bytes] | None:
    """Open ``path`` in the desktop's file manager; return the launcher process to reap."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]  # noqa: S606 - opens a folder we chose
        return None
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    return subprocess.Popen(
        [opener, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True
    )


class Tray:
    """The :class:`~bitaqa.agent.ui.base.StatusIndicator`: a pystray icon with the agent's menu.

    Args:
        callbacks: what the menu asks of the agent (allowed and blocked sites, revoke, log
            folder, quit).
        language: ``"ar"`` or ``"en"`` to fix the language until the resident picks one in the
            menu; None follows the saved choice, then the system language.
        dialog_command: how to start the dialog process (for "about").

    Creating a Tray shows the icon at once, its loop in a daemon thread (on macOS call
    :meth:`run_in_main_thread` instead).  :meth:`show_state`, :meth:`notify`,
    :meth:`refresh_menu` and :meth:`close` may be called from any thread; menu callbacks run on
    the tray's thread.
    """

    def __init__(
        self,
        callbacks: TrayCallbacks,
        language: str | None = None,
        *,
        dialog_command: Sequence[str] = DEFAULT_DIALOG_COMMAND,
    ) -> None:
        if language is not None and language not in i18n.LANGUAGES:
            raise ValueError(f"no catalog for language {language!r}")
        _prepare_linux_backend()
        # pystray 0.19's GTK backend uses APIs PyGObject marks deprecated (GObject.idle_add,
        # Gtk.StatusIcon, which XEmbed trays still need); those warnings are a dependency's noise.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pystray\.")
        import pystray  # noqa: PLC0415 - needs a display on Linux; see the module docstring

        self._pystray = pystray
        self._callbacks = callbacks
        self._language = language
        self._dialog_command = tuple(dialog_command)
        self._lock = threading.Lock()
        self._children: list[subprocess.Popen[bytes]] = []
        self.state = TrayState.NO_READER
        self.detail = ""
        self.icon = pystray.Icon(
            "bitaqa",
            icon=draw_icon(self.state),
            title=self.tooltip(),
            menu=pystray.Menu(self._menu_items),
        )
        self._thread: threading.Thread | None = None
        self._set_menu_direction()
        if sys.platform != "darwin":
            self.start()

    # -- language ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        """The language the tray currently speaks."""
        return self._language or i18n.current_language()

    def _texts(self) -> i18n.Messages:
        return i18n.messages(self.language)

    def choose_language(self, choice: str | None) -> None:
        """Save the resident's choice (None = system language) and redraw the menu and tooltip."""
        i18n.set_language_override(choice)
        self._language = None
        self.icon.title = self.tooltip()
        self._set_menu_direction()
        self.refresh_menu()

    def _set_menu_direction(self) -> None:
        """Mirror GTK menus (Linux backends) for Arabic; other platforms follow the system."""
        if "gi.repository.Gtk" not in sys.modules:
            return
        from gi.repository import GLib, Gtk  # noqa: PLC0415 - loaded by pystray already

        direction = (
            Gtk.TextDirection.RTL if i18n.is_right_to_left(self.language) else Gtk.TextDirection.LTR
        )

        def apply() -> bool:
            Gtk.Widget.set_default_direction(direction)
            return False  # run once

        # On the GTK loop's thread, queued before the menu rebuild that follows.
        GLib.idle_add(apply)

    # -- state ------------------------------------------------------------------------------

    def tooltip(self) -> str:
        """The tooltip text for the current state (and detail, such as the reader name)."""
        text = self._texts().text(f"tray.state.{self.state.value}")
        return f"{text} — {self.detail}" if self.detail else text

    def show_state(self, state: TrayState, detail: str = "") -> None:
        """Switch the icon, the tooltip and the menu's status line to ``state``."""
        with self._lock:
            self.state, self.detail = state, detail
            self.icon.icon = draw_icon(state)
            self.icon.title = self.tooltip()
        self.refresh_menu()

    def notify(self, notice: Notice) -> None:
        """Show a desktop notification for ``notice`` if the backend can (else nothing)."""
        if not self.icon.HAS_NOTIFICATION:
            return
        texts = self._texts()
        with contextlib.suppress(Exception):  # a missing notification daemon must not stop us
            self.icon.notify(texts.text(_NOTICES[notice]), texts.text("notice.title"))

    # -- menu -------------------------------------------------------------------------------

    def refresh_menu(self) -> None:
        """Rebuild the menu (call after the allowed or blocked sites changed)."""
        if self.icon.HAS_MENU:
            self.icon.update_menu()

    def _item(self, text: str, action: Callable[..., Any] | None = None, **options: Any) -> Any:
        return self._pystray.MenuItem(text, action, **options)

    def _site_items(self, sites: Sequence[str], empty: str, revoke_label: str) -> Iterator[Any]:
        """One entry per origin, each with a submenu whose one item forgets the decision."""
        if not sites:
            yield self._item(empty, None, enabled=False)
        for origin in sites:
            revoke = self._item(revoke_label, self._revoke_action(origin))
            yield self._item(origin, self._pystray.Menu(revoke))

    def _allowed_items(self) -> Iterator[Any]:
        texts = self._texts()
        return self._site_items(
            list(self._callbacks.allowed_sites()),
            texts.text("tray.menu.no-sites"),
            texts.text("tray.menu.revoke"),
        )

    def _blocked_items(self) -> Iterator[Any]:
        texts = self._texts()
        return self._site_items(
            list(self._callbacks.blocked_sites()),
            texts.text("tray.menu.no-blocked-sites"),
            texts.text("tray.menu.unblock"),
        )

    def _language_items(self) -> Iterator[Any]:
        texts = self._texts()
        choices: list[tuple[str, str | None]] = [
            (texts.text("tray.menu.language-system"), None),
            ("العربية", "ar"),
            ("English", "en"),
        ]
        for label, choice in choices:
            choose, is_chosen = self._language_actions(choice)
            yield self._item(label, choose, checked=is_chosen, radio=True)

    def _menu_items(self) -> Iterator[Any]:
        texts = self._texts()
        menu = self._pystray.Menu
        yield self._item(self.tooltip(), None, enabled=False)
        yield menu.SEPARATOR
        yield self._item(texts.text("tray.menu.allowed-sites"), menu(self._allowed_items))
        yield self._item(texts.text("tray.menu.blocked-sites"), menu(self._blocked_items))
        yield self._item(texts.text("tray.menu.language"), menu(self._language_items))
        yield self._item(texts.text("tray.menu.open-logs"), self.open_log_folder)
        yield self._item(texts.text("tray.menu.about"), self.show_about)
        yield menu.SEPARATOR
        yield self._item(texts.text("tray.menu.quit"), self._callbacks.quit)

    # pystray calls an action with as many of (icon, item) as its code takes: closures keep
    # the bound values out of the argument list.
    def _revoke_action(self, origin: str) -> Callable[[], None]:
        def revoke() -> None:
            self._callbacks.revoke_site(origin)
            self.refresh_menu()

        return revoke

    def _language_actions(
        self, choice: str | None
    ) -> tuple[Callable[[], None], Callable[[Any], bool]]:
        def choose() -> None:
            self.choose_language(choice)

        def is_chosen(_item: Any) -> bool:
            return i18n.language_override() == choice

        return choose, is_chosen

    def _keep(self, process: subprocess.Popen[bytes] | None) -> None:
        """Remember a child (dialog or folder opener) to reap; forget those that ended."""
        with self._lock:
            self._children = [child for child in self._children if child.poll() is None]
            if process is not None:
                self._children.append(process)

    def open_log_folder(self) -> None:
        """Open the agent's log folder in the file manager ("open log folder")."""
        self._keep(_open_folder(self._callbacks.log_folder()))

    def show_about(self) -> None:
        """Show the version and protocol version in a dialog ("about")."""
        texts = self._texts()
        body = texts.text("about.body", version=_agent_version(), protocol=PROTOCOL_VERSION)
        self._keep(
            show_message(
                texts.text("about.title"), body, self.language, command=self._dialog_command
            )
        )

    # -- lifetime ---------------------------------------------------------------------------

    def _setup(self, icon: Any) -> None:
        icon.visible = True

    def start(self) -> None:
        """Show the icon and run its loop in a daemon thread (done by the constructor)."""
        self._thread = threading.Thread(
            target=self.icon.run, kwargs={"setup": self._setup}, name="bitaqa-tray", daemon=True
        )
        self._thread.start()

    def run_in_main_thread(self) -> None:
        """Show the icon and run its loop in the calling thread until :meth:`close` (macOS)."""
        self.icon.run(setup=self._setup)

    def close(self) -> None:
        """Remove the icon, close dialogs it opened and stop its loop."""
        with contextlib.suppress(Exception):
            self.icon.visible = False
        deadline = time.monotonic() + _STOP_SECONDS
        while True:
            with contextlib.suppress(Exception):  # the notification daemon may already be gone
                self.icon.stop()
            thread = self._thread
            if thread is None or thread is threading.current_thread():
                break
            # A stop that arrives before the icon's loop has started is lost: ask again.
            thread.join(timeout=0.1)
            if not thread.is_alive() or time.monotonic() > deadline:
                break
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            close_dialog(child)
