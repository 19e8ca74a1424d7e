"""The resident's language and the ar/en message catalogs.

Every user-facing string (tray, dialogs, notices, ``bitaqa doctor`` and the text of every wire
error code) has a symbolic message id, for example ``pin.tries-left``, translated in
``locale/ar.po`` and ``locale/en.po``.  The ``.po`` files are the only source; they are compiled
in memory with polib when first used, so no binary catalog is committed.

The language is, in order: the override the resident chose in the tray (``ui.json`` in the
settings folder), then the system language:

- POSIX: the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set (as GNU
  gettext reads them);
- Windows: ``GetUserDefaultUILanguage`` (kernel32), primary language ``LANG_ARABIC`` (0x01);
- macOS: the first entry of ``defaults read -g AppleLanguages`` (the same list as
  ``CFLocaleCopyPreferredLanguages``).

Anything Arabic (``ar``, ``ar_QA.UTF-8``, ...) selects Arabic; everything else English.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gettext
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import polib

from bitaqa.protocol.errors import ErrorCode

__all__ = [
    "LANGUAGES",
    "Messages",
    "current_language",
    "error_text",
    "is_right_to_left",
    "language_override",
    "messages",
    "set_language_override",
    "settings_path",
    "system_language",
]

LANGUAGES: tuple[str, ...] = ("ar", "en")
"""The languages with a catalog; the first entry of each pair in the tray's language menu."""

_LOCALE_FOLDER = Path(__file__).with_name("locale")
_POSIX_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_WINDOWS_LANG_ARABIC = 0x01


class Messages:
    """One language's catalog.

    ``text(msgid, **values)`` and ``plural(msgid, n, **values)`` return the translation with
    ``str.format`` placeholders filled.  An id missing from Arabic falls back to English (the
    catalog test guarantees none is missing).
    """

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    @property
    def right_to_left(self) -> bool:
        """True when this language is written right to left."""
        return is_right_to_left(self.language)

    def text(self, msgid: str, /, **values: object) -> str:
        """Return the translation of ``msgid`` with its placeholders filled from ``values``."""
        return self._translations.gettext(msgid).format(**values)

    def plural(self, msgid: str, count: int, /, **values: object) -> str:
        """Return the plural form of ``msgid`` for ``count`` (passed to the text as ``{n}``)."""
        return self._translations.ngettext(msgid, msgid + ".plural", count).format(
            n=count, **values
        )

    def has(self, msgid: str) -> bool:
        """True when this language's own catalog (not a fallback) translates ``msgid``."""
        catalog = getattr(self._translations, "_catalog", {})
        return msgid in catalog or (msgid, 0) in catalog


def is_right_to_left(language: str) -> bool:
    """True for Arabic."""
    return language == "ar"


@functools.cache
def _compiled(language: str) -> gettext.GNUTranslations:
    source = polib.pofile(str(_LOCALE_FOLDER / f"{language}.po"))
    return gettext.GNUTranslations(io.BytesIO(source.to_binary()))


@functools.cache
def _messages(language: str) -> Messages:
    translations = _compiled(language)
    if language != "en":
        translations.add_fallback(_compiled("en"))
    return Messages(language, translations)


def messages(language: str | None = None) -> Messages:
    """Return the catalog for ``language`` (``"ar"`` or ``"en"``), or for the current language.

    Raises:
        ValueError: ``language`` is not one of :data:`LANGUAGES`.
    """
    chosen = current_language() if language is None else language
    if chosen not in LANGUAGES:
        raise ValueError(f"no catalog for language {chosen!r}")
    return _messages(chosen)


def error_text(code: ErrorCode, language: str | None = None) -> str:
    """Explain the wire error ``code`` to the resident in ``language`` (default: current)."""
    return messages(language).text(f"error.{code.name}")


def _language_of(tag: str) -> str:
    return "ar" if tag.strip().lower().startswith("ar") else "en"


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """Return ``"ar"`` or ``"en"`` from the operating system's user interface language."""
    env = os.environ if environ is None else environ
    for name in _POSIX_VARIABLES:
        value = env.get(name, "")
        if value:
            # LANGUAGE may be a priority list ("ar:en"); its first entry wins.
            return _language_of(value.split(":")[0])
    if sys.platform == "win32":
        language_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        return "ar" if language_id & 0x3FF == _WINDOWS_LANG_ARABIC else "en"
    if sys.platform == "darwin":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            listing = subprocess.run(
                ["defaults", "read", "-g", "AppleLanguages"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout
            first = listing.strip("()\n ").split(",")[0].strip().strip('"')
            return _language_of(first)
    return "en"


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    """The resident's UI settings file: ``$XDG_CONFIG_HOME/bitaqa/ui.json`` (default
    ``~/.config``), ``%APPDATA%\\Bitaqa\\ui.json`` on Windows."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / "Bitaqa" / "ui.json"
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "bitaqa" / "ui.json"


def _read_settings(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def language_override(environ: Mapping[str, str] | None = None) -> str | None:
    """The language chosen in the tray, or None to follow the system (also for a damaged file)."""
    value = _read_settings(settings_path(environ)).get("language")
    return value if isinstance(value, str) and value in LANGUAGES else None


def set_language_override(language: str | None, environ: Mapping[str, str] | None = None) -> None:
    """Persist the tray's language choice (None = follow the system) with an atomic replace.

    Raises:
        ValueError: ``language`` is not None and not one of :data:`LANGUAGES`.
    """
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    path = settings_path(environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = _read_settings(path)
    settings["language"] = language
    descriptor, temporary = tempfile.mkstemp(prefix=".ui-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(settings, stream, ensure_ascii=False, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def current_language(environ: Mapping[str, str] | None = None) -> str:
    """The tray override if set, else the system language."""
    return language_override(environ) or system_language(environ)
