"""The tray icon: icons per state, tooltips and menu in both languages, docking in a real tray."""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bitaqa.agent.app import AgentConfig, build_agent
from bitaqa.agent.cardfeed import PcscCardFeed
from bitaqa.agent.policy.consent import ConsentStore, Decision, file_key
from bitaqa.agent.ui import i18n
from bitaqa.agent.ui.base import Notice, TrayState
from bitaqa.agent.ui.tray import STATE_COLOURS, Tray, draw_icon
from support.gui import SCREEN_WIDTH, GuiSession, wait_for_window, xdotool
from support.scripted_ui import ScriptedUserInterface


class Callbacks:
    """Records what the tray asks of the agent."""

    def __init__(self, log_folder: Path) -> None:
        self.sites = ["https://portal.gov.example", "https://moi.gov.example"]
        self.blocked = ["https://phish.example", "https://ads.example"]
        self.revoked: list[str] = []
        self.quits = 0
        self._log_folder = log_folder

    def allowed_sites(self) -> list[str]:
        return list(self.sites)

    def blocked_sites(self) -> list[str]:
        return list(self.blocked)

    def revoke_site(self, origin: str) -> None:
        self.revoked.append(origin)
        for remembered in (self.sites, self.blocked):
            if origin in remembered:
                remembered.remove(origin)

    def log_folder(self) -> str:
        return str(self._log_folder)

    def quit(self) -> None:
        self.quits += 1


@pytest.fixture
def callbacks(tmp_path: Path) -> Callbacks:
    return Callbacks(tmp_path / "logs")


@pytest.fixture(scope="module", autouse=True)
def _disconnect_gtk() -> Iterator[None]:
    """Close GTK's X connection (opened by the tray) before the private desktop stops.

    GTK keeps its display for the life of the process and exits the process when the X server
    goes away.
    """
    yield
    import sys

    if "gi.repository.Gtk" in sys.modules:
        from gi.repository import Gdk

        display = Gdk.Display.get_default()
        if display is not None:
            # GDK warns about widgets (the popped-up menu) it tears down with the display.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                display.close()


