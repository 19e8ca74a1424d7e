"""A scripted :class:`~bitaqa.agent.ui.base.UserInterface` for tests, and a launcher for it.

Only test code can select it: it lives under ``tests/`` (never installed), and the agent process
that uses it is started by running this file, which calls ``bitaqa.agent.command.serve`` with
the UI as an argument.  No setting, environment variable or message can switch an installed agent
to it.

The script is a JSON file the test writes (and may rewrite between requests); it is re-read on
every prompt::

    {"consent": "allow-once" | "allow-always" | "deny" | "cancel" | "timeout",
     "pins": ["123456", ...],      # one per PIN prompt, the last repeats; "cancel" closes it
     "delay": 0.0}                 # seconds each dialog stays open before answering

Every prompt is appended to the record file as one JSON line (``{"kind": "consent"|"pin"|
"notice", "origin", "operation", "triesLeft", "retry", "text", "open"}``) — never the PIN — so
tests can count and inspect dialogs; ``open`` is how many dialogs were on screen, this one
included, when it opened.

Run as a program: ``python scripted_ui.py SCRIPT RECORD -- AGENT-ARGUMENTS...``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bitaqa.agent.ui.base import ConsentAnswer, ConsentPrompt, Notice, PinPrompt
from bitaqa.agent.ui.errors import DialogCancelled, DialogTimedOut

__all__ = ["ScriptedUserInterface", "write_script"]


def write_script(path: Path, **script: Any) -> None:
    """Write ``script`` (see the module docstring) atomically to ``path``."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(script))
    temporary.replace(path)


class ScriptedUserInterface:
    """Answers dialogs from a JSON script file and records every prompt."""

    def __init__(self, script: Path, record: Path) -> None:
        self._script = script
        self._record = record
        self._pins_used = 0
        self._open = 0

    def _load(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self._script.read_text())
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _write(self, entry: dict[str, Any]) -> None:
        with self._record.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry, ensure_ascii=False) + "\n")

    async def _wait(self, script: dict[str, Any]) -> None:
        delay = float(script.get("delay", 0.0))
        if delay:
            await asyncio.sleep(delay)

    async def ask_consent(self, prompt: ConsentPrompt) -> ConsentAnswer:
        """Answer with the script's ``consent`` (default allow-once)."""
        self._open += 1
        try:
            return await self._consent(prompt)
        finally:
            self._open -= 1

    async def _consent(self, prompt: ConsentPrompt) -> ConsentAnswer:
        script = self._load()
        self._write(
            {
                "kind": "consent",
                "origin": prompt.origin,
                "portal": prompt.portal.english,
                "operation": prompt.operation.value,
                "open": self._open,
            }
        )
        await self._wait(script)
        answer = script.get("consent", "allow-once")
        if answer == "cancel":
            raise DialogCancelled
        if answer == "timeout":
            raise DialogTimedOut
        return ConsentAnswer(answer)

    async def ask_pin(self, prompt: PinPrompt) -> bytearray:
        """Answer with the next PIN of the script's ``pins``."""
        self._open += 1
        try:
            return await self._pin(prompt)
        finally:
            self._open -= 1

    async def _pin(self, prompt: PinPrompt) -> bytearray:
        script = self._load()
        self._write(
            {
                "kind": "pin",
                "origin": prompt.origin,
                "operation": prompt.operation.value,
                "triesLeft": prompt.tries_left,
                "retry": prompt.retry,
                "text": prompt.text_english,
                "open": self._open,
            }
        )
        await self._wait(script)
        pins = script.get("pins") or ["123456"]
        pin = pins[min(self._pins_used, len(pins) - 1)]
        self._pins_used += 1
        if pin == "cancel":
            raise DialogCancelled
        return bytearray(pin.encode("ascii"))

    async def notify(self, notice: Notice) -> None:
        """Record the notice."""
        self._write({"kind": "notice", "notice": notice.value})


def _main(argv: list[str]) -> int:
    from bitaqa.agent.command import serve

    script, record, separator, *agent_arguments = argv
    if separator != "--":
        raise SystemExit("usage: scripted_ui.py SCRIPT RECORD -- AGENT-ARGUMENTS...")
    return serve(agent_arguments, ScriptedUserInterface(Path(script), Path(record)))


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
