"""Message catalogs (ar, en), language selection and the saved language choice."""

from __future__ import annotations

import re
import string
from pathlib import Path

import polib
import pytest

from bitaqa.agent.ui import i18n
from bitaqa.protocol.errors import ErrorCode

LOCALE = Path(i18n.__file__).with_name("locale")
UI_SOURCES = [
    *Path(i18n.__file__).parent.rglob("*.py"),
    Path(i18n.__file__).parents[1] / "doctor.py",
]


def _catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / f"{language}.po"))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogs_have_the_same_message_ids() -> None:
    """Every message id exists in Arabic and English, and none is left untranslated."""
    arabic, english = _catalog("ar"), _catalog("en")
    assert {entry.msgid for entry in arabic} == {entry.msgid for entry in english}
    for catalog in (arabic, english):
        assert catalog.untranslated_entries() == []
        assert catalog.fuzzy_entries() == []
    assert len(english) > 100


def test_translations_keep_the_same_placeholders() -> None:
    """A translation uses exactly the placeholders of the English text (no KeyError at run time)."""
    english = {entry.msgid: entry for entry in _catalog("en")}
    for entry in _catalog("ar"):
        expected = _placeholders(
            english[entry.msgid].msgstr or english[entry.msgid].msgstr_plural[1]
        )
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            assert _placeholders(form) <= expected | {"n"}, entry.msgid


def test_arabic_has_six_plural_forms() -> None:
    """Arabic plural entries carry all six CLDR forms."""
    for entry in _catalog("ar"):
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == [0, 1, 2, 3, 4, 5], entry.msgid


@pytest.mark.parametrize("code", list(ErrorCode))
@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_wire_error_has_a_text(code, language) -> None:
    """Each ErrorCode has its own explanation in both languages."""
    text = i18n.error_text(code, language)
    assert text
    assert text != f"error.{code.name}"
    assert i18n.messages(language).has(f"error.{code.name}")


def test_every_message_id_used_in_the_code_exists() -> None:
    """Literal ids passed to text()/plural() in the UI and doctor code are in the catalogs."""
    used = set()
    for path in UI_SOURCES:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:text|plural)\(\s*"([a-z0-9.\-]+)"', source))
        used |= set(
            re.findall(r'"((?:doctor|tray|pin|notice|consent|dialog)\.[a-z0-9.\-]+)"', source)
        )
    assert len(used) > 40
    known = {entry.msgid for entry in _catalog("en")}
    assert sorted(used - known) == []


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (10, 3), (11, 4), (99, 4), (100, 5), (102, 5), (103, 3)],
)
def test_arabic_plural_rule(count, expected) -> None:
    """The Plural-Forms rule picks the CLDR form for each count."""
    forms = dict(next(e for e in _catalog("ar") if e.msgid == "pin.tries-left").msgstr_plural)
    assert i18n.messages("ar").plural("pin.tries-left", count) == forms[expected].format(n=count)


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({"LANG": "ar_QA.UTF-8"}, "ar"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANGUAGE": "ar:en", "LANG": "en_US.UTF-8"}, "ar"),
        ({"LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "ar_AE.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ar_AE.UTF-8", "LANG": "en_US.UTF-8"}, "ar"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_system_language_follows_the_posix_variables(environment, language) -> None:
    """LANGUAGE, LC_ALL, LC_MESSAGES, LANG are read in gettext's order."""
    assert i18n.system_language(environment) == language


def test_language_override_is_saved_atomically_and_survives_damage(tmp_path) -> None:
    """The tray's choice goes to ui.json and wins over the system; a damaged file is ignored."""
    environment = {"XDG_CONFIG_HOME": str(tmp_path), "LANG": "en_US.UTF-8"}
    assert i18n.current_language(environment) == "en"
    i18n.set_language_override("ar", environment)
    path = tmp_path / "bitaqa" / "ui.json"
    assert path == i18n.settings_path(environment)
    assert i18n.current_language(environment) == "ar"
    assert [entry.name for entry in path.parent.iterdir()] == ["ui.json"]
    path.write_text("{not json", encoding="utf-8")
    assert i18n.language_override(environment) is None
    assert i18n.current_language(environment) == "en"
    i18n.set_language_override(None, environment)
    assert i18n.language_override(environment) is None
    with pytest.raises(ValueError, match="no catalog"):
        i18n.set_language_override("fr", environment)
    with pytest.raises(ValueError, match="no catalog"):
        i18n.messages("fr")