@pytest.fixture
def tray_factory(
    gui_environment: GuiSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """Creates trays on the private desktop with a private settings folder; closes them."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    trays: list[Tray] = []

    def make(callbacks: Callbacks, language: str | None = None) -> Tray:
        tray = Tray(callbacks, language)
        trays.append(tray)
        return tray

    yield make
    for tray in trays:
        tray.close()


def _texts(menu) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.text for item in menu.items if item is not type(menu).SEPARATOR]


def _item(menu, text: str):  # type: ignore[no-untyped-def]
    (found,) = [item for item in menu.items if item.text == text]
    return found


def _tray_area(session: GuiSession, name: str) -> Image.Image:
    path = session.screenshot(name)
    with Image.open(path) as image:
        return image.convert("RGB").crop((SCREEN_WIDTH - 240, 0, SCREEN_WIDTH, 40))


def _count_colour(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(
        count
        for count, pixel in image.getcolors(image.width * image.height) or []
        if all(abs(a - b) < 12 for a, b in zip(pixel, colour, strict=True))
    )


def test_every_state_has_a_distinct_icon() -> None:
    """No two tray states share an icon, and each icon carries its state's colour."""
    icons = {state: draw_icon(state) for state in TrayState}
    for first, second in itertools.combinations(TrayState, 2):
        assert icons[first].tobytes() != icons[second].tobytes(), f"{first} looks like {second}"
    for state, icon in icons.items():
        assert _count_colour(icon.convert("RGB"), STATE_COLOURS[state]) > 64 * 64 // 4
    assert draw_icon(TrayState.BUSY, 128).size == (128, 128)


def test_icon_docks_in_the_tray_and_changes_with_the_state(
    tray_factory, callbacks, gui_environment
) -> None:
    """The icon appears in the real tray host and its colour follows show_state."""
    tray = tray_factory(callbacks, "ar")
    tray.show_state(TrayState.CARD_READY, "Virtual PCD 00 00")
    ready = STATE_COLOURS[TrayState.CARD_READY]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        area = _tray_area(gui_environment, "tray-card-ready-ar")
        if _count_colour(area, ready) > 50:
            break
        time.sleep(0.3)
    assert _count_colour(area, ready) > 50, "the ready icon is not in the tray"
    _right_click_shows_the_menu(gui_environment, area, ready)
    tray.show_state(TrayState.PCSC_UNAVAILABLE)
    time.sleep(0.5)
    area = _tray_area(gui_environment, "tray-pcsc-unavailable-ar")
    assert _count_colour(area, STATE_COLOURS[TrayState.PCSC_UNAVAILABLE]) > 50
    assert _count_colour(area, ready) == 0


def _right_click_shows_the_menu(
    session: GuiSession, area: Image.Image, colour: tuple[int, int, int]
) -> None:
    """Right-click the icon (found by its colour) and check that a menu is drawn below it."""
    xs = [
        x
        for x in range(area.width)
        for y in range(area.height)
        if all(abs(a - b) < 12 for a, b in zip(area.getpixel((x, y)), colour, strict=True))
    ]
    x = SCREEN_WIDTH - area.width + (min(xs) + max(xs)) // 2
    with Image.open(session.screenshot("tray-before-menu")) as image:
        before = image.convert("L").crop((SCREEN_WIDTH - 400, 40, SCREEN_WIDTH, 400))
    xdotool(session, "mousemove", str(x), "16", "click", "3")
    drawn = 0
    for _ in range(30):
        time.sleep(0.1)
        with Image.open(session.screenshot("tray-menu-ar")) as image:
            after = image.convert("L").crop((SCREEN_WIDTH - 400, 40, SCREEN_WIDTH, 400))
        drawn = sum(
            count
            for count, value in ImageChops.difference(before, after).getcolors(400 * 360) or []
            if value > 40
        )
        if drawn > 5000:
            break
    xdotool(session, "key", "Escape")
    assert drawn > 5000, "no menu appeared under the tray icon"


@pytest.mark.parametrize("language", ["ar", "en"])
def test_tooltip_names_the_state_in_the_language(language, tray_factory, callbacks) -> None:
    """Each state has its own tooltip in the tray's language, with the detail appended."""
    tray = tray_factory(callbacks, language)
    texts = i18n.messages(language)
    tooltips = set()
    for state in TrayState:
        tray.show_state(state)
        assert tray.icon.title == texts.text(f"tray.state.{state.value}")
        tooltips.add(tray.icon.title)
    assert len(tooltips) == len(TrayState)
    tray.show_state(TrayState.CARD_READY, "Virtual PCD 00 00")
    assert tray.icon.title.endswith("Virtual PCD 00 00")


def test_menu_lists_status_sites_language_logs_about_quit(tray_factory, callbacks) -> None:
    """The menu has the status line and every entry, in Arabic when the tray speaks Arabic."""
    tray = tray_factory(callbacks, "ar")
    tray.show_state(TrayState.NO_CARD)
    texts = i18n.messages("ar")
    menu = tray.icon.menu
    assert _texts(menu) == [
        texts.text("tray.state.no-card"),
        texts.text("tray.menu.allowed-sites"),
        texts.text("tray.menu.blocked-sites"),
        texts.text("tray.menu.language"),
        texts.text("tray.menu.open-logs"),
        texts.text("tray.menu.about"),
        texts.text("tray.menu.quit"),
    ]
    assert not next(iter(menu.items)).enabled
    sites = _item(menu, texts.text("tray.menu.allowed-sites")).submenu
    assert _texts(sites) == callbacks.sites
    blocked = _item(menu, texts.text("tray.menu.blocked-sites")).submenu
    assert _texts(blocked) == callbacks.blocked
    for origin in callbacks.blocked:
        assert _texts(_item(blocked, origin).submenu) == [texts.text("tray.menu.unblock")]
    _item(menu, texts.text("tray.menu.quit"))(tray.icon)
    assert callbacks.quits == 1


def test_revoking_a_site_calls_the_agent_and_updates_the_menu(tray_factory, callbacks) -> None:
    """'Withdraw access' under a site revokes it; with none left the menu says so."""
    tray = tray_factory(callbacks, "en")
    texts = i18n.messages("en")
    for origin in list(callbacks.sites):
        sites = _item(tray.icon.menu, texts.text("tray.menu.allowed-sites")).submenu
        revoke = _item(_item(sites, origin).submenu, texts.text("tray.menu.revoke"))
        revoke(tray.icon)
    assert callbacks.revoked == ["https://portal.gov.example", "https://moi.gov.example"]
    sites = _item(tray.icon.menu, texts.text("tray.menu.allowed-sites")).submenu
    assert _texts(sites) == [texts.text("tray.menu.no-sites")]
    assert not next(iter(sites.items)).enabled
    blocked = _item(tray.icon.menu, texts.text("tray.menu.blocked-sites")).submenu
    assert _texts(blocked) == callbacks.blocked  # withdrawing access leaves blocks alone


@pytest.mark.parametrize("language", ["ar", "en"])
def test_unblocking_a_site_calls_the_agent_and_updates_the_menu(
    language, tray_factory, callbacks
) -> None:
    """'Unblock' under a blocked site forgets the deny; with none left the menu says so."""
    tray = tray_factory(callbacks, language)
    texts = i18n.messages(language)
    for origin in list(callbacks.blocked):
        blocked = _item(tray.icon.menu, texts.text("tray.menu.blocked-sites")).submenu
        unblock = _item(_item(blocked, origin).submenu, texts.text("tray.menu.unblock"))
        unblock(tray.icon)
    assert callbacks.revoked == ["https://phish.example", "https://ads.example"]
    blocked = _item(tray.icon.menu, texts.text("tray.menu.blocked-sites")).submenu
    assert _texts(blocked) == [texts.text("tray.menu.no-blocked-sites")]
    assert not next(iter(blocked.items)).enabled
    sites = _item(tray.icon.menu, texts.text("tray.menu.allowed-sites")).submenu
    assert _texts(sites) == callbacks.sites  # unblocking leaves allowed sites alone


def test_the_agents_remembered_decisions_are_listed_and_revoked_in_its_store(
    tray_factory, tmp_path
) -> None:
    """With the real agent behind it, the tray lists the consent store's allows and denies, and
    'Unblock' / 'Withdraw access' forget them in the HMAC-protected file (asked again next time)."""
    config = AgentConfig(
        config_dir=tmp_path / "agent",
        system_policy_dir=tmp_path / "system",
        wss_ports=(),
        ws_ports=(),
        use_keyring=False,
    )
    ui = ScriptedUserInterface(tmp_path / "script.json", tmp_path / "prompts.jsonl")
    agent = build_agent(config, ui, PcscCardFeed())
    agent.consent.remember("https://portal.gov.example", Decision.ALLOW)
    agent.consent.remember("https://phish.example", Decision.DENY)
    agent.consent.remember("https://ads.example", Decision.DENY)
    tray = tray_factory(agent, "ar")
    texts = i18n.messages("ar")

    def submenu(name: str):  # type: ignore[no-untyped-def]
        return _item(tray.icon.menu, texts.text(name)).submenu

    assert _texts(submenu("tray.menu.allowed-sites")) == ["https://portal.gov.example"]
    assert _texts(submenu("tray.menu.blocked-sites")) == [
        "https://ads.example",
        "https://phish.example",
    ]
    unblock = _item(
        _item(submenu("tray.menu.blocked-sites"), "https://phish.example").submenu,
        texts.text("tray.menu.unblock"),
    )
    unblock(tray.icon)
    assert _texts(submenu("tray.menu.blocked-sites")) == ["https://ads.example"]
    reloaded = ConsentStore(
        config.config_dir / "consent.json", [("file", file_key(config.config_dir / "consent.key"))]
    )
    assert reloaded.state == "ok"
    assert reloaded.remembered() == {
        "https://portal.gov.example": Decision.ALLOW,
        "https://ads.example": Decision.DENY,
    }
    withdraw = _item(
        _item(submenu("tray.menu.allowed-sites"), "https://portal.gov.example").submenu,
        texts.text("tray.menu.revoke"),
    )
    withdraw(tray.icon)
    assert _texts(submenu("tray.menu.allowed-sites")) == [texts.text("tray.menu.no-sites")]
    assert agent.consent.remembered() == {"https://ads.example": Decision.DENY}


def test_language_choice_is_saved_and_switches_the_texts(tray_factory, callbacks, tmp_path) -> None:
    """Choosing العربية saves ui.json atomically and the menu turns Arabic; System reverts."""
    tray = tray_factory(callbacks)
    english, arabic = i18n.messages("en"), i18n.messages("ar")
    assert tray.language == "en"
    languages = _item(tray.icon.menu, english.text("tray.menu.language")).submenu
    _item(languages, "العربية")(tray.icon)
    settings = tmp_path / "config" / "bitaqa" / "ui.json"
    assert json.loads(settings.read_text(encoding="utf-8")) == {"language": "ar"}
    assert [path.name for path in settings.parent.iterdir()] == ["ui.json"]
    assert tray.language == "ar"
    assert tray.icon.title == arabic.text("tray.state.no-reader")
    languages = _item(tray.icon.menu, arabic.text("tray.menu.language")).submenu
    assert _item(languages, "العربية").checked
    assert not _item(languages, "English").checked
    _item(languages, arabic.text("tray.menu.language-system"))(tray.icon)
    assert json.loads(settings.read_text(encoding="utf-8")) == {"language": None}
    assert tray.language == "en"


def test_open_log_folder_runs_the_desktop_opener(
    tray_factory, callbacks, tmp_path, monkeypatch
) -> None:
    """'Open log folder' hands the agent's log folder to xdg-open."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    record = tmp_path / "opened.txt"
    opener = bin_folder / "xdg-open"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {record}\n', encoding="utf-8")
    opener.chmod(opener.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    tray = tray_factory(callbacks, "en")
    _item(tray.icon.menu, i18n.messages("en").text("tray.menu.open-logs"))(tray.icon)
    tray.close()  # reaps the opener
    assert record.read_text(encoding="utf-8") == callbacks.log_folder()


def test_about_shows_version_and_protocol(tray_factory, callbacks, gui_environment) -> None:
    """'About' opens a dialog window; closing the tray closes it."""
    tray = tray_factory(callbacks, "en")
    _item(tray.icon.menu, i18n.messages("en").text("tray.menu.about"))(tray.icon)
    window = wait_for_window(gui_environment, ["--classname", "bitaqa-dialog"])
    gui_environment.screenshot("about-en-xvfb", window=window)
    tray.close()
    assert (
        xdotool(
            gui_environment, "search", "--onlyvisible", "--classname", "bitaqa-dialog", check=False
        ).split()
        == []
    )


def test_notifications_reach_the_notification_daemon(
    tray_factory, callbacks, gui_environment
) -> None:
    """Card inserted and PIN blocked become desktop notifications shown by dunst."""
    tray = tray_factory(callbacks, "ar")
    tray.show_state(TrayState.CARD_READY)
    assert tray.icon.HAS_NOTIFICATION
    tray.notify(Notice.CARD_INSERTED)
    tray.notify(Notice.PIN_BLOCKED)

    def dunstctl(*arguments: str) -> str:
        return subprocess.run(
            ["dunstctl", *arguments],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
            env=gui_environment.environment,
        ).stdout

    def displayed() -> int:
        return int(dunstctl("count", "displayed").strip() or 0)

    deadline = time.monotonic() + 10
    while displayed() < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert displayed() >= 1
    gui_environment.screenshot("tray-notification-ar")
    dunstctl("close-all")
